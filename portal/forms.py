"""Form fields shared by every domain package.

Numbers are typed the way the reader writes them: a French user types
``12,5`` or ``1 234,50``, an English one ``12.5`` or ``1,234.50``. The fields
here parse with the current locale (Babel) and fall back to a plain
``.``-decimal, so a number pasted from a spreadsheet also works. The value
typed stays in the field when it is rejected.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateTimeLocalInput, TextInput


def choices(pairs) -> list[SelectChoice]:
    """Select or radio options from ``(value, label)`` pairs (WTForms 3.3's form)."""
    return [SelectChoice(value, label) for value, label in pairs]


_PLAIN_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")


def parse_localized_decimal(text: str, locale: str) -> Decimal:
    """Read a number written in ``locale``, or with a plain ``.`` as decimal mark.

    Raises ``ValueError`` when the text is not a finite number in either form.
    """
    # Any whitespace (space, no-break space, narrow no-break space) can only be
    # a thousands separator: people type a plain space where French uses U+202F.
    compact = "".join(text.split())
    if not compact:
        raise ValueError("empty number")
    try:
        value = parse_decimal(compact, locale=locale, strict=True)
    except NumberFormatError:
        if not _PLAIN_DECIMAL.fullmatch(compact):
            raise ValueError(f"not a number: {text!r}") from None
        try:
            value = Decimal(compact)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _has_more_places(value: Decimal, places: int) -> bool:
    try:
        return value != value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        # More digits than the decimal context holds: no field wants that.
        return True


def _current_locale() -> str:
    return str(get_locale() or "en")


class LocalizedDecimalField(Field):
    """A ``Decimal`` typed in the reader's notation (``12,5`` or ``12.5``).

    ``places`` is both how the value is shown and the most decimals accepted:
    more is refused rather than silently rounded (money is never rounded
    behind the user's back).
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, places: int | None = 2, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.places = places

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        if self.places is None:
            pattern = "0.############"
        else:
            pattern = "0." + "0" * self.places if self.places else "0"
        return format_decimal(Decimal(self.data), format=pattern, locale=_current_locale())

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = valuelist[0] or ""
        if not text.strip():
            self.data = None
            return
        try:
            value = parse_localized_decimal(text, _current_locale())
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Enter a number, e.g. 12.5 or 1,234.50.")) from exc
        if self.places is not None and _has_more_places(value, self.places):
            self.data = None
            raise ValueError(
                _l("Use at most %(places)s decimal places.", places=self.places)
                if self.places
                else _l("Enter a whole number.")
            )
        self.data = value


class LocalizedIntegerField(LocalizedDecimalField):
    """A whole number typed in the reader's notation (``12 000`` or ``12,000``)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("places", None)
        super().__init__(label, validators, places=0, **kwargs)
        self.render_kw["inputmode"] = "numeric"

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = int(self.data)


#: What a ``datetime-local`` input sends, and what people type where it falls back to text.
_LOCAL_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
)


def reader_timezone() -> ZoneInfo:
    """The reader's time zone (Flask-Babel's choice), UTC outside a request."""
    zone = get_timezone()
    try:
        return ZoneInfo(str(zone)) if zone is not None else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class LocalDateTimeField(Field):
    """A moment typed in the reader's time zone (``datetime-local``), kept as aware UTC.

    ``data`` is an aware UTC datetime, and a stored value is shown back in
    the reader's zone. A wall-clock time the zone skips (clocks going
    forward) is refused; one it passes twice (clocks going back) is read as
    the first of the two.
    """

    widget = DateTimeLocalInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return self.data.astimezone(reader_timezone()).strftime("%Y-%m-%dT%H:%M")

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        if not text:
            self.data = None
            return
        naive = None
        for pattern in _LOCAL_DATETIME_FORMATS:
            try:
                naive = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if naive is None:
            self.data = None
            raise ValueError(_l("Enter a date and time, e.g. 2030-01-31 17:00."))
        zone = reader_timezone()
        try:
            moment = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
            round_trip = moment.astimezone(zone).replace(tzinfo=None)
        except (OverflowError, ValueError):  # year 1 or 9999 pushed past the calendar
            self.data = None
            raise ValueError(_l("Enter a date and time, e.g. 2030-01-31 17:00.")) from None
        if round_trip != naive:
            self.data = None
            raise ValueError(
                _l(
                    "%(time)s does not exist in %(zone)s: the clocks go forward then.",
                    time=naive.strftime("%Y-%m-%d %H:%M"),
                    zone=zone.key,
                )
            )
        self.data = moment
