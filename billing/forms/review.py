"""The client's dispute of an invoice (approving is a button: its form is only the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from billing.operations.review import MAX_DISPUTE_REASON


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason of the dispute"),
        validators=[
            InputRequired(_l("Say why you dispute the invoice.")),
            Length(max=MAX_DISPUTE_REASON),
        ],
        description=_l("The vendor reads it and answers with a credit note."),
    )
