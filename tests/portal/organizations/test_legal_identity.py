"""An organization's VAT and registration numbers are checked and stored compact.

They are printed on legal invoices: a wrong checksum is refused where it is typed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.models import Organization
from portal.organizations.forms import OrganizationForm
from tests.portal.auth.helpers import SIGNUP


def _identity(**overrides) -> dict:
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
    }
    data.update(overrides)
    return data


def _checked(app, language: str = "en", **overrides) -> tuple[bool, dict, dict]:
    """Whether the form accepts the identity, its errors as text, and its cleaned data."""
    with app.test_request_context(
        "/organizations/new",
        method="POST",
        data=_identity(**overrides),
        headers={"Accept-Language": language},
    ):
        form = OrganizationForm()
        valid = form.validate()
        errors = {name: [str(error) for error in errors] for name, errors in form.errors.items()}
        return valid, errors, dict(form.data)


@pytest.mark.parametrize(
    ("country", "vat_number"),
    [
        ("FR", "FR40303265045"),
        ("DE", "DE136695976"),
        ("BE", "BE0403170701"),
        ("PT", "PT501964843"),
        ("PL", "PL6762468791"),
        ("GR", "EL094014201"),
        ("GB", "GB980780684"),
        ("CH", "CHE116281710MWST"),
        ("NO", "NO995525828MVA"),
    ],
)
def test_valid_vat_number_of_the_chosen_country_is_accepted(app, country, vat_number):
    valid, errors, data = _checked(
        app, country=country, vat_number=vat_number, registration_number=""
    )
    assert valid, errors
    assert data["vat_number"] == vat_number


@pytest.mark.parametrize(
    ("country", "vat_number", "country_name"),
    [
        ("FR", "FR41303265045", "France"),
        ("DE", "DE136695977", "Germany"),
        ("BE", "BE0403170702", "Belgium"),
        ("PT", "PT501964842", "Portugal"),
        ("PL", "PL6762468795", "Poland"),
        ("GR", "EL094014202", "Greece"),
        ("GB", "GB980780685", "United Kingdom"),
    ],
)
def test_vat_number_with_a_wrong_checksum_is_refused_naming_the_country(
    app, country, vat_number, country_name
):
    valid, errors, _ = _checked(app, country=country, vat_number=vat_number, registration_number="")
    assert not valid
    assert errors["vat_number"] == [
        f"This is not a valid VAT number for {country_name}: check the digits."
    ]


def test_vat_number_error_is_in_the_readers_language(app):
    valid, errors, _ = _checked(app, "fr", country="DE", vat_number="DE136695977")
    assert not valid
    assert errors["vat_number"] == [
        "Ce numéro de TVA n’est pas valide pour ce pays (Allemagne)\u00a0: vérifiez les chiffres."
    ]


def test_vat_number_of_the_wrong_length_is_refused(app):
    valid, errors, _ = _checked(app, country="DE", vat_number="DE1366959", registration_number="")
    assert not valid
    assert errors["vat_number"] == [
        "This is not a valid VAT number for Germany: check its length and format."
    ]


def test_vat_number_must_carry_the_prefix_of_the_chosen_country(app):
    valid, errors, _ = _checked(app, country="BE", vat_number="FR40303265045")
    assert not valid
    assert errors["vat_number"] == ["A VAT number for Belgium starts with BE."]


def test_greek_vat_numbers_start_with_el_not_the_iso_code(app):
    valid, errors, _ = _checked(app, country="GR", vat_number="GR094014201")
    assert not valid
    assert errors["vat_number"] == ["A VAT number for Greece starts with EL."]


def test_northern_ireland_traders_may_give_their_xi_number(app):
    valid, errors, data = _checked(app, country="GB", vat_number="XI 980 7806 84")
    assert valid, errors
    assert data["vat_number"] == "XI980780684"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("FR 40 303 265 045", "FR40303265045"),
        ("fr40-303.265.045", "FR40303265045"),
        ("  FR40303265045  ", "FR40303265045"),
    ],
)
def test_vat_number_is_stored_compact(app, typed, stored):
    valid, errors, data = _checked(app, vat_number=typed)
    assert valid, errors
    assert data["vat_number"] == stored


def test_swiss_and_norwegian_vat_numbers_are_stored_compact_with_their_prefix(app):
    _, _, swiss = _checked(app, country="CH", vat_number="CHE-116.281.710 MWST")
    _, _, norwegian = _checked(app, country="NO", vat_number="NO 995 525 828 MVA")
    assert swiss["vat_number"] == "CHE116281710MWST"
    assert norwegian["vat_number"] == "NO995525828MVA"


def test_vat_number_of_a_country_without_checksum_is_accepted_as_typed_cleaned(app):
    valid, errors, data = _checked(
        app, country="MA", vat_number="ma 1234 5678", registration_number="RC 123456 Casablanca"
    )
    assert valid, errors
    assert data["vat_number"] == "MA12345678"
    assert data["registration_number"] == "RC 123456 Casablanca"


def test_vat_number_of_a_country_without_checksum_keeps_the_shape_check(app):
    valid, errors, _ = _checked(app, country="IN", vat_number="12", registration_number="")
    assert not valid
    assert errors["vat_number"] == [
        "Enter the VAT number with its country prefix, e.g. FR40303265045."
    ]


def test_vat_and_registration_numbers_are_optional(app):
    valid, errors, data = _checked(app, vat_number="", registration_number="  ")
    assert valid, errors
    assert not data["vat_number"]
    assert not data["registration_number"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("303265045", "303265045"),
        ("303 265 045", "303265045"),
        ("30326504500011", "30326504500011"),
        ("303 265 045 00011", "30326504500011"),
    ],
)
def test_french_siren_or_siret_is_accepted_and_stored_compact(app, typed, stored):
    valid, errors, data = _checked(app, registration_number=typed)
    assert valid, errors
    assert data["registration_number"] == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("303265046", "This is not a valid SIREN: check the digits."),
        ("30326504500012", "This is not a valid SIRET: check the digits."),
        (
            "3032650",
            "A French registration number is a SIREN (9 digits) or a SIRET (14 digits).",
        ),
        (
            "RCS Paris B 303",
            "A French registration number is a SIREN (9 digits) or a SIRET (14 digits).",
        ),
    ],
)
def test_invalid_french_registration_number_is_refused(app, typed, message):
    valid, errors, _ = _checked(app, vat_number="", registration_number=typed)
    assert not valid
    assert errors["registration_number"] == [message]


def test_french_vat_number_must_embed_the_siren_of_the_registration_number(app):
    # FR44732829320 is a valid VAT number, of another company (SIREN 732829320).
    valid, errors, data = _checked(
        app, vat_number="FR 44 732 829 320", registration_number="30326504500011"
    )
    assert not valid
    assert errors["vat_number"] == [
        "This VAT number does not match the registration number (SIREN 303265045)."
    ]
    assert data["vat_number"] == "FR 44 732 829 320"


def test_french_vat_number_agrees_with_a_siret_of_the_same_company(app):
    valid, errors, _ = _checked(
        app, vat_number="FR40303265045", registration_number="30326504500011"
    )
    assert valid, errors


def test_new_organization_stores_the_compact_numbers(as_client_admin):
    response = as_client_admin.post(
        "/organizations/new",
        data=_identity(
            name="Compact Co",
            vat_number="FR 40 303 265 045",
            registration_number="303 265 045 00011",
        ),
    )
    assert response.status_code == 302
    organization = db.session.scalars(
        select(Organization).where(Organization.name == "Compact Co")
    ).one()
    assert organization.vat_number == "FR40303265045"
    assert organization.registration_number == "30326504500011"


def test_settings_with_a_wrong_vat_number_keep_what_was_typed_and_change_nothing(
    as_client_admin, client_org
):
    vat_number_before = client_org.vat_number
    response = as_client_admin.post(
        "/organization/settings",
        data=_identity(name="Renamed Co", vat_number="FR 41 303 265 045"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This is not a valid VAT number for France: check the digits." in page
    assert 'value="FR 41 303 265 045"' in page
    assert 'value="Renamed Co"' in page
    db.session.expire_all()
    organization = db.session.get(Organization, client_org.id)
    assert (organization.name, organization.vat_number) == ("Northwind Holdings", vat_number_before)


def test_sign_up_with_a_wrong_siren_keeps_what_was_typed_and_creates_nothing(client):
    response = client.post(
        "/signup", data={**SIGNUP, "registration_number": "303 265 046", "vat_number": ""}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This is not a valid SIREN: check the digits." in page
    assert 'value="303 265 046"' in page
    assert 'value="Northwind Holdings SAS"' in page
    assert db.session.scalars(select(Organization)).all() == []
