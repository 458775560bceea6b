"""Forms of evaluation: an evaluator's score sheet and the award.

They check what was typed; which bids and criteria belong to the tender, and
whether it may still be scored or awarded, is the operations' business.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, IntegerField, SelectField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from portal.forms import LocalizedIntegerField, choices
from vendors.rules import MAX_SCORE

MAX_COMMENT = 2000
MAX_REASON = 2000


def _optional_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ScoreEntryForm(Form):
    """One cell of the score sheet: a bid on a criterion."""

    bid_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    criterion_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    score = LocalizedIntegerField(
        _l("Score"), validators=[Optional(), NumberRange(min=0, max=MAX_SCORE)]
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=MAX_COMMENT)])

    def validate_comment(self, field) -> None:
        if (field.data or "").strip() and self.score.data is None and not self.score.errors:
            raise ValidationError(_l("Give a score with the comment."))


class ScoresForm(FlaskForm):
    """The current evaluator's scores of every submitted bid on every scored criterion.

    ``sheet`` fills it with what the evaluator scored before: ``(bid id,
    criterion id, score or None, comment)`` per cell. A blank score clears it.
    """

    scores = FieldList(FormField(ScoreEntryForm))

    def __init__(self, *args, sheet: Iterable[tuple[int, int, int | None, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.scores.entries:
            for bid_id, criterion_id, score, comment in sheet:
                self.scores.append_entry(
                    {
                        "bid_id": bid_id,
                        "criterion_id": criterion_id,
                        "score": score,
                        "comment": comment,
                    }
                )

    def entry_for(self, bid_id: int, criterion_id: int):
        """The sub-form of one cell, or None when the sheet has no such cell."""
        for entry in self.scores:
            if entry.bid_id.data == bid_id and entry.criterion_id.data == criterion_id:
                return entry
        return None

    def validate_scores(self, field) -> None:
        seen = set()
        for entry in field:
            key = (entry.bid_id.data, entry.criterion_id.data)
            if key in seen:
                raise ValidationError(_l("Each bid is scored once per criterion."))
            seen.add(key)

    def cells(self) -> list[dict]:
        """What the operation takes: one dict per cell."""
        return [
            {
                "bid_id": entry.bid_id.data,
                "criterion_id": entry.criterion_id.data,
                "score": entry.score.data,
                "comment": entry.comment.data or "",
            }
            for entry in self.scores
        ]

    @property
    def sheet_errors(self) -> list:
        """Errors about the sheet as a whole (not about one cell)."""
        own = [error for error in self.scores.errors if not isinstance(error, dict)]
        return [*self.form_errors, *own]


class AwardForm(FlaskForm):
    bid_id = SelectField(
        _l("Winning bid"),
        coerce=_optional_id,
        validators=[InputRequired(message=_l("Choose the bid that wins."))],
        # The bid is loaded through the wall by the view; a bid the client may
        # not see is a 404, whatever the list offered.
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Reason for the award"),
        validators=[DataRequired(message=_l("Say why this bid wins.")), Length(max=MAX_REASON)],
        description=_l("Kept with the award and in the audit log; bidders do not see it."),
    )

    def __init__(self, *args, bids: Iterable[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.offer(bids)

    def offer(self, bids: Iterable[tuple[int, str]]) -> None:
        """The bids to choose from: ``(bid id, vendor name)``."""
        self.bid_id.choices = choices(
            [("", _l("Choose a bid")), *((str(bid_id), label) for bid_id, label in bids)]
        )
