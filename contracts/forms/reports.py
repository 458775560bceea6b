"""Forms of delivery reports: the vendor's monthly report, the CSV upload, the client's
dispute. They read input; ``contracts.reporting`` judges it against the contract."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, FieldList, StringField, TextAreaField
from wtforms.validators import Length

from contracts.models import ContractVersion
from contracts.operations.reports import MAX_DISPUTE_REASON
from contracts.reporting import MAX_COMMENT, MAX_NOTE, PeriodEntry, ReportLine, ReportProblem
from portal.forms import LocalizedDecimalField
from portal.rules import RuleError, show_on_form


class ReportForm(FlaskForm):
    """One month's report under ``version``: a volume per unit-rate line, a value per metric.

    The period is not a field: it is in the page's address, and decides the
    terms (``version``) and so the fields.
    """

    volumes = FieldList(LocalizedDecimalField(_l("Volume"), places=2))
    volume_notes = FieldList(StringField(_l("Note"), validators=[Length(max=MAX_NOTE)]))
    values = FieldList(LocalizedDecimalField(_l("Value"), places=None))
    value_notes = FieldList(StringField(_l("Note"), validators=[Length(max=MAX_NOTE)]))
    comment = TextAreaField(
        _l("Comment"),
        validators=[Length(max=MAX_COMMENT)],
        description=_l("Anything the client should know about this month."),
    )

    def __init__(self, *args, version: ContractVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(version.unit_lines)
        self.metrics = list(version.metrics)
        for entries, count in (
            (self.volumes, len(self.lines)),
            (self.volume_notes, len(self.lines)),
            (self.values, len(self.metrics)),
            (self.value_notes, len(self.metrics)),
        ):
            while len(entries.entries) < count:
                entries.append_entry()
            while len(entries.entries) > count:
                entries.pop_entry()

    @classmethod
    def data_of(cls, saved: dict, version: ContractVersion) -> dict[str, Any]:
        """Form data from a saved report (``queries.reports.form_data``)."""
        lines, metrics = version.unit_lines, version.metrics
        volumes = saved.get("volumes", {})
        values = saved.get("values", {})
        return {
            "volumes": [volumes.get(line.code, (None, ""))[0] for line in lines],
            "volume_notes": [volumes.get(line.code, (None, ""))[1] for line in lines],
            "values": [values.get(metric.code, (None, ""))[0] for metric in metrics],
            "value_notes": [values.get(metric.code, (None, ""))[1] for metric in metrics],
            "comment": saved.get("comment", ""),
        }

    def volume_rows(self):
        return list(zip(self.lines, self.volumes.entries, self.volume_notes.entries, strict=True))

    def value_rows(self):
        return list(zip(self.metrics, self.values.entries, self.value_notes.entries, strict=True))

    def to_lines(self, period: date) -> tuple[list[ReportLine], list[PeriodEntry]]:
        """What was typed, as the neutral lines of ``contracts.reporting``."""
        lines = [
            ReportLine(period, line.code, entry.data, note.data or "", entry.name)
            for line, entry, note in self.volume_rows()
        ]
        lines += [
            ReportLine(period, metric.code, entry.data, note.data or "", entry.name)
            for metric, entry, note in self.value_rows()
        ]
        return lines, [PeriodEntry(period, self.comment.data or "", "period")]

    def show_problems(self, problems: list[ReportProblem]) -> None:
        """Each problem next to its field, else at the top of the form."""
        by_code = {line.code: entry for line, entry, _note in self.volume_rows()}
        by_code.update({metric.code: entry for metric, entry, _note in self.value_rows()})
        notes = {entry.name: note for _line, entry, note in self.volume_rows()}
        notes.update({entry.name: note for _metric, entry, note in self.value_rows()})
        for problem in problems:
            target = None
            if problem.column == "note" and problem.where in notes:
                target = notes[problem.where]
            elif problem.column == "comment":
                target = self.comment
            elif isinstance(problem.where, str) and problem.where:
                target = next(
                    (entry for entry in by_code.values() if entry.name == problem.where), None
                )
            if target is None and problem.code in by_code:
                target = by_code[problem.code]
            if target is not None:
                target.errors = [*target.errors, problem.message]
            else:
                self.form_errors.append(problem.message)


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
    )
    submit_reports = BooleanField(
        _l("Submit the reports for review at once"),
        description=_l("Otherwise they are saved as drafts, for you to check and submit."),
    )


class DisputeForm(FlaskForm):
    """The client's dispute: a reason overall, and one per value it disputes."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=MAX_DISPUTE_REASON)],
        description=_l("What is wrong with the report as a whole (or give a reason per value)."),
    )
    items = FieldList(StringField(_l("Reason"), validators=[Length(max=MAX_DISPUTE_REASON)]))

    def __init__(self, *args, codes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = codes
        while len(self.items.entries) < len(codes):
            self.items.append_entry()
        while len(self.items.entries) > len(codes):
            self.items.pop_entry()

    def rows(self):
        return dict(zip(self.codes, self.items.entries, strict=True))

    def item_reasons(self) -> dict[str, str]:
        return {
            code: (entry.data or "").strip()
            for code, entry in self.rows().items()
            if (entry.data or "").strip()
        }

    def show(self, error: RuleError) -> None:
        show_on_form(self, error, default_field="reason")
