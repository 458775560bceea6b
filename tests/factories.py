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


# --- Contracts ---------------------------------------------------------------------


def contract(client: Organization, vendor: Organization, **fields):
    """A contract between ``client`` and ``vendor``: active unless ``status`` says otherwise.

    Runs 36 months from 1 January 2026, in the function's currency, with a
    fixed fee of 40,000 a month (code ``base-fee``), 2.50 per supplier invoice
    (``invoices``), no minimum, a credit cap of 10 % and two metrics:
    ``accuracy`` (≥ 99 %, critical below 97 %, 5 % credit) and
    ``cycle-time`` (≤ 3 days, critical above 5, 4 % credit).
    """
    from datetime import date

    from contracts.models import (
        Contract,
        ContractStatus,
        ContractVersion,
        RateCardLine,
        RateKind,
        SlaMetric,
        VatTreatment,
    )
    from contracts.rules import term_end
    from portal.db import utcnow
    from vendors.models import Better

    function_record = fields.pop("function_record", None) or function(
        client, name=f"Contracted {next(_sequence)}"
    )
    status = ContractStatus(fields.pop("status", "active"))
    start = fields.pop("start_date", date(2026, 1, 1))
    months = fields.pop("months", 36)
    version_fields = {
        "monthly_minimum": fields.pop("monthly_minimum", None),
        "credit_cap_percent": Decimal(fields.pop("credit_cap_percent", "10")),
        "retained_governance_monthly": Decimal(fields.pop("retained_governance_monthly", "0")),
    }
    lines = fields.pop(
        "lines",
        [
            ("base-fee", RateKind.FIXED_MONTHLY, "Service management", "", Decimal("40000")),
            (
                "invoices",
                RateKind.PER_UNIT,
                "Invoice processing",
                "supplier invoice",
                Decimal("2.50"),
            ),
        ],
    )
    metrics = fields.pop(
        "metrics",
        [
            ("accuracy", "Invoice accuracy", "%", "99", Better.HIGHER, "97", "5"),
            ("cycle-time", "Cycle time", "days", "3", Better.LOWER, "5", "4"),
        ],
    )
    values = {
        "client_organization_id": client.id,
        "vendor_organization_id": vendor.id,
        "function_id": function_record.id,
        "title": f"Run {function_record.name}",
        "catalogue_key": function_record.catalogue_key,
        "currency": function_record.currency,
        "start_date": start,
        "end_date": term_end(start, months),
        "payment_terms_days": 30,
        "vat_treatment": VatTreatment.DOMESTIC,
        "vat_rate": Decimal("20"),
        "transition_cost": Decimal("120000"),
        "status": status,
    }
    if status not in (ContractStatus.DRAFT, ContractStatus.CANCELLED):
        values["sent_at"] = utcnow()
    if status in (ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED):
        values["accepted_at"] = utcnow()
    values.update(fields)
    with organization_context(client.id):
        record = Contract(**values)
        version = ContractVersion(
            number=1, effective_from=record.start_date, end_date=record.end_date, **version_fields
        )
        version.rate_lines = [
            RateCardLine(
                position=position, code=code, kind=kind, description=text, unit=unit, rate=rate
            )
            for position, (code, kind, text, unit, rate) in enumerate(lines)
        ]
        version.metrics = [
            SlaMetric(
                position=position,
                code=code,
                name=name,
                unit=unit,
                target=Decimal(target),
                better=better,
                critical_threshold=Decimal(critical) if critical is not None else None,
                credit_percent=Decimal(credit),
            )
            for position, (code, name, unit, target, better, critical, credit) in enumerate(metrics)
        ]
        record.versions = [version]
        db.session.add(record)
        db.session.flush()
    return record


