"""Prices per unit keep the decimals they were quoted with."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal.i18n import unit_price


@pytest.mark.parametrize(
    ("amount", "locale", "shown"),
    [
        (Decimal("1.6000"), "en", "€1.60"),
        (Decimal("0.4550"), "en", "€0.455"),
        (Decimal("2600"), "en", "€2,600.00"),
        (Decimal("0.4550"), "fr", "0,455\xa0€"),
        (None, "en", "—"),
    ],
)
def test_a_unit_price_is_never_rounded_to_the_cent(app, amount, locale, shown):
    with app.test_request_context(), force_locale(locale):
        assert unit_price(amount, "EUR") == shown
