"""Forms of the register: departments and back-office functions."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.forms import LocalizedDecimalField, LocalizedIntegerField, choices
from portal.functions.catalogue import catalogue_choices
from portal.models import Department, User
from portal.organizations.forms import currency_choices

#: The largest amount a ``Numeric(14, 2)`` column holds.
MAX_AMOUNT = Decimal("999999999999.99")
#: The largest volume a 32-bit integer column holds.
MAX_VOLUME = 2_147_483_647


def _optional_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    manager_id = SelectField(
        _l("Manager"),
        coerce=_optional_id,
        description=_l("A member of your organization."),
    )

    def __init__(self, *args, members: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.manager_id.choices = choices(
            [
                ("", _l("No manager")),
                *((str(person.id), f"{person.full_name} ({person.email})") for person in members),
            ]
        )


def _amount(label, description=None, places: int = 2):
    return LocalizedDecimalField(
        label,
        places=places,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_AMOUNT)],
        default=Decimal(0),
        description=description,
    )


class FunctionForm(FlaskForm):
    catalogue_key = SelectField(_l("Standard function"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    department_id = SelectField(_l("Department"), coerce=_optional_id, validators=[InputRequired()])
    currency = SelectField(_l("Currency"), validators=[DataRequired()])
    ftes = _amount(
        _l("FTEs"), _l("Full-time equivalents doing this work today; may be fractional, e.g. 12.5.")
    )
    annual_cost_per_fte = _amount(
        _l("Annual cost per FTE"), _l("Fully loaded: salary, social charges and benefits.")
    )
    annual_overheads = _amount(_l("Annual overheads"))
    annual_facilities = _amount(_l("Annual facilities"), _l("Office space, utilities."))
    annual_technology = _amount(_l("Annual technology"), _l("Software licences, hardware."))
    annual_management = _amount(_l("Annual management"), _l("Supervision of the team."))
    monthly_volume = LocalizedIntegerField(
        _l("Monthly volume"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_VOLUME)],
        default=0,
        description=_l("How many items the function processes in a month."),
    )
    volume_unit = StringField(
        _l("Volume unit"),
        validators=[Length(max=80)],
        description=_l("What the volume counts, e.g. supplier invoices."),
    )

    def __init__(self, *args, departments: list[Department], default_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue_key.choices = choices([("", _l("Custom function")), *catalogue_choices()])
        self.department_id.choices = choices(
            [("", ""), *((str(department.id), department.name) for department in departments)]
        )
        self.currency.choices = choices(currency_choices())
        if not self.currency.data:
            self.currency.data = default_currency
