"""An award drafts the client's contract from the tender and the winning bid."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.models import Contract, ContractStatus, RateKind, VatTreatment
from portal import db, tenancy
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import organization_context
from vendors.models import Better, PriceLineKind, TenderSlaRequirement
from vendors.operations.evaluation import EvaluationRuleError, award_tender

D = Decimal


@pytest.fixture(autouse=True)
def _request(app):
    # Notification texts are lazy strings: reading them needs a request.
    with app.test_request_context():
        yield


@pytest.fixture
def manager(make, client_org):
    return make.member(client_org, "procurement", email="procurement@northwind.test")


def _closed_tender(make, client_org, vendors, **fields):
    tender = make.tender(
        client_org,
        status="published",
        invite=vendors,
        bid_deadline=(utcnow() - timedelta(hours=1)).replace(microsecond=0),
        **fields,
    )
    with organization_context(client_org.id):
        tender.sla_requirements.append(
            TenderSlaRequirement(
                position=1,
                metric="Invoice cycle time",
                unit="days",
                target=D("3"),
                better=Better.LOWER,
            )
        )
        db.session.flush()
    return tender


def _award(client_org, actor, tender, bid):
    with organization_context(client_org.id):
        award_tender(actor, tender, bid, "Best value.")


def _contracts_of(org) -> list[Contract]:
    with organization_context(org.id):
        db.session.expire_all()
        return list(db.session.scalars(select(Contract).order_by(Contract.id)))


def test_award_drafts_a_contract_from_the_tender_and_the_winning_bid(
    make, client_org, vendor_org, manager
):
    loser = make.organization(name="Birch", kind="vendor")
    tender = _closed_tender(make, client_org, [vendor_org, loser], term_months=24)
    lines = [
        (PriceLineKind.FIXED_MONTHLY, None, D("30000")),
        (PriceLineKind.PER_UNIT, None, D("1.2500")),
        (PriceLineKind.PER_FTE, D("4.5"), D("3200.1234")),
    ]
    bid = make.bid(vendor_org, tender, lines=lines, transition_cost=D("75000"))
    with organization_context(vendor_org.id):
        bid.sla_commitments[0].committed = D("99.5")
        bid.sla_commitments[1].committed = D("2")
        db.session.flush()
    make.bid(loser, tender)

    _award(client_org, manager, tender, bid)

    [contract] = _contracts_of(client_org)
    assert contract.status == ContractStatus.DRAFT
    assert (contract.client_organization_id, contract.vendor_organization_id) == (
        client_org.id,
        vendor_org.id,
    )
    assert contract.function_id == tender.function_id
    assert (contract.tender_id, contract.bid_id) == (tender.id, bid.id)
    assert contract.title == tender.title
    assert contract.scope == tender.scope
    assert contract.currency == "EUR"
    assert contract.start_date == date(2027, 1, 1)
    assert contract.end_date == date(2028, 12, 31)
    assert contract.transition_cost == D("75000.00")
    assert contract.payment_terms_days == 30
    # Both parties are in France (the factory's country): domestic VAT at 20 %.
    assert contract.vat_treatment == VatTreatment.DOMESTIC
    assert contract.vat_rate == D("20")
    assert contract.sent_at is None

    [version] = contract.versions
    assert (version.number, version.effective_from, version.end_date) == (
        1,
        contract.start_date,
        contract.end_date,
    )
    assert version.credit_cap_percent == D("10")
    assert version.monthly_minimum is None
    fixed, per_unit, per_fte = version.rate_lines
    assert (fixed.kind, fixed.rate) == (RateKind.FIXED_MONTHLY, D("30000"))
    assert (per_unit.kind, per_unit.unit, per_unit.rate) == (
        RateKind.PER_UNIT,
        "supplier invoices",
        D("1.25"),
    )
    # 4.5 FTE × 3,200.1234 = 14,400.5553 a month, as a fixed line.
    assert per_fte.kind == RateKind.FIXED_MONTHLY
    assert per_fte.rate == D("14400.5553")
    assert "4.5 FTE × 3200.1234" in per_fte.description
    assert len({line.code for line in version.rate_lines}) == 3

    accuracy, cycle = version.metrics
    # The targets are the levels the vendor committed to, not the tender's.
    assert (accuracy.name, accuracy.target, accuracy.better) == (
        "Invoice processing accuracy",
        D("99.5"),
        Better.HIGHER,
    )
    assert (cycle.target, cycle.better) == (D("2"), Better.LOWER)
    assert accuracy.code == "invoice-processing-accuracy"
    assert cycle.code == "invoice-cycle-time"
    assert accuracy.library_key == "invoice_accuracy"
    assert all(m.credit_percent == D("5") for m in version.metrics)
    assert all(m.critical_threshold is None for m in version.metrics)


def test_the_draft_is_audited_and_announced_to_the_clients_contract_managers(
    make, client_org, vendor_org, manager
):
    admin = make.member(client_org, "admin")
    viewer = make.member(client_org, "viewer")
    vendor_admin = make.member(vendor_org, "admin")
    tender = _closed_tender(make, client_org, [vendor_org])
    bid = make.bid(vendor_org, tender)

    _award(client_org, manager, tender, bid)

    [contract] = _contracts_of(client_org)
    statement = tenancy.across_tenants(
        select(AuditEvent).where(AuditEvent.action == "contract.drafted_from_award")
    )
    [event] = db.session.scalars(statement)
    assert event.organization_id == client_org.id
    assert event.target_id == contract.id
    assert event.actor_id == manager.id

    def drafted(user):
        statement = tenancy.across_tenants(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "contract.drafted"
            )
        )
        return list(db.session.scalars(statement))

    [told] = drafted(admin)
    assert told.title.startswith("A draft contract is ready")
    assert told.link == f"/contracts/{contract.id}"
    assert len(drafted(manager)) == 1
    assert drafted(viewer) == []
    assert drafted(vendor_admin) == []


def test_the_vendor_does_not_see_the_draft_before_it_is_sent(
    make, client_org, vendor_org, manager, login
):
    tender = _closed_tender(make, client_org, [vendor_org])
    bid = make.bid(vendor_org, tender)
    _award(client_org, manager, tender, bid)
    [contract] = _contracts_of(client_org)

    vendor = login(make.member(vendor_org, "admin"), vendor_org)
    assert vendor.get(f"/contracts/{contract.id}").status_code == 404
    assert contract.title not in vendor.get("/contracts").get_data(as_text=True)


def test_a_captive_centre_award_drafts_an_internal_contract(make, client_org, manager):
    captive = make.organization(
        name="Northwind Shared Services", kind="vendor", country="PT", captive_of_id=client_org.id
    )
    tender = _closed_tender(make, client_org, [captive])
    bid = make.bid(captive, tender)
    _award(client_org, manager, tender, bid)
    [contract] = _contracts_of(client_org)
    assert contract.vat_treatment == VatTreatment.INTERNAL
    assert contract.vat_rate == D("0")


def test_a_refused_award_drafts_nothing(make, client_org, vendor_org, manager):
    tender = _closed_tender(make, client_org, [vendor_org])
    bid = make.bid(vendor_org, tender)
    with pytest.raises(EvaluationRuleError), organization_context(client_org.id):
        award_tender(manager, tender, bid, "")
    assert _contracts_of(client_org) == []
