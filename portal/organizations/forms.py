"""Forms for organizations: their legal identity, members and invitations."""

from __future__ import annotations

import re
from types import ModuleType

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siren, siret
from stdnum.fr import tva as fr_tva
from stdnum.gb import vat as gb_vat
from stdnum.no import mva as no_mva
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.auth.passwords import password_problem
from portal.forms import LocalizedDecimalField, choices
from portal.i18n import language_choices
from portal.models import Role
from portal.roles import role_choices

#: Currencies a back-office contract is realistically written in.
CURRENCIES = ("EUR", "GBP", "USD", "CHF", "PLN", "RON", "MAD", "INR", "PHP", "SEK", "DKK")


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166 country, named in the reader's language."""
    locale = Locale.parse(str(get_locale()))
    names = {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}
    }
    return [("", ""), *sorted(names.items(), key=lambda item: item[1])]


def currency_choices() -> list[tuple[str, str]]:
    locale = Locale.parse(str(get_locale()))
    return [(code, f"{code} — {locale.currencies.get(code, code)}") for code in CURRENCIES]


def _country_name(code: str) -> str:
    return Locale.parse(str(get_locale())).territories.get(code, code)


#: Where a checksum library exists: the prefixes a country's VAT numbers start with,
#: and the stdnum module that checks them. The EU's prefix is the ISO code except for
#: Greece (EL); UK traders in Northern Ireland also have XI numbers.
_VAT_SCHEMES: dict[str, tuple[tuple[str, ...], ModuleType]] = {
    **{code.upper(): ((code.upper(),), eu_vat) for code in eu_vat.MEMBER_STATES - {"gr", "xi"}},
    "GR": (("EL",), eu_vat),
    "GB": (("GB", "XI"), gb_vat),
    "CH": (("CHE",), ch_vat),
    "NO": (("NO",), no_mva),
}


def _checked_vat_number(country: str, typed: str) -> str:
    """The compact form of ``typed`` once it is a valid VAT number of ``country``."""
    scheme = _VAT_SCHEMES.get(country)
    if scheme is None:
        # No checksum is known for this country: only the usual shape is checked.
        cleaned = typed.replace(" ", "").upper()
        if not re.fullmatch(r"[A-Z]{2}[0-9A-Z+*.]{2,13}", cleaned):
            raise ValidationError(
                _l("Enter the VAT number with its country prefix, e.g. FR40303265045.")
            )
        return cleaned
    prefixes, scheme_module = scheme
    cleaned = re.sub(r"[\s.\-/]", "", typed).upper()
    prefix = next((prefix for prefix in prefixes if cleaned.startswith(prefix)), None)
    if prefix is None:
        raise ValidationError(
            _l(
                "A VAT number for %(country)s starts with %(prefix)s.",
                country=_country_name(country),
                prefix=prefixes[0],
            )
        )
    try:
        number = scheme_module.validate(cleaned)
    except InvalidChecksum as exc:
        raise ValidationError(
            _l(
                "This is not a valid VAT number for %(country)s: check the digits.",
                country=_country_name(country),
            )
        ) from exc
    except StdnumValidationError as exc:
        raise ValidationError(
            _l(
                "This is not a valid VAT number for %(country)s: check its length and format.",
                country=_country_name(country),
            )
        ) from exc
    # Some modules hand the number back without its prefix; invoices print it with.
    return number if number.startswith(prefix) else prefix + number


def _valid_vat_number(form, field) -> None:
    typed = (field.data or "").strip()
    field.data = _checked_vat_number(form.country.data or "", typed) if typed else None


def _checked_registration_number(country: str, typed: str) -> str:
    """``typed`` as stored: a checked, compact SIREN or SIRET in France, as typed elsewhere."""
    if country != "FR":
        return typed
    number = siren.compact(typed)
    if not number.isdigit() or len(number) not in (9, 14):
        raise ValidationError(
            _l("A French registration number is a SIREN (9 digits) or a SIRET (14 digits).")
        )
    if len(number) == 9 and not siren.is_valid(number):
        raise ValidationError(_l("This is not a valid SIREN: check the digits."))
    if len(number) == 14 and not siret.is_valid(number):
        raise ValidationError(_l("This is not a valid SIRET: check the digits."))
    return number


