"""Benchmarks of the portal's list pages: time, SQL statements and memory.

``make bench`` runs this against a fresh SQLite database (or ``DATABASE_URL``)
filled with a large organization, and prints one line per page. Each page has
a target; the script exits non-zero when one is missed. Figures, not unit
tests: timing belongs here, never in the test suite.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.models import Contract  # noqa: E402
from portal import create_app, db, migrations  # noqa: E402
from portal.auth.passwords import hash_password  # noqa: E402
from portal.auth.sessions import start_session  # noqa: E402
from portal.config import Settings  # noqa: E402
from portal.db import utcnow  # noqa: E402
from portal.models import (  # noqa: E402
    AuditEvent,
    BackOfficeFunction,
    Department,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from portal.tenancy import organization_context  # noqa: E402

FUNCTIONS = 1_000
DEPARTMENTS = 20
MEMBERS = 500
AUDIT_EVENTS = 20_000
VENDORS = 200
TENDERS = 300
BIDS_ON_ONE_TENDER = 30
CONTRACTS = 100
METRICS = 20
HISTORY_MONTHS = 36
INVOICE_MONTHS = 12
RUNS = 15

#: page → (median milliseconds, peak MiB allocated while rendering it) not to exceed.
TARGETS = {
    "/functions/": (400, 40),
    "/members": (150, 20),
    "/audit-log/": (150, 20),
    "/notifications/": (100, 20),
    "/api/v1/functions?per_page=100": (150, 20),
    "/directory": (200, 20),
    "/tenders": (150, 20),
    "/marketplace": (150, 20),
    "/tenders/{evaluated}/evaluation": (400, 40),
    "/api/v1/marketplace/tenders?per_page=100": (200, 20),
    "/contracts": (150, 20),
    "/contracts/{history}": (150, 20),
    "/contracts/{history}/reports": (200, 20),
    "/contracts/{history}/results": (400, 40),
    "/contracts/{history}/results.csv": (400, 40),
    "/contracts/{history}/metrics/{metric}/chart.svg": (250, 20),
    "/vendor-performance": (200, 20),
    "/api/v1/contracts/{history}/results": (400, 40),
    "/invoices": (200, 20),
    "/invoices.csv": (1500, 60),
    "/api/v1/invoices?per_page=100": (200, 20),
    "/savings": (600, 60),
    "/savings/functions/{function}": (400, 40),
    "/savings/overview": (1500, 80),
}


def _fill_tendering(organization_id: int, hashed: str) -> int:
    """Vendors in the directory, the bench company's tenders, another client's open
    tenders for its marketplace, and one closed tender with many bids to compare.

    Returns the id of the tender to evaluate.
    """
    from datetime import date, timedelta

    from vendors.models import (
        Better,
        Bid,
        BidPriceLine,
        BidScore,
        BidSlaCommitment,
        BidStatus,
        EvaluationCriterion,
        LocationKind,
        PriceLineKind,
        Tender,
        TenderSlaRequirement,
        TenderStatus,
        TenderVisibility,
        VendorCertification,
        VendorFunction,
        VendorLanguage,
        VendorLocation,
        VendorProfile,
    )

    session = db.session
    now = utcnow()

    def organization(name: str, kind: OrganizationKind) -> Organization:
        record = Organization(
            name=name,
            slug=name.upper().replace(" ", "")[:20],
            kind=kind,
            legal_name=f"{name} Ltd",
            country="PT",
            address_line1="1 rua",
            postal_code="1000",
            city="Lisbon",
            default_currency="EUR",
        )
        session.add(record)
        return record

    vendors = [organization(f"Vendor {n}", OrganizationKind.VENDOR) for n in range(VENDORS)]
    other_client = organization("Other Client", OrganizationKind.CLIENT)
    session.flush()
    for vendor in vendors:
        profile = VendorProfile(organization_id=vendor.id, listed=True, description="Back office.")
        profile.functions = [VendorFunction(catalogue_key="accounts_payable")]
        profile.languages = [VendorLanguage(code="en"), VendorLanguage(code="fr")]
        profile.locations = [
            VendorLocation(city="Lisbon", country="PT", kind=LocationKind.NEARSHORE)
        ]
        profile.certifications = [
            VendorCertification(standard="iso_27001", expires_on=date(2030, 1, 1))
        ]
        session.add(profile)

    def tender(owner_id: int, function_id: int, **values) -> Tender:
        record = Tender(
            organization_id=owner_id,
            function_id=function_id,
            title=values.pop("title"),
            currency="EUR",
            monthly_volume=Decimal("12000"),
            volume_unit="supplier invoices",
            term_months=36,
            start_date=date(2027, 1, 1),
            **values,
        )
        record.sla_requirements = [
            TenderSlaRequirement(
                metric="Accuracy", unit="%", target=Decimal("99"), better=Better.HIGHER
            )
        ]
        record.criteria = [
            EvaluationCriterion(position=0, name="Price", weight=60, is_price=True),
            EvaluationCriterion(position=1, name="Quality", weight=40),
        ]
        session.add(record)
        return record

    own_function = session.scalar(
        BackOfficeFunction.__table__.select().with_only_columns(BackOfficeFunction.id).limit(1)
    )
    with organization_context(other_client.id):
        other_function = BackOfficeFunction(
            organization_id=other_client.id,
            department_id=session.scalar(
                Department.__table__.select().with_only_columns(Department.id).limit(1)
            ),
            name="Accounts payable",
            catalogue_key="accounts_payable",
            currency="EUR",
        )
        session.add(other_function)
        session.flush()
        for n in range(TENDERS):
            tender(
                other_client.id,
                other_function.id,
                title=f"Open tender {n}",
                status=TenderStatus.PUBLISHED,
                visibility=TenderVisibility.OPEN,
                bid_deadline=now + timedelta(days=1 + n % 60),
                published_at=now,
            )
    for n in range(TENDERS):
        tender(
            organization_id,
            own_function,
            title=f"Own tender {n}",
            status=TenderStatus.PUBLISHED,
            visibility=TenderVisibility.OPEN,
            bid_deadline=now + timedelta(days=1 + n % 60),
            published_at=now,
        )
    evaluated = tender(
        organization_id,
        own_function,
        title="Tender under evaluation",
        status=TenderStatus.CLOSED,
        visibility=TenderVisibility.OPEN,
        bid_deadline=now - timedelta(days=1),
        published_at=now - timedelta(days=30),
    )
    session.flush()
    requirement = evaluated.sla_requirements[0]
    quality = evaluated.criteria[1]
    admin_id = session.scalar(
        User.__table__.select()
        .with_only_columns(User.id)
        .where(User.email == "bench-admin@example.com")
    )
    for n, vendor in enumerate(vendors[:BIDS_ON_ONE_TENDER]):
        bid = Bid(
            organization_id=vendor.id,
            tender_id=evaluated.id,
            status=BidStatus.SUBMITTED,
            currency="EUR",
            transition_cost=Decimal(100000 + n * 1000),
            submitted_at=now - timedelta(days=2),
        )
        bid.price_lines = [
            BidPriceLine(kind=PriceLineKind.FIXED_MONTHLY, unit_price=Decimal(40000 + n * 500)),
            BidPriceLine(kind=PriceLineKind.PER_UNIT, unit_price=Decimal("1.25")),
        ]
        bid.sla_commitments = [
            BidSlaCommitment(requirement_id=requirement.id, committed=Decimal(98 + n % 3))
        ]
        session.add(bid)
        session.flush()
        session.add(
            BidScore(
                organization_id=organization_id,
                bid_id=bid.id,
                criterion_id=quality.id,
                evaluator_id=admin_id,
                score=n % 11,
            )
        )
    return evaluated.id


def _fill_contracts(organization_id: int) -> tuple[int, int]:
    """Contracts of the bench company with many vendors, and one with 36 accepted
    months of 20 metrics each (the SLA history pages).

    Returns the ids of the contract with the long history and of one of its metrics.
    """
    from datetime import date

    from contracts.models import (
        Contract,
        ContractStatus,
        ContractVersion,
        DeliveryReport,
        RateCardLine,
        RateKind,
        ReportMeasurement,
        ReportStatus,
        ReportVolume,
        SlaMetric,
        VatTreatment,
    )
    from contracts.operations.results import record_results
    from contracts.rules import add_months, term_end
    from vendors.models import Better

    session = db.session
    function_id = session.scalars(
        select(BackOfficeFunction.id).where(BackOfficeFunction.organization_id == organization_id)
    ).first()
    vendor_ids = session.scalars(
        select(Organization.id).where(Organization.kind == OrganizationKind.VENDOR).limit(CONTRACTS)
    ).all()
    start = date(2023, 1, 1)
    contracts = []
    for number, vendor_id in enumerate(vendor_ids):
        contract = Contract(
            client_organization_id=organization_id,
            vendor_organization_id=vendor_id,
            function_id=function_id,
            title=f"Contract {number}",
            currency="EUR",
            start_date=start,
            end_date=term_end(start, 48),
            vat_treatment=VatTreatment.DOMESTIC,
            vat_rate=Decimal("20"),
            status=ContractStatus.ACTIVE,
        )
        version = ContractVersion(
            number=1, effective_from=start, end_date=contract.end_date, credit_cap_percent=10
        )
        version.rate_lines = [
            RateCardLine(
                position=0,
                code="base",
                kind=RateKind.FIXED_MONTHLY,
                description="Base fee",
                rate=Decimal("30000"),
            ),
            RateCardLine(
                position=1,
                code="items",
                kind=RateKind.PER_UNIT,
                description="Item",
                unit="item",
                rate=Decimal("1.25"),
            ),
        ]
        version.metrics = [
            SlaMetric(
                position=n,
                code=f"metric-{n}",
                name=f"Metric {n}",
                unit="%",
                target=Decimal("98"),
                better=Better.HIGHER,
                critical_threshold=Decimal("95"),
                credit_percent=Decimal("2"),
            )
            for n in range(METRICS if number == 0 else 3)
        ]
        contract.versions = [version]
        session.add(contract)
        contracts.append(contract)
    session.flush()
    history = contracts[0]
    version = history.versions[0]
    for month in range(HISTORY_MONTHS):
        report = DeliveryReport(
            contract_id=history.id,
            client_organization_id=organization_id,
            vendor_organization_id=history.vendor_organization_id,
            period=add_months(start, month),
            contract_version_id=version.id,
            status=ReportStatus.ACCEPTED,
        )
        report.contract = history
        report.contract_version = version
        report.volumes = [ReportVolume(line_id=version.rate_lines[1].id, quantity=10_000 + month)]
        report.measurements = [
            ReportMeasurement(metric_id=metric.id, value=Decimal(96 + (month + n) % 4))
            for n, metric in enumerate(version.metrics)
        ]
        session.add(report)
        session.flush()
        record_results(report, notify_breaches=False)
    session.flush()
    _fill_invoices(contracts)
    return history.id, version.metrics[0].id


def _fill_invoices(contracts) -> None:
    """Invoices the vendors issued to the bench company: a year per contract."""
    from datetime import date, timedelta

    from billing.models import Invoice, InvoiceLine, InvoiceStatus, LineKind, VatCategory
    from contracts.rules import add_months, month_end

    session = db.session
    for contract in contracts:
        for month in range(INVOICE_MONTHS):
            period = add_months(date(2025, 1, 1), month)
            issued = month_end(period) + timedelta(days=3)
            invoice = Invoice(
                vendor_organization_id=contract.vendor_organization_id,
                client_organization_id=contract.client_organization_id,
                contract_id=contract.id,
                status=InvoiceStatus.PAID if month < INVOICE_MONTHS - 2 else InvoiceStatus.ISSUED,
                number=f"V{contract.vendor_organization_id}-{issued.year}-{month + 1:05d}",
                number_year=issued.year,
                number_sequence=month + 1,
                issue_date=issued,
                due_date=issued + timedelta(days=30),
                period_start=period,
                period_end=month_end(period),
                currency="EUR",
                vat_treatment=contract.vat_treatment,
                net_total=Decimal("30000.00"),
                vat_total=Decimal("6000.00"),
                gross_total=Decimal("36000.00"),
                amount_paid=Decimal("36000.00") if month < INVOICE_MONTHS - 2 else Decimal(0),
            )
            invoice.lines = [
                InvoiceLine(
                    kind=LineKind.FIXED_FEE,
                    description="Base fee",
                    quantity=Decimal(1),
                    unit="month",
                    unit_price=Decimal("30000"),
                    net_amount=Decimal("30000.00"),
                    vat_category=VatCategory.STANDARD,
                    vat_rate=Decimal("20"),
                )
            ]
            session.add(invoice)
    session.flush()


def _fill(organization_id: int, hashed: str) -> User:
    session = db.session
    admin = User(email="bench-admin@example.com", full_name="Bench Admin", password_hash=hashed)
    session.add(admin)
    session.flush()
    session.execute(
        insert(User),
        [
            {"email": f"member{n}@example.com", "full_name": f"Member {n}", "password_hash": hashed}
            for n in range(MEMBERS)
        ],
    )
    user_ids = [admin.id, *range(admin.id + 1, admin.id + 1 + MEMBERS)]
    session.execute(
        insert(Membership),
        [
            {
                "organization_id": organization_id,
                "user_id": uid,
                "role": Role.ADMIN if i == 0 else Role.VIEWER,
            }
            for i, uid in enumerate(user_ids)
        ],
    )
    session.execute(
        insert(Department),
        [
            {"organization_id": organization_id, "name": f"Department {n}"}
            for n in range(DEPARTMENTS)
        ],
    )
    first_department = session.scalar(
        Department.__table__.select().with_only_columns(Department.id).order_by(Department.id)
    )
    session.execute(
        insert(BackOfficeFunction),
        [
            {
                "organization_id": organization_id,
                "department_id": first_department + n % DEPARTMENTS,
                "name": f"Function {n}",
                "currency": "EUR" if n % 7 else "GBP",
                "ftes": Decimal("12.5"),
                "annual_cost_per_fte": Decimal("52000"),
                "annual_overheads": Decimal("84000"),
                "annual_facilities": Decimal("63000"),
                "annual_technology": Decimal("48000"),
                "annual_management": Decimal("110000"),
                "monthly_volume": 12000,
                "volume_unit": "supplier invoices",
            }
            for n in range(FUNCTIONS)
        ],
    )
    session.execute(
        insert(AuditEvent),
        [
            {
                "organization_id": organization_id,
                "occurred_at": utcnow(),
                "actor_id": admin.id,
                "action": "function.updated",
                "target_type": "BackOfficeFunction",
                "target_id": n,
                "summary": f"Function {n % FUNCTIONS}",
                "before": {"ftes": "12.00"},
                "after": {"ftes": "12.50"},
            }
            for n in range(AUDIT_EVENTS)
        ],
    )
    return admin


def main() -> int:
    import os

    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
        app = create_app(
            Settings(ENV="test", DATABASE_URL=url, INSTANCE_PATH=scratch, extra={"TESTING": True})
        )
        engine = app.extensions["relais_engine"]
        migrations.upgrade(engine)
        with app.app_context():
            organization = Organization(
                name="Bench Holdings",
                slug="BENCH",
                # Both sides, so that the client's and the vendor's pages can be measured.
                kind=OrganizationKind.BOTH,
                legal_name="Bench SA",
                country="FR",
                address_line1="1 rue",
                postal_code="75001",
                city="Paris",
                default_currency="EUR",
            )
            db.session.add(organization)
            db.session.flush()
            started = time.perf_counter()
            hashed = hash_password("bench-password")
            with organization_context(organization.id):
                admin = _fill(organization.id, hashed)
                evaluated = _fill_tendering(organization.id, hashed)
                history, metric = _fill_contracts(organization.id)
                function = db.session.scalar(
                    select(Contract.function_id).where(Contract.id == history)
                )
            token = start_session(admin, organization.id)
            db.session.commit()
            print(
                f"filled {FUNCTIONS} functions, {MEMBERS} members, {AUDIT_EVENTS} audit events, "
                f"{VENDORS} vendors, {2 * TENDERS} tenders, {BIDS_ON_ONE_TENDER} bids on one, "
                f"{CONTRACTS} contracts, {HISTORY_MONTHS} months × {METRICS} metrics on one, "
                f"{CONTRACTS * INVOICE_MONTHS} invoices "
                f"in {time.perf_counter() - started:.1f} s ({engine.dialect.name})"
            )

        from portal.api.operations import TOKEN_PREFIX
        from portal.models import ApiToken
        from portal.tokens import new_token, token_hash

        secret = TOKEN_PREFIX + new_token()
        with app.app_context(), organization_context(organization.id):
            db.session.add(
                ApiToken(
                    name="bench",
                    prefix=secret[:12],
                    token_hash=token_hash(secret),
                    role=Role.VIEWER,
                )
            )
            db.session.commit()

        client = app.test_client()
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = token
            flask_session["_fresh"] = True

        statements = 0

        def _count(*_args):
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", _count)
        failures = 0
        print(f"{'page':<44}{'median ms':>10}{'p95 ms':>9}{'SQL':>6}{'peak MiB':>10}   target")
        for template, (target_ms, target_mib) in TARGETS.items():
            page = template.format(
                evaluated=evaluated, history=history, metric=metric, function=function
            )
            headers = {"Authorization": f"Bearer {secret}"} if page.startswith("/api/") else {}
            timings = []
            for _ in range(RUNS):
                statements = 0
                started = time.perf_counter()
                response = client.get(page, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{page} answered {response.status_code}")
            tracemalloc.start()
            client.get(page, headers=headers)
            peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            median = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            ok = median <= target_ms and peak_mib <= target_mib
            failures += not ok
            print(
                f"{page:<44}{median:>10.1f}{p95:>9.1f}{statements:>6}{peak_mib:>10.1f}   "
                f"≤{target_ms} ms, ≤{target_mib} MiB {'ok' if ok else 'MISSED'}"
            )
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
