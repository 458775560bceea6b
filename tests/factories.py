"""Factories for tests: real records through the real models, flushed, not committed."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal

from flask.testing import FlaskClient

from portal import db
from portal.auth.passwords import hash_password
from portal.auth.sessions import start_session
from portal.models import (
    BackOfficeFunction,
    Department,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from portal.tenancy import organization_context

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


@functools.cache
def _password_hash(password: str) -> str:
    # Argon2 is slow on purpose; hash each test password once per session.
    return hash_password(password)


def organization(name: str | None = None, kind: str = "client", **fields) -> Organization:
    number = next(_sequence)
    name = name or f"Organization {number}"
    values = {
        "name": name,
        "slug": f"ORG{number}",
        "kind": OrganizationKind(kind),
        "legal_name": f"{name} SAS",
        "country": "FR",
        "vat_number": f"FR{number:011d}",
        "registration_number": f"{number:09d}",
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "default_currency": "EUR",
    }
    values.update(fields)
    record = Organization(**values)
    db.session.add(record)
    db.session.flush()
    return record


def user(email: str | None = None, password: str = PASSWORD, **fields) -> User:
    number = next(_sequence)
    record = User(
        email=(email or f"user{number}@example.test").lower(),
        full_name=fields.pop("full_name", f"User {number}"),
        password_hash=_password_hash(password),
        **fields,
    )
    db.session.add(record)
    db.session.flush()
    return record


def member(org: Organization, role: str = "admin", email: str | None = None, **fields) -> User:
    """A user who belongs to ``org`` with ``role``."""
    person = user(email=email, **fields)
    add_membership(org, person, role)
    return person


def add_membership(org: Organization, person: User, role: str = "admin") -> Membership:
    record = Membership(organization_id=org.id, user_id=person.id, role=Role(role))
    db.session.add(record)
    db.session.flush()
    return record


def department(org: Organization, name: str = "Finance", manager: User | None = None) -> Department:
    with organization_context(org.id):
        record = Department(name=name, manager_id=manager.id if manager else None)
        db.session.add(record)
        db.session.flush()
    return record


def function(
    org: Organization, name: str = "Accounts payable", dept: Department | None = None, **fields
) -> BackOfficeFunction:
    dept = dept or department(org, name=f"Department {next(_sequence)}")
    values = {
        "name": name,
        "catalogue_key": None,
        "currency": org.default_currency,
        "ftes": Decimal("10"),
        "annual_cost_per_fte": Decimal("60000"),
        "annual_overheads": Decimal("60000"),
        "annual_facilities": Decimal("36000"),
        "annual_technology": Decimal("24000"),
        "annual_management": Decimal("120000"),
        "monthly_volume": 12000,
        "volume_unit": "supplier invoices",
    }
    values.update(fields)
    with organization_context(org.id):
        record = BackOfficeFunction(department_id=dept.id, **values)
        db.session.add(record)
        db.session.flush()
    return record


def log_in(test_client: FlaskClient, person: User, org: Organization | None) -> FlaskClient:
    """Open a real server-side session for ``person`` and put it in the client's cookie."""
    token = start_session(person, org.id if org else None)
    db.session.flush()
    with test_client.session_transaction() as flask_session:
        flask_session["_user_id"] = token
        flask_session["_fresh"] = True
    return test_client


# --- Tendering ------------------------------------------------------------------------


def vendor_profile(org: Organization, **fields):
    """A listed directory profile for vendor ``org`` (functions, locations… as keyword lists)."""
    from datetime import date

    from vendors.models import (
        LocationKind,
        VendorCertification,
        VendorFunction,
        VendorLanguage,
        VendorLocation,
        VendorProfile,
    )

    functions = fields.pop("functions", ["accounts_payable"])
    languages = fields.pop("languages", ["en", "fr"])
    locations = fields.pop("locations", [("Lisbon", "PT", "nearshore")])
    certifications = fields.pop("certifications", [("iso_27001", date(2030, 1, 1))])
    values = {"listed": True, "description": f"{org.name} runs back offices.", "headcount": 250}
    values.update(fields)
    record = VendorProfile(organization_id=org.id, **values)
    record.functions = [VendorFunction(catalogue_key=key) for key in functions]
    record.languages = [VendorLanguage(code=code) for code in languages]
    record.locations = [
        VendorLocation(city=city, country=country, kind=LocationKind(kind))
        for city, country, kind in locations
    ]
    record.certifications = [
        VendorCertification(standard=standard, expires_on=expires)
        for standard, expires in certifications
    ]
    db.session.add(record)
    db.session.flush()
    return record


