"""Sign-up, login and logout, password reset, and the person's own account page.

Attempts that test a password (login, re-authentication, password change) and
reset and e-mail change requests are rate-limited per client address and per
account, so that neither one address trying many accounts nor many addresses
trying one account get far.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from portal.auth import bp, operations, queries
from portal.auth.decorators import fresh_login_required, personal_login_required
from portal.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ReauthenticateForm,
    ResetPasswordForm,
    SignupForm,
)
from portal.auth.navigation import safe_next_url
from portal.auth.sessions import active_sessions, is_fresh, log_in, revoke_session
from portal.extensions import limiter

log = logging.getLogger(__name__)


def _attempt_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _submitted_account() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _current_account() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.email}"
    return get_remote_address()


def _failed(response) -> bool:
    # Only failed attempts count: an office behind one address logging in
    # successfully all morning is not an attack.
    return response.status_code >= 400


def _invalid_post_status() -> int:
    # An invalid POST answers 400 so that the request boundary rolls back.
    return 400 if request.method == "POST" else 200


def _user():
    return current_user._get_current_object()


@bp.route("/signup", methods=["GET", "POST"])
# Sign-up names a taken address: without a limit it would list who has an account.
@limiter.limit(_attempt_limit, methods=["POST"], deduct_when=_failed)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()
    taken_message = _("An account already uses this e-mail address.")
    if form.validate_on_submit():
        try:
            user, organization = operations.sign_up(form.data)
        except operations.EmailTaken:
            form.email.errors.append(taken_message)
        else:
            log_in(user, organization.id)
            flash(_("Welcome to Relais. Your organization is ready."), "success")
            return redirect(url_for("dashboard.index"))
    elif (
        form.is_submitted()
        and not form.email.errors
        and queries.user_by_email(form.email.data or "") is not None
    ):
        # Every error at once: a taken address is named even while other
        # fields are wrong, rather than on the next attempt.
        form.email.errors.append(taken_message)
    return render_template("auth/signup.html", form=form), _invalid_post_status()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_attempt_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_attempt_limit, key_func=_submitted_account, methods=["POST"], deduct_when=_failed)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data, form.password.data)
        if user is None:
            log.warning("failed login from %s", request.remote_addr)
            form.form_errors.append(_("E-mail or password is incorrect."))
        elif not user.is_active_account:
            log.warning("login refused to deactivated user %s", user.id)
            form.form_errors.append(
                _("This account is deactivated. Ask your organization's administrator.")
            )
        else:
            log_in(user, operations.choose_landing_organization(user), remember=form.remember.data)
            log.info("user %s logged in from %s", user.id, request.remote_addr)
            return redirect(next_url or url_for("dashboard.index"))
    return render_template("auth/login.html", form=form, next_url=next_url), _invalid_post_status()


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        revoke_session(g.user_session)
        log.info("user %s logged out", current_user.id)
    # Cleared before logout_user, which leaves the note that deletes the
    # remember-me cookie in the session.
    session.clear()
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_attempt_limit, methods=["POST"])
@limiter.limit(_attempt_limit, key_func=_submitted_account, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        return redirect(url_for("auth.reset_sent"))
    return render_template("auth/forgot.html", form=form), _invalid_post_status()


@bp.get("/password/forgot/sent")
def reset_sent():
    return render_template("auth/reset_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset_token = queries.usable_reset_token(token)
    if reset_token is None:
        return render_template("auth/reset.html", form=None), 404
    form = ResetPasswordForm(email=reset_token.user.email)
    if form.validate_on_submit():
        operations.reset_password(reset_token, form.password.data)
        session.clear()
        flash(_("Your password has been changed. Log in with your new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), _invalid_post_status()


def _render_account(status: int = 200, **bound_forms):
    """The account page; the form that was posted is passed bound, the others fresh."""
    user = _user()
    forms = {
        "profile_form": ProfileForm(formdata=None, obj=user),
        "password_form": ChangePasswordForm(formdata=None, email=user.email),
        "email_form": ChangeEmailForm(formdata=None),
        **bound_forms,
    }
    return render_template(
        "auth/account.html",
        pending_email_change=queries.pending_email_change(user.id),
        sessions=active_sessions(user.id),
        current_session=g.user_session,
        fresh=is_fresh(g.user_session),
        **forms,
    ), status


@bp.get("/account")
@personal_login_required
def account():
    return _render_account()


@bp.post("/account/profile")
@personal_login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_account(400, profile_form=form)
    operations.update_profile(_user(), form.data)
    flash(_("Your profile has been saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@personal_login_required
@limiter.limit(_attempt_limit, deduct_when=_failed)
@limiter.limit(_attempt_limit, key_func=_current_account, deduct_when=_failed)
def change_password():
    user = _user()
    form = ChangePasswordForm(email=user.email)
    if form.validate_on_submit():
        if operations.change_password(user, g.user_session, form.data):
            flash(
                _("Your password has been changed. Your other sessions were logged out."),
                "success",
            )
            return redirect(url_for("auth.account"))
        form.current_password.errors.append(_("This is not your current password."))
    return _render_account(400, password_form=form)


@bp.post("/account/email")
@personal_login_required
@fresh_login_required
# Every request mails a stranger's address and says whether it has an account.
@limiter.limit(_attempt_limit)
@limiter.limit(_attempt_limit, key_func=_current_account)
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            change = operations.request_email_change(_user(), form.email.data)
        except operations.EmailTaken:
            form.email.errors.append(_("An account already uses this e-mail address."))
        except operations.EmailUnchanged:
            form.email.errors.append(_("This is already your e-mail address."))
        else:
            flash(
                _(
                    "We sent a confirmation link to %(email)s. Open it to finish the change; "
                    "until then you keep your current address.",
                    email=change.new_email,
                ),
                "success",
            )
            return redirect(url_for("auth.account"))
    return _render_account(400, email_form=form)


@bp.post("/account/email/cancel")
@personal_login_required
def cancel_email_change():
    operations.cancel_email_change(_user())
    flash(_("The e-mail address change is cancelled."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """The link mailed to the new address: holding it is the proof, logged in or not.

    Opening it only shows a button; mail scanners prefetch links, so nothing
    changes before the POST.
    """
    page = "auth/confirm_email.html"
    change = queries.usable_email_change(token)
    if change is None:
        return render_template(page, change=None), 404
    if request.method == "GET":
        return render_template(page, change=change)
    try:
        user = operations.confirm_email_change(change)
    except operations.EmailTaken:
        return render_template(page, change=change, taken=True), 409
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.login"))


@bp.post("/account/sessions/revoke-others")
@personal_login_required
def revoke_other_sessions():
    operations.revoke_other_sessions(_user(), g.user_session)
    flash(_("You are logged out everywhere else."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@personal_login_required
@limiter.limit(_attempt_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_attempt_limit, key_func=_current_account, methods=["POST"], deduct_when=_failed)
def reauthenticate():
    next_url = safe_next_url(request.args.get("next"))
    form = ReauthenticateForm()
    if form.validate_on_submit():
        if operations.confirm_password(_user(), g.user_session, form.password.data):
            return redirect(next_url or url_for("auth.account"))
        form.password.errors.append(_("This is not your password."))
    return render_template(
        "auth/reauthenticate.html", form=form, next_url=next_url
    ), _invalid_post_status()
