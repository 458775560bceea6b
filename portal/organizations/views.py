"""Organizations, switching between them, members and invitations."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

# The module, not its names: portal.context imports portal.auth, which imports
# this package, so its names may not exist yet while this module loads.
from portal import context, tenancy
from portal.auth.decorators import fresh_login_required, personal_login_required
from portal.auth.sessions import log_in
from portal.db import MAX_ID
from portal.models import Invitation, Membership, Role
from portal.organizations import bp, operations, queries
from portal.organizations.forms import (
    CaptiveLinkForm,
    InvitationForm,
    InvitationSignupForm,
    OrganizationForm,
    OrganizationSettingsForm,
    RoleForm,
)
from portal.organizations.operations import MembershipRuleError
from portal.roles import role_label
from portal.rules import show_on_form
from portal.security import READ, has_role, requires


@bp.post("/organizations/switch")
@personal_login_required
def switch():
    organization_id = request.form.get("organization_id", type=int)
    membership = (
        context.membership_in(current_user.id, organization_id)
        if organization_id and 0 < organization_id <= MAX_ID
        else None
    )
    if membership is None:
        abort(404)
    operations.switch_organization(current_user, g.user_session, membership)
    flash(_("You are now working in %(name)s.", name=membership.organization.name), "success")
    return redirect(url_for("dashboard.index"))


@bp.get("/organizations/choose")
@personal_login_required
def choose():
    # Pending invitations are not listed here: the e-mailed link is what proves
    # the address is the person's own, since addresses are not verified at
    # sign-up. Listing (and accepting) by address would let anyone who signs
    # up with an invited address join in its owner's place.
    return render_template("organizations/choose.html")


@bp.route("/organizations/new", methods=["GET", "POST"])
@personal_login_required
def new():
    form = OrganizationForm()
    if form.validate_on_submit():
        organization = operations.found_organization(current_user, g.user_session, form.data)
        flash(_("%(name)s is ready. You are its administrator.", name=organization.name), "success")
        return redirect(url_for("dashboard.index"))
    return render_template("organizations/new.html", form=form), 400 if form.is_submitted() else 200


def _captive_form(**kwargs) -> CaptiveLinkForm | None:
    """The captive-centre choice, for a vendor organization's administrators."""
    organization = g.organization
    if not (organization.is_vendor and has_role(Role.ADMIN)):
        return None
    parents = operations.captive_parent_choices(current_user, organization)
    return CaptiveLinkForm(parents=parents, current=organization.captive_of, **kwargs)


def _settings_page(
    form: OrganizationSettingsForm,
    status: int = 200,
    captive_form: CaptiveLinkForm | None = None,
):
    return render_template(
        "organizations/settings.html",
        form=form,
        can_edit=has_role(Role.ADMIN),
        # Not read from this request's form unless it is the one that was sent.
        captive_form=captive_form or _captive_form(formdata=None),
    ), status


@bp.get("/organization/settings")
@requires(*READ)
def settings():
    return _settings_page(OrganizationSettingsForm(obj=g.organization))


@bp.post("/organization/settings")
@requires(Role.ADMIN)
def update_settings():
    form = OrganizationSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    data = {name: form.data[name] for name in operations.SETTINGS_FIELDS}
    operations.update_organization(current_user, g.organization, data)
    flash(_("The organization's details were saved."), "success")
    return redirect(url_for("organizations.settings"))


@bp.post("/organization/captive-link")
@requires(Role.ADMIN, side="vendor")
def update_captive_link():
    form = _captive_form()
    if form.validate_on_submit():
        try:
            operations.link_captive_centre(current_user, g.organization, form.captive_of_id.data)
        except operations.CaptiveLinkError as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("The captive centre link was saved."), "success")
            return redirect(url_for("organizations.settings"))
    return _settings_page(OrganizationSettingsForm(formdata=None, obj=g.organization), 400, form)


def _members_page(invitation_form: InvitationForm | None = None, status: int = 200):
    is_admin = has_role(Role.ADMIN)
    return render_template(
        "organizations/members.html",
        page=queries.members_page(request.args.get("page", type=int)),
        invitations=queries.pending_invitations() if is_admin else [],
        invitation_form=invitation_form or (InvitationForm() if is_admin else None),
        role_form=RoleForm() if is_admin else None,
        is_admin=is_admin,
        invitation_status=queries.invitation_status,
    ), status


@bp.get("/members")
@requires(*READ)
def members():
    return _members_page()


