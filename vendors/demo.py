"""Demo data of tendering: a directory of vendors and Northwind's tenders in every state.

Loaded by ``portal.demo.load_demo`` (``flask demo load``, ``make run``) after the
portal's organizations, people and register. The story, as Northwind's
procurement team would tell it, and as the savings pages will later tell it:

- a year ago, accounts payable went to Atlas Back Office (awarded tender) and
  the general ledger to Northwind's own centre in Kraków (the tender was
  cancelled for it); payroll was outsourced then too, without a tender here;
- the IT service desk still runs in-house: its tender closed two days ago
  and is being evaluated (three bids, partly scored);
- accounts receivable is out to Atlas and Meridian by invitation (closing in
  five days), HR administration is open to every vendor (ten days), and a
  document-processing tender is still a draft.

Deadlines and dates are set from the moment of loading, so each tender is in
its state whenever the demo is loaded. Every part is created only when it is
missing (profiles by organization, tenders by title): loading twice creates
nothing twice.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import force_locale
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject
from sqlalchemy import select

from portal import audit, db
from portal.db import utcnow
from portal.demo import ORGANIZATIONS as PORTAL_ORGANIZATIONS
from portal.demo import DemoOrganization, create_demo_organization, find_demo_organization
from portal.models import BackOfficeFunction, Organization, Role, User
from portal.tenancy import organization_context
from vendors.models import (
    Better,
    Bid,
    BidAttachment,
    BidPriceLine,
    BidScore,
    BidSlaCommitment,
    BidStatus,
    ClarificationQuestion,
    EvaluationCriterion,
    LocationKind,
    LocationPreference,
    PriceLineKind,
    Tender,
    TenderInvitation,
    TenderSlaRequirement,
    TenderStatus,
    TenderVisibility,
    VendorCertification,
    VendorFunction,
    VendorLanguage,
    VendorLocation,
    VendorProfile,
)
from vendors.sla_library import library_sla

#: Vendors of the directory beyond the portal's demo organizations (one admin each).
ORGANIZATIONS = (
    DemoOrganization(
        key="baltica",
        api_token="rls_demo_baltica_it_services_0005",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Baltica IT Services",
            "kind": "vendor",
            "legal_name": "UAB Baltica IT Services",
            "country": "LT",
            "vat_number": "LT100009876512",
            "registration_number": "305123456",
            "address_line1": "Konstitucijos pr. 21",
            "postal_code": "LT-08130",
            "city": "Vilnius",
            "default_currency": "EUR",
        },
        people=(("admin@baltica.example", "Rūta Kazlauskienė", Role.ADMIN),),
    ),
    DemoOrganization(
        key="kestrel",
        api_token="rls_demo_kestrel_support_0006",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Kestrel Support Solutions",
            "kind": "vendor",
            "legal_name": "Kestrel Support Solutions (Pty) Ltd",
            "country": "ZA",
            "vat_number": "4150271234",
            "registration_number": "2012/145678/07",
            "address_line1": "Portswood Ridge, V&A Waterfront",
            "postal_code": "8001",
            "city": "Cape Town",
            "default_currency": "EUR",
        },
        people=(("admin@kestrel.example", "Thandiwe Nkosi", Role.ADMIN),),
    ),
    DemoOrganization(
        key="clairval",
        api_token="rls_demo_clairval_services_0007",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Clairval Services",
            "kind": "vendor",
            "legal_name": "Clairval Services SAS",
            "legal_form": "SAS",
            "share_capital": "120000",
            "country": "FR",
            "vat_number": "FR13812345674",
            "registration_number": "812345674",
            "address_line1": "27 quai Rambaud",
            "postal_code": "69002",
            "city": "Lyon",
            "default_currency": "EUR",
        },
        people=(("admin@clairval.example", "Julien Moreau", Role.ADMIN),),
    ),
)


# --- The directory ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProfile:
    description: str
    website: str
    functions: tuple[str, ...]
    #: (city, country, kind, headcount); the profile's headcount is their sum.
    locations: tuple[tuple[str, str, LocationKind, int], ...]
    languages: tuple[str, ...]
    #: (standard, certificate number, days from today until it expires; negative: expired).
    certifications: tuple[tuple[str, str, int], ...]


NEARSHORE, OFFSHORE, ONSHORE = LocationKind.NEARSHORE, LocationKind.OFFSHORE, LocationKind.ONSHORE

PROFILES = {
    "atlas": DemoProfile(
        description=(
            "Finance and accounting operations from Lisbon and Porto for companies across "
            "Western Europe: purchase-to-pay, order-to-cash, record-to-report and payroll, "
            "run in SAP and Oracle by teams that work in Portuguese, English, French and "
            "Spanish."
        ),
        website="https://atlas.example",
        functions=("accounts_payable", "accounts_receivable", "general_ledger", "payroll"),
        locations=(("Lisbon", "PT", NEARSHORE, 520), ("Porto", "PT", NEARSHORE, 330)),
        languages=("pt", "en", "fr", "es"),
        certifications=(
            ("iso_27001", "PT-ISMS-21877", 610),
            ("iso_9001", "PT-QMS-09412", 420),
            ("soc_2", "SOC2-T2-ATLAS", 205),
        ),
    ),
    "meridian": DemoProfile(
        description=(
            "Business process services from Pune and Manila, around the clock: IT service "
            "desk, master data, document processing, accounts payable and HR administration "
            "for multinationals in Europe and North America."
        ),
        website="https://meridian.example",
        functions=(
            "it_service_desk",
            "data_management",
            "document_processing",
            "accounts_payable",
            "hr_administration",
        ),
        locations=(("Pune", "IN", OFFSHORE, 2400), ("Manila", "PH", OFFSHORE, 900)),
        languages=("en", "fr", "hi"),
        certifications=(
            ("iso_27001", "IN-27001-55120", 480),
            ("soc_1", "ISAE3402-MBS", 290),
            ("iso_9001", "IN-9001-30877", -75),
        ),
    ),
    "northwind-shared": DemoProfile(
        description=(
            "Northwind Holdings' own shared-services centre in Kraków: payroll, HR "
            "administration and the general ledger for the group's entities."
        ),
        website="https://northwind.example/krakow",
        functions=("payroll", "hr_administration", "general_ledger"),
        locations=(("Kraków", "PL", NEARSHORE, 260),),
        languages=("pl", "en", "fr", "de"),
        certifications=(("iso_27001", "PL-ISMS-7731", 380),),
    ),
    "baltica": DemoProfile(
        description=(
            "Multilingual IT service desk and master-data teams in Vilnius and Riga, "
            "working in ServiceNow and Jira Service Management, 7 to 22 CET."
        ),
        website="https://baltica.example",
        functions=("it_service_desk", "data_management"),
        locations=(("Vilnius", "LT", NEARSHORE, 310), ("Riga", "LV", NEARSHORE, 110)),
        languages=("lt", "en", "de", "pl", "fr"),
        certifications=(
            ("iso_27001", "LT-ISMS-4410", 700),
            ("iso_22301", "LT-BCMS-1207", 250),
        ),
    ),
    "kestrel": DemoProfile(
        description=(
            "Service desk, customer-support back office and finance operations from Cape "
            "Town and Johannesburg, in the European time zone, in English and French."
        ),
        website="https://kestrel.example",
        functions=(
            "it_service_desk",
            "customer_support_back_office",
            "document_processing",
            "accounts_payable",
            "accounts_receivable",
        ),
        locations=(("Cape Town", "ZA", OFFSHORE, 800), ("Johannesburg", "ZA", OFFSHORE, 300)),
        languages=("en", "fr", "af"),
        certifications=(
            ("iso_27001", "ZA-27001-8821", 450),
            ("iso_9001", "ZA-9001-3310", 330),
            ("pci_dss", "PCI-KSS-2291", 150),
        ),
    ),
    "clairval": DemoProfile(
        description=(
            "Onshore payroll, HR administration and document processing from Lyon and "
            "Lille, for French employers who want their employees' data kept in France."
        ),
        website="https://clairval.example",
        functions=(
            "payroll",
            "hr_administration",
            "document_processing",
            "procurement_administration",
        ),
        locations=(("Lyon", "FR", ONSHORE, 180), ("Lille", "FR", ONSHORE, 95)),
        languages=("fr", "en"),
        certifications=(
            ("iso_27001", "FR-ISMS-6620", 520),
            ("iso_27701", "FR-PIMS-1180", 520),
            ("hds", "HDS-CLV-0091", 610),
        ),
    ),
}


# --- Loading ----------------------------------------------------------------------------


def load_demo(organizations: dict[str, Organization | None]) -> bool:
    """Create the directory and Northwind's tenders where missing; True when something was."""
    northwind = organizations.get("northwind")
    if northwind is None:
        return False
    created = False
    vendors = {key: org for key, org in organizations.items() if org is not None}
    for demo in ORGANIZATIONS:
        created = created or find_demo_organization(demo) is None
        vendors[demo.key] = create_demo_organization(demo)
    created = _captive(vendors.get("northwind-shared"), northwind) or created
    for key, profile in PROFILES.items():
        if key in vendors:
            created = _profile(key, vendors[key], profile) or created
    if {"atlas", "meridian"} <= vendors.keys():
        story = _Story(utcnow(), northwind, vendors)
        for tell in (
            _awarded_accounts_payable,
            _cancelled_general_ledger,
            _closed_service_desk,
            _invited_accounts_receivable,
            _open_hr_administration,
            _draft_document_processing,
        ):
            created = tell(story) or created
    db.session.flush()
    return created


