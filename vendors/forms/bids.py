"""Forms of the vendor side: marketplace filters, clarification questions, bids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.forms import LocalizedDecimalField, choices
from portal.functions.catalogue import catalogue_choices
from vendors.models import LocationKind, LocationPreference, PriceLineKind, Tender

#: The largest amount a ``Numeric(14, 2)`` column holds (transition cost, FTEs).
MAX_AMOUNT = Decimal("999999999999.99")
#: The largest unit price a ``Numeric(14, 4)`` column holds.
MAX_UNIT_PRICE = Decimal("9999999999.9999")
#: The largest SLA level a ``Numeric(12, 4)`` column holds.
MAX_SLA_VALUE = Decimal("99999999.9999")
#: More pricing lines than this is not a price, it is a catalogue.
MAX_PRICE_LINES = 30
MAX_NARRATIVE = 20000
MAX_QUESTION = 4000

PRICE_LINE_KINDS = {
    PriceLineKind.FIXED_MONTHLY: _l("Fixed monthly fee"),
    PriceLineKind.PER_UNIT: _l("Price per unit"),
    PriceLineKind.PER_FTE: _l("Monthly rate per FTE"),
}
LOCATION_KINDS = {
    LocationKind.ONSHORE: _l("Onshore"),
    LocationKind.NEARSHORE: _l("Nearshore"),
    LocationKind.OFFSHORE: _l("Offshore"),
}
LOCATION_PREFERENCES = {
    LocationPreference.ANY: _l("Any location"),
    LocationPreference.ONSHORE: _l("Onshore"),
    LocationPreference.NEARSHORE: _l("Nearshore"),
    LocationPreference.OFFSHORE: _l("Offshore"),
    LocationPreference.CAPTIVE: _l("Captive centre"),
}
#: Marketplace deadline filter: what is still open (default), closing soon, or everything.
DEADLINE_FILTERS = {
    "open": _l("Open for bids"),
    "7": _l("Closing within 7 days"),
    "30": _l("Closing within 30 days"),
    "all": _l("Include closed tenders"),
}


class MarketplaceFilterForm(FlaskForm):
    """The marketplace's filters, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    function = SelectField(_l("Function"))
    location = SelectField(_l("Location preference"))
    deadline = SelectField(_l("Deadline"), default="open")
    invited = BooleanField(_l("Invited only"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.function.choices = choices([("", _l("Any function")), *catalogue_choices()])
        self.location.choices = choices(
            [("", _l("Any preference")), *((k.value, v) for k, v in LOCATION_PREFERENCES.items())]
        )
        self.deadline.choices = choices(list(DEADLINE_FILTERS.items()))

    def filters(self) -> dict[str, Any]:
        """The valid filters; a value outside the choices is ignored, not an error."""
        self.validate()

        def valid(field) -> str | None:
            if field.errors:
                return None
            return field.data or None

        return {
            "function": valid(self.function),
            "location": valid(self.location),
            "deadline": valid(self.deadline) or "open",
            "invited_only": bool(self.invited.data),
        }


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question"),
        validators=[DataRequired(), Length(max=MAX_QUESTION)],
        description=_l(
            "The client's answer is published to every vendor on this tender; "
            "your organization is never named."
        ),
    )


class PriceLineForm(Form):
    """One pricing line; a line left entirely empty is no line at all."""

    kind = SelectField(_l("Pricing model"), default=PriceLineKind.FIXED_MONTHLY.value)
    description = StringField(_l("Description"), validators=[Length(max=200)])
    quantity = LocalizedDecimalField(
        _l("FTEs"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT)],
        description=_l("For a rate per FTE only."),
    )
    # Shown as typed (no trailing zeros); the operation refuses more than 4 places.
    unit_price = LocalizedDecimalField(
        _l("Unit price"),
        places=None,
        validators=[Optional(), NumberRange(min=0, max=MAX_UNIT_PRICE)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices([(k.value, v) for k, v in PRICE_LINE_KINDS.items()])

    def is_blank(self) -> bool:
        return not any(
            (field.raw_data[0] if field.raw_data else field.data) not in (None, "")
            for field in (self.description, self.quantity, self.unit_price)
        )

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank():
            return True
        valid = super().validate(extra_validators)
        if self.unit_price.data is None and not self.unit_price.errors:
            self.unit_price.errors.append(_l("Enter the price."))
            valid = False
        if (
            self.kind.data == PriceLineKind.PER_FTE.value
            and not self.quantity.data
            and not self.quantity.errors
        ):
            self.quantity.errors.append(_l("Enter the number of FTEs."))
            valid = False
        return valid


class BidForm(FlaskForm):
    """A bid on ``tender``: one commitment input per SLA requirement, in the tender's order."""

    price_lines = FieldList(FormField(PriceLineForm), min_entries=1, max_entries=MAX_PRICE_LINES)
    transition_cost = LocalizedDecimalField(
        _l("One-off transition cost"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT)],
        description=_l("Moving the work to you: knowledge transfer, set-up, parallel run."),
    )
    commitments = FieldList(
        LocalizedDecimalField(
            _l("Committed level"),
            places=None,
            validators=[Optional(), NumberRange(min=0, max=MAX_SLA_VALUE)],
        )
    )
    delivery_location = StringField(
        _l("Delivery location"),
        validators=[Length(max=200)],
        description=_l("Where the work is done, e.g. Lisbon, Portugal."),
    )
    location_kind = SelectField(_l("Location kind"))
    narrative = TextAreaField(
        _l("Narrative"),
        validators=[Length(max=MAX_NARRATIVE)],
        description=_l("Your approach, team, transition plan and references."),
    )

    def __init__(self, *args, tender: Tender, **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = list(tender.sla_requirements)
        while len(self.commitments.entries) < len(self.requirements):
            self.commitments.append_entry()
        while len(self.commitments.entries) > len(self.requirements):
            self.commitments.pop_entry()
        self.location_kind.choices = choices(
            [("", _l("Not said")), *((k.value, v) for k, v in LOCATION_KINDS.items())]
        )

    def add_blank_line(self) -> None:
        """Offer one more empty pricing line (adding lines works without script)."""
        if len(self.price_lines.entries) < MAX_PRICE_LINES:
            last = self.price_lines.entries[-1].form if self.price_lines.entries else None
            if last is None or not last.is_blank():
                self.price_lines.append_entry()

    def to_data(self) -> dict[str, Any]:
        """What was typed, as plain data for ``save_bid_draft``."""
        lines = [
            {
                "kind": entry.form.kind.data,
                "description": (entry.form.description.data or "").strip(),
                "quantity": entry.form.quantity.data,
                "unit_price": entry.form.unit_price.data,
            }
            for entry in self.price_lines.entries
            if not entry.form.is_blank()
        ]
        commitments = {
            requirement.id: entry.data
            for requirement, entry in zip(self.requirements, self.commitments.entries, strict=True)
            if entry.data is not None
        }
        return {
            "price_lines": lines,
            "transition_cost": self.transition_cost.data or Decimal(0),
            "commitments": commitments,
            "delivery_location": (self.delivery_location.data or "").strip(),
            "location_kind": self.location_kind.data or None,
            "narrative": (self.narrative.data or "").strip(),
        }


class AttachmentForm(FlaskForm):
    file = FileField(
        _l("PDF document"),
        validators=[FileRequired(_l("Choose a PDF file."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )
