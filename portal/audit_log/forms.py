"""The audit log's filter form (a GET form: filters change nothing, so no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from portal.audit_log.labels import action_label, target_label
from portal.forms import choices


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = SelectField(_l("Who"), validators=[Optional()])
    target_type = SelectField(_l("Record type"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    text = StringField(_l("Summary contains"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, actions=(), target_types=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = choices(
            [("", _l("All actions")), *((a, action_label(a)) for a in actions)]
        )
        self.target_type.choices = choices(
            [("", _l("All record types")), *((t, target_label(t)) for t in target_types)]
        )
        self.actor.choices = choices(
            [("", _l("Everyone")), *((str(user.id), user.full_name) for user in members)]
        )

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def valid_data(self) -> dict:
        """The value of each field that passed validation (the others are ignored)."""
        return {name: field.data for name, field in self._fields.items() if not field.errors}