def _captive(centre: Organization | None, parent: Organization) -> bool:
    """Link the Kraków centre to Northwind, its owner."""
    if centre is None or centre.captive_of_id is not None:
        return False
    with organization_context(centre.id):
        centre.captive_of_id = parent.id
        audit.record(
            "organization.updated",
            centre,
            actor=_user("admin@northwind.example"),
            before={"captive_of_id": None},
            after={"captive_of_id": parent.id},
            summary=centre.name,
        )
    return True


def _profile(key: str, organization: Organization, demo: DemoProfile) -> bool:
    existing = db.session.scalars(
        select(VendorProfile.id).where(VendorProfile.organization_id == organization.id)
    ).first()
    if existing is not None:
        return False
    today = utcnow().date()
    profile = VendorProfile(
        organization_id=organization.id,
        listed=True,
        description=demo.description,
        headcount=sum(location[3] for location in demo.locations),
        website=demo.website,
    )
    profile.functions = [VendorFunction(catalogue_key=item) for item in demo.functions]
    profile.locations = [
        VendorLocation(city=city, country=country, kind=kind, headcount=headcount)
        for city, country, kind, headcount in demo.locations
    ]
    profile.languages = [VendorLanguage(code=code) for code in demo.languages]
    profile.certifications = [
        VendorCertification(
            standard=standard, certificate_number=number, expires_on=today + timedelta(days=days)
        )
        for standard, number, days in demo.certifications
    ]
    db.session.add(profile)
    with organization_context(organization.id):
        audit.record(
            "vendor_profile.saved",
            profile,
            actor=_founder(key),
            after={"listed": True, "functions": list(demo.functions)},
            summary=organization.name,
        )
    return True


