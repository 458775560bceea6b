"""Forms of the vendor directory: a vendor's own profile, and the directory's filters.

Also the vocabulary both show: the business languages a vendor can list, named
in the reader's language, and the kinds of delivery location.
"""

from __future__ import annotations

from babel import Locale
from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import LocalizedIntegerField, choices
from portal.functions.catalogue import catalogue_choices
from portal.organizations.forms import country_choices
from vendors.certifications import certification_choices
from vendors.models import LocationKind

#: ISO 639-1 codes of the languages back offices commonly work in, offered to vendors.
BUSINESS_LANGUAGES = (
    "af", "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hi",
    "hr", "hu", "it", "ja", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk",
    "sl", "sv", "tl", "tr", "uk", "zh",
)  # fmt: skip

LOCATION_KIND_LABELS = {
    LocationKind.ONSHORE: _l("Onshore"),
    LocationKind.NEARSHORE: _l("Nearshore"),
    LocationKind.OFFSHORE: _l("Offshore"),
}

#: The largest headcount an integer column holds.
MAX_HEADCOUNT = 2_147_483_647
#: Bounds on repeated rows, so a forged form cannot ask for thousands of them.
MAX_LOCATIONS = 50
MAX_CERTIFICATIONS = len(certification_choices())
#: Blank rows offered below the filled ones.
BLANK_ROWS = 2


def _capitalized(name: str) -> str:
    return name[:1].upper() + name[1:]


def language_name(code: str) -> str:
    """An ISO 639-1 language named in the reader's language (``de`` → German / Allemand)."""
    name = Locale.parse(str(get_locale() or "en")).languages.get(code)
    return _capitalized(name) if name else code


def language_choices() -> list[tuple[str, str]]:
    return sorted(
        ((code, language_name(code)) for code in BUSINESS_LANGUAGES), key=lambda item: item[1]
    )


def country_name(code: str) -> str:
    return Locale.parse(str(get_locale() or "en")).territories.get(code, code)


def location_kind_label(kind: str) -> str:
    return str(LOCATION_KIND_LABELS.get(LocationKind(kind), kind))


def location_kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, str(label)) for kind, label in LOCATION_KIND_LABELS.items()]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _website(value):
    """People type ``atlas.example``: keep it a link."""
    value = _strip(value)
    if value and "://" not in value:
        return f"https://{value}"
    return value


