"""Demo data of contracts: a year of delivery for the three functions Northwind
no longer runs itself.

Loaded by ``portal.demo.load_demo`` after the tendering demo. The story goes on
from there (and the savings pages will tell it in figures):

- accounts payable, awarded to Atlas a year ago: a per-invoice rate, volumes
  around 12,000 a month, an amendment four months ago that tightened the cycle
  time after Atlas's OCR upgrade, one month disputed and corrected, a critical
  accuracy breach, and last month's report waiting for Northwind's review;
- payroll, contracted directly with Clairval: a fixed fee plus a rate per
  payslip, several missed service levels and their credits;
- the general ledger, run by Northwind's own centre in Kraków as an internal
  chargeback, on schedule almost every month.

Dates come from the moment of loading: the contracts started twelve months ago
and every closed month has its report. Each contract is created only when
missing (by title), so loading twice creates nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

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
from contracts.rules import add_months, month_end, month_start, term_end
from portal import audit, db
from portal.db import utcnow
from portal.demo import ORGANIZATIONS, find_demo_organization
from portal.models import BackOfficeFunction, Organization, Role, User
from portal.notifications.service import members_of
from portal.tenancy import across_tenants, organization_context
from vendors.demo import ORGANIZATIONS as VENDOR_ORGANIZATIONS
from vendors.models import Better, Bid, Tender

FIXED = RateKind.FIXED_MONTHLY
PER_UNIT = RateKind.PER_UNIT
HIGHER = Better.HIGHER
LOWER = Better.LOWER


@dataclass(frozen=True)
class DemoTerms:
    """One version of a demo contract's terms, from ``months`` after its start."""

    months: int
    summary: str
    lines: tuple[tuple[str, RateKind, str, str, str], ...]
    #: (code, library key, name, unit, target, better, critical, credit %)
    metrics: tuple[tuple[str, str | None, str, str, str, Better, str | None, str], ...]
    credit_cap: str
    governance: str
    minimum: str | None = None


@dataclass(frozen=True)
class DemoContract:
    title: str
    catalogue_key: str
    vendor: str
    scope: str
    vat: VatTreatment
    vat_rate: str
    transition_cost: str
    terms: tuple[DemoTerms, ...]
    #: One month of delivery: (volumes by line code, values by metric code), oldest first.
    months: tuple[tuple[dict[str, str], dict[str, str | None]], ...]
    #: Months (0 = the first) whose first report was disputed, with the corrected values.
    disputes: dict[int, tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=dict)
    from_tender: str | None = None


def _months(volumes: list[dict[str, str]], values: list[dict[str, str | None]]):
    return tuple(zip(volumes, values, strict=True))


AP_VOLUMES = [
    "11840",
    "12130",
    "12960",
    "11710",
    "12240",
    "12480",
    "11920",
    "12310",
    "13240",
    "12050",
    "11890",
    "12420",
]
AP_ACCURACY = [
    "99.6",
    "99.7",
    "99.5",
    "99.8",
    "99.6",
    "99.7",
    "99.5",
    "99.6",
    "97.6",
    "99.7",
    "99.8",
    "99.7",
]
AP_CYCLE = ["1.9", "1.8", "2.4", "1.9", "1.7", "1.8", "1.9", "1.6", "1.9", "1.4", "1.5", "1.4"]
AP_ON_TIME = [
    "98.4",
    "98.9",
    "98.2",
    "99.1",
    "97.6",
    "98.8",
    "99.0",
    "98.7",
    "98.1",
    "99.2",
    "99.0",
    "98.9",
]

PAYSLIPS = [
    "2580",
    "2600",
    "2610",
    "2640",
    "2590",
    "2600",
    "2620",
    "2650",
    "2600",
    "2610",
    "2630",
    "2660",
]
PAYROLL_ON_TIME = [
    "100",
    "100",
    "99.2",
    "100",
    "100",
    "100",
    "98.6",
    "100",
    "100",
    "99.6",
    "100",
    "100",
]
PAYROLL_ACCURACY = [
    "99.6",
    "99.3",
    "99.6",
    "99.7",
    "99.1",
    "99.6",
    "99.5",
    "99.4",
    "99.7",
    "99.6",
    "99.2",
    "99.6",
]
PAYROLL_QUERIES = ["2", "2", "3", "2", "2", "1.5", "2", "2.5", "2", "2", "2", "1.5"]

GL_CLOSE = ["5", "5", "4", "5", "6", "5", "4", "4", "5", "4", "4", "4"]
GL_RECONCILED = [
    "100",
    "100",
    "100",
    "99.5",
    "100",
    "100",
    "100",
    "100",
    "100",
    "100",
    "100",
    "100",
]

