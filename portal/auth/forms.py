"""Forms of the accounts part: sign-up, login, password reset, the account page.

The password policy itself lives in ``portal.auth.passwords``; the forms only
ask it, with the e-mail address the password belongs to.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.auth.passwords import MAX_PASSWORD_LENGTH, password_problem
from portal.forms import choices
from portal.i18n import TIMEZONES, language_choices
from portal.organizations.forms import OrganizationForm


def _valid_email_address(form, field) -> None:
    # The reserved .test domain is refused only in production, so that demo
    # data and tests can use it.
    try:
        validate_email(
            field.data or "",
            check_deliverability=False,
            test_environment=current_app.config["RELAIS_ENV"] != "production",
        )
    except EmailNotValidError as exc:
        raise ValidationError(_l("Enter a valid e-mail address.")) from exc


def _email_field(label=None, description="") -> EmailField:
    return EmailField(
        label or _l("E-mail"),
        description=description,
        validators=[DataRequired(), Length(max=254), _valid_email_address],
        filters=[lambda value: value.strip().lower() if value else value],
        render_kw={"autocomplete": "email"},
    )


def _new_password_fields(label=None) -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label or _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters. A few unrelated words make a good password."),
        render_kw={"autocomplete": "new-password"},
    )
    confirmation = PasswordField(
        _l("Confirm the password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirmation


class _NewPasswordMixin:
    """Checks ``password`` against the policy for the account's e-mail address."""

    def account_email(self) -> str | None:
        return None

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self.account_email())
        if problem:
            raise ValidationError(problem)


class SignupForm(_NewPasswordMixin, OrganizationForm):
    """The person who signs up, then the organization they create (inherited fields)."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password, password_confirmation = _new_password_fields()
    locale = SelectField(
        _l("Language"), choices=choices(language_choices()), validators=[DataRequired()]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.locale.data:
            self.locale.data = str(get_locale() or "en")

    def account_email(self) -> str | None:
        return self.email.data


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(_NewPasswordMixin, FlaskForm):
    password, password_confirmation = _new_password_fields(_l("New password"))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def account_email(self) -> str | None:
        return self._email


class ProfileForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(
        _l("Language"), choices=choices(language_choices()), validators=[DataRequired()]
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=choices((zone, zone.replace("_", " ")) for zone in TIMEZONES),
        validators=[DataRequired()],
        description=_l("Dates and times are shown in this zone."),
    )


class ChangePasswordForm(_NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirmation = _new_password_fields(_l("New password"))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def account_email(self) -> str | None:
        return self._email


class ChangeEmailForm(FlaskForm):
    email = _email_field(
        _l("New e-mail"),
        description=_l(
            "We send a confirmation link to the new address; your address changes once you open it."
        ),
    )


class ReauthenticateForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
