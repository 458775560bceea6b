"""Language, time zone and the formatting of dates, numbers and money.

Every user-facing string goes through ``gettext``/``lazy_gettext`` (aliased
``_``/``_l``); formatting goes through Babel so that 1 234,50 € reads right in
French and €1,234.50 in English.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from babel import numbers as babel_numbers
from flask import Flask, request
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
    gettext,
)
from flask_login import current_user

from portal.db import utcnow

LANGUAGES = {"en": "English", "fr": "Français"}
TIMEZONES = (
    "Europe/Paris",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Warsaw",
    "Europe/Bucharest",
    "Africa/Casablanca",
    "Africa/Tunis",
    "Asia/Kolkata",
    "Asia/Manila",
    "America/New_York",
    "UTC",
)


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name, as a language picker shows it."""
    return list(LANGUAGES.items())


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return request.accept_languages.best_match(LANGUAGES.keys()) or "en"


def select_timezone() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency, formatted for the reader's language."""
    if amount is None:
        return "—"
    return format_currency(amount, currency)


def unit_price(amount: Decimal | None, currency: str) -> str:
    """A price per unit: the currency's decimals at least, more when the price has them.

    Prices per unit are quoted below the cent (0.455 € per invoice); rounding
    them for display would misstate the offer.
    """
    if amount is None:
        return "—"
    return babel_numbers.format_currency(
        Decimal(amount).normalize(),
        currency,
        locale=get_locale() or "en",
        decimal_quantization=False,
    )


def number(value: Decimal | int | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is None:
        return format_decimal(value)
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")


def moment(value: datetime | None, style: str = "medium") -> str:
    """A date and time in the reader's time zone and language."""
    if value is None:
        return "—"
    return format_datetime(value, style)


def day(value: date | None) -> str:
    """A calendar date in the reader's language ("27 Nov 2026")."""
    return format_date(value, "medium") if value is not None else "—"


def period(value: date | None) -> str:
    """A month of service in the reader's language ("November 2026")."""
    return format_date(value, "LLLL y") if value is not None else "—"


def time_left(deadline: datetime | None) -> str:
    """How long until ``deadline`` in the reader's language ("in 3 days"), or "closed"."""
    if deadline is None:
        return "—"
    remaining = deadline - utcnow()
    if remaining <= timedelta(0):
        return gettext("closed")
    return format_timedelta(remaining, add_direction=True)


def init_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["unit_price"] = unit_price
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["period"] = period
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())

    from portal.security import has_role

    app.jinja_env.globals["has_role"] = has_role
