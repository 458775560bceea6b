"""Forms of the client's tenders: the draft, invitations, addenda, answers, cancellation.

They check what was typed (numbers, dates, choices); the rules (weights
adding up to 100, a deadline in the future, a deadline only ever extended)
are the operations'. Rows of SLA requirements and criteria are lists of
sub-forms; a row left blank is ignored, so spare rows cost nothing.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import LocalDateTimeField, LocalizedDecimalField, LocalizedIntegerField, choices
from portal.models import BackOfficeFunction
from vendors.models import Better, LocationPreference, Tender, TenderVisibility
from vendors.queries.tenders import LOCATION_PREFERENCE_LABELS, VISIBILITY_LABELS
from vendors.sla_library import SLA_LIBRARY, LibrarySla, suggested_for

#: What the columns hold: ``Numeric(14, 2)`` volumes, ``Numeric(12, 4)`` SLA values.
MAX_VOLUME = Decimal("999999999999.99")
MAX_SLA_VALUE = Decimal("99999999.9999")
#: Beyond this, a term is a typo (50 years).
MAX_TERM_MONTHS = 600
MAX_ROWS = 40

BETTER_LABELS = {Better.HIGHER: _l("Higher is better"), Better.LOWER: _l("Lower is better")}


def _locale() -> str:
    return str(get_locale() or "en")


class SlaValueField(LocalizedDecimalField):
    """An SLA target: up to four decimals, shown without trailing zeros (99.5, not 99.5000)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, places=4, **kwargs)

    def _value(self) -> str:
        if self.raw_data or self.data is None:
            return super()._value()
        return format_decimal(Decimal(self.data), format="0.####", locale=_locale())


class MultiCheckboxField(SelectMultipleField):
    """Several options ticked from a list (checkboxes, no script needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _optional_text(value) -> str | None:
    return value or None


class SlaRequirementRow(Form):
    metric = StringField(_l("Metric"), validators=[Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Length(max=30)])
    target = SlaValueField(
        _l("Target"), validators=[Optional(), NumberRange(min=0, max=MAX_SLA_VALUE)]
    )
    better = SelectField(
        _l("Better when"),
        choices=choices((b.value, BETTER_LABELS[b]) for b in Better),
        default=Better.HIGHER.value,
    )
    library_key = HiddenField(filters=[_optional_text])


class CriterionRow(Form):
    name = StringField(_l("Criterion"), validators=[Length(max=120)])
    weight = LocalizedIntegerField(
        _l("Weight"), validators=[Optional(), NumberRange(min=0, max=100)]
    )


def _row_is_blank(row: FormField) -> bool:
    """A row with nothing typed in it (its raw input, so a bad number is not blank)."""
    for sub in row.form:
        if sub.type in ("HiddenField", "SelectField"):
            continue
        typed = sub.raw_data[0] if sub.raw_data else sub.data
        if typed not in (None, "") and str(typed).strip():
            return False
    return True


def library_entries(catalogue_key: str | None) -> list[LibrarySla]:
    """The library, entries suggested for the function first."""
    suggested = suggested_for(catalogue_key)
    return [*suggested, *(sla for sla in SLA_LIBRARY if sla not in suggested)]


def library_label(sla: LibrarySla) -> str:
    sign = "≥" if sla.better == Better.HIGHER else "≤"
    target = format_decimal(sla.target, format="0.####", locale=_locale())
    return f"{sla.metric} ({sign} {target} {sla.unit})"


class TenderForm(FlaskForm):
    """A draft tender; ``functions`` given when creating (the function is fixed afterwards)."""

    function_id = SelectField(
        _l("Function"),
        coerce=_optional_id,
        validate_choice=False,  # the operation loads it through the wall and says why not
        validators=[InputRequired(_l("Choose one of your registered functions."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    scope = TextAreaField(
        _l("Scope of work"),
        validators=[Length(max=20000)],
        description=_l("What the vendor will run, what stays with you, the systems used."),
    )
    monthly_volume = LocalizedDecimalField(
        _l("Monthly volume"),
        validators=[InputRequired(), NumberRange(max=MAX_VOLUME)],
        description=_l("Bids priced per unit are multiplied by this volume."),
    )
    volume_unit = StringField(
        _l("Volume unit"),
        validators=[Length(max=80)],
        description=_l("What the volume counts, e.g. supplier invoices."),
    )
    term_months = LocalizedIntegerField(
        _l("Contract term (months)"),
        validators=[InputRequired(), NumberRange(max=MAX_TERM_MONTHS)],
        default=36,
    )
    start_date = DateField(_l("Contract start date"), validators=[InputRequired()])
    location_preference = SelectField(_l("Location preference"))
    bid_deadline = LocalDateTimeField(
        _l("Bid deadline"),
        validators=[InputRequired()],
        description=_l("In your time zone; bids open to you at this moment."),
    )
    visibility = RadioField(_l("Who may bid"), default=TenderVisibility.INVITED.value)
    sla_requirements = FieldList(FormField(SlaRequirementRow), min_entries=0, max_entries=MAX_ROWS)
    library_keys = MultiCheckboxField(_l("Add from the library"))
    price_weight = LocalizedIntegerField(
        _l("Weight of price"),
        validators=[InputRequired(), NumberRange(max=100)],
        default=50,
        description=_l("Price is always a criterion: the cheapest bid gets its full weight."),
    )
    criteria = FieldList(FormField(CriterionRow), min_entries=0, max_entries=MAX_ROWS)

    def __init__(
        self,
        *args,
        functions: list[BackOfficeFunction] | None = None,
        catalogue_key: str | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if functions is None:
            del self.function_id
        else:
            self.function_id.choices = choices(
                [("", ""), *((str(f.id), f.name) for f in functions)]
            )
        self.location_preference.choices = choices(
            (p.value, label) for p, label in LOCATION_PREFERENCE_LABELS.items()
        )
        self.visibility.choices = choices(
            (v.value, label) for v, label in VISIBILITY_LABELS.items()
        )
        self.library_keys.choices = choices(
            (sla.key, library_label(sla)) for sla in library_entries(catalogue_key)
        )

    def add_library_rows(self) -> None:
        """Turn the ticked library entries into rows to edit (the no-script "Add" button)."""
        present = {
            row.form.library_key.data for row in self.sla_requirements if row.form.library_key.data
        }
        rows = self.sla_requirements
        # Rows typed so far stay as typed (even a bad number); trailing blanks make room.
        while rows.entries and _row_is_blank(rows.entries[-1]):
            rows.pop_entry()
        for sla in SLA_LIBRARY:
            if sla.key in (self.library_keys.data or []) and sla.key not in present:
                if len(rows.entries) >= MAX_ROWS:
                    break
                rows.append_entry(
                    {
                        "metric": str(sla.metric),
                        "unit": sla.unit,
                        "target": sla.target,
                        "better": sla.better.value,
                        "library_key": sla.key,
                    }
                )
        self.library_keys.data = []

    def add_blank_rows(self, count: int) -> None:
        """Add ``count`` blank rows to each list (the no-script "More rows" button)."""
        for rows in (self.sla_requirements, self.criteria):
            for _ in range(count):
                if len(rows.entries) < MAX_ROWS:
                    rows.append_entry()

    def add_spare_rows(self, count: int = 1) -> None:
        """Leave ``count`` blank rows at the end of each list to type into."""
        for rows in (self.sla_requirements, self.criteria):
            blank_tail = 0
            for row in reversed(rows.entries):
                if not _row_is_blank(row):
                    break
                blank_tail += 1
            for _ in range(max(0, count - blank_tail)):
                if len(rows.entries) >= MAX_ROWS:
                    break
                rows.append_entry()


def tender_form_data(tender: Tender) -> dict:
    """What a draft's form starts with."""
    return {
        "title": tender.title,
        "scope": tender.scope,
        "monthly_volume": tender.monthly_volume,
        "volume_unit": tender.volume_unit,
        "term_months": tender.term_months,
        "start_date": tender.start_date,
        "location_preference": LocationPreference(tender.location_preference).value,
        "bid_deadline": tender.bid_deadline,
        "visibility": TenderVisibility(tender.visibility).value,
        "sla_requirements": [
            {
                "metric": r.metric,
                "unit": r.unit,
                "target": r.target,
                "better": Better(r.better).value,
                "library_key": r.library_key,
            }
            for r in tender.sla_requirements
        ],
        "price_weight": tender.price_criterion.weight if tender.price_criterion else None,
        "criteria": [
            {"name": c.name, "weight": c.weight} for c in tender.criteria if not c.is_price
        ],
    }