@bp.post("/members/invite")
@requires(Role.ADMIN)
def invite():
    form = InvitationForm()
    if not form.validate_on_submit():
        return _members_page(form, 400)
    try:
        invitation = operations.invite_member(
            current_user, g.organization, form.email.data, form.role.data
        )
    except MembershipRuleError as refusal:
        show_on_form(form, refusal, default_field="email")
        return _members_page(form, 400)
    flash(
        _(
            "Invitation sent to %(email)s as %(role)s.",
            email=invitation.email,
            role=role_label(invitation.role),
        ),
        "success",
    )
    return redirect(url_for("organizations.members"))


@bp.post("/members/invitations/<int:invitation_id>/revoke")
@requires(Role.ADMIN)
def revoke_invitation(invitation_id: int):
    invitation = tenancy.get_or_404(Invitation, invitation_id)
    try:
        operations.revoke_invitation(current_user, invitation)
    except MembershipRuleError as refusal:
        flash(refusal.message, "error")
    else:
        flash(_("The invitation to %(email)s was revoked.", email=invitation.email), "success")
    return redirect(url_for("organizations.members"))


@bp.post("/members/invitations/<int:invitation_id>/resend")
@requires(Role.ADMIN)
def resend_invitation(invitation_id: int):
    invitation = tenancy.get_or_404(Invitation, invitation_id)
    try:
        operations.resend_invitation(current_user, invitation)
    except MembershipRuleError as refusal:
        flash(refusal.message, "error")
    else:
        flash(_("The invitation was sent again to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("organizations.members"))


@bp.post("/members/<int:membership_id>/role")
@requires(Role.ADMIN)
@fresh_login_required
def change_role(membership_id: int):
    membership = tenancy.get_or_404(Membership, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles."), "error")
        return redirect(url_for("organizations.members"))
    try:
        operations.change_role(current_user, membership, form.role.data)
    except MembershipRuleError as refusal:
        flash(refusal.message, "error")
    else:
        flash(
            _(
                "%(name)s is now %(role)s.",
                name=membership.user.full_name,
                role=role_label(membership.role),
            ),
            "success",
        )
    return redirect(url_for("organizations.members"))


@bp.post("/members/<int:membership_id>/remove")
@requires(Role.ADMIN)
def remove_member(membership_id: int):
    membership = tenancy.get_or_404(Membership, membership_id)
    name = membership.user.full_name
    try:
        operations.remove_member(current_user, membership)
    except MembershipRuleError as refusal:
        flash(refusal.message, "error")
    else:
        flash(_("%(name)s was removed from the organization.", name=name), "success")
    return redirect(url_for("organizations.members"))


@bp.post("/members/leave")
@requires(*READ, personal=True)
def leave():
    organization = g.organization
    try:
        operations.leave_organization(current_user, g.membership, g.user_session)
    except MembershipRuleError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("organizations.members"))
    flash(_("You left %(name)s.", name=organization.name), "success")
    return redirect(url_for("dashboard.index"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """The e-mailed link: anyone holding it may open it, logged in or not."""
    invitation = queries.invitation_by_token(token)
    status = queries.invitation_status(invitation)
    if status != "pending":
        return render_template("organizations/invitation_unusable.html", status=status), 404
    page = "organizations/invitation.html"
    if current_user.is_authenticated:
        if current_user.email.lower() != invitation.email:
            return render_template(page, invitation=invitation, situation="other_account")
        if context.membership_in(current_user.id, invitation.organization_id) is not None:
            return render_template(page, invitation=invitation, situation="already_member")
        if request.method == "POST":
            try:
                operations.accept_invitation(current_user, invitation, g.user_session)
            except MembershipRuleError as refusal:
                flash(refusal.message, "error")
                return redirect(url_for("organizations.choose"))
            flash(_("Welcome to %(name)s.", name=invitation.organization.name), "success")
            return redirect(url_for("dashboard.index"))
        return render_template(page, invitation=invitation, situation="confirm")
    if queries.user_with_email(invitation.email) is not None:
        login_url = url_for("auth.login", next=request.path)
        return render_template(page, invitation=invitation, situation="log_in", login_url=login_url)
    form = InvitationSignupForm(email=invitation.email)
    if form.validate_on_submit():
        try:
            user = operations.join_with_new_account(invitation, form.data)
        except MembershipRuleError as refusal:
            form.form_errors.append(refusal.message)
        else:
            log_in(user, invitation.organization_id)
            flash(_("Welcome to %(name)s.", name=invitation.organization.name), "success")
            return redirect(url_for("dashboard.index"))
    status_code = 400 if form.is_submitted() else 200
    return render_template(page, invitation=invitation, situation="sign_up", form=form), status_code
