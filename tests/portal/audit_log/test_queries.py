"""The audit log's pure helpers: what changed, day boundaries, CSV defusing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portal.audit_log.queries import Change, changes, period_in_utc, spreadsheet_safe


def test_changes_lists_only_fields_whose_value_differs():
    assert changes({"a": 1, "b": 2}, {"a": 1, "b": 3}) == [Change("b", 2, 3)]


def test_a_creation_shows_every_field_from_nothing():
    assert changes(None, {"name": "AP"}) == [Change("name", None, "AP")]


def test_a_deletion_shows_every_field_to_nothing():
    assert changes({"name": "AP"}, None) == [Change("name", "AP", None)]


def test_a_field_added_or_removed_is_a_change():
    assert changes({"a": 1}, {"b": 2}) == [Change("a", 1, None), Change("b", None, 2)]


def test_days_in_the_readers_zone_become_a_utc_half_open_range():
    since, until = period_in_utc(date(2025, 7, 1), date(2025, 7, 1), "Europe/Paris")
    assert since == datetime(2025, 6, 30, 22, 0, tzinfo=UTC)
    assert until == datetime(2025, 7, 1, 22, 0, tzinfo=UTC)
    assert period_in_utc(None, None, "UTC") == (None, None)


def test_formula_cells_are_prefixed_with_a_quote():
    for dangerous in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert spreadsheet_safe(dangerous) == "'" + dangerous
    assert spreadsheet_safe("Accounts payable") == "Accounts payable"
    assert spreadsheet_safe(-5) == -5
    assert spreadsheet_safe("") == ""
