"""Every change to organizations and their members goes through here."""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

# The module, not its names: portal.context imports portal.auth, which imports
# this module, so its names may not exist yet while this module loads.
from portal import audit, context, db, tenancy
from portal.audit_log.labels import ACTION_LABELS
from portal.auth.passwords import hash_password, require_acceptable_password
from portal.auth.sessions import revoke_sessions
from portal.db import utcnow
from portal.i18n import LANGUAGES
from portal.mail import send_email
from portal.models import (
    Invitation,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    User,
    UserSession,
)
from portal.notifications.service import notify
from portal.roles import ROLE_DESCRIPTIONS, ROLE_LABELS, role_label
from portal.rules import RuleError
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {"organization.captive_link_changed": _l("Captive shared-services centre link changed")}
)

ORGANIZATION_FIELDS = (
    "name",
    "kind",
    "legal_name",
    "country",
    "vat_number",
    "registration_number",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "default_currency",
)
#: What invoices also print, kept in the settings (not asked at sign-up).
INVOICE_IDENTITY_FIELDS = ("legal_form", "share_capital")
SETTINGS_FIELDS = ORGANIZATION_FIELDS + INVOICE_IDENTITY_FIELDS
MEMBERSHIP_FIELDS = ("user_id", "role")
INVITATION_FIELDS = ("email", "role", "expires_at")


def _unique_slug(name: str) -> str:
    """A short uppercase code for the organization (used in document numbers)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Z0-9]", "", ascii_name.upper())[:8] or "ORG"
    taken = set(
        db.session.scalars(select(Organization.slug).where(Organization.slug.like(f"{base}%")))
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def create_organization(founder: User, data: dict) -> Organization:
    """Create an organization with ``founder`` as its first admin."""
    values = {name: data.get(name) or None for name in ORGANIZATION_FIELDS}
    values["kind"] = OrganizationKind(values["kind"])
    values["country"] = values["country"].upper()
    organization = Organization(slug=_unique_slug(values["name"]), **values)
    db.session.add(organization)
    db.session.flush()
    with organization_context(organization.id):
        db.session.add(Membership(user_id=founder.id, role=Role.ADMIN))
        audit.record(
            "organization.created",
            organization,
            actor=founder,
            after=audit.snapshot(organization, ORGANIZATION_FIELDS),
            summary=organization.name,
        )
        db.session.flush()  # inserts take the organization from the context: write them inside it
    log.info("user %s created organization %s", founder.id, organization.id)
    return organization


def update_organization(actor: User, organization: Organization, data: dict) -> Organization:
    """Change an organization's name and legal identity (and, when given, its legal
    form and share capital)."""
    before = audit.snapshot(organization, SETTINGS_FIELDS)
    for name in ORGANIZATION_FIELDS:
        value = data.get(name)
        setattr(organization, name, value if value not in ("",) else None)
    for name in INVOICE_IDENTITY_FIELDS:
        if name in data:
            value = data[name]
            setattr(organization, name, value if value not in ("",) else None)
    organization.kind = OrganizationKind(organization.kind)
    after = audit.snapshot(organization, SETTINGS_FIELDS)
    if before != after:
        audit.record("organization.updated", organization, actor=actor, before=before, after=after)
    return organization


class CaptiveLinkError(RuleError):
    """A captive shared-services centre link the rules refuse."""


def captive_parent_choices(user: User, organization: Organization) -> list[Organization]:
    """The client organizations ``user`` administers, which ``organization`` may belong to."""
    statement = (
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == user.id,
            Membership.role == Role.ADMIN,
            Organization.kind.in_([OrganizationKind.CLIENT, OrganizationKind.BOTH]),
            Organization.id != organization.id,
        )
        .order_by(Organization.name, Organization.id)
    )
    # The person's own memberships elsewhere: a deliberate read across tenants.
    return list(db.session.scalars(tenancy.across_tenants(statement)))


def link_captive_centre(
    actor: User, organization: Organization, parent_id: int | None
) -> Organization:
    """Mark a vendor organization as the captive centre of a client, or as independent.

    Only a client the actor also administers may be named: owning a
    shared-services centre is the client's claim to make, not the vendor's.
    """
    if not organization.is_vendor:
        raise CaptiveLinkError(
            _l("Only a vendor organization can be a captive shared-services centre."),
            field="captive_of_id",
        )
    old_parent = organization.captive_of
    if parent_id == organization.captive_of_id:
        return organization
    parent = None
    if parent_id is not None:
        parent = next(
            (org for org in captive_parent_choices(actor, organization) if org.id == parent_id),
            None,
        )
        if parent is None:
            raise CaptiveLinkError(
                _l("Choose a client organization of which you are an administrator."),
                field="captive_of_id",
            )
    before = {"captive_of_id": organization.captive_of_id}
    organization.captive_of = parent
    db.session.flush()
    after = {"captive_of_id": organization.captive_of_id}
    summary = f"{organization.name} → {parent.name if parent is not None else '—'}"
    audit.record(
        "organization.captive_link_changed",
        organization,
        actor=actor,
        before=before,
        after=after,
        summary=summary,
    )
    # The clients concerned keep the change in their own logs too.
    for client in {old_parent, parent} - {None}:
        audit.record(
            "organization.captive_link_changed",
            organization,
            actor=actor,
            before=before,
            after=after,
            summary=summary,
            organization_id=client.id,
        )
    log.info(
        "user %s linked organization %s as captive of %s", actor.id, organization.id, parent_id
    )
    return organization


def admin_count(organization_id: int) -> int:
    statement = select(func.count(Membership.id)).where(
        Membership.organization_id == organization_id, Membership.role == Role.ADMIN
    )
    return db.session.scalar(statement) or 0


class MembershipRuleError(RuleError):
    """A change to members or invitations that the organization's rules refuse."""


