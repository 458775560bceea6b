"""The register's rules hold in the operations, whatever the form let through."""

from decimal import Decimal

import pytest

from portal.functions import operations
from portal.tenancy import organization_context
from tests.portal.functions.conftest import function_form


def _data(department_id, **overrides):
    data = function_form(department_id, **overrides)
    data["department_id"] = int(data["department_id"])
    for name in (
        "ftes",
        "annual_cost_per_fte",
        "annual_overheads",
        "annual_facilities",
        "annual_technology",
        "annual_management",
    ):
        data[name] = Decimal(data[name])
    data["monthly_volume"] = int(data["monthly_volume"])
    return data


def test_manager_must_be_a_member_of_the_organization(make, client_org, other_client_org):
    actor = make.member(client_org, "admin")
    outsider = make.member(other_client_org, "admin")
    with organization_context(client_org.id), pytest.raises(operations.RegisterRuleError) as error:
        operations.create_department(actor, {"name": "Finance", "manager_id": outsider.id})
    assert error.value.field == "manager_id"


def test_function_department_must_belong_to_the_organization(make, client_org, other_client_org):
    actor = make.member(client_org, "admin")
    theirs = make.department(other_client_org, "Finance")
    with organization_context(client_org.id), pytest.raises(operations.RegisterRuleError) as error:
        operations.create_function(actor, _data(theirs.id))
    assert error.value.field == "department_id"


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "QQQ"), ("catalogue_key", "astrology"), ("ftes", Decimal("-1"))],
)
def test_function_inputs_are_checked(make, client_org, field, value):
    actor = make.member(client_org, "admin")
    department = make.department(client_org, "Finance")
    with organization_context(client_org.id), pytest.raises(operations.RegisterRuleError) as error:
        operations.create_function(actor, _data(department.id, **{field: value}))
    assert error.value.field == field


def test_department_holding_functions_is_not_deleted(make, client_org):
    actor = make.member(client_org, "admin")
    department = make.department(client_org, "Finance")
    make.function(client_org, dept=department)
    with organization_context(client_org.id), pytest.raises(operations.RegisterRuleError):
        operations.delete_department(actor, department)


def test_created_function_keeps_amounts_to_the_cent(make, client_org):
    actor = make.member(client_org, "admin")
    department = make.department(client_org, "Finance")
    with organization_context(client_org.id):
        function = operations.create_function(actor, _data(department.id, ftes=Decimal("12.5")))
    assert function.ftes == Decimal("12.50")
    assert function.organization_id == client_org.id
