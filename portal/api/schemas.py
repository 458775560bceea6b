"""Marshmallow schemas of the API: the shared shapes (problems, pages, money) and
the portal's own resources. Domain packages keep their schemas in their ``api.py``.

Decimals are always strings and amounts always carry their currency, so no
client ever parses money through a float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, validate

from portal.functions.baseline import baseline_of
from portal.models import OrganizationKind, Role
from portal.money import round_money
from portal.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Not Found"})
    status = fields.Integer(metadata={"example": 404})
    detail = fields.String()


class ValidationProblemSchema(ProblemSchema):
    """A 422 problem: each invalid field with its messages."""

    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "example": {
                "per_page": ["Must be greater than or equal to 1 and less than or equal to 100."]
            }
        },
    )


class PageQuerySchema(Schema):
    page = fields.Integer(
        load_default=1,
        # Refused past MAX_PAGE, as per_page is past its maximum, rather than
        # answered for a page other than the one asked for.
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Page number, from 1."},
    )
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"Items per page, at most {MAX_PER_PAGE}."},
    )


class PageMetaSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class PageLinksSchema(Schema):
    self = fields.String()
    first = fields.String()
    last = fields.String()
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)


class DecimalString(fields.Decimal):
    """A Decimal carried as a JSON string (``"12.50"``), documented as one."""

    def __init__(self, places: int | None = None, **kwargs):
        kwargs.setdefault("rounding", ROUND_HALF_UP)
        super().__init__(places=places, as_string=True, **kwargs)


class MoneySchema(Schema):
    """An amount with its currency."""

    amount = DecimalString(metadata={"example": "1234.50"})
    currency = fields.String(metadata={"example": "EUR", "description": "ISO 4217 code."})


class MoneyField(fields.Nested):
    """Dumps a Decimal as ``{"amount": "…", "currency": "…"}``, rounded half-up
    to the currency's minor unit.

    The currency is read from the same object (``currency`` attribute by
    default); ``getter`` computes the amount when it is derived, not stored.
    """

    def __init__(self, *, currency: str = "currency", getter=None, **kwargs):
        kwargs.setdefault("dump_only", True)
        super().__init__(MoneySchema, **kwargs)
        self.currency_attribute = currency
        self.getter = getter

    def get_value(self, obj, attr, accessor=None, default=fields.missing_):
        if self.getter is not None:
            return self.getter(obj)
        return super().get_value(obj, attr, accessor=accessor, default=default)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        currency = fields.Field().get_value(obj, self.currency_attribute)
        amount = round_money(Decimal(value), currency)
        return super()._serialize({"amount": amount, "currency": currency}, attr, obj, **kwargs)


class OrganizationSchema(Schema):
    """The token's organization and its legal identity."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(OrganizationKind, by_value=True)
    legal_name = fields.String()
    #: ISO 3166-1 alpha-2.
    country = fields.String()
    vat_number = fields.String(allow_none=True)
    registration_number = fields.String(allow_none=True)
    address_line1 = fields.String()
    address_line2 = fields.String(allow_none=True)
    postal_code = fields.String()
    city = fields.String()
    default_currency = fields.String(metadata={"description": "ISO 4217 code."})


class MemberSchema(Schema):
    user_id = fields.Integer()
    full_name = fields.String(attribute="user.full_name")
    email = fields.String(attribute="user.email")
    role = fields.Enum(Role, by_value=True)
    joined_at = fields.DateTime(attribute="created_at")


class DepartmentRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class FunctionSchema(Schema):
    """A back-office function with its in-house cost baseline."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    catalogue_key = fields.String(allow_none=True)
    department = fields.Nested(DepartmentRefSchema)
    currency = fields.String(metadata={"description": "ISO 4217 code of every amount."})
    ftes = DecimalString(places=2, metadata={"example": "10.00"})
    annual_cost_per_fte = MoneyField()
    annual_overheads = MoneyField()
    annual_facilities = MoneyField()
    annual_technology = MoneyField()
    annual_management = MoneyField()
    monthly_volume = fields.Integer()
    volume_unit = fields.String()
    annual_in_house_cost = MoneyField(getter=lambda function: baseline_of(function).annual)
    monthly_in_house_cost = MoneyField(getter=lambda function: baseline_of(function).monthly)
    unit_cost = MoneyField(
        getter=lambda function: baseline_of(function).unit_cost,
        allow_none=True,
        metadata={"description": "Monthly in-house cost per unit of volume; null without volume."},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