class LastAdminError(MembershipRuleError):
    """The change would leave the organization without an administrator."""


def _locked_admin_ids(organization_id: int) -> list[int]:
    """The admins' membership ids, locked so two admins cannot demote each other at once."""
    statement = (
        select(Membership.id)
        .where(Membership.organization_id == organization_id, Membership.role == Role.ADMIN)
        .with_for_update()
    )
    return list(db.session.scalars(statement))


def _refuse_losing_last_admin(membership: Membership, message: str | None = None) -> None:
    if membership.role != Role.ADMIN:
        return
    if _locked_admin_ids(membership.organization_id) == [membership.id]:
        raise LastAdminError(
            message
            or _(
                "%(name)s is the organization's last administrator. "
                "Make someone else an administrator first.",
                name=membership.user.full_name,
            )
        )


def act_for(user: User, user_session: UserSession, organization_id: int | None) -> None:
    """Make the session act for ``organization_id``; the next login lands there too."""
    user_session.organization_id = organization_id
    user.last_organization_id = organization_id
    tenancy.set_current_organization(organization_id)


def switch_organization(user: User, user_session: UserSession, membership: Membership) -> None:
    """Act for another organization the user belongs to (a personal choice, not audited)."""
    act_for(user, user_session, membership.organization_id)
    log.info("user %s switched to organization %s", user.id, membership.organization_id)


def found_organization(founder: User, user_session: UserSession, data: dict) -> Organization:
    """Create an organization from the app and start acting for it."""
    organization = create_organization(founder, data)
    act_for(founder, user_session, organization.id)
    return organization


def _invitation_link(token: str) -> str:
    # The configured address, never the request's Host header, which could be forged.
    path = url_for("organizations.accept_invitation", token=token)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _email_invitation(invitation: Invitation, token: str, inviter: User) -> None:
    organization = invitation.organization
    days = current_app.config["INVITATION_MAX_AGE_DAYS"]
    subject = _(
        "%(name)s invites you to join %(organization)s on Relais",
        name=inviter.full_name,
        organization=organization.name,
    )
    text = "\n\n".join(
        (
            _(
                "%(name)s invites you to join %(organization)s on Relais as %(role)s.",
                name=inviter.full_name,
                organization=organization.name,
                role=role_label(invitation.role),
            ),
            _("Accept the invitation here (the link works once, for %(days)s days):", days=days),
            _invitation_link(token),
            _("If you did not expect this invitation, ignore this e-mail."),
        )
    )
    send_email(invitation.email, subject, text)


