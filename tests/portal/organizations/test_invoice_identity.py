"""The legal form and share capital an invoice prints are kept in the organization's
settings by its administrators (they are not asked at sign-up)."""

from __future__ import annotations

from decimal import Decimal

from portal import db
from portal.models import Organization
from tests.portal.organizations.conftest import audit_event


def _settings(**overrides) -> dict:
    data = {
        "name": "Northwind Holdings",
        "kind": "client",
        "legal_name": "Northwind Holdings SAS",
        "country": "FR",
        "vat_number": "FR40303265045",
        "registration_number": "303265045",
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "default_currency": "EUR",
        "legal_form": "SAS",
        "share_capital": "150000",
    }
    data.update(overrides)
    return data


def _reloaded(org_id: int) -> Organization:
    db.session.expire_all()
    return db.session.get(Organization, org_id)


def test_an_admin_enters_the_legal_form_and_share_capital(as_client_admin, client_org):
    page = as_client_admin.get("/organization/settings").get_data(as_text=True)
    assert 'name="legal_form"' in page and 'name="share_capital"' in page

    response = as_client_admin.post("/organization/settings", data=_settings())

    assert response.status_code == 302
    organization = _reloaded(client_org.id)
    assert organization.legal_form == "SAS"
    assert organization.share_capital == Decimal("150000.00")
    event = audit_event(client_org, "organization.updated")
    assert event.before["legal_form"] is None
    assert event.after["legal_form"] == "SAS"
    assert Decimal(event.after["share_capital"]) == Decimal("150000")


def test_the_share_capital_is_typed_the_readers_way(make, login, client_org):
    admin = make.member(client_org, "admin", locale="fr")
    browser = login(admin, client_org)

    response = browser.post("/organization/settings", data=_settings(share_capital="1 250 000,50"))

    assert response.status_code == 302
    assert _reloaded(client_org.id).share_capital == Decimal("1250000.50")


def test_a_wrong_share_capital_keeps_what_was_typed(as_client_admin, client_org):
    response = as_client_admin.post(
        "/organization/settings", data=_settings(share_capital="-5", legal_form="SARL")
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="-5"' in html and 'value="SARL"' in html
    assert _reloaded(client_org.id).legal_form is None


def test_both_may_be_left_empty(as_client_admin, client_org):
    client_org.legal_form = "SA"
    client_org.share_capital = Decimal("1000")

    response = as_client_admin.post(
        "/organization/settings", data=_settings(share_capital="", legal_form="")
    )

    assert response.status_code == 302
    organization = _reloaded(client_org.id)
    assert (organization.legal_form, organization.share_capital) == (None, None)


def test_a_viewer_reads_them(as_client_viewer, client_org):
    client_org.legal_form = "SAS"
    client_org.share_capital = Decimal("150000")

    page = as_client_viewer.get("/organization/settings").get_data(as_text=True)

    assert "SAS" in page
    assert "€150,000.00" in page


def test_sign_up_does_not_ask_for_them(client):
    page = client.get("/signup").get_data(as_text=True)

    assert 'name="legal_name"' in page
    assert 'name="share_capital"' not in page
