"""The one validation path of delivery reports, whatever way they come in.

The form, the CSV upload and the API each turn what they received into the
same neutral ``ReportLine`` values (one value of one line or metric for one
period, with ``where`` it came from: a CSV row number, a form field, a JSON
pointer), and ``validate_lines`` checks them against the contract into one
``ValidatedReport`` per period. Every problem is collected, not just the
first, and one ``ReportRejected`` carries them all: a CSV with one bad row is
refused whole, with each row, column and reason named, and nothing is written.

Numbers are read by the portal's own parser (``portal.forms``), in the
notation the channel implies: a file separated by ``;`` is French Excel's, with
decimal commas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select

from contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    DeliveryReport,
    RateCardLine,
    RateKind,
    ReportStatus,
    SlaMetric,
)
from contracts.rules import month_start
from portal import db
from portal.forms import parse_localized_decimal
from portal.rules import RuleError

#: The columns of a report CSV file, in the template's order; ``note`` may be left out.
CSV_COLUMNS = ("period", "code", "value", "note")
REQUIRED_CSV_COLUMNS = ("period", "code", "value")
#: A month of reports for a large contract is a few hundred rows; more is a mistake.
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000
MAX_NOTE = 500
MAX_COMMENT = 4000
#: What the columns of ``report_volumes.quantity`` and ``report_measurements.value`` hold.
MAX_VOLUME = Decimal("999999999999.99")
MAX_MEASUREMENT = Decimal("99999999.9999")
VOLUME_PLACES = 2
MEASUREMENT_PLACES = 4

#: Where a report may come from (``DeliveryReport.source``).
SOURCES = ("form", "csv", "api")
#: Reports may be made while the contract runs, and afterwards for the periods of its term.
REPORTABLE_CONTRACT_STATUSES = (
    ContractStatus.ACTIVE,
    ContractStatus.EXPIRED,
    ContractStatus.TERMINATED,
)

VOLUME = "volume"
MEASUREMENT = "measurement"

_PERIOD = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


@dataclass(frozen=True)
class ReportLine:
    """One value as a channel read it: the period, the line or metric code, the value.

    ``period`` and ``value`` are raw text (CSV, API strings), or already read
    (a date, a Decimal, a JSON number; None for a value left empty).
    ``kind`` is given when the channel says what the code is (the API's
    ``volumes`` and ``measurements``), so that a code in the wrong place is named.
    """

    period: Any
    code: Any
    value: Any
    note: Any = ""
    where: Any = None
    kind: str | None = None


@dataclass(frozen=True)
class PeriodEntry:
    """A channel's word that a period is reported (with the report's comment),
    so that it is checked even when no value came for it."""

    period: Any
    comment: Any = ""
    where: Any = None


@dataclass(frozen=True)
class ReportProblem:
    """Why one input was refused: where (row, field, pointer), which column, and why."""

    where: Any
    column: str | None
    message: Any
    #: The line or metric concerned, when there is one (a missing volume has no row).
    code: str | None = None


class ReportRejected(RuleError):
    """The reports are refused, with every problem found; nothing was written."""

    def __init__(self, problems: list[ReportProblem]):
        self.problems = problems
        super().__init__(
            problems[0].message
            if len(problems) == 1
            else lazy_ngettext(
                "The report has %(num)s problem.",
                "The report has %(num)s problems.",
                len(problems),
            )
        )


@dataclass(frozen=True)
class ReportedValue:
    value: Decimal | None
    note: str = ""


@dataclass
class ValidatedReport:
    """One period's report, checked against the terms in force for it, ready to save."""

    period: date
    version: ContractVersion
    #: By rate-card line: every unit-rate line of the version has its volume.
    volumes: dict[RateCardLine, ReportedValue]
    #: By metric: every metric of the version; a value None was not reported.
    measurements: dict[SlaMetric, ReportedValue]
    #: The report's comment; None when the channel has none (a CSV file): kept as it is.
    comment: str | None = None
    #: The period's draft, which saving updates (else a new report is made).
    draft: DeliveryReport | None = None
    #: The period's latest disputed version, which a new report corrects.
    disputed: DeliveryReport | None = None
    #: Where each code came from, to place problems found when saving.
    where: dict[str, Any] = field(default_factory=dict)

    @property
    def not_reported(self) -> list[SlaMetric]:
        """Metrics left empty: they count as breached."""
        return [metric for metric, item in self.measurements.items() if item.value is None]


