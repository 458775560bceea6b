"""The tenancy wall: scoped by construction, fails closed."""

import pytest
from sqlalchemy import select

from portal import db
from portal.models import Department, Membership
from portal.tenancy import TenancyError, across_tenants, organization_context


def test_query_of_tenant_owned_records_without_organization_raises(make, client_org):
    make.department(client_org)
    with pytest.raises(TenancyError):
        db.session.scalars(select(Department)).all()


def test_query_sees_only_current_organization(make, client_org, other_client_org):
    make.department(client_org, name="Ours")
    make.department(other_client_org, name="Theirs")
    with organization_context(client_org.id):
        names = db.session.scalars(select(Department.name)).all()
        # A column-only select is scoped too, not just whole entities.
        assert names == ["Ours"]
        assert [d.name for d in db.session.scalars(select(Department))] == ["Ours"]


def test_joins_and_aliases_are_scoped(make, client_org, other_client_org):
    admin = make.member(client_org, "admin")
    make.add_membership(other_client_org, admin, "viewer")
    with organization_context(client_org.id):
        rows = db.session.scalars(select(Membership).where(Membership.user_id == admin.id)).all()
        assert [m.organization_id for m in rows] == [client_org.id]


def test_across_tenants_is_explicit(make, client_org, other_client_org):
    make.department(client_org)
    make.department(other_client_org)
    assert len(db.session.scalars(across_tenants(select(Department))).all()) == 2


def test_insert_takes_the_current_organization(client_org):
    with organization_context(client_org.id):
        department = Department(name="Shared services")
        db.session.add(department)
        db.session.flush()
    assert department.organization_id == client_org.id


def test_adding_a_record_without_organization_raises():
    with pytest.raises(TenancyError):
        db.session.add(Department(name="Orphan"))


def test_a_record_keeps_the_organization_it_was_added_in(client_org):
    with organization_context(client_org.id):
        department = Department(name="Added inside")
        db.session.add(department)
    db.session.flush()  # outside the context: the organization was stamped at add
    assert department.organization_id == client_org.id


def test_a_child_is_found_only_through_its_own_parent(make, client_org):
    from werkzeug.exceptions import NotFound

    from portal.tenancy import child_or_404

    finance = make.department(client_org, name="Finance")
    people = make.department(client_org, name="People")
    payables = make.function(client_org, name="Accounts payable", dept=finance)
    with organization_context(client_org.id):
        assert child_or_404(finance, "functions", payables.id) is payables
        with pytest.raises(NotFound):
            child_or_404(people, "functions", payables.id)
