"""The vendor's record of a bank transfer received."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional

from billing.operations.payments import MAX_REFERENCE
from portal.forms import LocalizedDecimalField


class PaymentForm(FlaskForm):
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(_l("Enter the day the transfer arrived."))]
    )
    amount = LocalizedDecimalField(
        _l("Amount"), validators=[InputRequired(_l("Enter the amount received."))]
    )
    reference = StringField(
        _l("Bank reference"),
        validators=[Optional(), Length(max=MAX_REFERENCE)],
        description=_l("As it appears on your bank statement."),
    )
    #: The amount already paid as the page showed it: the same form sent twice
    #: records one payment (billing.operations.payments).
    paid_before = HiddenField()

    def paid_before_amount(self) -> Decimal | None:
        try:
            return Decimal(self.paid_before.data) if self.paid_before.data else None
        except InvalidOperation:
            return None

    def payment_data(self) -> dict:
        return {
            "received_on": self.received_on.data,
            "amount": self.amount.data,
            "reference": self.reference.data or "",
            "paid_before": self.paid_before_amount(),
        }
