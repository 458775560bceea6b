"""The form that creates an API token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import choices
from portal.models import Role
from portal.roles import role_choices


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What the token is for, e.g. ERP nightly export."),
    )
    role = SelectField(
        _l("Role"),
        default=Role.VIEWER.value,
        validators=[DataRequired()],
        description=_l("The API acts with this role. Viewer reads and changes nothing."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(role_choices())
