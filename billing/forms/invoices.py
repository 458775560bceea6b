"""Forms of the vendor's invoices: the draft's note and extra lines, and credit notes.

They read input; ``billing.operations`` judges it against the invoice.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from billing.models import Invoice
from billing.operations.credit_notes import AMOUNT, FULL, LINES, MAX_REASON, creditable_lines
from billing.operations.invoices import MAX_DESCRIPTION, MAX_NOTE, MAX_UNIT
from portal.forms import LocalizedDecimalField, choices


class NoteForm(FlaskForm):
    note = TextAreaField(
        _l("Note printed on the invoice"),
        validators=[Length(max=MAX_NOTE)],
        description=_l("A purchase order number, bank details, anything the client should read."),
    )


class ExtraLineForm(FlaskForm):
    """A line the vendor adds to a draft (pass-through expenses…), at the contract's VAT."""

    description = StringField(
        _l("Description"), validators=[DataRequired(), Length(max=MAX_DESCRIPTION)]
    )
    quantity = LocalizedDecimalField(
        _l("Quantity"),
        places=4,
        validators=[InputRequired(), NumberRange(min=0.0001, message=_l("More than zero."))],
        default=1,
    )
    unit = StringField(
        _l("Unit"),
        validators=[Optional(), Length(max=MAX_UNIT)],
        description=_l("E.g. trip, licence, hour."),
    )
    unit_price = LocalizedDecimalField(
        _l("Unit price excl. VAT"), places=4, validators=[InputRequired()]
    )


class RemoveLineForm(FlaskForm):
    line_id = HiddenField(validators=[DataRequired()])


class CreditNoteForm(FlaskForm):
    """What to credit on an issued invoice: its balance, amounts per line, or one amount."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        description=_l("Printed on the credit note and sent to the client."),
    )
    mode = RadioField(
        _l("What is credited"),
        choices=choices(
            [
                (FULL, _l("The whole balance of the invoice")),
                (LINES, _l("Amounts on chosen lines")),
                (AMOUNT, _l("One amount")),
            ]
        ),
        default=FULL,
        validators=[DataRequired()],
    )
    line_amounts = FieldList(
        LocalizedDecimalField(_l("Amount excl. VAT"), places=2, validators=[Optional()])
    )
    amount = LocalizedDecimalField(_l("Amount excl. VAT"), places=2, validators=[Optional()])
    description = StringField(
        _l("Description of the amount"),
        validators=[Optional(), Length(max=MAX_DESCRIPTION)],
    )

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = creditable_lines(invoice)
        while len(self.line_amounts.entries) < len(self.lines):
            self.line_amounts.append_entry()
        while len(self.line_amounts.entries) > len(self.lines):
            self.line_amounts.pop_entry()

    def line_rows(self):
        return list(zip(self.lines, self.line_amounts.entries, strict=True))

    def to_data(self) -> dict[str, Any]:
        return {
            "reason": self.reason.data,
            "mode": self.mode.data,
            "line_amounts": {
                line.id: entry.data for line, entry in self.line_rows() if entry.data is not None
            },
            "amount": self.amount.data,
            "description": self.description.data,
        }