def _issue_token(invitation: Invitation) -> str:
    token = new_token()
    invitation.token_hash = token_hash(token)
    days = current_app.config["INVITATION_MAX_AGE_DAYS"]
    invitation.expires_at = utcnow() + timedelta(days=days)
    return token


def invite_member(actor: User, organization: Organization, email: str, role: str) -> Invitation:
    """Invite ``email`` to join with ``role``; a pending invitation to it is replaced."""
    email = email.strip().lower()
    role = Role(role)
    existing_member = db.session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization.id, func.lower(User.email) == email)
    ).one_or_none()
    if existing_member is not None:
        raise MembershipRuleError(
            _("%(email)s is already a member of this organization.", email=email), field="email"
        )
    for previous in db.session.scalars(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        revoke_invitation(actor, previous, summary=_("replaced by a new invitation"))
    invitation = Invitation(email=email, role=role, invited_by_id=actor.id)
    token = _issue_token(invitation)
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.created",
        invitation,
        actor=actor,
        after=audit.snapshot(invitation, INVITATION_FIELDS),
        summary=email,
    )
    _email_invitation(invitation, token, actor)
    log.info("user %s invited %s to organization %s", actor.id, email, organization.id)
    return invitation


def resend_invitation(actor: User, invitation: Invitation) -> Invitation:
    """Send a pending invitation again, with a new link and a new expiry.

    Only the hash of the first link was kept, so the old link stops working.
    """
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise MembershipRuleError(_("This invitation is no longer pending."))
    before = audit.snapshot(invitation, ("expires_at",))
    token = _issue_token(invitation)
    audit.record(
        "invitation.resent",
        invitation,
        actor=actor,
        before=before,
        after=audit.snapshot(invitation, ("expires_at",)),
        summary=invitation.email,
    )
    _email_invitation(invitation, token, actor)
    return invitation


def revoke_invitation(actor: User, invitation: Invitation, summary: str = "") -> Invitation:
    """Withdraw a pending invitation; its link stops working."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise MembershipRuleError(_("This invitation is no longer pending."))
    invitation.revoked_at = utcnow()
    audit.record(
        "invitation.revoked",
        invitation,
        actor=actor,
        before={"revoked_at": None},
        after=audit.snapshot(invitation, ("revoked_at",)),
        summary=summary or invitation.email,
    )
    return invitation


def invitation_is_usable(invitation: Invitation | None) -> bool:
    return (
        invitation is not None
        and invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > utcnow()
    )


def accept_invitation(
    user: User, invitation: Invitation, user_session: UserSession | None = None
) -> Membership:
    """Join the inviting organization with the invited role (the invitation works once).

    The person keeps their account; the session (if any) then acts for the
    organization they joined.
    """
    if user.email.lower() != invitation.email.lower():
        raise MembershipRuleError(_("This invitation is addressed to another e-mail address."))
    organization_id = invitation.organization_id
    with organization_context(organization_id):
        if not invitation_is_usable(invitation):
            raise MembershipRuleError(_("This invitation can no longer be used."))
        if context.membership_in(user.id, organization_id) is not None:
            raise MembershipRuleError(_("You are already a member of this organization."))
        # A conditional update, so that two clicks at once cannot both use the link.
        claimed = db.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(accepted_at=utcnow(), accepted_by_id=user.id)
        )
        if claimed.rowcount != 1:
            raise MembershipRuleError(_("This invitation can no longer be used."))
        membership = Membership(user_id=user.id, role=invitation.role)
        db.session.add(membership)
        db.session.flush()
        audit.record(
            "invitation.accepted",
            invitation,
            actor=user,
            after=audit.snapshot(invitation, ("accepted_at", "accepted_by_id")),
            summary=invitation.email,
        )
        audit.record(
            "membership.created",
            membership,
            actor=user,
            after=audit.snapshot(membership, MEMBERSHIP_FIELDS),
            summary=user.email,
        )
        admins = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organization_id == organization_id,
                Membership.role == Role.ADMIN,
                User.id != user.id,
            )
        ).all()
        notify(
            admins,
            "membership.joined",
            _l("%(name)s joined the organization", name=user.full_name),
            _l(
                "%(name)s (%(email)s) accepted the invitation and joined as %(role)s.",
                name=user.full_name,
                email=user.email,
                role=ROLE_LABELS[invitation.role],
            ),
            link=url_for("organizations.members"),
        )
        db.session.flush()  # inserts take the organization from the context: write them inside it
    if user_session is not None:
        act_for(user, user_session, organization_id)
    else:
        user.last_organization_id = organization_id
    log.info("user %s joined organization %s by invitation", user.id, organization_id)
    return membership


def join_with_new_account(invitation: Invitation, data: dict) -> User:
    """Create the invited person's account and make them a member."""
    if not invitation_is_usable(invitation):
        raise MembershipRuleError(_("This invitation can no longer be used."))
    email = invitation.email.lower()
    if db.session.scalars(select(User.id).where(func.lower(User.email) == email)).first():
        raise MembershipRuleError(_("An account with this e-mail address already exists."))
    require_acceptable_password(data["password"], email)
    user = User(
        email=email,
        full_name=data["full_name"].strip(),
        password_hash=hash_password(data["password"]),
        locale=data["locale"] if data.get("locale") in LANGUAGES else "en",
    )
    db.session.add(user)
    db.session.flush()
    accept_invitation(user, invitation)
    return user


