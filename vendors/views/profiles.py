"""The vendor directory, public profiles, and a vendor's own profile."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from portal.functions.catalogue import catalogue_function
from portal.rules import show_on_form
from portal.security import READ, has_role, requires
from vendors import BID_MANAGERS, bp
from vendors.certifications import certification_name
from vendors.forms.profiles import (
    DirectoryFilterForm,
    ProfileForm,
    country_name,
    language_name,
    location_kind_label,
)
from vendors.operations import profiles as operations
from vendors.queries import profiles as queries

#: An organization slug is at most this long (``Organization.slug``).
MAX_SLUG = 60


def _names() -> dict:
    """How the profile templates name codes, in the reader's language."""
    return {
        "today": queries.today(),
        "format_date": format_date,
        "country_name": country_name,
        "language_name": language_name,
        "location_kind_label": location_kind_label,
        "certification_name": certification_name,
        "function_name": lambda key: (
            catalogue_function(key).name if catalogue_function(key) else key
        ),
    }


def _initial(profile) -> dict | None:
    if profile is None:
        return None
    return {
        "listed": profile.listed,
        "description": profile.description,
        "headcount": profile.headcount,
        "website": profile.website,
        "functions": [item.catalogue_key for item in profile.functions],
        "languages": [item.code for item in profile.languages],
        "locations": [
            {"city": i.city, "country": i.country, "kind": str(i.kind), "headcount": i.headcount}
            for i in profile.locations
        ],
        "certifications": [
            {
                "standard": i.standard,
                "certificate_number": i.certificate_number,
                "expires_on": i.expires_on,
            }
            for i in profile.certifications
        ],
    }


@bp.get("/directory")
@requires(*READ)
def directory():
    filters = DirectoryFilterForm(request.args)
    page = queries.directory_page(request.args.get("page", type=int), **filters.filters())
    return render_template(
        "vendors/profiles/directory.html", page=page, filters=filters, **_names()
    )


@bp.get("/directory/<slug>")
@requires(*READ)
def vendor_profile(slug: str):
    if len(slug) > MAX_SLUG:
        abort(404)
    own = slug == g.organization.slug
    profile = queries.visible_profile(slug, g.organization.id)
    if profile is None and not (own and g.organization.is_vendor):
        abort(404)
    return render_template(
        "vendors/profiles/show.html",
        profile=profile,
        own=own,
        can_edit=own and has_role(BID_MANAGERS),
        **_names(),
    )


@bp.route("/vendor-profile", methods=["GET", "POST"])
@requires(*BID_MANAGERS, side="vendor")
def edit_profile():
    profile = queries.profile_of(g.organization.id)
    submitted = request.method == "POST"
    form = ProfileForm(initial=None if submitted else _initial(profile))
    if submitted and form.wants_a_row():
        # Another empty row, nothing saved: what was typed stays as it was.
        form.add_row(form.locations if form.add_location.data else form.certifications)
        return render_template("vendors/profiles/edit.html", form=form, profile=profile)
    if form.validate_on_submit():
        try:
            operations.save_profile(g.actor, g.organization, form.profile_data())
        except operations.ProfileRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Your directory profile was saved."), "success")
            return redirect(url_for("vendors.vendor_profile", slug=g.organization.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("vendors/profiles/edit.html", form=form, profile=profile), status
