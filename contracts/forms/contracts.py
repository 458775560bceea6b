"""Forms of a contract's life: the draft, an amendment, the vendor's rejection, termination.

They check what was typed (numbers, dates, choices); the rules (a critical
threshold on the worse side of the target, an amendment's month, codes unique
in a version) are the operations'. The rate card and the SLA set are lists of
sub-forms as on a tender: a row left blank is ignored, so spare rows cost nothing.
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
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from contracts.models import Contract, ContractStatus, ContractVersion, RateKind, VatTreatment
from contracts.queries.common import (
    CONTRACT_STATUS_LABELS,
    RATE_KIND_LABELS,
    VAT_TREATMENT_LABELS,
)
from portal.forms import LocalizedDecimalField, LocalizedIntegerField, choices
from portal.models import BackOfficeFunction, Organization
from portal.organizations.forms import CURRENCIES
from vendors.forms.tenders import (
    BETTER_LABELS,
    MAX_SLA_VALUE,
    MultiCheckboxField,
    SlaValueField,
    library_entries,
    library_label,
)
from vendors.models import Better
from vendors.sla_library import SLA_LIBRARY

#: What the columns hold: amounts ``Numeric(14, 2)``, rates ``Numeric(14, 4)``.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_RATE = Decimal("9999999999.9999")
MAX_ROWS = 40


def _locale() -> str:
    return str(get_locale() or "en")


def _optional_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _optional_text(value) -> str | None:
    return value or None


class RateField(LocalizedDecimalField):
    """A rate of the rate card: up to four decimals, shown with at least two (2.50, 0.455)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, places=4, **kwargs)

    def _value(self) -> str:
        if self.raw_data or self.data is None:
            return super()._value()
        return format_decimal(Decimal(self.data), format="0.00##", locale=_locale())


class RateLineRow(Form):
    kind = SelectField(
        _l("Kind"),
        choices=choices((kind.value, RATE_KIND_LABELS[kind]) for kind in RateKind),
        default=RateKind.FIXED_MONTHLY.value,
    )
    description = StringField(_l("Description"), validators=[Length(max=200)])
    unit = StringField(_l("Unit (per-unit rates)"), validators=[Length(max=80)])
    rate = RateField(_l("Rate"), validators=[Optional(), NumberRange(min=0, max=MAX_RATE)])
    code = StringField(_l("Code"), validators=[Length(max=40)])


class MetricRow(Form):
    name = StringField(_l("Metric"), validators=[Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Length(max=30)])
    target = SlaValueField(
        _l("Target"), validators=[Optional(), NumberRange(min=0, max=MAX_SLA_VALUE)]
    )
    better = SelectField(
        _l("Better when"),
        choices=choices((b.value, BETTER_LABELS[b]) for b in Better),
        default=Better.HIGHER.value,
    )
    critical_threshold = SlaValueField(
        _l("Critical threshold"),
        validators=[Optional(), NumberRange(min=0, max=MAX_SLA_VALUE)],
    )
    credit_percent = LocalizedDecimalField(
        _l("Credit, percent of the fees"), validators=[Optional(), NumberRange(min=0, max=100)]
    )
    code = StringField(_l("Code"), validators=[Length(max=40)])
    library_key = HiddenField(filters=[_optional_text])


def _row_is_blank(row: FormField) -> bool:
    """A row with nothing typed in it (its raw input, so a bad number is not blank)."""
    for sub in row.form:
        if sub.type in ("HiddenField", "SelectField"):
            continue
        typed = sub.raw_data[0] if sub.raw_data else sub.data
        if typed not in (None, "") and str(typed).strip():
            return False
    return True