# --- Invitations ----------------------------------------------------------------------


class InviteForm(FlaskForm):
    vendor_ids = MultiCheckboxField(_l("Vendors to invite"), coerce=int)

    def __init__(self, *args, vendors: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.vendor_ids.choices = choices((str(i), name) for i, name in vendors)


class UninviteForm(FlaskForm):
    vendor_id = HiddenField(validators=[InputRequired()], filters=[_optional_id])


# --- Addenda --------------------------------------------------------------------------


class SlaTargetRow(Form):
    requirement_id = HiddenField(filters=[_optional_id])
    target = SlaValueField(
        _l("Target"), validators=[InputRequired(), NumberRange(min=0, max=MAX_SLA_VALUE)]
    )


class AddendumForm(FlaskForm):
    summary = TextAreaField(
        _l("What changes, and why"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("Every invited vendor and every bidder reads this."),
    )
    scope = TextAreaField(_l("Scope of work"), validators=[Length(max=20000)])
    monthly_volume = LocalizedDecimalField(
        _l("Monthly volume"), validators=[InputRequired(), NumberRange(max=MAX_VOLUME)]
    )
    volume_unit = StringField(_l("Volume unit"), validators=[Length(max=80)])
    term_months = LocalizedIntegerField(
        _l("Contract term (months)"),
        validators=[InputRequired(), NumberRange(max=MAX_TERM_MONTHS)],
    )
    start_date = DateField(_l("Contract start date"), validators=[InputRequired()])
    location_preference = SelectField(_l("Location preference"))
    bid_deadline = LocalDateTimeField(
        _l("Bid deadline"),
        validators=[InputRequired()],
        description=_l("It can be extended, never brought forward."),
    )
    sla_targets = FieldList(FormField(SlaTargetRow), max_entries=MAX_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.location_preference.choices = choices(
            (p.value, label) for p, label in LOCATION_PREFERENCE_LABELS.items()
        )


def addendum_form_data(tender: Tender) -> dict:
    return {
        "scope": tender.scope,
        "monthly_volume": tender.monthly_volume,
        "volume_unit": tender.volume_unit,
        "term_months": tender.term_months,
        "start_date": tender.start_date,
        "location_preference": LocationPreference(tender.location_preference).value,
        "bid_deadline": tender.bid_deadline,
        "sla_targets": [
            {"requirement_id": r.id, "target": r.target} for r in tender.sla_requirements
        ],
    }


# --- Cancellation and answers ---------------------------------------------------------


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for cancelling"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("Invited vendors and vendors with a bid will read it."),
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=10000)])