AP_METRICS_V1 = (
    ("accuracy", "invoice_accuracy", "Invoice processing accuracy", "%", "99.5", HIGHER, "98", "5"),
    (
        "cycle-time",
        "invoice_cycle_time",
        "Invoice processing cycle time",
        "days",
        "2",
        LOWER,
        "4",
        "4",
    ),
    (
        "payments-on-time",
        "payments_on_time",
        "Supplier payments made on time",
        "%",
        "98",
        HIGHER,
        "95",
        "3",
    ),
)

CONTRACTS = (
    DemoContract(
        title="Accounts payable — purchase-to-pay processing",
        catalogue_key="accounts_payable",
        vendor="atlas",
        from_tender="Accounts payable — purchase-to-pay processing",
        scope=(
            "Supplier invoices of the French and Belgian entities, end to end: capture, "
            "three-way match in SAP S/4HANA, approvals, payment runs prepared twice a week, "
            "supplier queries in French and English, statement reconciliation."
        ),
        vat=VatTreatment.REVERSE_CHARGE,
        vat_rate="0",
        transition_cost="95000",
        terms=(
            DemoTerms(
                0,
                "",
                lines=(
                    (
                        "invoices",
                        PER_UNIT,
                        "Supplier invoice processed, end to end",
                        "supplier invoice",
                        "5.20",
                    ),
                ),
                metrics=AP_METRICS_V1,
                credit_cap="12",
                governance="3000",
            ),
            DemoTerms(
                8,
                "Atlas's OCR upgrade went live: the cycle-time target tightens to 1.5 days and "
                "the rate per invoice drops to 5.10.",
                lines=(
                    (
                        "invoices",
                        PER_UNIT,
                        "Supplier invoice processed, end to end",
                        "supplier invoice",
                        "5.10",
                    ),
                ),
                metrics=(
                    AP_METRICS_V1[0],
                    (
                        "cycle-time",
                        "invoice_cycle_time",
                        "Invoice processing cycle time",
                        "days",
                        "1.5",
                        LOWER,
                        "3",
                        "4",
                    ),
                    AP_METRICS_V1[2],
                ),
                credit_cap="12",
                governance="3000",
            ),
        ),
        months=_months(
            [{"invoices": volume} for volume in AP_VOLUMES],
            [
                {"accuracy": a, "cycle-time": c, "payments-on-time": p}
                for a, c, p in zip(AP_ACCURACY, AP_CYCLE, AP_ON_TIME, strict=True)
            ],
        ),
        disputes={
            5: (
                "Our AP ledger shows 12,480 invoices posted in the month, not 12,950: the "
                "duplicates rejected at capture were counted.",
                {"invoices": "12950"},
                {},
            )
        },
    ),
    DemoContract(
        title="Payroll — France and Benelux",
        catalogue_key="payroll",
        vendor="clairval",
        scope=(
            "Monthly payroll of about 2,600 employees in France, Belgium and the Netherlands: "
            "inputs, calculation, payslips, social declarations (DSN), employee queries."
        ),
        vat=VatTreatment.DOMESTIC,
        vat_rate="20",
        transition_cost="30000",
        terms=(
            DemoTerms(
                0,
                "",
                lines=(
                    ("service", FIXED, "Payroll service management and DSN filings", "", "12000"),
                    ("payslips", PER_UNIT, "Payslip produced", "payslip", "7.90"),
                ),
                metrics=(
                    (
                        "on-time",
                        "payroll_on_time",
                        "Payroll paid on time",
                        "%",
                        "100",
                        HIGHER,
                        "99",
                        "8",
                    ),
                    (
                        "accuracy",
                        "payroll_accuracy",
                        "Payslip accuracy",
                        "%",
                        "99.5",
                        HIGHER,
                        "99",
                        "6",
                    ),
                    ("queries", None, "Employee queries answered", "days", "2", LOWER, "4", "2"),
                ),
                credit_cap="15",
                governance="1500",
                minimum="30000",
            ),
        ),
        months=_months(
            [{"payslips": volume} for volume in PAYSLIPS],
            [
                {"on-time": o, "accuracy": a, "queries": q}
                for o, a, q in zip(PAYROLL_ON_TIME, PAYROLL_ACCURACY, PAYROLL_QUERIES, strict=True)
            ],
        ),
    ),
    DemoContract(
        title="General ledger — record to report",
        catalogue_key="general_ledger",
        vendor="northwind-shared",
        scope=(
            "Journal entries, intercompany, balance-sheet reconciliations and the month-end "
            "close of every entity, run by the Kraków centre."
        ),
        vat=VatTreatment.INTERNAL,
        vat_rate="0",
        transition_cost="60000",
        terms=(
            DemoTerms(
                0,
                "",
                lines=(
                    ("chargeback", FIXED, "Internal chargeback of the Kraków team", "", "29500"),
                ),
                metrics=(
                    (
                        "close",
                        "close_on_time",
                        "Month-end close on schedule",
                        "days",
                        "5",
                        LOWER,
                        "7",
                        "0",
                    ),
                    (
                        "reconciled",
                        None,
                        "Balance-sheet accounts reconciled",
                        "%",
                        "100",
                        HIGHER,
                        "98",
                        "0",
                    ),
                ),
                credit_cap="0",
                governance="1200",
            ),
        ),
        months=_months(
            [{} for _ in GL_CLOSE],
            [{"close": c, "reconciled": r} for c, r in zip(GL_CLOSE, GL_RECONCILED, strict=True)],
        ),
    ),
)


