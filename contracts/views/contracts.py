"""The contract pages: the list on both sides, a contract's terms and its life cycle.

Both parties read a contract (the vendor once it was sent); only the client
drafts, sends, cancels, amends and terminates it, only the vendor accepts or
sends it back. A party asking for the other party's action gets 403: it may
see the contract, not do that.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from contracts import CONTRACT_MANAGERS, CONTRACT_SIGNATORIES, bp
from contracts.forms.contracts import (
    AmendmentForm,
    ContractFilterForm,
    ContractForm,
    RejectForm,
    TerminateForm,
    amendment_form_data,
    contract_form_data,
)
from contracts.models import ContractStatus
from contracts.operations import contracts as operations
from contracts.queries import contracts as queries
from contracts.queries.common import (
    CONTRACT_STATUS_LABELS,
    RATE_KIND_LABELS,
    VAT_TREATMENT_LABELS,
    contract_or_404,
    is_client_of,
    is_vendor_of,
)
from portal import tenancy
from portal.db import utcnow
from portal.functions.catalogue import catalogue_function
from portal.rules import show_on_form
from portal.security import READ, has_role, requires
from vendors.forms.tenders import BETTER_LABELS
from vendors.queries.tenders import function_or_none
from vendors.queries.tenders import functions as register_functions


def _form_data(form) -> dict:
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def _button(name: str) -> bool:
    return name in request.form


def _handle_row_buttons(form) -> bool:
    """The no-script buttons that change the rows without saving; True if one was pressed."""
    if _button("add_library"):
        form.add_library_rows()
        return True
    if _button("more_rows"):
        form.add_blank_rows(3)
        return True
    return False


def _client_contract(contract_id: int):
    """The contract, if the current organization is its client; its vendor gets 403."""
    contract = contract_or_404(contract_id)
    if not is_client_of(contract):
        abort(403)
    return contract


def _vendor_contract(contract_id: int):
    contract = contract_or_404(contract_id)
    if not is_vendor_of(contract):
        abort(403)
    return contract


def _to_contract(contract):
    return redirect(url_for("contracts.show", contract_id=contract.id))


# --- The list -------------------------------------------------------------------------


@bp.get("/contracts")
@requires(*READ)
def index():
    filters = ContractFilterForm(request.args, counterparties=queries.counterparties())
    status, counterparty = filters.filters()
    page = queries.contracts(status, counterparty, _page_number())
    organization_id = tenancy.require_organization_id()
    return render_template(
        "contracts/index.html",
        page=page,
        filters=filters,
        filtered=bool(status or counterparty),
        organization_id=organization_id,
        catalogue_function=catalogue_function,
        can_create=g.membership.organization.is_client and has_role(CONTRACT_MANAGERS),
    )


# --- One contract ---------------------------------------------------------------------


def _render_show(contract, *, reject_form=None, terminate_form=None, status: int = 200):
    is_client = is_client_of(contract)
    return render_template(
        "contracts/show.html",
        contract=contract,
        version=contract.current_version,
        versions=queries.versions_with_authors(contract),
        people=queries.contract_people(contract),
        is_client=is_client,
        is_vendor=not is_client,
        can_manage=is_client and has_role(CONTRACT_MANAGERS),
        can_sign=not is_client and has_role(CONTRACT_SIGNATORIES),
        reject_form=reject_form or RejectForm(formdata=None),
        terminate_form=terminate_form or TerminateForm(formdata=None),
        today=utcnow().date(),
        **_labels(),
    ), status


def _labels() -> dict:
    return {
        "status_labels": CONTRACT_STATUS_LABELS,
        "vat_labels": VAT_TREATMENT_LABELS,
        "rate_kind_labels": RATE_KIND_LABELS,
        "better_labels": BETTER_LABELS,
        "catalogue_function": catalogue_function,
    }


@bp.get("/contracts/<int:contract_id>")
@requires(*READ)
def show(contract_id: int):
    return _render_show(contract_or_404(contract_id))


@bp.get("/contracts/<int:contract_id>/versions/<int:version_id>")
@requires(*READ)
def version(contract_id: int, version_id: int):
    contract = contract_or_404(contract_id)
    shown = queries.version_page(contract, version_id)
    return render_template(
        "contracts/version.html",
        contract=contract,
        version=shown,
        is_client=is_client_of(contract),
        **_labels(),
    )


# --- The draft ------------------------------------------------------------------------


def _render_form(form, contract, status: int):
    return render_template(
        "contracts/form.html",
        form=form,
        contract=contract,
        has_functions=bool(form.function_id.choices[1:]) if "function_id" in form else True,
    ), status


@bp.route("/contracts/new", methods=["GET", "POST"])
@requires(*CONTRACT_MANAGERS, side="client")
def new():
    source = request.form if request.method == "POST" else request.args
    function = function_or_none(source.get("function_id"))
    data = {"credit_cap_percent": 10, "payment_terms_days": 30}
    if function is not None:
        data.update({"function_id": function.id, "title": function.name})
    vendor_id = request.args.get("vendor_id", type=int)
    if vendor_id:
        data["vendor_id"] = vendor_id
    form = ContractForm(
        vendors=operations.vendor_choices(),
        functions=register_functions(),
        client_id=tenancy.require_organization_id(),
        catalogue_key=function.catalogue_key if function else None,
        data=data,
    )
    if form.is_submitted() and _handle_row_buttons(form):
        form.add_spare_rows()
        return _render_form(form, None, 200)
    if form.validate_on_submit():
        try:
            contract = operations.create_contract(g.actor, _form_data(form))
        except operations.ContractRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Draft contract %(title)s saved.", title=contract.title), "success")
            return _to_contract(contract)
    form.add_spare_rows(1 if form.is_submitted() else 2)
    return _render_form(form, None, 400 if form.is_submitted() else 200)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@requires(*CONTRACT_MANAGERS)
def edit(contract_id: int):
    contract = _client_contract(contract_id)
    if contract.status != ContractStatus.DRAFT:
        flash(_("Only a draft can be edited; an active contract is amended."), "error")
        return _to_contract(contract)
    form = ContractForm(catalogue_key=contract.catalogue_key, data=contract_form_data(contract))
    if form.is_submitted() and _handle_row_buttons(form):
        form.add_spare_rows()
        return _render_form(form, contract, 200)
    if form.validate_on_submit():
        try:
            operations.update_contract(g.actor, contract, _form_data(form))
        except operations.ContractRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Draft contract %(title)s saved.", title=contract.title), "success")
            return _to_contract(contract)
    form.add_spare_rows()
    return _render_form(form, contract, 400 if form.is_submitted() else 200)


def _life_cycle_step(contract, step, success: str):
    """Apply one move from the contract page; a refusal is flashed."""
    try:
        step()
    except operations.ContractRuleError as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
    return _to_contract(contract)


@bp.post("/contracts/<int:contract_id>/send")
@requires(*CONTRACT_MANAGERS)
def send(contract_id: int):
    contract = _client_contract(contract_id)
    return _life_cycle_step(
        contract,
        lambda: operations.send_contract(g.actor, contract),
        _("%(title)s is sent to %(vendor)s.", title=contract.title, vendor=contract.vendor.name),
    )


@bp.post("/contracts/<int:contract_id>/cancel")
@requires(*CONTRACT_MANAGERS)
def cancel(contract_id: int):
    contract = _client_contract(contract_id)
    return _life_cycle_step(
        contract,
        lambda: operations.cancel_contract(g.actor, contract),
        _("%(title)s is cancelled.", title=contract.title),
    )


# --- The vendor's answer --------------------------------------------------------------


@bp.post("/contracts/<int:contract_id>/accept")
@requires(*CONTRACT_SIGNATORIES)
def accept(contract_id: int):
    contract = _vendor_contract(contract_id)
    return _life_cycle_step(
        contract,
        lambda: operations.accept_contract(g.actor, contract),
        _("You accepted %(title)s: it is active.", title=contract.title),
    )


@bp.post("/contracts/<int:contract_id>/reject")
@requires(*CONTRACT_SIGNATORIES)
def reject(contract_id: int):
    contract = _vendor_contract(contract_id)
    form = RejectForm()
    if form.validate():
        try:
            operations.reject_contract(g.actor, contract, form.reason.data)
        except operations.ContractRuleError as error:
            if error.field != "reason":
                flash(error.message, "error")
                return _to_contract(contract)
            show_on_form(form, error)
        else:
            flash(_("%(title)s is sent back to the client.", title=contract.title), "success")
            return _to_contract(contract)
    return _render_show(contract, reject_form=form, status=400)


# --- Amendments and the end -----------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/amend", methods=["GET", "POST"])
@requires(*CONTRACT_MANAGERS)
def amend(contract_id: int):
    contract = _client_contract(contract_id)
    if contract.status != ContractStatus.ACTIVE:
        flash(_("Only an active contract can be amended."), "error")
        return _to_contract(contract)
    form = AmendmentForm(catalogue_key=contract.catalogue_key, data=amendment_form_data(contract))
    if form.is_submitted() and _handle_row_buttons(form):
        form.add_spare_rows()
        return _render_amend(form, contract, 200)
    if form.validate_on_submit():
        try:
            version = operations.amend_contract(g.actor, contract, _form_data(form))
        except operations.ContractRuleError as error:
            show_on_form(form, error)
        else:
            flash(
                _(
                    "Version %(number)s of %(title)s takes effect in %(month)s; the vendor "
                    "was told.",
                    number=version.number,
                    title=contract.title,
                    month=f"{version.effective_from:%Y-%m}",
                ),
                "success",
            )
            return _to_contract(contract)
    form.add_spare_rows()
    return _render_amend(form, contract, 400 if form.is_submitted() else 200)


def _render_amend(form, contract, status: int):
    return render_template(
        "contracts/amend.html",
        form=form,
        contract=contract,
        last_reported=operations.last_reported_period(contract),
    ), status


@bp.post("/contracts/<int:contract_id>/terminate")
@requires(*CONTRACT_MANAGERS)
def terminate(contract_id: int):
    contract = _client_contract(contract_id)
    form = TerminateForm()
    if form.validate():
        try:
            operations.terminate_contract(g.actor, contract, form.last_day.data, form.reason.data)
        except operations.ContractRuleError as error:
            if error.field not in ("last_day", "reason"):
                flash(error.message, "error")
                return _to_contract(contract)
            show_on_form(form, error)
        else:
            flash(_("%(title)s is terminated.", title=contract.title), "success")
            return _to_contract(contract)
    return _render_show(contract, terminate_form=form, status=400)