# --- Reading single values -------------------------------------------------------------


def parse_period(value: Any) -> date | None:
    """The month a period names: ``2026-10`` or a day in it (``2026-10-01``); None if neither."""
    if isinstance(value, date):
        return month_start(value)
    if not isinstance(value, str):
        return None
    match = _PERIOD.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        return month_start(date(int(year), int(month), int(day or 1)))
    except ValueError:
        return None


def _number(value: Any, locale: str) -> Decimal | None:
    """Read a value: None or empty text is None; raises ValueError when it is no number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        if not value.strip():
            return None
        number = parse_localized_decimal(value, locale)
    else:
        raise ValueError("not a number")
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def _too_precise(value: Decimal, places: int) -> bool:
    try:
        return value != value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return True


def _shown(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= 40 else text[:39] + "…"


# --- The one validation ----------------------------------------------------------------


def _ensure_reportable(contract: Contract) -> None:
    if contract.status not in REPORTABLE_CONTRACT_STATUSES:
        raise ReportRejected(
            [
                ReportProblem(
                    None,
                    None,
                    _l("Reports are made for an accepted contract; this one is not in force."),
                )
            ]
        )


def reportable_periods(contract: Contract, today: date) -> tuple[date, date]:
    """The first and last period that may be reported on ``today`` (last < first: none yet)."""
    first = month_start(contract.start_date)
    last = min(month_start(contract.last_service_day), month_start(today))
    return first, last


def _period_problem(contract: Contract, period: date, today: date) -> Any | None:
    first, _last = reportable_periods(contract, today)
    if period < first or period > month_start(contract.last_service_day):
        return _l(
            "%(period)s is outside the contract's term (%(start)s to %(end)s).",
            period=f"{period:%Y-%m}",
            start=f"{contract.start_date:%Y-%m}",
            end=f"{contract.last_service_day:%Y-%m}",
        )
    if period > month_start(today):
        return _l("%(period)s has not begun: report it once it has.", period=f"{period:%Y-%m}")
    return None


def _reports_of(contract: Contract, periods: Iterable[date]) -> dict[date, list[DeliveryReport]]:
    periods = sorted(set(periods))
    if not periods:
        return {}
    statement = (
        select(DeliveryReport)
        .where(DeliveryReport.contract_id == contract.id, DeliveryReport.period.in_(periods))
        .order_by(DeliveryReport.period, DeliveryReport.version)
    )
    found: dict[date, list[DeliveryReport]] = {}
    for report in db.session.scalars(statement):
        found.setdefault(report.period, []).append(report)
    return found


def _closed_problem(reports: list[DeliveryReport], period: date) -> Any | None:
    for report in reports:
        if report.status is ReportStatus.ACCEPTED:
            return _l(
                "The report of %(period)s is accepted: it is frozen.", period=f"{period:%Y-%m}"
            )
        if report.status is ReportStatus.SUBMITTED:
            return _l(
                "The report of %(period)s is submitted and awaits the client's review.",
                period=f"{period:%Y-%m}",
            )
    return None


def _where_text(where: Any) -> str:
    return str(where) if where is not None else "—"


def validate_lines(
    contract: Contract,
    lines: Iterable[ReportLine],
    *,
    periods: Iterable[PeriodEntry] = (),
    today: date,
    locale: str = "en",
) -> list[ValidatedReport]:
    """Check every line against the contract; one report per period, or ``ReportRejected``.

    A period must lie within the term and have begun, and have no submitted
    or accepted report; a code must name a unit-rate line or a metric of the
    version in force in that period; each (period, code) comes once; every
    unit-rate line has a volume (not negative); a metric may be left empty
    (not reported: counted as breached). Text numbers are read in ``locale``
    (or with a plain ``.``).
    """
    _ensure_reportable(contract)
    lines = list(lines)
    periods = list(periods)
    problems: list[ReportProblem] = []

    def refuse(where, column, message, code=None):
        problems.append(ReportProblem(where, column, message, code))

    # Periods first: the terms in force decide which codes exist.
    parsed: dict[int, date | None] = {}
    period_of_entry: dict[date, PeriodEntry] = {}
    wrong_periods: set[date] = set()
    for index, item in enumerate([*periods, *lines]):
        period = parse_period(item.period)
        parsed[index] = period
        column = "period"
        if period is None:
            if item.period is None or (isinstance(item.period, str) and not item.period.strip()):
                refuse(item.where, column, _l("Enter the period, e.g. 2026-10."))
            else:
                refuse(
                    item.where,
                    column,
                    _l(
                        "“%(value)s” is not a period: write the month as YYYY-MM, e.g. 2026-10.",
                        value=_shown(item.period),
                    ),
                )
            continue
        message = _period_problem(contract, period, today)
        if message is not None:
            refuse(item.where, column, message)
            wrong_periods.add(period)
        if isinstance(item, PeriodEntry):
            period_of_entry.setdefault(period, item)

    known = {p for p in parsed.values() if p is not None and p not in wrong_periods}
    existing = _reports_of(contract, known)
    closed: set[date] = set()
    for period in sorted(known):
        message = _closed_problem(existing.get(period, []), period)
        if message is not None:
            closed.add(period)
            entry = period_of_entry.get(period)
            first_line = next(
                (
                    line
                    for index, line in enumerate(lines, start=len(periods))
                    if parsed[index] == period
                ),
                None,
            )
            refuse(
                entry.where if entry else (first_line.where if first_line else None),
                "period",
                message,
            )

    all_codes = {
        item.code: item
        for version in contract.versions
        for item in (*version.rate_lines, *version.metrics)
    }
    seen: dict[tuple[date, str], Any] = {}
    values: dict[date, dict[str, tuple[Decimal | None, str, Any]]] = {}
    for index, line in enumerate(lines, start=len(periods)):
        period = parsed[index]
        code = line.code.strip() if isinstance(line.code, str) else ""
        version = contract.version_for(period) if period is not None else None
        target: RateCardLine | SlaMetric | None = None
        if not code:
            refuse(line.where, "code", _l("Enter the code of a line or metric."))
        else:
            if version is not None:
                target = next(
                    (item for item in (*version.rate_lines, *version.metrics) if item.code == code),
                    None,
                )
            else:
                target = all_codes.get(code)
            if target is None:
                codes = (
                    ", ".join(item.code for item in (*version.unit_lines, *version.metrics))
                    if version is not None
                    else ""
                )
                refuse(
                    line.where,
                    "code",
                    _l(
                        "Unknown code “%(code)s”: this contract reports %(codes)s.",
                        code=_shown(code),
                        codes=codes,
                    )
                    if codes
                    else _l("Unknown code “%(code)s”.", code=_shown(code)),
                    code,
                )
            elif isinstance(target, RateCardLine) and target.kind is RateKind.FIXED_MONTHLY:
                refuse(
                    line.where,
                    "code",
                    _l(
                        "“%(code)s” is a fixed monthly fee: it has no volume to report.",
                        code=code,
                    ),
                    code,
                )
                target = None
            elif line.kind == VOLUME and isinstance(target, SlaMetric):
                refuse(
                    line.where,
                    "code",
                    _l("“%(code)s” is a service level: report it as a measurement.", code=code),
                    code,
                )
                target = None
            elif line.kind == MEASUREMENT and isinstance(target, RateCardLine):
                refuse(
                    line.where,
                    "code",
                    _l("“%(code)s” is a rate-card line: report it as a volume.", code=code),
                    code,
                )
                target = None

        is_volume = isinstance(target, RateCardLine) or (target is None and line.kind == VOLUME)
        number: Decimal | None = None
        try:
            number = _number(line.value, locale)
        except (ValueError, InvalidOperation):
            refuse(
                line.where,
                "value",
                _l("“%(value)s” is not a number.", value=_shown(line.value)),
                code or None,
            )
        else:
            if number is None:
                if is_volume and target is not None:
                    refuse(
                        line.where,
                        "value",
                        _l("Enter the volume of “%(code)s”.", code=code),
                        code,
                    )
            elif is_volume:
                if number < 0:
                    refuse(line.where, "value", _l("A volume cannot be negative."), code)
                elif number > MAX_VOLUME or _too_precise(number, VOLUME_PLACES):
                    refuse(
                        line.where,
                        "value",
                        _l("Enter a volume with at most two decimals."),
                        code,
                    )
            elif abs(number) > MAX_MEASUREMENT or _too_precise(number, MEASUREMENT_PLACES):
                refuse(
                    line.where,
                    "value",
                    _l("Enter a value with at most four decimals, below 100,000,000."),
                    code,
                )

        note = line.note if isinstance(line.note, str) else ("" if line.note is None else None)
        if note is None:
            refuse(line.where, "note", _l("A note is text."), code or None)
            note = ""
        note = note.strip()
        if len(note) > MAX_NOTE:
            refuse(
                line.where,
                "note",
                _l("Keep the note under %(count)s characters.", count=MAX_NOTE),
                code or None,
            )

        if period is None or not code:
            continue
        key = (period, code)
        if key in seen:
            refuse(
                line.where,
                "code",
                _l(
                    "%(code)s for %(period)s is given twice (%(first)s and %(second)s).",
                    code=code,
                    period=f"{period:%Y-%m}",
                    first=_where_text(seen[key]),
                    second=_where_text(line.where),
                ),
                code,
            )
            continue
        seen[key] = line.where
        values.setdefault(period, {})[code] = (number, note, line.where)

    comments: dict[date, str] = {}
    for period, entry in period_of_entry.items():
        comment = entry.comment if isinstance(entry.comment, str) else ""
        comment = comment.strip()
        if len(comment) > MAX_COMMENT:
            refuse(
                entry.where,
                "comment",
                _l("Keep the comment under %(count)s characters.", count=MAX_COMMENT),
            )
        comments[period] = comment

    reports: list[ValidatedReport] = []
    for period in sorted(known | set(values)):
        if period in wrong_periods:
            continue
        version = contract.version_for(period)
        given = values.get(period, {})
        entry = period_of_entry.get(period)
        for line in version.unit_lines:
            if line.code not in given:
                refuse(
                    entry.where if entry else None,
                    "value",
                    _l(
                        "%(period)s: no volume for “%(code)s” (%(unit)s): every unit-rate line "
                        "needs one.",
                        period=f"{period:%Y-%m}",
                        code=line.code,
                        unit=line.unit,
                    ),
                    line.code,
                )
        if period in closed:
            continue
        reports_of_period = existing.get(period, [])
        draft = next((r for r in reports_of_period if r.status is ReportStatus.DRAFT), None)
        disputed = [r for r in reports_of_period if r.status is ReportStatus.DISPUTED]
        reports.append(
            ValidatedReport(
                period=period,
                version=version,
                volumes={
                    line: ReportedValue(given[line.code][0], given[line.code][1])
                    for line in version.unit_lines
                    if line.code in given and given[line.code][0] is not None
                },
                measurements={
                    metric: ReportedValue(*given[metric.code][:2])
                    if metric.code in given
                    else ReportedValue(None)
                    for metric in version.metrics
                },
                comment=comments.get(period),
                draft=draft,
                disputed=disputed[-1] if disputed else None,
                where={code: item[2] for code, item in given.items()},
            )
        )
    if problems:
        raise ReportRejected(problems)
    return reports


# --- CSV files --------------------------------------------------------------------------


def _file_problem(message: Any) -> ReportRejected:
    return ReportRejected([ReportProblem(None, None, message)])


#: Bytes that start files which are not text: zip (.xlsx, .ods), OLE (.xls), PDF.
_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")


def decode_csv(content: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252.

    French Excel saves "CSV (séparateur : point-virgule)" in Windows-1252; a
    file with NUL bytes is UTF-16 or binary (an .xlsx renamed): refused.
    """
    if not content.strip():
        raise _file_problem(_l("The file is empty."))
    if len(content) > MAX_CSV_BYTES:
        raise _file_problem(
            _l("The file is too large: at most %(size)s MB.", size=MAX_CSV_BYTES // (1024 * 1024))
        )
    refused = _l(
        "This file is not a CSV text file. In Excel, choose File › Save as › "
        "“CSV UTF-8 (comma delimited)” and upload that file."
    )
    if b"\x00" in content or content.startswith(_BINARY_MAGIC):
        raise _file_problem(refused)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError:
        raise _file_problem(refused) from None
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        raise _file_problem(refused)
    return text


def _delimiter(header: str) -> str:
    """``;``, ``,`` or tab: the one the header line uses most."""
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_csv(content: bytes, *, locale: str = "en") -> tuple[list[ReportLine], str]:
    """The lines of a report CSV file (long format: ``period,code,value,note``).

    Returns the lines (``where`` is the row number, the header being row 1)
    and the notation their numbers are written in: a ``;``-separated file is
    read with decimal commas (French Excel), a tab-separated one in the
    reader's ``locale``, a ``,``-separated one with decimal points. Refuses the
    file (``ReportRejected``) when the header is missing or names a column
    this format does not have.
    """
    text = decode_csv(content)
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = _delimiter(first_line)
    number_locale = {";": "fr", ",": "en"}.get(delimiter, locale)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    lines: list[ReportLine] = []
    problems: list[ReportProblem] = []
    try:
        for row in rows:
            number = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                problems += _header_problems(header)
                if problems:
                    raise ReportRejected(problems)
                continue
            if len(lines) >= MAX_CSV_ROWS:
                raise _file_problem(
                    _l("The file has more than %(count)s rows.", count=MAX_CSV_ROWS)
                )
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                problems.append(
                    ReportProblem(
                        number,
                        None,
                        _l(
                            "This row has %(count)s cells; the header has %(columns)s.",
                            count=len(row),
                            columns=len(header),
                        ),
                    )
                )
                continue
            cells = dict(zip(header, row, strict=False))
            lines.append(
                ReportLine(
                    period=cells.get("period", ""),
                    code=cells.get("code", ""),
                    value=cells.get("value", ""),
                    note=cells.get("note", ""),
                    where=number,
                )
            )
    except csv.Error:
        raise _file_problem(
            _l("The file cannot be read as CSV (line %(line)s).", line=rows.line_num)
        ) from None
    if header is None:
        raise _file_problem(_l("The file is empty."))
    if problems:
        raise ReportRejected(problems)
    if not lines:
        raise _file_problem(_l("The file has a header but no values."))
    return lines, number_locale


def _header_problems(header: list[str]) -> list[ReportProblem]:
    problems = []
    expected = ", ".join(CSV_COLUMNS)
    names = [name.lstrip("\ufeff") for name in header]
    header[:] = names
    if not any(name in CSV_COLUMNS for name in names):
        return [
            ReportProblem(
                1,
                None,
                _l("The first row must be the header: %(columns)s.", columns=expected),
            )
        ]
    for name in names:
        if name and name not in CSV_COLUMNS:
            problems.append(
                ReportProblem(
                    1,
                    name,
                    _l(
                        "Unknown column “%(name)s”: the columns are %(columns)s.",
                        name=_shown(name),
                        columns=expected,
                    ),
                )
            )
        elif not name:
            problems.append(ReportProblem(1, None, _l("A column has no name.")))
    for name in REQUIRED_CSV_COLUMNS:
        if name not in names:
            problems.append(
                ReportProblem(1, name, _l("The column “%(name)s” is missing.", name=name))
            )
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    for name in duplicates:
        problems.append(
            ReportProblem(1, name, _l("The column “%(name)s” appears twice.", name=name))
        )
    return problems


def template_rows(version: ContractVersion, period: date) -> list[list[str]]:
    """The rows of a report template: one per unit-rate line and metric, values empty."""
    month = f"{period:%Y-%m}"
    return [[month, item.code, "", ""] for item in (*version.unit_lines, *version.metrics)]


def template_csv(version: ContractVersion, period: date) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(template_rows(version, period))
    return buffer.getvalue()


def problems_by_where(problems: Iterable[ReportProblem]) -> Mapping[Any, list[ReportProblem]]:
    grouped: dict[Any, list[ReportProblem]] = {}
    for problem in problems:
        grouped.setdefault(problem.where, []).append(problem)
    return grouped