def load_demo(organizations: dict[str, Organization | None]) -> bool:
    """Create Northwind's contracts and their year of delivery where missing."""
    northwind = organizations.get("northwind")
    if northwind is None:
        return False
    vendors = _vendor_organizations()
    today = utcnow().date()
    created = False
    for demo in CONTRACTS:
        vendor = vendors.get(demo.vendor)
        if vendor is not None:
            created = _contract(demo, northwind, vendor, today) or created
    db.session.flush()
    return created


def _vendor_organizations() -> dict[str, Organization]:
    found = {
        demo.key: find_demo_organization(demo) for demo in (*ORGANIZATIONS, *VENDOR_ORGANIZATIONS)
    }
    return {key: org for key, org in found.items() if org is not None}


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=utcnow().tzinfo)


def _record(action: str, target, actor: User, when: datetime, organization_id: int, **fields):
    """An audit event dated when the story says it happened."""
    with organization_context(organization_id):
        event = audit.record(action, target, actor=actor, organization_id=organization_id, **fields)
        event.occurred_at = when


def _contract(demo: DemoContract, client: Organization, vendor: Organization, today: date) -> bool:
    with organization_context(client.id):
        existing = db.session.scalars(
            select(Contract.id).where(Contract.title == demo.title)
        ).first()
        if existing is not None:
            return False
        function = db.session.scalars(
            select(BackOfficeFunction).where(BackOfficeFunction.catalogue_key == demo.catalogue_key)
        ).first()
        if function is None:
            return False
        tender = bid = None
        if demo.from_tender:
            tender = db.session.scalars(
                select(Tender).where(Tender.title == demo.from_tender)
            ).first()
            bid = (
                db.session.scalars(
                    across_tenants(select(Bid).where(Bid.id == tender.awarded_bid_id))
                ).first()
                if tender is not None and tender.awarded_bid_id
                else None
            )
    start = add_months(month_start(today), -len(demo.months))
    procurement = _user("procurement@northwind.example")
    finance = _user("finance@northwind.example")
    signatory = _vendor_admin(vendor)
    contract = Contract(
        client_organization_id=client.id,
        vendor_organization_id=vendor.id,
        function_id=function.id,
        tender_id=tender.id if tender is not None else None,
        bid_id=bid.id if bid is not None else None,
        title=demo.title,
        catalogue_key=demo.catalogue_key,
        scope=demo.scope,
        currency="EUR",
        start_date=start,
        end_date=term_end(start, 36),
        payment_terms_days=30 if demo.vat is not VatTreatment.INTERNAL else 15,
        vat_treatment=demo.vat,
        vat_rate=Decimal(demo.vat_rate),
        transition_cost=Decimal(demo.transition_cost),
        status=ContractStatus.ACTIVE,
        created_by_id=procurement.id,
        sent_at=_at(start - timedelta(days=40), 10),
        accepted_at=_at(start - timedelta(days=33), 15),
        accepted_by_id=signatory.id,
    )
    contract.created_at = _at(start - timedelta(days=45), 9)
    contract.versions = [
        _version(contract, number, terms, procurement)
        for number, terms in enumerate(demo.terms, start=1)
    ]
    with organization_context(client.id):
        db.session.add(contract)
        db.session.flush()
        for action, actor, when, organization_id in (
            ("contract.created", procurement, contract.created_at, client.id),
            ("contract.sent", procurement, contract.sent_at, client.id),
            ("contract.accepted", signatory, contract.accepted_at, client.id),
            ("contract.accepted", signatory, contract.accepted_at, vendor.id),
        ):
            _record(action, contract, actor, when, organization_id, summary=contract.title)
        for version in contract.versions[1:]:
            _record(
                "contract.amended",
                contract,
                procurement,
                _at(version.effective_from - timedelta(days=20), 11),
                client.id,
                summary=version.summary[:300],
            )
    reporter = _vendor_reporter(vendor)
    for index, (volumes, values) in enumerate(demo.months):
        period = add_months(start, index)
        last = index == len(demo.months) - 1
        dispute = demo.disputes.get(index)
        report_version = 1
        supersedes = None
        if dispute is not None:
            reason, wrong_volumes, wrong_values = dispute
            supersedes = _report(
                contract,
                period,
                1,
                {**volumes, **wrong_volumes},
                {**values, **wrong_values},
                ReportStatus.DISPUTED,
                reporter,
                finance,
                reason=reason,
            )
            report_version = 2
        status = ReportStatus.SUBMITTED if last and demo.from_tender else ReportStatus.ACCEPTED
        _report(
            contract,
            period,
            report_version,
            volumes,
            values,
            status,
            reporter,
            finance,
            supersedes=supersedes,
        )
    return True


