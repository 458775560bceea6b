"""Numbers typed the reader's way: ``12,5`` in French, ``1,234.50`` in English."""

import contextvars
from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from portal.forms import LocalizedDecimalField, LocalizedIntegerField, parse_localized_decimal


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("12,5", "fr", "12.5"),
        ("12.5", "fr", "12.5"),
        ("1 234,50", "fr", "1234.50"),
        ("1\u202f234,50", "fr", "1234.50"),
        ("1\xa0234,50", "fr", "1234.50"),
        ("1,234.50", "en", "1234.50"),
        ("12.5", "en", "12.5"),
        ("  7 ", "en", "7"),
    ],
)
def test_parses_localized_and_plain_decimals(text, locale, expected):
    assert parse_localized_decimal(text, locale) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "locale"),
    [("abc", "fr"), ("12,5", "en"), ("1.234,50", "fr"), ("NaN", "en"), ("", "en")],
)
def test_rejects_what_is_not_a_number_in_either_notation(text, locale):
    with pytest.raises(ValueError):
        parse_localized_decimal(text, locale)


class _AmountForm(FlaskForm):
    amount = LocalizedDecimalField("Amount", places=2)
    volume = LocalizedIntegerField("Volume")


def _form(app, language, **data):
    def build():
        with app.test_request_context(headers={"Accept-Language": language}):
            form = _AmountForm(formdata=MultiDict(data), meta={"csrf": False})
            valid = form.validate()
            return form, valid, form.amount._value(), form.volume._value()

    return contextvars.Context().run(build)


def test_french_decimal_comma_is_accepted(app):
    form, valid, _, _ = _form(app, "fr", amount="12,5", volume="12 000")
    assert valid, form.errors
    assert form.amount.data == Decimal("12.5")
    assert form.volume.data == 12000


def test_more_decimals_than_places_are_refused_not_rounded(app):
    form, valid, typed, _ = _form(app, "en", amount="12.555", volume="1")
    assert not valid
    assert form.errors["amount"]
    assert typed == "12.555"


def test_a_fractional_volume_is_refused(app):
    form, valid, _, _ = _form(app, "en", amount="1", volume="12.5")
    assert not valid
    assert "volume" in form.errors


def test_a_bad_number_keeps_what_was_typed_and_names_the_field(app):
    form, valid, typed, _ = _form(app, "en", amount="twelve", volume="3")
    assert not valid
    assert list(form.errors) == ["amount"]
    assert typed == "twelve"


def test_values_are_shown_in_the_reader_notation(app):
    def build():
        with app.test_request_context(headers={"Accept-Language": "fr"}):
            form = _AmountForm(data={"amount": Decimal("12.5"), "volume": 3}, meta={"csrf": False})
            return form.amount._value()

    assert contextvars.Context().run(build) == "12,50"
