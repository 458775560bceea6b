"""Departments: created, renamed and given a manager from the organization's members."""

import pytest


def test_create_department_with_a_member_as_manager(
    as_client_admin, client_admin, make, client_org, departments_of, audit_events_of
):
    response = as_client_admin.post(
        "/functions/departments/new", data={"name": "Finance", "manager_id": str(client_admin.id)}
    )
    assert response.status_code == 302
    [department] = departments_of(client_org)
    assert department.name == "Finance"
    assert department.manager_id == client_admin.id
    [event] = audit_events_of(client_org, "department.created")
    assert event.after == {"name": "Finance", "manager_id": client_admin.id}


def test_manager_choices_are_the_organization_members_only(
    as_client_admin, make, client_org, other_client_org
):
    make.member(client_org, "finance", full_name="Camille Martin")
    make.member(other_client_org, "admin", full_name="Outsider Person")
    html = as_client_admin.get("/functions/departments/new").get_data(as_text=True)
    assert "Camille Martin" in html
    assert "Outsider Person" not in html


def test_manager_from_another_organization_is_rejected(
    as_client_admin, make, client_org, other_client_org, departments_of
):
    outsider = make.member(other_client_org, "admin")
    outsider_id = outsider.id
    response = as_client_admin.post(
        "/functions/departments/new", data={"name": "Finance", "manager_id": str(outsider_id)}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="manager_id"' in html
    assert 'value="Finance"' in html
    assert departments_of(client_org) == []


def test_department_name_is_unique_per_organization(
    as_client_admin, make, client_org, other_client_org, departments_of
):
    make.department(client_org, "Finance")
    make.department(other_client_org, "People")
    response = as_client_admin.post("/functions/departments/new", data={"name": " finance "})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="name"' in html
    assert "A department with this name already exists." in html
    assert 'value=" finance "' in html
    response = as_client_admin.post("/functions/departments/new", data={"name": "People"})
    assert response.status_code == 302
    assert [d.name for d in departments_of(client_org)] == ["Finance", "People"]


def test_edit_department_records_before_and_after(
    as_client_admin, client_admin, make, client_org, departments_of, audit_events_of
):
    department = make.department(client_org, "Finance")
    response = as_client_admin.post(
        f"/functions/departments/{department.id}/edit",
        data={"name": "Finance & accounting", "manager_id": str(client_admin.id)},
    )
    assert response.status_code == 302
    [stored] = departments_of(client_org)
    assert stored.name == "Finance & accounting"
    [event] = audit_events_of(client_org, "department.updated")
    assert event.before == {"name": "Finance", "manager_id": None}
    assert event.after == {"name": "Finance & accounting", "manager_id": client_admin.id}


def test_renaming_to_its_own_name_is_allowed(as_client_admin, make, client_org):
    department = make.department(client_org, "Finance")
    response = as_client_admin.post(
        f"/functions/departments/{department.id}/edit", data={"name": "Finance", "manager_id": ""}
    )
    assert response.status_code == 302


def test_department_with_functions_cannot_be_deleted(
    as_client_admin, make, client_org, departments_of, audit_events_of
):
    department = make.department(client_org, "Finance")
    make.function(client_org, "Accounts payable", dept=department)
    response = as_client_admin.post(
        f"/functions/departments/{department.id}/delete", follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Finance still holds 1 function(s): move or delete them first." in html
    assert [d.name for d in departments_of(client_org)] == ["Finance"]
    assert audit_events_of(client_org, "department.deleted") == []


def test_empty_department_is_deleted_with_audit(
    as_client_admin, make, client_org, departments_of, audit_events_of
):
    department = make.department(client_org, "Finance")
    response = as_client_admin.post(f"/functions/departments/{department.id}/delete")
    assert response.status_code == 302
    assert departments_of(client_org) == []
    [event] = audit_events_of(client_org, "department.deleted")
    assert event.before == {"name": "Finance", "manager_id": None}


@pytest.mark.parametrize(
    "path",
    [
        "/functions/departments/new",
        "/functions/departments/{id}/edit",
        "/functions/departments/{id}/delete",
    ],
)
def test_viewer_gets_403_on_department_changes(
    as_client_viewer, make, client_org, departments_of, path
):
    department = make.department(client_org, "Finance")
    response = as_client_viewer.post(path.format(id=department.id), data={"name": "Renamed"})
    assert response.status_code == 403
    assert [d.name for d in departments_of(client_org)] == ["Finance"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/functions/departments/{id}/edit"),
        ("post", "/functions/departments/{id}/edit"),
        ("post", "/functions/departments/{id}/delete"),
    ],
)
def test_another_client_organization_gets_404_on_departments(
    as_other_client_admin, make, client_org, departments_of, method, path
):
    department = make.department(client_org, "Finance")
    url = path.format(id=department.id)
    response = getattr(as_other_client_admin, method)(url, data={"name": "Taken over"})
    assert response.status_code == 404
    assert [d.name for d in departments_of(client_org)] == ["Finance"]


def test_vendor_organization_gets_404_on_departments(as_vendor_admin):
    assert as_vendor_admin.get("/functions/departments/new").status_code == 404