def _valid_registration_number(form, field) -> None:
    typed = (field.data or "").strip()
    field.data = _checked_registration_number(form.country.data or "", typed) if typed else None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OrganizationForm(FlaskForm):
    """An organization's name, side and legal identity."""

    name = StringField(_l("Organization name"), validators=[DataRequired(), Length(max=200)])
    kind = RadioField(
        _l("This organization is"),
        choices=choices(
            [
                ("client", _l("A client: we put back-office work out to providers")),
                ("vendor", _l("A vendor: we deliver back-office services")),
                ("both", _l("Both")),
            ]
        ),
        default="client",
        validators=[DataRequired()],
    )
    legal_name = StringField(
        _l("Legal name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As registered, with the legal form, e.g. Northwind Holdings SAS."),
    )
    country = SelectField(_l("Country"), validators=[DataRequired()])
    vat_number = StringField(
        _l("VAT number"),
        validators=[Optional(), Length(max=32), _valid_vat_number],
        filters=[_strip],
    )
    registration_number = StringField(
        _l("Company registration number"),
        validators=[Optional(), Length(max=32), _valid_registration_number],
        filters=[_strip],
        description=_l("SIREN or SIRET in France; the trade register number elsewhere."),
    )
    address_line1 = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    address_line2 = StringField(_l("Address (continued)"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    default_currency = SelectField(_l("Default currency"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices(country_choices())
        self.default_currency.choices = choices(currency_choices())
        if not self.default_currency.data:
            self.default_currency.data = "EUR"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.vat_number.errors or self.registration_number.errors:
            return valid
        if not (
            self.country.data == "FR" and self.vat_number.data and self.registration_number.data
        ):
            return valid
        # A French VAT number is FR, a two-digit key, then the company's SIREN.
        try:
            siren_in_vat_number = fr_tva.to_siren(self.vat_number.data)
        except StdnumValidationError:
            siren_in_vat_number = None
        registration_siren = self.registration_number.data[:9]
        if siren_in_vat_number != registration_siren:
            self.vat_number.errors.append(
                _l(
                    "This VAT number does not match the registration number (SIREN %(siren)s).",
                    siren=registration_siren,
                )
            )
            self.vat_number.data = self.vat_number.raw_data[0]
            return False
        return valid


class OrganizationSettingsForm(OrganizationForm):
    """The organization's profile as its administrators keep it: its identity, and
    what its invoices must also print (not asked at sign-up)."""

    legal_form = StringField(
        _l("Legal form"),
        validators=[Optional(), Length(max=60)],
        filters=[_strip],
        description=_l("SAS, SARL, GmbH, Lda…: printed on your invoices."),
    )
    share_capital = LocalizedDecimalField(
        _l("Share capital"),
        places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("Zero or more."))],
        description=_l("In the default currency. French invoices print it with the legal form."),
    )


def _optional_organization_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # no such choice: refused as one


class CaptiveLinkForm(FlaskForm):
    """Whether this vendor organization is a client's own shared-services centre."""

    captive_of_id = SelectField(
        _l("Captive shared-services centre of"),
        coerce=_optional_organization_id,
        # The operation refuses any other organization, with its own message.
        validate_choice=False,
        description=_l(
            "Only client organizations of which you are also an administrator can be chosen."
        ),
    )

    def __init__(self, *args, parents, current=None, **kwargs):
        kwargs.setdefault("captive_of_id", current.id if current is not None else None)
        super().__init__(*args, **kwargs)
        options = {org.id: org.name for org in parents}
        if current is not None:
            # The present link stays choosable, even by an admin of the centre alone.
            options.setdefault(current.id, current.name)
        self.captive_of_id.choices = choices(
            [("", _l("None: an independent provider")), *((str(i), n) for i, n in options.items())]
        )


def _email_address(form, field) -> None:
    # Reserved domains (.test, .invalid) are refused only in production, so that
    # demo data and tests can use them.
    production = current_app.config["RELAIS_ENV"] == "production"
    try:
        validate_email(
            field.data or "",
            check_deliverability=False,
            globally_deliverable=production,
            test_environment=not production,
        )
    except EmailNotValidError as exc:
        raise ValidationError(_l("Enter a valid e-mail address.")) from exc


class InvitationForm(FlaskForm):
    """Who to invite, and with which role."""

    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254), _email_address],
        filters=[lambda value: value.strip().lower() if value else value],
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(role_choices())
        if not self.role.data:
            self.role.data = Role.VIEWER.value


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(role_choices())


class InvitationSignupForm(FlaskForm):
    """The account of an invited person who has none yet; the e-mail is the invited one."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters. A few unrelated words make a good password."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirmation = PasswordField(
        _l("Confirm the password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    locale = SelectField(
        _l("Language"), choices=choices(language_choices()), validators=[DataRequired()]
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email
        if not self.locale.data:
            self.locale.data = str(get_locale() or "en")

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self._email)
        if problem:
            raise ValidationError(problem)
