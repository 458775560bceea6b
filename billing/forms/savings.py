"""The savings pages' period filter and the client's savings settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, NumberRange

from contracts.reporting import parse_period
from portal.forms import LocalizedDecimalField, choices

AMORTISED = "amortised"
UP_FRONT = "up_front"


class SavingsPeriodForm(FlaskForm):
    """From and to months, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    period_from = StringField(_l("From"), render_kw={"type": "month"})
    period_to = StringField(_l("To"), render_kw={"type": "month"})

    def months(self) -> tuple[date | None, date | None]:
        """The valid months; one that is not a month is ignored (and cleared)."""
        start = parse_period(self.period_from.data or "")
        end = parse_period(self.period_to.data or "")
        if start is None:
            self.period_from.data = ""
        if end is None:
            self.period_to.data = ""
        if start and end and start > end:
            start, end = end, start
            self.period_from.data, self.period_to.data = f"{start:%Y-%m}", f"{end:%Y-%m}"
        return start, end


class SavingsSettingsForm(FlaskForm):
    yearly_inflation_percent = LocalizedDecimalField(
        _l("Yearly cost inflation (%)"),
        validators=[
            InputRequired(_l("Enter the yearly inflation rate, 0 for none.")),
            NumberRange(min=Decimal("-50"), max=Decimal("100")),
        ],
        description=_l(
            "The in-house baseline grows by this much for each year since the function "
            "was outsourced (salaries and rents are reviewed yearly)."
        ),
    )
    discount_rate_percent = LocalizedDecimalField(
        _l("Discount rate (% a year)"),
        validators=[
            InputRequired(_l("Enter the discount rate.")),
            NumberRange(min=Decimal("0"), max=Decimal("100")),
        ],
        description=_l("The rate at which future savings are discounted in the NPV."),
    )
    transition = RadioField(
        _l("Transition cost"),
        default=AMORTISED,
        validators=[InputRequired(_l("Choose how the transition cost is counted."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition.choices = choices(
            [
                (AMORTISED, _l("Amortised over the contract's term")),
                (UP_FRONT, _l("All in the contract's first month")),
            ]
        )

    @classmethod
    def of(cls, settings) -> SavingsSettingsForm:
        return cls(
            data={
                "yearly_inflation_percent": settings.yearly_inflation_percent,
                "discount_rate_percent": settings.discount_rate_percent,
                "transition": AMORTISED if settings.transition_amortised else UP_FRONT,
            }
        )

    def settings_data(self) -> dict:
        return {
            "yearly_inflation_percent": self.yearly_inflation_percent.data,
            "discount_rate_percent": self.discount_rate_percent.data,
            "transition_amortised": self.transition.data == AMORTISED,
        }
