"""The invoice list's filters, read from the query string (a GET form: no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from billing.models import InvoiceStatus
from billing.queries.lists import (
    INVOICE_STATUS_LABELS,
    SIDE_ISSUED,
    SIDE_RECEIVED,
    InvoiceFilters,
)
from contracts.reporting import parse_period
from portal.forms import choices
from portal.models import Organization


class InvoiceFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="")
    counterparty = SelectField(_l("Counterparty"), default="")
    side = SelectField(_l("Invoices"), default="")
    period_from = StringField(_l("Period from"), render_kw={"type": "month"})
    period_to = StringField(_l("Period to"), render_kw={"type": "month"})
    overdue = BooleanField(_l("Overdue only"))

    def __init__(self, *args, counterparties: list[Organization], vendor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = INVOICE_STATUS_LABELS.items()
        if not vendor:
            # The recipient never sees a draft or a dropped draft.
            statuses = [
                (status, label)
                for status, label in statuses
                if status not in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)
            ]
        self.status.choices = choices(
            [("", _l("Any status")), *((status.value, label) for status, label in statuses)]
        )
        self.counterparty.choices = choices(
            [("", _l("Any counterparty")), *((str(o.id), o.name) for o in counterparties)]
        )
        self.side.choices = choices(
            [
                ("", _l("Issued and received")),
                (SIDE_ISSUED, _l("Issued by us")),
                (SIDE_RECEIVED, _l("Received")),
            ]
        )

    def filters(self, month: str | None = None) -> InvoiceFilters:
        """The valid filters; a value outside the choices or not a month is ignored."""
        self.validate()
        status = None
        if not self.status.errors and self.status.data:
            status = InvoiceStatus(self.status.data)
        counterparty = None
        if not self.counterparty.errors and self.counterparty.data:
            counterparty = int(self.counterparty.data)
        side = self.side.data if not self.side.errors and self.side.data else None
        period_from = parse_period(self.period_from.data or "")
        period_to = parse_period(self.period_to.data or "")
        single = parse_period(month or "")
        if single is not None:
            period_from = period_to = single
            self.period_from.data = self.period_to.data = f"{single:%Y-%m}"
        return InvoiceFilters(
            status=status,
            counterparty_id=counterparty,
            period_from=period_from,
            period_to=period_to,
            overdue=bool(self.overdue.data),
            side=side,
        )