def _cached_country_choices():
    # One list per request, however many location rows the form shows.
    if "vendor_profile_countries" not in g:
        g.vendor_profile_countries = choices(country_choices())
    return g.vendor_profile_countries


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LocationForm(Form):
    """One delivery location; a row left blank is no location."""

    city = StringField(_l("City"), validators=[Optional(), Length(max=100)], filters=[_strip])
    country = SelectField(_l("Country"))
    kind = SelectField(_l("Kind"))
    headcount = LocalizedIntegerField(
        _l("Headcount"), validators=[Optional(), NumberRange(min=0, max=MAX_HEADCOUNT)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _cached_country_choices()
        self.kind.choices = choices([("", ""), *location_kind_choices()])

    def is_blank(self) -> bool:
        typed_headcount = bool(self.headcount.raw_data and self.headcount.raw_data[0].strip())
        return not (self.city.data or self.country.data or self.kind.data or typed_headcount)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_blank():
            return valid
        for field, message in (
            (self.city, _l("Enter the city.")),
            (self.country, _l("Choose the country.")),
            (self.kind, _l("Choose onshore, nearshore or offshore.")),
        ):
            if not field.data and not field.errors:
                field.errors.append(message)
                valid = False
        return valid


class CertificationForm(Form):
    """One certification; a row left blank is no certification."""

    standard = SelectField(_l("Standard"))
    certificate_number = StringField(
        _l("Certificate number"), validators=[Optional(), Length(max=100)], filters=[_strip]
    )
    expires_on = DateField(
        _l("Expires on"),
        validators=[Optional()],
        description=_l("An expired certification stays on the profile, marked expired."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard.choices = choices([("", ""), *certification_choices()])

    def is_blank(self) -> bool:
        typed_date = bool(self.expires_on.raw_data and self.expires_on.raw_data[0].strip())
        return not (self.standard.data or self.certificate_number.data or typed_date)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_blank():
            return valid
        if not self.standard.data and not self.standard.errors:
            self.standard.errors.append(_l("Choose the standard."))
            valid = False
        if self.expires_on.data is None and not self.expires_on.errors:
            self.expires_on.errors.append(_l("Enter the expiry date."))
            valid = False
        return valid


class ProfileForm(FlaskForm):
    """A vendor's directory profile, its locations and certifications as repeated rows."""

    listed = BooleanField(_l("Show this profile in the directory"))
    description = TextAreaField(
        _l("Short description"),
        validators=[Length(max=2000)],
        filters=[_strip],
        description=_l("What you do, for whom, from where: clients read this first."),
    )
    headcount = LocalizedIntegerField(
        _l("Headcount"), validators=[Optional(), NumberRange(min=0, max=MAX_HEADCOUNT)]
    )
    website = StringField(
        _l("Website"), validators=[Optional(), Length(max=300)], filters=[_website]
    )
    functions = MultiCheckboxField(_l("Functions served"))
    languages = SelectMultipleField(
        _l("Languages"),
        description=_l("Hold Ctrl (or ⌘) to choose several."),
        render_kw={"size": 8},
    )
    locations = FieldList(FormField(LocationForm), max_entries=MAX_LOCATIONS)
    certifications = FieldList(FormField(CertificationForm), max_entries=MAX_CERTIFICATIONS)
    add_location = SubmitField(_l("Add a location"))
    add_certification = SubmitField(_l("Add a certification"))

    def __init__(self, *args, initial: dict | None = None, **kwargs):
        if initial is not None:
            kwargs.setdefault("data", initial)
        super().__init__(*args, **kwargs)
        self.functions.choices = choices(catalogue_choices())
        self.languages.choices = choices(language_choices())
        if not self.is_submitted():
            for _ in range(BLANK_ROWS):
                self.add_row(self.locations)
                self.add_row(self.certifications)

    def wants_a_row(self) -> bool:
        """Whether an "add a row" button sent the form (nothing is saved then)."""
        return bool(self.add_location.data or self.add_certification.data)

    def add_row(self, rows: FieldList) -> None:
        if len(rows.entries) < rows.max_entries:
            rows.append_entry()

    def profile_data(self) -> dict:
        """What the operation needs: the fields, without CSRF token and buttons."""
        skipped = {"csrf_token", "add_location", "add_certification"}
        return {name: value for name, value in self.data.items() if name not in skipped}


class DirectoryFilterForm(Form):
    """The directory's search and filters, read from the query string."""

    q = SearchField(_l("Search"), filters=[_strip], render_kw={"placeholder": _l("Name or words")})
    function = SelectField(_l("Function"))
    kind = SelectField(_l("Location"))
    language = SelectField(_l("Language"))
    certification = SelectField(_l("Certification"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.function.choices = choices([("", _l("Any function")), *catalogue_choices()])
        self.kind.choices = choices([("", _l("Any location")), *location_kind_choices()])
        self.language.choices = choices([("", _l("Any language")), *language_choices()])
        self.certification.choices = choices(
            [("", _l("Any certification")), *certification_choices()]
        )

    def filters(self) -> dict[str, str | None]:
        """The known values only: an unknown key in the URL filters nothing."""
        values: dict[str, str | None] = {"q": (self.q.data or "")[:200] or None}
        for field in (self.function, self.kind, self.language, self.certification):
            known = {choice.value for choice in field.choices}
            values[field.name] = field.data if field.data and field.data in known else None
        return values