def change_role(actor: User, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last administrator keeps theirs."""
    role = Role(role)
    if role == membership.role:
        return membership
    if role != Role.ADMIN:
        _refuse_losing_last_admin(membership)
    before = audit.snapshot(membership, MEMBERSHIP_FIELDS)
    membership.role = role
    audit.record(
        "membership.role_changed",
        membership,
        actor=actor,
        before=before,
        after=audit.snapshot(membership, MEMBERSHIP_FIELDS),
        summary=membership.user.email,
    )
    organization = membership.organization
    notify(
        [membership.user],
        "membership.role_changed",
        _l(
            "Your role in %(organization)s is now %(role)s",
            organization=organization.name,
            role=ROLE_LABELS[role],
        ),
        ROLE_DESCRIPTIONS[role],
        link=url_for("dashboard.index"),
    )
    log.info("user %s made membership %s %s", actor.id, membership.id, role)
    return membership


def _end_membership(membership: Membership, keep: UserSession | None = None) -> None:
    user = membership.user
    organization_id = membership.organization_id
    db.session.delete(membership)
    db.session.flush()
    # A session acting for this organization must not outlive the membership.
    revoke_sessions(user.id, organization_id=organization_id, keep=keep)
    if user.last_organization_id == organization_id:
        user.last_organization_id = None


def remove_member(actor: User, membership: Membership) -> None:
    """Take a person out of the organization and end their sessions acting for it."""
    _refuse_losing_last_admin(membership)
    user = membership.user
    organization = membership.organization
    audit.record(
        "membership.removed",
        membership,
        actor=actor,
        before=audit.snapshot(membership, MEMBERSHIP_FIELDS),
        summary=user.email,
    )
    notify(
        [user],
        "membership.removed",
        _l("You were removed from %(organization)s", organization=organization.name),
        _l("You no longer have access to this organization's records."),
    )
    _end_membership(membership)
    log.info("user %s removed user %s from organization %s", actor.id, user.id, organization.id)


def leave_organization(user: User, membership: Membership, user_session: UserSession) -> None:
    """Leave an organization oneself; the last administrator cannot."""
    _refuse_losing_last_admin(
        membership,
        _(
            "You are the organization's last administrator. "
            "Make someone else an administrator before leaving."
        ),
    )
    organization_id = membership.organization_id
    audit.record(
        "membership.left",
        membership,
        actor=user,
        before=audit.snapshot(membership, MEMBERSHIP_FIELDS),
        summary=user.email,
    )
    # This session lives on (the person keeps their account); the next request
    # falls back to another of their organizations, or to the chooser.
    _end_membership(membership, keep=user_session)
    user_session.organization_id = None
    log.info("user %s left organization %s", user.id, organization_id)