def delivery_report(contract_record, period, **fields):
    """A report of ``contract_record`` for ``period`` (a date in the month): submitted by default.

    ``volumes`` maps line codes to quantities (default 10,000 for each unit
    line), ``values`` maps metric codes to values (default: each target, so
    every metric is met; None for a metric not reported).
    """
    from contracts.models import DeliveryReport, ReportMeasurement, ReportStatus, ReportVolume
    from contracts.rules import month_start
    from portal.db import utcnow

    period = month_start(period)
    version = contract_record.version_for(period)
    volumes = fields.pop("volumes", {})
    values = fields.pop("values", {})
    status = ReportStatus(fields.pop("status", "submitted"))
    report_values = {
        "contract_id": contract_record.id,
        "client_organization_id": contract_record.client_organization_id,
        "vendor_organization_id": contract_record.vendor_organization_id,
        "period": period,
        "contract_version_id": version.id,
        "status": status,
        "comment": "",
    }
    if status != ReportStatus.DRAFT:
        report_values["submitted_at"] = utcnow()
    report_values.update(fields)
    with organization_context(contract_record.vendor_organization_id):
        record = DeliveryReport(**report_values)
        record.volumes = [
            ReportVolume(line_id=line.id, quantity=Decimal(volumes.get(line.code, "10000")))
            for line in version.unit_lines
        ]
        record.measurements = [
            ReportMeasurement(metric_id=metric.id, value=_reported(values, metric))
            for metric in version.metrics
        ]
        db.session.add(record)
        db.session.flush()
    return record


def _reported(values: dict, metric):
    """The value given for ``metric`` (None: not reported), or its target when not given."""
    if metric.code not in values:
        return metric.target
    value = values[metric.code]
    return None if value is None else Decimal(str(value))


# --- Invoices ------------------------------------------------------------------------


def invoice(contract_record, **fields):
    """An invoice of the contract's vendor to its client: a draft unless ``status`` says
    otherwise (an issued one gets the vendor's next number, its issue and due dates).

    ``lines`` are (kind, description, quantity, unit price) with the contract's VAT;
    by default one fixed fee of 40,000.
    """
    from datetime import timedelta

    from billing.models import Invoice, InvoiceLine, InvoiceStatus, LineKind
    from billing.numbering import assign_number
    from billing.rules import invoice_totals, line_amount, vat_of_treatment
    from contracts.rules import month_end

    status = InvoiceStatus(fields.pop("status", "draft"))
    period = fields.pop("period", contract_record.start_date.replace(day=1))
    issue_date = fields.pop("issue_date", month_end(period) + timedelta(days=3))
    lines = fields.pop(
        "lines", [(LineKind.FIXED_FEE, "Service management", Decimal(1), Decimal("40000"))]
    )
    currency = contract_record.currency
    category, rate = vat_of_treatment(contract_record.vat_treatment, contract_record.vat_rate)
    values = {
        "vendor_organization_id": contract_record.vendor_organization_id,
        "client_organization_id": contract_record.client_organization_id,
        "contract_id": contract_record.id,
        "period_start": period,
        "period_end": month_end(period),
        "currency": currency,
        "vat_treatment": contract_record.vat_treatment,
    }
    values.update(fields)
    with organization_context(contract_record.vendor_organization_id):
        record = Invoice(**values)
        record.lines = [
            InvoiceLine(
                position=position,
                kind=LineKind(kind),
                description=text,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                net_amount=line_amount(Decimal(quantity), Decimal(price), currency),
                vat_category=category,
                vat_rate=rate,
            )
            for position, (kind, text, quantity, price) in enumerate(lines)
        ]
        totals = invoice_totals(
            ((line.vat_category, line.vat_rate, line.net_amount) for line in record.lines),
            currency,
        )
        record.net_total, record.vat_total = totals.net_total, totals.vat_total
        record.gross_total = totals.gross_total
        db.session.add(record)
        db.session.flush()
        if status is not InvoiceStatus.DRAFT:
            assign_number(record, issue_date)
            record.due_date = issue_date + timedelta(days=contract_record.payment_terms_days)
            record.status = status
            db.session.flush()
    return record
