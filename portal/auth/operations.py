"""Every change to accounts: sign-up, login checks, passwords, profile, sessions.

People are not organization-owned, so their own changes (profile, password,
e-mail) are logged with the module logger rather than written to an
organization's audit log; only sign-up, which creates an organization, is
audited there.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import audit, db
from portal.auth.passwords import (
    hash_password,
    needs_rehash,
    require_acceptable_password,
    verify_password,
)
from portal.auth.queries import user_by_email
from portal.auth.sessions import revoke_sessions
from portal.context import memberships_of
from portal.db import utcnow
from portal.i18n import LANGUAGES, TIMEZONES
from portal.mail import send_email
from portal.models import (
    EmailChangeRequest,
    Organization,
    PasswordResetToken,
    User,
    UserSession,
)
from portal.organizations.operations import create_organization
from portal.tokens import new_token, token_hash

log = logging.getLogger(__name__)

PROFILE_FIELDS = ("full_name", "locale", "timezone")


class EmailTaken(Exception):
    """Another account already uses this e-mail address."""


class EmailUnchanged(Exception):
    """The requested address is the one the account already has."""


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def _absolute_url(path: str) -> str:
    # The configured address, never the request's Host header, which a sender
    # of a reset request could forge to receive the link on their own domain.
    return current_app.config["BASE_URL"].rstrip("/") + path


def sign_up(data: dict) -> tuple[User, Organization]:
    """Create a person's account and their organization, with them as its admin."""
    email = _normalize_email(data["email"])
    require_acceptable_password(data["password"], email)
    if user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        email=email,
        full_name=data["full_name"].strip(),
        password_hash=hash_password(data["password"]),
        locale=data["locale"] if data.get("locale") in LANGUAGES else "en",
    )
    try:
        # Two sign-ups racing for one address: the unique constraint decides.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    organization = create_organization(user, data)
    user.last_organization_id = organization.id
    audit.record(
        "user.signed_up",
        user,
        actor=user,
        after=audit.snapshot(user, ("email", "full_name", "locale")),
        summary=user.email,
        organization_id=organization.id,
    )
    log.info("user %s signed up with organization %s", user.id, organization.id)
    return user, organization


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None; upgrades an outdated hash."""
    user = user_by_email(email)
    # verify_password runs the hash even for an unknown address, so the answer
    # takes as long whether or not the account exists.
    if not verify_password(user.password_hash if user else None, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        log.info("rehashed the password of user %s", user.id)
    return user


def choose_landing_organization(user: User) -> int | None:
    """The organization a new session acts for: the last one, else the first, else none."""
    memberships = memberships_of(user.id)
    organization_ids = [membership.organization_id for membership in memberships]
    if user.last_organization_id in organization_ids:
        return user.last_organization_id
    chosen = organization_ids[0] if organization_ids else None
    user.last_organization_id = chosen
    return chosen


def confirm_password(user: User, user_session: UserSession, password: str) -> bool:
    """Re-enter the password: the session counts as a fresh login again."""
    if not verify_password(user.password_hash, password):
        log.warning("user %s failed to re-authenticate", user.id)
        return False
    user_session.authenticated_at = utcnow()
    log.info("user %s re-authenticated session %s", user.id, user_session.id)
    return True


def request_password_reset(email: str) -> None:
    """E-mail a single-use reset link if an active account has this address."""
    user = user_by_email(email)
    if user is None or not user.is_active_account:
        log.info("password reset asked for an unknown or inactive address")
        return
    token = new_token()
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE_MINUTES"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    link = _absolute_url(url_for("auth.reset_password", token=token))
    with force_locale(user.locale):
        subject = _("Reset your Relais password")
        text = _(
            "Hello %(name)s,\n\n"
            "Someone, probably you, asked to reset the password of your Relais account.\n"
            "Choose a new password here (the link works once, for %(minutes)s minutes):\n\n"
            "%(link)s\n\n"
            "If you did not ask for this, ignore this e-mail: your password stays as it is.\n",
            name=user.full_name,
            minutes=minutes,
            link=link,
        )
    send_email(user.email, subject, text)
    log.info("password reset link sent to user %s", user.id)


def _spend_reset_links(user: User) -> None:
    """Make every pending reset link of ``user`` unusable."""
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def reset_password(reset_token: PasswordResetToken, password: str) -> User:
    """Set a new password from a reset link, spend every pending link, end every session."""
    user = reset_token.user
    require_acceptable_password(password, user.email)
    _spend_reset_links(user)
    reset_token.used_at = utcnow()
    user.password_hash = hash_password(password)
    # Whoever knew the old password may hold a session: none survives a reset.
    revoke_sessions(user.id)
    log.info("user %s reset their password; all sessions revoked", user.id)
    return user


def update_profile(user: User, data: dict) -> User:
    """Change the person's name, language and time zone."""
    user.full_name = data["full_name"].strip()
    if data["locale"] in LANGUAGES:
        user.locale = data["locale"]
    if data["timezone"] in TIMEZONES:
        user.timezone = data["timezone"]
    log.info("user %s updated their profile", user.id)
    return user