def _version(contract: Contract, number: int, terms: DemoTerms, author: User) -> ContractVersion:
    effective = add_months(contract.start_date, terms.months)
    version = ContractVersion(
        number=number,
        effective_from=effective,
        end_date=contract.end_date,
        summary=terms.summary,
        monthly_minimum=Decimal(terms.minimum) if terms.minimum else None,
        credit_cap_percent=Decimal(terms.credit_cap),
        retained_governance_monthly=Decimal(terms.governance),
        created_by_id=author.id,
    )
    version.created_at = _at(effective - timedelta(days=20), 11)
    version.rate_lines = [
        RateCardLine(
            position=position, code=code, kind=kind, description=text, unit=unit, rate=Decimal(rate)
        )
        for position, (code, kind, text, unit, rate) in enumerate(terms.lines)
    ]
    version.metrics = [
        SlaMetric(
            position=position,
            code=code,
            library_key=library_key,
            name=name,
            unit=unit,
            target=Decimal(target),
            better=better,
            critical_threshold=Decimal(critical) if critical is not None else None,
            credit_percent=Decimal(credit),
        )
        for position, (
            code,
            library_key,
            name,
            unit,
            target,
            better,
            critical,
            credit,
        ) in enumerate(terms.metrics)
    ]
    return version


def _report(
    contract: Contract,
    period: date,
    number: int,
    volumes: dict[str, str],
    values: dict[str, str | None],
    status: ReportStatus,
    reporter: User,
    reviewer: User,
    *,
    reason: str | None = None,
    supersedes: DeliveryReport | None = None,
) -> DeliveryReport:
    version = contract.version_for(period)
    submitted = _at(month_end(period) + timedelta(days=3 + 5 * (number - 1)), 9)
    reviewed = submitted + timedelta(days=3, hours=6)
    report = DeliveryReport(
        contract_id=contract.id,
        client_organization_id=contract.client_organization_id,
        vendor_organization_id=contract.vendor_organization_id,
        period=period,
        version=number,
        contract_version_id=version.id,
        supersedes_id=supersedes.id if supersedes is not None else None,
        status=status,
        source="csv" if number == 1 else "form",
        comment="",
        submitted_at=submitted,
        submitted_by_id=reporter.id,
    )
    report.created_at = submitted - timedelta(hours=2)
    report.contract = contract
    report.contract_version = version
    lines = {line.code: line for line in version.unit_lines}
    report.volumes = [
        ReportVolume(
            line_id=lines[code].id,
            quantity=Decimal(quantity),
            dispute_reason=reason if reason and status is ReportStatus.DISPUTED else None,
        )
        for code, quantity in volumes.items()
    ]
    metrics = {metric.code: metric for metric in version.metrics}
    report.measurements = [
        ReportMeasurement(
            metric_id=metrics[code].id, value=Decimal(value) if value is not None else None
        )
        for code, value in values.items()
    ]
    if status is not ReportStatus.SUBMITTED:
        report.reviewed_at = reviewed
        report.reviewed_by_id = reviewer.id
    if status is ReportStatus.DISPUTED:
        report.dispute_reason = reason
    db.session.add(report)
    db.session.flush()
    if supersedes is not None:
        supersedes.status = ReportStatus.SUPERSEDED
    if status is ReportStatus.ACCEPTED:
        record_results(report, notify_breaches=False)
    for action, actor, when, organization_id in (
        ("report.submitted", reporter, submitted, contract.vendor_organization_id),
        ("report.submitted", reporter, submitted, contract.client_organization_id),
    ):
        _record(action, report, actor, when, organization_id, summary=f"{period:%Y-%m}")
    if status in (ReportStatus.ACCEPTED, ReportStatus.DISPUTED):
        action = f"report.{status.value}"
        for organization_id in (contract.client_organization_id, contract.vendor_organization_id):
            _record(action, report, reviewer, reviewed, organization_id, summary=f"{period:%Y-%m}")
    return report


def _vendor_admin(vendor: Organization) -> User:
    return members_of(vendor.id, (Role.ADMIN,))[0]


def _vendor_reporter(vendor: Organization) -> User:
    people = members_of(vendor.id, (Role.DELIVERY,)) or members_of(vendor.id, (Role.ADMIN,))
    return people[0]