# --- Helpers of the tender story --------------------------------------------------------


@dataclass
class _Story:
    now: datetime
    northwind: Organization
    vendors: dict[str, Organization]

    def at(self, days: int, hour: int | None = None) -> datetime:
        """``days`` from now (negative: ago), at ``hour`` o'clock UTC sharp when given."""
        moment = self.now + timedelta(days=days)
        if hour is not None:
            moment = moment.replace(hour=hour, minute=0, second=0, microsecond=0)
        return moment

    def month_start(self, months: int) -> date:
        """The first day of the month ``months`` from this one (negative: ago)."""
        index = self.now.year * 12 + self.now.month - 1 + months
        return date(index // 12, index % 12 + 1, 1)

    def vendor(self, key: str) -> Organization:
        return self.vendors[key]


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _founder(key: str) -> User:
    """The first person of a demo organization (its admin), who acts for it in the story."""
    demo = next(demo for demo in (*PORTAL_ORGANIZATIONS, *ORGANIZATIONS) if demo.key == key)
    return _user(demo.people[0][0])


def _record(action: str, target, actor: User | None, when: datetime, **fields) -> None:
    """An audit event dated when the demo says it happened."""
    event = audit.record(action, target, actor=actor, **fields)
    event.occurred_at = when


def _library(key: str) -> TenderSlaRequirement:
    """A requirement from the SLA library, at its usual target, named in the writer's language."""
    sla = library_sla(key)
    if sla is None:
        raise KeyError(key)
    return TenderSlaRequirement(
        library_key=key, metric=str(sla.metric), unit=sla.unit, target=sla.target, better=sla.better
    )


def _tender(
    story: _Story,
    catalogue_key: str,
    *,
    title: str,
    scope: str,
    status: TenderStatus,
    created: datetime,
    published: datetime | None,
    deadline: datetime,
    start: date,
    visibility: TenderVisibility,
    location: LocationPreference,
    sla: list[str | TenderSlaRequirement],
    criteria: list[tuple[str, int]],
    invite: tuple[str, ...] = (),
    term_months: int = 36,
    author: str = "procurement@northwind.example",
) -> Tender | None:
    """A tender of Northwind on its function ``catalogue_key``; None if it exists already.

    ``sla`` are keys of the SLA library or custom requirements; the first criterion is
    the price.
    """
    with organization_context(story.northwind.id):
        if db.session.scalars(select(Tender.id).where(Tender.title == title)).first():
            return None
        function = db.session.scalars(
            select(BackOfficeFunction).where(BackOfficeFunction.catalogue_key == catalogue_key)
        ).first()
        if function is None:  # a register changed by hand: no tender for a missing function
            return None
        creator = _user(author)
        tender = Tender(
            function_id=function.id,
            title=title,
            scope=scope,
            currency=function.currency,
            monthly_volume=Decimal(function.monthly_volume),
            volume_unit=function.volume_unit,
            term_months=term_months,
            start_date=start,
            location_preference=location,
            bid_deadline=deadline,
            visibility=visibility,
            status=status,
            created_by_id=creator.id,
            published_at=published,
            created_at=created,
            updated_at=published or created,
        )
        with force_locale(creator.locale):
            requirements = [_library(item) if isinstance(item, str) else item for item in sla]
        for position, requirement in enumerate(requirements):
            requirement.position = position
        tender.sla_requirements = requirements
        tender.criteria = [
            EvaluationCriterion(position=position, name=name, weight=weight, is_price=position == 0)
            for position, (name, weight) in enumerate(criteria)
        ]
        db.session.add(tender)
        db.session.flush()
        _record("tender.created", tender, creator, created, summary=title)
        for key in invite:
            db.session.add(
                TenderInvitation(
                    tender_id=tender.id,
                    vendor_organization_id=story.vendor(key).id,
                    invited_at=published or created,
                )
            )
        if published is not None:
            _record("tender.published", tender, creator, published, summary=title)
        db.session.flush()
    return tender


def _bid(
    story: _Story,
    vendor_key: str,
    tender: Tender,
    *,
    status: BidStatus,
    lines: list[tuple[PriceLineKind, str, str | None, str]],
    transition_cost: str,
    location: str,
    location_kind: LocationKind,
    narrative: str,
    created: datetime,
    submitted: datetime | None = None,
    commitments: dict[str, str] | None = None,
) -> Bid:
    """A bid; ``lines`` are (kind, description, quantity, unit price), commitments by SLA key.

    Every SLA not named in ``commitments`` is committed at the required target.
    """
    vendor = story.vendor(vendor_key)
    author = _founder(vendor_key)
    commitments = commitments or {}
    with organization_context(vendor.id):
        bid = Bid(
            tender_id=tender.id,
            status=status,
            currency=tender.currency,
            transition_cost=Decimal(transition_cost),
            delivery_location=location,
            location_kind=location_kind,
            narrative=narrative,
            submitted_at=submitted,
            submitted_by_id=author.id if submitted else None,
            created_at=created,
            updated_at=submitted or created,
        )
        bid.price_lines = [
            BidPriceLine(
                position=position,
                kind=kind,
                description=description,
                quantity=Decimal(quantity) if quantity is not None else None,
                unit_price=Decimal(unit_price),
            )
            for position, (kind, description, quantity, unit_price) in enumerate(lines)
        ]
        bid.sla_commitments = [
            BidSlaCommitment(
                requirement_id=requirement.id,
                committed=Decimal(
                    commitments.get(requirement.library_key or requirement.metric)
                    or requirement.target
                ),
            )
            for requirement in tender.sla_requirements
        ]
        db.session.add(bid)
        db.session.flush()
        _record("bid.created", bid, author, created, summary=tender.title)
        if submitted is not None:
            _record("bid.submitted", bid, author, submitted, summary=tender.title)
    return bid


def _scores(
    story: _Story,
    tender: Tender,
    bid: Bid,
    evaluator_email: str,
    scores: dict[str, tuple[int, str]],
    when: datetime,
) -> None:
    """One evaluator's scores of a bid: criterion name → (0..10, comment)."""
    evaluator = _user(evaluator_email)
    criteria = {criterion.name: criterion for criterion in tender.criteria}
    with organization_context(story.northwind.id):
        for name, (score, comment) in scores.items():
            db.session.add(
                BidScore(
                    bid_id=bid.id,
                    criterion_id=criteria[name].id,
                    evaluator_id=evaluator.id,
                    score=score,
                    comment=comment,
                    created_at=when,
                    updated_at=when,
                )
            )
        db.session.flush()
        _record(
            "bid.scored",
            bid,
            evaluator,
            when,
            after={name: score for name, (score, _comment) in scores.items()},
            summary=f"{tender.title} — {bid.vendor.name}",
        )


def _question(
    story: _Story,
    vendor_key: str,
    tender: Tender,
    text: str,
    asked: datetime,
    answer: str | None = None,
    answered: datetime | None = None,
) -> None:
    vendor = story.vendor(vendor_key)
    asker = _founder(vendor_key)
    with organization_context(vendor.id):
        question = ClarificationQuestion(
            tender_id=tender.id,
            question=text,
            asked_by_id=asker.id,
            asked_at=asked,
        )
        db.session.add(question)
        db.session.flush()
        _record("question.asked", question, asker, asked, summary=tender.title)
    if answer is not None and answered is not None:
        answerer = _user("procurement@northwind.example")
        question.answer = answer
        question.answered_at = answered
        question.answered_by_id = answerer.id
        with organization_context(story.northwind.id):
            _record("question.answered", question, answerer, answered, summary=tender.title)


def _attach(bid: Bid, filename: str, title: str, lines: list[str], when: datetime) -> None:
    content = demo_pdf(title, lines)
    db.session.add(
        BidAttachment(
            bid_id=bid.id,
            filename=filename,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_at=when,
        )
    )


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF with a title and a few lines of text (Helvetica, WinAnsi)."""

    def escaped(text: str) -> bytes:
        raw = text.encode("cp1252", "replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    commands = [b"BT /F1 18 Tf 72 770 Td (" + escaped(title) + b") Tj ET"]
    for number, line in enumerate(lines):
        commands.append(
            b"BT /F1 11 Tf 72 %d Td (" % (736 - 18 * number) + escaped(line) + b") Tj ET"
        )
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"\n".join(commands))
    page.replace_contents(stream)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- The tenders ------------------------------------------------------------------------

PRICE = "Price"
SERVICE = "Service quality and SLAs"
TRANSITION = "Transition plan"
SECURITY = "Security and compliance"

FIXED, PER_UNIT, PER_FTE = (
    PriceLineKind.FIXED_MONTHLY,
    PriceLineKind.PER_UNIT,
    PriceLineKind.PER_FTE,
)


def _awarded_accounts_payable(story: _Story) -> bool:
    """A year ago: accounts payable awarded to Atlas (about a quarter below in-house cost)."""
    deadline = story.at(-395, hour=16)
    tender = _tender(
        story,
        "accounts_payable",
        title="Accounts payable — purchase-to-pay processing",
        scope=(
            "Receive, scan and key the supplier invoices of the French and Belgian entities; "
            "three-way match against purchase orders and goods receipts in SAP S/4HANA; chase "
            "approvers; prepare the twice-weekly payment runs for Northwind's approval; answer "
            "supplier queries in French and English; reconcile the top 200 suppliers' "
            "statements every month."
        ),
        status=TenderStatus.AWARDED,
        created=story.at(-432),
        published=story.at(-425, hour=9),
        deadline=deadline,
        start=story.month_start(-12),
        visibility=TenderVisibility.INVITED,
        location=LocationPreference.ANY,
        sla=[
            "invoice_accuracy",
            "invoice_cycle_time",
            "payments_on_time",
        ],
        criteria=[(PRICE, 55), (SERVICE, 20), (TRANSITION, 15), (SECURITY, 10)],
        invite=("atlas", "meridian", "kestrel"),
    )
    if tender is None:
        return False
    atlas = _bid(
        story,
        "atlas",
        tender,
        status=BidStatus.AWARDED,
        lines=[(PER_UNIT, "Per supplier invoice processed, end to end", None, "5.20")],
        transition_cost="95000",
        location="Lisbon, Portugal",
        location_kind=NEARSHORE,
        narrative=(
            "A dedicated French-speaking team of eleven in Lisbon, on Northwind's SAP "
            "instance, with OCR capture and a twelve-week transition in three waves."
        ),
        created=story.at(-410),
        submitted=story.at(-398, hour=11),
        commitments={"invoice_accuracy": "99.5", "invoice_cycle_time": "2"},
    )
    meridian = _bid(
        story,
        "meridian",
        tender,
        status=BidStatus.NOT_AWARDED,
        lines=[
            (FIXED, "Service management and reporting", None, "36500"),
            (PER_UNIT, "Per supplier invoice processed", None, "2.35"),
        ],
        transition_cost="140000",
        location="Pune, India",
        location_kind=OFFSHORE,
        narrative="Follow-the-sun processing from Pune with a French desk for supplier calls.",
        created=story.at(-412),
        submitted=story.at(-396, hour=14),
        commitments={"invoice_cycle_time": "4"},
    )
    kestrel = _bid(
        story,
        "kestrel",
        tender,
        status=BidStatus.NOT_AWARDED,
        lines=[
            (PER_FTE, "Accounts payable clerks", "12", "4650"),
            (FIXED, "Team lead and quality control", None, "9500"),
        ],
        transition_cost="160000",
        location="Cape Town, South Africa",
        location_kind=OFFSHORE,
        narrative="A team of twelve in Cape Town, in Northwind's time zone.",
        created=story.at(-405),
        submitted=story.at(-397, hour=8),
    )
    closed = deadline + timedelta(minutes=5)
    tender.closed_at = closed
    for evaluator, marks in (
        (
            "procurement@northwind.example",
            {atlas: (8, 8, 9), meridian: (6, 6, 8), kestrel: (7, 7, 7)},
        ),
        ("finance@northwind.example", {atlas: (8, 7, 9), meridian: (7, 6, 8), kestrel: (6, 6, 7)}),
    ):
        for bid, (service, transition, security) in marks.items():
            _scores(
                story,
                tender,
                bid,
                evaluator,
                {SERVICE: (service, ""), TRANSITION: (transition, ""), SECURITY: (security, "")},
                story.at(-388),
            )
    procurement = _user("procurement@northwind.example")
    tender.awarded_bid_id = atlas.id
    tender.award_reason = (
        "Highest overall score: the lowest projected cost over the term, about a quarter "
        "below our in-house cost, every SLA met or bettered, and a credible twelve-week "
        "transition with a French-speaking team."
    )
    tender.awarded_at = story.at(-380, hour=10)
    tender.awarded_by_id = procurement.id
    tender.updated_at = tender.awarded_at
    with organization_context(story.northwind.id):
        _record("tender.closed", tender, None, closed, summary=tender.title)
        _record(
            "tender.awarded",
            tender,
            procurement,
            tender.awarded_at,
            after={"awarded_bid_id": atlas.id, "vendor": atlas.vendor.name},
            summary=tender.title,
        )
    db.session.flush()
    return True


def _cancelled_general_ledger(story: _Story) -> bool:
    """Cancelled before its deadline: the general ledger went to the Kraków centre instead."""
    tender = _tender(
        story,
        "general_ledger",
        title="General ledger — record-to-report and month-end close",
        scope=(
            "Journal entries, intercompany reconciliations, fixed-asset register and the "
            "month-end close of the six French and Belgian entities, to a five-working-day "
            "close, in SAP S/4HANA."
        ),
        status=TenderStatus.CANCELLED,
        created=story.at(-470),
        published=story.at(-462, hour=9),
        deadline=story.at(-430, hour=16),
        start=story.month_start(-12),
        visibility=TenderVisibility.OPEN,
        location=LocationPreference.ANY,
        sla=["close_on_time", "customer_satisfaction"],
        criteria=[(PRICE, 55), (SERVICE, 25), (TRANSITION, 20)],
        author="admin@northwind.example",
    )
    if tender is None:
        return False
    admin = _user("admin@northwind.example")
    tender.cancelled_at = story.at(-441, hour=15)
    tender.cancel_reason = (
        "Northwind has decided to run the general ledger from its own shared-services "
        "centre in Kraków. Thank you to every vendor who prepared a bid."
    )
    tender.updated_at = tender.cancelled_at
    with organization_context(story.northwind.id):
        _record(
            "tender.cancelled",
            tender,
            admin,
            tender.cancelled_at,
            after={"cancel_reason": tender.cancel_reason},
            summary=tender.title,
        )
    db.session.flush()
    return True


def _closed_service_desk(story: _Story) -> bool:
    """Closed two days ago, under evaluation: three bids, three pricing models, partly scored."""
    deadline = story.at(-2, hour=16)
    tender = _tender(
        story,
        "it_service_desk",
        title="IT service desk — first- and second-line support",
        scope=(
            "Single point of contact for 1,900 employees in France, Belgium and Poland: phone, "
            "chat and portal in French, English and Polish, 7:00–20:00 CET on working days. "
            "Incidents and requests in ServiceNow, password resets, Microsoft 365 and SAP GUI "
            "support, laptop provisioning coordination, second-line support for 40 business "
            "applications. On-site support in Paris stays with Northwind."
        ),
        status=TenderStatus.CLOSED,
        created=story.at(-38),
        published=story.at(-30, hour=9),
        deadline=deadline,
        start=story.month_start(4),
        visibility=TenderVisibility.INVITED,
        location=LocationPreference.ANY,
        sla=[
            "ticket_first_response",
            "ticket_resolution",
            "first_contact_resolution",
            "customer_satisfaction",
        ],
        criteria=[(PRICE, 50), (SERVICE, 20), (TRANSITION, 15), (SECURITY, 15)],
        invite=("meridian", "baltica", "kestrel"),
    )
    if tender is None:
        return False
    _question(
        story,
        "baltica",
        tender,
        "Is Polish needed on the phone line, or is Polish in the portal and by e-mail enough?",
        asked=story.at(-21, hour=10),
        answer=(
            "Polish is needed on the phone line during Polish office hours (8:00–17:00 CET); "
            "about 15 % of calls come from the Wrocław site."
        ),
        answered=story.at(-19, hour=14),
    )
    baltica = _bid(
        story,
        "baltica",
        tender,
        status=BidStatus.SUBMITTED,
        lines=[(FIXED, "Service desk, all tickets included up to 4,200 a month", None, "51500")],
        transition_cost="85000",
        location="Vilnius, Lithuania",
        location_kind=NEARSHORE,
        narrative=(
            "Fourteen agents in Vilnius speaking French, English and Polish, on your "
            "ServiceNow instance; knowledge base built during a ten-week transition."
        ),
        created=story.at(-18),
        submitted=story.at(-4, hour=15),
        commitments={
            "ticket_first_response": "2",
            "ticket_resolution": "92",
            "first_contact_resolution": "72",
            "customer_satisfaction": "88",
        },
    )
    _attach(
        baltica,
        "baltica-transition-plan.pdf",
        "Baltica IT Services — transition plan",
        [
            "Weeks 1–3: knowledge transfer in Paris, shadowing of the in-house desk.",
            "Weeks 4–6: reverse shadowing from Vilnius; Polish line opens in week 5.",
            "Weeks 7–10: go-live in two waves (France and Belgium, then Poland).",
            "Hypercare: four weeks, with a daily call and weekly SLA reporting.",
        ],
        story.at(-5, hour=11),
    )
    meridian = _bid(
        story,
        "meridian",
        tender,
        status=BidStatus.SUBMITTED,
        lines=[
            (PER_FTE, "Service desk agents (first and second line)", "14", "2750"),
            (FIXED, "Service delivery manager and reporting", None, "4800"),
        ],
        transition_cost="120000",
        location="Pune, India",
        location_kind=OFFSHORE,
        narrative=(
            "A dedicated pod of fourteen in Pune with a French-speaking shift; Polish by "
            "e-mail and portal, phone in English."
        ),
        created=story.at(-20),
        submitted=story.at(-3, hour=9),
        commitments={"ticket_first_response": "6"},
    )
    _bid(  # not scored yet
        story,
        "kestrel",
        tender,
        status=BidStatus.SUBMITTED,
        lines=[(PER_UNIT, "Per ticket resolved", None, "19.90")],
        transition_cost="60000",
        location="Cape Town, South Africa",
        location_kind=OFFSHORE,
        narrative="Pay per ticket resolved: Northwind pays for the work done, nothing more.",
        created=story.at(-15),
        submitted=story.at(-3, hour=17),
        commitments={
            "ticket_first_response": "1",
            "ticket_resolution": "93",
            "first_contact_resolution": "75",
            "customer_satisfaction": "90",
        },
    )
    closed = deadline + timedelta(minutes=5)
    tender.closed_at = closed
    tender.updated_at = closed
    with organization_context(story.northwind.id):
        _record("tender.closed", tender, None, closed, summary=tender.title)
    scored = story.at(-1, hour=10)
    _scores(
        story,
        tender,
        baltica,
        "procurement@northwind.example",
        {
            SERVICE: (8, "Strong French and Polish cover; ServiceNow experience with two peers."),
            TRANSITION: (7, "Ten weeks is tight for 40 applications."),
            SECURITY: (8, "ISO 27001 and ISO 22301, EU data residency."),
        },
        scored,
    )
    _scores(
        story,
        tender,
        meridian,
        "procurement@northwind.example",
        {
            SERVICE: (6, "A first response of 6 hours misses our 4-hour target."),
            TRANSITION: (8, "Detailed plan, experienced transition team."),
        },
        scored,
    )
    db.session.flush()
    return True


def _invited_accounts_receivable(story: _Story) -> bool:
    """By invitation, closing in five days: Atlas has bid, Meridian's bid is a draft."""
    tender = _tender(
        story,
        "accounts_receivable",
        title="Accounts receivable — invoicing, cash application and collections",
        scope=(
            "Issue customer invoices and credit notes from SAP S/4HANA, apply incoming "
            "payments daily, run dunning and collection calls in French, Dutch and English, "
            "and prepare the weekly aged-debt report for Northwind's credit managers."
        ),
        status=TenderStatus.PUBLISHED,
        created=story.at(-20),
        published=story.at(-16, hour=9),
        deadline=story.at(5, hour=16),
        start=story.month_start(4),
        visibility=TenderVisibility.INVITED,
        location=LocationPreference.NEARSHORE,
        sla=["invoice_accuracy", "dso", "customer_satisfaction"],
        criteria=[(PRICE, 60), (SERVICE, 20), (TRANSITION, 10), (SECURITY, 10)],
        invite=("atlas", "meridian"),
    )
    if tender is None:
        return False
    _question(
        story,
        "atlas",
        tender,
        "Are credit notes and customer disputes included in the 4,500 invoices a month, "
        "or counted separately?",
        asked=story.at(-12, hour=10),
        answer=(
            "Included: the 4,500 a month are invoices and credit notes (about 300 credit "
            "notes). Disputes are in scope up to the first call; escalations stay with our "
            "credit managers."
        ),
        answered=story.at(-10, hour=16),
    )
    _question(
        story,
        "meridian",
        tender,
        "Could Northwind share its current DSO per country and the aged-debt split, so that "
        "we can size the collections team?",
        asked=story.at(-1, hour=8),
    )
    _bid(
        story,
        "atlas",
        tender,
        status=BidStatus.SUBMITTED,
        lines=[
            (PER_UNIT, "Per customer invoice or credit note", None, "4.95"),
            (FIXED, "Collections desk (French, Dutch, English)", None, "3500"),
        ],
        transition_cost="45000",
        location="Porto, Portugal",
        location_kind=NEARSHORE,
        narrative=(
            "The Porto order-to-cash team already runs collections in French and Dutch for "
            "two Belgian groups; eight-week transition."
        ),
        created=story.at(-9),
        submitted=story.at(-2, hour=17),
        commitments={"invoice_accuracy": "99.5", "dso": "42"},
    )
    _bid(
        story,
        "meridian",
        tender,
        status=BidStatus.DRAFT,
        lines=[
            (PER_FTE, "Order-to-cash analysts", "6", "2600"),
            (PER_UNIT, "Per customer invoice", None, "1.60"),
        ],
        transition_cost="60000",
        location="Pune, India",
        location_kind=OFFSHORE,
        narrative="Draft — to be completed once Northwind answers our question on DSO.",
        created=story.at(-1, hour=9),
    )
    return True


def _open_hr_administration(story: _Story) -> bool:
    """Open to every vendor, closing in ten days."""
    tender = _tender(
        story,
        "hr_administration",
        title="HR administration — employee records and contract changes",
        scope=(
            "Keep the records of 2,600 employees in Workday: hires, contract changes, leave, "
            "leavers' files and certificates, in French and English, under GDPR. Payroll and "
            "recruitment are out of scope."
        ),
        status=TenderStatus.PUBLISHED,
        created=story.at(-8),
        published=story.at(-4, hour=9),
        deadline=story.at(10, hour=16),
        start=story.month_start(5),
        visibility=TenderVisibility.OPEN,
        location=LocationPreference.NEARSHORE,
        sla=["hr_requests_on_time", "customer_satisfaction"],
        criteria=[(PRICE, 50), (SERVICE, 25), ("Data protection (GDPR)", 15), (TRANSITION, 10)],
    )
    if tender is None:
        return False
    _question(
        story,
        "clairval",
        tender,
        "Will the provider's team work in Northwind's Workday tenant with licences provided "
        "by Northwind?",
        asked=story.at(-3, hour=11),
        answer="Yes: Northwind provides the Workday accounts and the VPN access.",
        answered=story.at(-2, hour=9),
    )
    return True


def _draft_document_processing(story: _Story) -> bool:
    """A draft, with its invitations ready: publishing it is the next step of the demo."""
    tender = _tender(
        story,
        "document_processing",
        title="Document processing — mailroom scanning and indexing",
        scope=(
            "Open, scan and index the incoming paper mail of the Paris head office (supplier "
            "invoices, contracts, HR letters) and the e-mailed PDFs of the finance mailbox; "
            "route each document to its SAP or Workday queue the same day."
        ),
        status=TenderStatus.DRAFT,
        created=story.at(-3),
        published=None,
        deadline=story.at(35, hour=16),
        start=story.month_start(6),
        visibility=TenderVisibility.INVITED,
        location=LocationPreference.ANY,
        sla=[
            "document_turnaround",
            TenderSlaRequirement(
                library_key=None,
                metric="Indexing accuracy",
                unit="%",
                target=Decimal("99.5"),
                better=Better.HIGHER,
            ),
        ],
        criteria=[(PRICE, 60), (SERVICE, 25), (TRANSITION, 15)],
        invite=("meridian", "kestrel", "clairval"),
        term_months=24,
    )
    return tender is not None