def tender(org: Organization, function_record: BackOfficeFunction | None = None, **fields):
    """A tender of client ``org``: draft unless ``status`` says otherwise.

    Comes with one SLA requirement (accuracy ≥ 99 %, higher is better), a
    price criterion (60) and a quality criterion (40); invitations with
    ``invite=[vendor_org, ...]``.
    """
    from datetime import date, timedelta

    from portal.db import utcnow
    from vendors.models import (
        Better,
        EvaluationCriterion,
        Tender,
        TenderInvitation,
        TenderSlaRequirement,
        TenderStatus,
        TenderVisibility,
    )

    function_record = function_record or function(org, name=f"Tendered {next(_sequence)}")
    invite = fields.pop("invite", [])
    status = TenderStatus(fields.pop("status", "draft"))
    values = {
        "function_id": function_record.id,
        "title": f"Outsource {function_record.name}",
        "scope": "Run the whole function.",
        "currency": function_record.currency,
        "monthly_volume": Decimal(function_record.monthly_volume),
        "volume_unit": function_record.volume_unit,
        "term_months": 36,
        "start_date": date(2027, 1, 1),
        "bid_deadline": utcnow() + timedelta(days=14),
        "visibility": TenderVisibility(fields.pop("visibility", "invited")),
        "status": status,
    }
    if status != TenderStatus.DRAFT:
        values["published_at"] = utcnow()
    values.update(fields)
    with organization_context(org.id):
        record = Tender(**values)
        record.sla_requirements = [
            TenderSlaRequirement(
                position=0,
                library_key="invoice_accuracy",
                metric="Invoice processing accuracy",
                unit="%",
                target=Decimal("99"),
                better=Better.HIGHER,
            )
        ]
        record.criteria = [
            EvaluationCriterion(position=0, name="Price", weight=60, is_price=True),
            EvaluationCriterion(position=1, name="Quality of approach", weight=40),
        ]
        db.session.add(record)
        db.session.flush()
        for vendor in invite:
            db.session.add(TenderInvitation(tender_id=record.id, vendor_organization_id=vendor.id))
        db.session.flush()
    return record


def bid(vendor: Organization, tender_record, **fields):
    """A bid of ``vendor`` on ``tender_record``: submitted unless ``status`` says otherwise.

    Priced by default at a fixed 50,000 a month plus 2.00 per unit, with a
    transition cost of 100,000 and the tender's SLA targets committed as asked.
    """
    from portal.db import utcnow
    from vendors.models import Bid, BidPriceLine, BidSlaCommitment, BidStatus, PriceLineKind

    status = BidStatus(fields.pop("status", "submitted"))
    lines = fields.pop(
        "lines",
        [
            (PriceLineKind.FIXED_MONTHLY, None, Decimal("50000")),
            (PriceLineKind.PER_UNIT, None, Decimal("2.00")),
        ],
    )
    values = {
        "tender_id": tender_record.id,
        "status": status,
        "currency": tender_record.currency,
        "transition_cost": Decimal("100000"),
        "delivery_location": "Lisbon, Portugal",
        "narrative": "We run this for twenty clients.",
    }
    if status != BidStatus.DRAFT:
        values["submitted_at"] = utcnow()
    values.update(fields)
    with organization_context(vendor.id):
        record = Bid(**values)
        record.price_lines = [
            BidPriceLine(
                position=position, kind=PriceLineKind(kind), quantity=qty, unit_price=price
            )
            for position, (kind, qty, price) in enumerate(lines)
        ]
        record.sla_commitments = [
            BidSlaCommitment(requirement_id=requirement.id, committed=requirement.target)
            for requirement in tender_record.sla_requirements
        ]
        db.session.add(record)
        db.session.flush()
    return record


def question(vendor: Organization, tender_record, text: str = "Is VAT included?", answer=None):
    from portal.db import utcnow
    from vendors.models import ClarificationQuestion

    with organization_context(vendor.id):
        record = ClarificationQuestion(tender_id=tender_record.id, question=text)
        if answer is not None:
            record.answer = answer
            record.answered_at = utcnow()
        db.session.add(record)
        db.session.flush()
    return record


def attachment(bid_record, filename: str = "approach.pdf", content: bytes | None = None):
    import hashlib

    from vendors.models import BidAttachment

    content = content or minimal_pdf()
    record = BidAttachment(
        bid_id=bid_record.id,
        filename=filename,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    db.session.add(record)
    db.session.flush()
    return record


def minimal_pdf(text: str = "Our approach") -> bytes:
    """A real one-page PDF (pypdf can open it)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
