"""The register of back-office functions: departments, functions and their baselines."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import tenancy
from portal.functions import bp, operations, queries
from portal.functions.baseline import baseline_of
from portal.functions.catalogue import CATALOGUE, catalogue_function
from portal.functions.forms import DepartmentForm, FunctionForm
from portal.models import BackOfficeFunction, Department, Role
from portal.rules import show_on_form
from portal.security import READ, requires

#: Who may change the register: it is the finance baseline procurement tenders against.
EDIT = (Role.ADMIN, Role.FINANCE, Role.PROCUREMENT)


def _form_data(form) -> dict:
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


@bp.get("/")
@requires(*READ, side="client")
def index():
    return render_template(
        "functions/index.html", register=queries.register(), can_edit=g.membership.role in EDIT
    )


# Departments


@bp.route("/departments/new", methods=["GET", "POST"])
@requires(*EDIT, side="client")
def new_department():
    form = DepartmentForm(members=queries.members())
    if form.validate_on_submit():
        try:
            department = operations.create_department(g.actor, _form_data(form))
        except operations.RegisterRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Department %(name)s created.", name=department.name), "success")
            return redirect(url_for("functions.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("functions/department_form.html", form=form, department=None), status


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@requires(*EDIT, side="client")
def edit_department(department_id: int):
    department = tenancy.get_or_404(Department, department_id)
    form = DepartmentForm(obj=department, members=queries.members())
    if form.validate_on_submit():
        try:
            operations.update_department(g.actor, department, _form_data(form))
        except operations.RegisterRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Department %(name)s saved.", name=department.name), "success")
            return redirect(url_for("functions.index"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "functions/department_form.html", form=form, department=department
    ), status


@bp.post("/departments/<int:department_id>/delete")
@requires(*EDIT, side="client")
def delete_department(department_id: int):
    department = tenancy.get_or_404(Department, department_id)
    name = department.name
    try:
        operations.delete_department(g.actor, department)
    except operations.RegisterRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("Department %(name)s deleted.", name=name), "success")
    return redirect(url_for("functions.index"))


# Functions


@bp.route("/new", methods=["GET", "POST"])
@requires(*EDIT, side="client")
def new_function():
    departments = queries.departments()
    form = FunctionForm(departments=departments, default_currency=g.organization.default_currency)
    standard = catalogue_function(request.args.get("catalogue"))
    if standard is not None and not form.is_submitted():
        form.catalogue_key.data = standard.key
        form.name.data = str(standard.name)
        form.description.data = str(standard.description)
        form.volume_unit.data = str(standard.volume_unit)
    if form.validate_on_submit():
        try:
            function = operations.create_function(g.actor, _form_data(form))
        except operations.RegisterRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Function %(name)s added to the register.", name=function.name), "success")
            return redirect(url_for("functions.show", function_id=function.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "functions/function_form.html",
        form=form,
        function=None,
        catalogue=CATALOGUE,
        standard=standard,
        has_departments=bool(departments),
    ), status


@bp.get("/<int:function_id>")
@requires(*READ, side="client")
def show(function_id: int):
    function = tenancy.get_or_404(BackOfficeFunction, function_id)
    return render_template(
        "functions/show.html",
        function=function,
        baseline=baseline_of(function),
        standard=catalogue_function(function.catalogue_key),
        can_edit=g.membership.role in EDIT,
    )


@bp.route("/<int:function_id>/edit", methods=["GET", "POST"])
@requires(*EDIT, side="client")
def edit_function(function_id: int):
    function = tenancy.get_or_404(BackOfficeFunction, function_id)
    form = FunctionForm(
        obj=function,
        departments=queries.departments(),
        default_currency=g.organization.default_currency,
    )
    if form.validate_on_submit():
        try:
            operations.update_function(g.actor, function, _form_data(form))
        except operations.RegisterRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Function %(name)s saved.", name=function.name), "success")
            return redirect(url_for("functions.show", function_id=function.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "functions/function_form.html",
        form=form,
        function=function,
        catalogue=CATALOGUE,
        standard=None,
        has_departments=True,
    ), status


@bp.post("/<int:function_id>/delete")
@requires(*EDIT, side="client")
def delete_function(function_id: int):
    function = tenancy.get_or_404(BackOfficeFunction, function_id)
    name = function.name
    try:
        operations.delete_function(g.actor, function)
    except operations.RegisterRuleError as error:
        flash(error.message, "error")
        return redirect(url_for("functions.show", function_id=function_id))
    flash(_("Function %(name)s removed from the register.", name=name), "success")
    return redirect(url_for("functions.index"))