def change_password(user: User, user_session: UserSession, data: dict) -> bool:
    """Replace the password (the current one is required); end every other session.

    Returns False, changing nothing, when the current password is wrong.
    """
    if not verify_password(user.password_hash, data["current_password"]):
        log.warning("user %s gave a wrong current password", user.id)
        return False
    require_acceptable_password(data["password"], user.email)
    user.password_hash = hash_password(data["password"])
    # Typing the password is a fresh login for this session.
    user_session.authenticated_at = utcnow()
    revoke_sessions(user.id, keep=user_session)
    log.info("user %s changed their password; other sessions revoked", user.id)
    return True


def _spend_email_changes(user: User) -> None:
    """Make every pending e-mail change link of ``user`` unusable."""
    db.session.execute(
        update(EmailChangeRequest)
        .where(EmailChangeRequest.user_id == user.id, EmailChangeRequest.used_at.is_(None))
        .values(used_at=utcnow())
    )


def request_email_change(user: User, email: str) -> EmailChangeRequest:
    """Mail a confirmation link to the new address; the account keeps its address meanwhile.

    Only whoever reads the new mailbox can finish the change, so nobody can
    move their account onto an address they do not own. A new request spends
    the earlier links.
    """
    email = _normalize_email(email)
    if email == user.email:
        raise EmailUnchanged(email)
    if user_by_email(email) is not None:
        raise EmailTaken(email)
    _spend_email_changes(user)
    token = new_token()
    hours = current_app.config["EMAIL_CHANGE_MAX_AGE_HOURS"]
    change = EmailChangeRequest(
        user_id=user.id,
        new_email=email,
        token_hash=token_hash(token),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(change)
    link = _absolute_url(url_for("auth.confirm_email_change", token=token))
    with force_locale(user.locale):
        subject = _("Confirm your new Relais e-mail address")
        text = _(
            "Hello %(name)s,\n\n"
            "You asked to use %(email)s for your Relais account.\n"
            "Confirm it here (the link works once, for %(hours)s hours):\n\n"
            "%(link)s\n\n"
            "Until then, your account keeps its current address. "
            "If you did not ask for this, ignore this e-mail.\n",
            name=user.full_name,
            email=email,
            hours=hours,
            link=link,
        )
    send_email(email, subject, text)
    log.info("user %s asked to change their e-mail address; confirmation sent", user.id)
    return change


def cancel_email_change(user: User) -> None:
    """Withdraw the pending e-mail change: its link stops working."""
    _spend_email_changes(user)
    log.info("user %s cancelled their pending e-mail change", user.id)


def confirm_email_change(change: EmailChangeRequest) -> User:
    """Move the account to the confirmed address, spend the links, tell the old address."""
    user = change.user
    email = change.new_email
    _spend_email_changes(user)
    change.used_at = utcnow()
    if email == user.email:
        return user
    # The address may have been taken since the link was sent.
    existing = user_by_email(email)
    if existing is not None and existing.id != user.id:
        raise EmailTaken(email)
    previous = user.email
    user.email = email
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        user.email = previous
        raise EmailTaken(email) from exc
    # Links mailed to the old address must not reset the account any more.
    _spend_reset_links(user)
    with force_locale(user.locale):
        subject = _("Your Relais e-mail address was changed")
        text = _(
            "Hello %(name)s,\n\n"
            "The e-mail address of your Relais account was changed to %(email)s.\n"
            "If you did not do this, reset your password and contact your administrator.\n",
            name=user.full_name,
            email=email,
        )
    send_email(previous, subject, text)
    log.info("user %s confirmed their new e-mail address", user.id)
    return user


def revoke_other_sessions(user: User, keep: UserSession) -> None:
    """Log the person out everywhere except this session."""
    revoke_sessions(user.id, keep=keep)
    log.info("user %s logged out their other sessions", user.id)
