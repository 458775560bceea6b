"""The one validation path of delivery reports, and CSV files in every shape Excel makes.

A refused file is refused whole: every problem is named with its row and
column, and the database is as it was.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.models import (
    DeliveryReport,
    ReportMeasurement,
    ReportStatus,
    ReportVolume,
)
from contracts.reporting import (
    PeriodEntry,
    ReportLine,
    ReportRejected,
    decode_csv,
    parse_period,
    read_csv,
    template_csv,
    validate_lines,
)
from contracts.rules import add_months, month_start
from portal import db
from portal.tenancy import across_tenants, organization_context

TODAY = date(2026, 11, 15)
THIS_MONTH = month_start(date.today())


@pytest.fixture(autouse=True)
def _request(app):
    """Inside a request, as the channels are (lazy messages read by assertions)."""
    with app.test_request_context():
        yield


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


def _validate(contract, lines, **kwargs):
    with organization_context(contract.vendor_organization_id):
        return validate_lines(contract, lines, today=kwargs.pop("today", TODAY), **kwargs)


def _problems(contract, lines, **kwargs):
    with pytest.raises(ReportRejected) as caught:
        _validate(contract, lines, **kwargs)
    return caught.value.problems


def _good_lines(period="2026-10"):
    return [
        ReportLine(period, "invoices", "12450", "", 2),
        ReportLine(period, "accuracy", "99.2", "", 3),
        ReportLine(period, "cycle-time", "2.5", "", 4),
    ]


# --- Periods and values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10", date(2026, 10, 1)),
        (" 2026-10-01 ", date(2026, 10, 1)),
        ("2026-10-31", date(2026, 10, 1)),
        ("2026-1", date(2026, 1, 1)),
        ("2026-13", None),
        ("2026-02-30", None),
        ("10/2026", None),
        ("", None),
        (None, None),
    ],
)
def test_a_period_is_a_month_or_a_day_in_it(text, expected):
    assert parse_period(text) == expected


def test_good_lines_make_one_report_per_period(contract):
    [report] = _validate(contract, _good_lines())
    assert report.period == date(2026, 10, 1)
    assert {line.code: item.value for line, item in report.volumes.items()} == {
        "invoices": Decimal("12450")
    }
    assert {metric.code: item.value for metric, item in report.measurements.items()} == {
        "accuracy": Decimal("99.2"),
        "cycle-time": Decimal("2.5"),
    }
    assert report.comment is None  # a CSV file has no comment: the draft's is kept


def test_a_metric_left_out_or_empty_is_not_reported(contract):
    lines = [
        ReportLine("2026-10", "invoices", "10", "", 2),
        ReportLine("2026-10", "accuracy", "", "", 3),
    ]
    [report] = _validate(contract, lines)
    assert {metric.code for metric in report.not_reported} == {"accuracy", "cycle-time"}


def test_every_problem_is_collected_with_its_row_and_column(contract):
    lines = [
        ReportLine("2026-10", "invoices", "douze", "", 2),
        ReportLine("2026-10", "speed", "3", "", 3),
        ReportLine("2025-12", "accuracy", "99", "", 4),
        ReportLine("2026-10", "accuracy", "99", "", 5),
        ReportLine("2026-10", "accuracy", "98", "", 6),
    ]
    problems = _problems(contract, lines)
    found = {(problem.where, problem.column) for problem in problems}
    assert {(2, "value"), (3, "code"), (4, "period"), (6, "code")} <= found
    unknown = next(problem for problem in problems if problem.where == 3)
    assert "speed" in str(unknown.message) and "invoices" in str(unknown.message)
    duplicate = next(problem for problem in problems if problem.where == 6)
    assert "5" in str(duplicate.message) and "6" in str(duplicate.message)


def test_a_future_month_and_a_month_after_the_term_are_refused(contract):
    problems = _problems(contract, _good_lines("2026-12"))
    assert [problem.column for problem in problems] == ["period"] * 3
    assert "not begun" in str(problems[0].message)
    problems = _problems(contract, _good_lines("2029-01"), today=date(2029, 3, 1))
    assert "outside" in str(problems[0].message)


def test_the_current_month_may_be_reported(contract):
    assert _validate(contract, _good_lines("2026-11"))


def test_a_volume_is_required_for_each_unit_rate_line_and_is_not_negative(contract):
    problems = _problems(contract, [ReportLine("2026-10", "accuracy", "99", "", 2)])
    assert [(problem.column, problem.code) for problem in problems] == [("value", "invoices")]
    problems = _problems(contract, [ReportLine("2026-10", "invoices", "-3", "", 2)])
    assert "negative" in str(problems[0].message)
    problems = _problems(contract, [ReportLine("2026-10", "invoices", "", "", 2)])
    assert (problems[0].where, problems[0].column) == (2, "value")


def test_a_fixed_fee_has_no_volume_to_report(contract):
    lines = [*_good_lines(), ReportLine("2026-10", "base-fee", "1", "", 5)]
    [problem] = _problems(contract, lines)
    assert (problem.where, problem.column) == (5, "code")


def test_a_period_submitted_or_accepted_is_refused(make, contract):
    make.delivery_report(contract, date(2026, 9, 1), status="submitted")
    make.delivery_report(contract, date(2026, 8, 1), status="accepted")
    for period, word in (("2026-09", "awaits"), ("2026-08", "frozen")):
        problems = _problems(contract, _good_lines(period))
        assert word in str(problems[0].message)


def test_a_draft_of_the_period_is_the_one_saving_updates(make, contract):
    draft = make.delivery_report(contract, date(2026, 10, 1), status="draft")
    [report] = _validate(contract, _good_lines())
    assert report.draft.id == draft.id


def test_a_contract_not_in_force_takes_no_report(make, client_org, vendor_org):
    draft = make.contract(client_org, vendor_org, status="sent")
    [problem] = _problems(draft, _good_lines())
    assert problem.where is None


def test_each_period_is_checked_against_the_version_in_force(make, contract):
    from contracts.models import ContractVersion, SlaMetric
    from vendors.models import Better

    old = contract.versions[0]
    amended = ContractVersion(
        number=2,
        effective_from=date(2026, 7, 1),
        end_date=contract.end_date,
        credit_cap_percent=old.credit_cap_percent,
    )
    amended.rate_lines = []
    amended.metrics = [
        SlaMetric(
            code="backlog",
            name="Backlog",
            unit="items",
            target=Decimal("50"),
            better=Better.LOWER,
            credit_percent=Decimal("2"),
        )
    ]
    with organization_context(contract.client_organization_id):
        contract.versions.append(amended)
        db.session.flush()
    [june] = _validate(contract, _good_lines("2026-06"))
    assert june.version.number == 1
    problems = _problems(contract, [ReportLine("2026-07", "accuracy", "99", "", 2)])
    assert "backlog" in str(problems[0].message)
    [july] = _validate(contract, [ReportLine("2026-07", "backlog", "40", "", 2)])
    assert july.version.number == 2


def test_a_period_entry_without_values_is_still_checked(contract):
    problems = _problems(contract, [], periods=[PeriodEntry("2026-10", "", "/")])
    assert [(problem.where, problem.code) for problem in problems] == [("/", "invoices")]


# --- CSV files ------------------------------------------------------------------------


def test_a_good_csv_file_is_read_with_row_numbers():
    lines, locale = read_csv(
        b"period,code,value,note\n2026-10,invoices,12450,\n2026-10,accuracy,99.2,ok\n"
    )
    assert locale == "en"
    assert [(line.where, line.code, line.value, line.note) for line in lines] == [
        (2, "invoices", "12450", ""),
        (3, "accuracy", "99.2", "ok"),
    ]


def test_the_header_is_case_insensitive_in_any_order_and_note_is_optional():
    lines, _locale = read_csv(b"Code,VALUE,Period\r\ninvoices,3,2026-10\r\n")
    assert (lines[0].period, lines[0].code, lines[0].value, lines[0].note) == (
        "2026-10",
        "invoices",
        "3",
        "",
    )


def test_a_file_without_header_is_refused():
    with pytest.raises(ReportRejected) as caught:
        read_csv(b"2026-10,invoices,12450\n")
    assert "header" in str(caught.value.problems[0].message)


def test_an_extra_or_missing_column_is_named():
    with pytest.raises(ReportRejected) as caught:
        read_csv(b"period,code,value,amount\n2026-10,invoices,1,2\n")
    [problem] = caught.value.problems
    assert (problem.where, problem.column) == (1, "amount")
    with pytest.raises(ReportRejected) as caught:
        read_csv(b"period,code\n2026-10,invoices\n")
    assert [problem.column for problem in caught.value.problems] == ["value"]


def test_a_row_with_more_cells_than_the_header_is_refused():
    with pytest.raises(ReportRejected) as caught:
        read_csv(b"period,code,value\n2026-10,invoices,1,extra\n")
    assert caught.value.problems[0].where == 2


def test_french_excel_semicolons_decimal_commas_and_windows_1252_are_read(contract):
    content = (
        "period;code;value;note\r\n"
        "2026-10;invoices;12 450;\r\n"
        "2026-10;accuracy;99,2;vérifié\r\n"
        "2026-10;cycle-time;2,5;délai\r\n"
    )
    lines, locale = read_csv(content.encode("cp1252"))
    assert locale == "fr"
    assert lines[1].note == "vérifié"
    [report] = _validate(contract, lines, locale=locale)
    values = {metric.code: item.value for metric, item in report.measurements.items()}
    assert values == {"accuracy": Decimal("99.2"), "cycle-time": Decimal("2.5")}
    assert [item.value for item in report.volumes.values()] == [Decimal("12450")]


def test_a_utf8_file_with_bom_and_tabs_is_read():
    content = "\ufeffperiod\tcode\tvalue\n2026-10\tinvoices\t7\n".encode()
    lines, _locale = read_csv(content)
    assert lines[0].code == "invoices" and lines[0].value == "7"


@pytest.mark.parametrize(
    "content",
    [
        "period,code,value\n2026-10,invoices,1\n".encode("utf-16"),
        b"PK\x03\x04\x14\x00\x06\x00 renamed xlsx",
        b"\x00\x01\x02",
    ],
    ids=["utf-16", "xlsx", "binary"],
)
def test_a_file_that_is_not_csv_text_is_refused_as_a_whole(content):
    with pytest.raises(ReportRejected) as caught:
        decode_csv(content)
    assert "CSV UTF-8" in str(caught.value.problems[0].message)


def test_an_empty_or_huge_file_is_refused():
    with pytest.raises(ReportRejected):
        read_csv(b"")
    with pytest.raises(ReportRejected):
        read_csv(b"period,code,value\n")
    with pytest.raises(ReportRejected) as caught:
        read_csv(b"period,code,value\n" + b"2026-10,invoices,1\n" * 200_000)
    assert "too large" in str(caught.value.problems[0].message)


def test_the_template_lists_every_unit_line_and_metric(contract):
    text = template_csv(contract.versions[0], date(2026, 10, 1))
    assert text.splitlines() == [
        "period,code,value,note",
        "2026-10,invoices,,",
        "2026-10,accuracy,,",
        "2026-10,cycle-time,,",
    ]
    lines, _locale = read_csv(text.encode())
    assert len(lines) == 3


# --- Uploads: refused whole, the database unchanged ------------------------------------


@pytest.fixture
def running(make, client_org, vendor_org):
    """A contract that started six months ago (so that uploads test against today)."""
    return make.contract(client_org, vendor_org, start_date=add_months(THIS_MONTH, -6))


def _counts():
    return tuple(
        db.session.scalar(across_tenants(select(func.count()).select_from(model)))
        for model in (DeliveryReport, ReportVolume, ReportMeasurement)
    )


def _upload(browser, contract, content: bytes, **extra):
    return browser.post(
        f"/contracts/{contract.id}/reports/upload",
        data={"file": (io.BytesIO(content), "report.csv"), **extra},
        content_type="multipart/form-data",
    )


def _month(offset: int) -> str:
    return f"{add_months(THIS_MONTH, offset):%Y-%m}"


def test_a_good_upload_saves_drafts(as_vendor_admin, running):
    period = _month(-1)
    content = (
        f"period,code,value,note\n{period},invoices,12450,\n"
        f"{period},accuracy,99.2,\n{period},cycle-time,2,\n"
    )
    response = _upload(as_vendor_admin, running, content.encode())
    assert response.status_code == 302
    reports = list(db.session.scalars(across_tenants(select(DeliveryReport))))
    assert [(report.status, report.source) for report in reports] == [(ReportStatus.DRAFT, "csv")]
    assert _counts() == (1, 1, 2)


def test_an_upload_may_submit_several_months_at_once(as_vendor_admin, running):
    rows = "".join(f"{_month(offset)},invoices,{100 + offset}\n" for offset in (-3, -2, -1))
    response = _upload(
        as_vendor_admin, running, f"period,code,value\n{rows}".encode(), submit_reports="y"
    )
    assert response.status_code == 302
    statuses = db.session.scalars(across_tenants(select(DeliveryReport.status)))
    assert list(statuses) == [ReportStatus.SUBMITTED] * 3


BAD_FILES = {
    "unknown metric": "period,code,value\n{p},invoices,1\n{p},speed,3\n",
    "text in a number": "period,code,value\n{p},invoices,douze\n",
    "period outside the contract": "period,code,value\n{p},invoices,1\n{before},invoices,1\n",
    "duplicate row": "period,code,value\n{p},invoices,1\n{p},invoices,2\n",
    "missing header": "{p},invoices,1\n",
    "extra column": "period,code,value,amount\n{p},invoices,1,4\n",
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_refused_whole_and_nothing_changes(as_vendor_admin, make, running, kind):
    make.delivery_report(
        running, add_months(THIS_MONTH, -3), status="draft", volumes={"invoices": 5}
    )
    before = _counts()
    content = BAD_FILES[kind].format(p=_month(-1), before=_month(-8))
    # A good period first: it is not imported either.
    content = (
        content.replace("\n", f"\n{_month(-2)},invoices,9\n", 1)
        if "period," in content
        else content
    )
    response = _upload(as_vendor_admin, running, content.encode())
    assert response.status_code == 400
    assert b'data-testid="upload-problems"' in response.data
    assert _counts() == before


def test_a_file_in_the_wrong_encoding_changes_nothing(as_vendor_admin, running):
    before = _counts()
    response = _upload(
        as_vendor_admin, running, f"period,code,value\n{_month(-1)},invoices,1\n".encode("utf-16")
    )
    assert response.status_code == 400
    assert "CSV UTF-8" in response.get_data(as_text=True)
    assert _counts() == before


def test_the_problems_table_names_row_column_and_reason(as_vendor_admin, running):
    content = f"period,code,value\n{_month(-1)},invoices,1\n{_month(-1)},accuracy,abc\n"
    response = _upload(as_vendor_admin, running, content.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-testid="problem-row">3<' in page
    assert 'data-testid="problem-column">value<' in page
    assert "“abc” is not a number" in page


def test_a_french_excel_file_is_accepted_by_the_upload(as_vendor_admin, running):
    period = _month(-1)
    content = (
        f"period;code;value;note\r\n{period};invoices;12 450;\r\n"
        f"{period};accuracy;96,5;écart expliqué\r\n"
    )
    response = _upload(as_vendor_admin, running, content.encode("cp1252"))
    assert response.status_code == 302
    value = db.session.scalar(across_tenants(select(ReportMeasurement.value)))
    assert value == Decimal("96.5")
