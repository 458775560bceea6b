"""The one money rule: ``Decimal`` amounts with their currency, rounded half-up
to the currency's minor unit (2 places for EUR, 0 for JPY, 3 for TND).

Formatting for people is ``portal.i18n.money``; arithmetic stays in Decimal.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision


@functools.cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 for EUR."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