class TermsForm(FlaskForm):
    """The versioned terms: what a draft and an amendment both set."""

    retained_governance_monthly = LocalizedDecimalField(
        _l("Retained governance cost per month"),
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT)],
        description=_l(
            "What you still spend each month to govern the contract. Only your organization "
            "sees it (savings analytics)."
        ),
    )
    monthly_minimum = LocalizedDecimalField(
        _l("Monthly minimum"),
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT)],
        description=_l("The fees of a month are at least this much; empty for none."),
    )
    credit_cap_percent = LocalizedDecimalField(
        _l("Cap on service credits, percent of the period's fees"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        default=Decimal("10"),
    )
    rate_lines = FieldList(FormField(RateLineRow), min_entries=0, max_entries=MAX_ROWS)
    metrics = FieldList(FormField(MetricRow), min_entries=0, max_entries=MAX_ROWS)
    library_keys = MultiCheckboxField(_l("Add from the library"))

    def __init__(self, *args, catalogue_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.library_keys.choices = choices(
            (sla.key, library_label(sla)) for sla in library_entries(catalogue_key)
        )

    def add_library_rows(self) -> None:
        """Turn the ticked library entries into rows to edit (the no-script "Add" button)."""
        present = {row.form.library_key.data for row in self.metrics if row.form.library_key.data}
        rows = self.metrics
        while rows.entries and _row_is_blank(rows.entries[-1]):
            rows.pop_entry()
        for sla in SLA_LIBRARY:
            if sla.key in (self.library_keys.data or []) and sla.key not in present:
                if len(rows.entries) >= MAX_ROWS:
                    break
                rows.append_entry(
                    {
                        "name": str(sla.metric),
                        "unit": sla.unit,
                        "target": sla.target,
                        "better": sla.better.value,
                        "credit_percent": Decimal("5"),
                        "library_key": sla.key,
                    }
                )
        self.library_keys.data = []

    def add_blank_rows(self, count: int) -> None:
        """Add ``count`` blank rows to each list (the no-script "More rows" button)."""
        for rows in (self.rate_lines, self.metrics):
            for _ in range(count):
                if len(rows.entries) < MAX_ROWS:
                    rows.append_entry()

    def add_spare_rows(self, count: int = 1) -> None:
        """Leave ``count`` blank rows at the end of each list to type into."""
        for rows in (self.rate_lines, self.metrics):
            blank_tail = 0
            for row in reversed(rows.entries):
                if not _row_is_blank(row):
                    break
                blank_tail += 1
            for _ in range(max(0, count - blank_tail)):
                if len(rows.entries) >= MAX_ROWS:
                    break
                rows.append_entry()


def vendor_label(vendor: Organization, client_id: int) -> str:
    if vendor.captive_of_id == client_id:
        return str(_l("%(name)s (your captive centre)", name=vendor.name))
    return vendor.name


class ContractForm(TermsForm):
    """A draft contract; ``vendors`` and ``functions`` given when creating (fixed afterwards)."""

    vendor_id = SelectField(
        _l("Vendor"),
        coerce=_optional_id,
        validate_choice=False,  # the operation loads it and says why not
        validators=[InputRequired(_l("Choose the vendor."))],
        description=_l("Your own captive centres come first."),
    )
    function_id = SelectField(
        _l("Function"),
        coerce=_optional_id,
        validate_choice=False,
        validators=[InputRequired(_l("Choose one of your registered functions."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    scope = TextAreaField(_l("Scope of the service"), validators=[Length(max=20000)])
    currency = SelectField(_l("Currency"))
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    end_date = DateField(
        _l("End date"),
        validators=[InputRequired()],
        description=_l("The last day of service of the term."),
    )
    payment_terms_days = LocalizedIntegerField(
        _l("Payment terms (days)"),
        validators=[InputRequired(), NumberRange(min=0, max=120)],
        default=30,
    )
    vat_treatment = SelectField(_l("VAT"))
    vat_rate = LocalizedDecimalField(
        _l("VAT rate (%)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("For domestic VAT; empty: your country's standard rate."),
    )
    transition_cost = LocalizedDecimalField(
        _l("Transition cost (one-off)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT)],
        description=_l("Only your organization sees it (savings analytics)."),
    )

    def __init__(
        self,
        *args,
        vendors: list[Organization] | None = None,
        functions: list[BackOfficeFunction] | None = None,
        client_id: int | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if vendors is None:
            del self.vendor_id
        else:
            self.vendor_id.choices = choices(
                [("", ""), *((str(v.id), vendor_label(v, client_id)) for v in vendors)]
            )
        if functions is None:
            del self.function_id
        else:
            self.function_id.choices = choices(
                [("", ""), *((str(f.id), f.name) for f in functions)]
            )
        self.currency.choices = choices(
            [("", _l("The function's currency")), *((code, code) for code in CURRENCIES)]
        )
        self.vat_treatment.choices = choices(
            [
                ("", _l("Suggested from the parties' countries")),
                *((t.value, label) for t, label in VAT_TREATMENT_LABELS.items()),
            ]
        )


def _terms_data(version: ContractVersion) -> dict:
    return {
        "retained_governance_monthly": version.retained_governance_monthly,
        "monthly_minimum": version.monthly_minimum,
        "credit_cap_percent": version.credit_cap_percent,
        "rate_lines": [
            {
                "kind": RateKind(line.kind).value,
                "description": line.description,
                "unit": line.unit,
                "rate": line.rate,
                "code": line.code,
            }
            for line in version.rate_lines
        ],
        "metrics": [
            {
                "name": metric.name,
                "unit": metric.unit,
                "target": metric.target,
                "better": Better(metric.better).value,
                "critical_threshold": metric.critical_threshold,
                "credit_percent": metric.credit_percent,
                "code": metric.code,
                "library_key": metric.library_key,
            }
            for metric in version.metrics
        ],
    }


def contract_form_data(contract: Contract) -> dict:
    """What a draft's form starts with."""
    return {
        "title": contract.title,
        "scope": contract.scope,
        "currency": contract.currency,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "payment_terms_days": contract.payment_terms_days,
        "vat_treatment": VatTreatment(contract.vat_treatment).value,
        "vat_rate": contract.vat_rate,
        "transition_cost": contract.transition_cost,
        **_terms_data(contract.current_version),
    }


class MonthField(DateField):
    """A month (``<input type="month">``: 2026-10), kept as its first day."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m", **kwargs)


class AmendmentForm(TermsForm):
    effective_month = MonthField(
        _l("Takes effect in"),
        validators=[InputRequired(_l("Enter the month the amendment takes effect."))],
        description=_l(
            "From the first day of this month; after the latest version and any month "
            "with an accepted delivery report."
        ),
    )
    summary = TextAreaField(
        _l("What changes, and why"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("The vendor reads this."),
    )
    end_date = DateField(
        _l("End date"),
        validators=[InputRequired()],
        description=_l("The last day of service; change it to extend or shorten the term."),
    )


def amendment_form_data(contract: Contract) -> dict:
    """An amendment starts from the terms in force now."""
    return {"end_date": contract.end_date, **_terms_data(contract.current_version)}


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why you send it back"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("The client reads this and changes the draft."),
    )


class TerminateForm(FlaskForm):
    last_day = DateField(
        _l("Last day of service"),
        validators=[InputRequired()],
        description=_l("From today to the end of the term."),
    )
    reason = TextAreaField(
        _l("Reason for ending early"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("The vendor reads this."),
    )


class ContractFilterForm(FlaskForm):
    """The list's filters, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="")
    counterparty = SelectField(_l("Counterparty"), default="")

    def __init__(self, *args, counterparties: list[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices(
            [
                ("", _l("Any status")),
                *((s.value, label) for s, label in CONTRACT_STATUS_LABELS.items()),
            ]
        )
        self.counterparty.choices = choices(
            [("", _l("Any counterparty")), *((str(o.id), o.name) for o in counterparties)]
        )

    def filters(self) -> tuple[ContractStatus | None, int | None]:
        """The valid filters; a value outside the choices is ignored, not an error."""
        self.validate()
        status = None
        if not self.status.errors and self.status.data:
            status = ContractStatus(self.status.data)
        counterparty = None
        if not self.counterparty.errors and self.counterparty.data:
            counterparty = int(self.counterparty.data)
        return status, counterparty
