"""``LocalDateTimeField``: a deadline typed in the reader's time zone, kept in UTC."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

import portal.forms
from portal.forms import LocalDateTimeField


class _DeadlineForm(FlaskForm):
    deadline = LocalDateTimeField("Deadline")


def _form(app, monkeypatch, zone: str, typed: str | None = None, stored: datetime | None = None):
    monkeypatch.setattr(portal.forms, "get_timezone", lambda: zone)

    def build():
        with app.test_request_context():
            formdata = MultiDict({"deadline": typed}) if typed is not None else None
            form = _DeadlineForm(formdata=formdata, data={"deadline": stored}, meta={"csrf": False})
            valid = form.validate() if typed is not None else True
            errors = [str(error) for error in form.deadline.errors]
            return form, valid, errors, form.deadline._value(), str(form.deadline())

    return contextvars.Context().run(build)


@pytest.mark.parametrize(
    ("zone", "typed", "utc"),
    [
        ("Europe/Paris", "2030-01-31T17:00", datetime(2030, 1, 31, 16, 0, tzinfo=UTC)),
        ("Europe/Paris", "2030-07-01T17:00", datetime(2030, 7, 1, 15, 0, tzinfo=UTC)),
        ("Asia/Kolkata", "2030-07-01 17:30", datetime(2030, 7, 1, 12, 0, tzinfo=UTC)),
        ("America/New_York", "2030-01-31T17:00:00", datetime(2030, 1, 31, 22, 0, tzinfo=UTC)),
        ("UTC", "2030-01-31T17:00", datetime(2030, 1, 31, 17, 0, tzinfo=UTC)),
    ],
)
def test_a_local_time_becomes_aware_utc(app, monkeypatch, zone, typed, utc):
    form, valid, errors, _, _ = _form(app, monkeypatch, zone, typed)
    assert valid, errors
    assert form.deadline.data == utc
    assert form.deadline.data.tzinfo is not None


def test_a_stored_moment_is_shown_in_the_readers_zone(app, monkeypatch):
    stored = datetime(2030, 1, 31, 16, 0, tzinfo=UTC)
    _, _, _, shown, html = _form(app, monkeypatch, "Europe/Paris", stored=stored)
    assert shown == "2030-01-31T17:00"
    assert 'type="datetime-local"' in html


@pytest.mark.parametrize(
    "typed", ["next friday", "2030-02-30T10:00", "31/01/2030 17:00", "9999-12-31T23:59"]
)
def test_nonsense_is_refused_with_a_clear_error_and_kept(app, monkeypatch, typed):
    form, valid, errors, shown, _ = _form(app, monkeypatch, "America/New_York", typed)
    assert not valid
    assert form.deadline.data is None
    assert errors == ["Enter a date and time, e.g. 2030-01-31 17:00."]
    assert shown == typed


def test_a_time_skipped_by_the_clocks_is_refused(app, monkeypatch):
    _, valid, errors, _, _ = _form(app, monkeypatch, "Europe/Paris", "2030-03-31T02:30")
    assert not valid
    assert "does not exist in Europe/Paris" in errors[0]


def test_a_time_passed_twice_is_the_first(app, monkeypatch):
    form, valid, _, _, _ = _form(app, monkeypatch, "Europe/Paris", "2030-10-27T02:30")
    assert valid
    # Still summer time (UTC+2) the first time 02:30 comes round.
    assert form.deadline.data == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)


def test_empty_is_no_value(app, monkeypatch):
    form, _, _, shown, _ = _form(app, monkeypatch, "Europe/Paris", "")
    assert form.deadline.data is None
    assert shown == ""
