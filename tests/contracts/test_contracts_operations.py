"""A contract's life below the views: drafting, sending, the vendor's answer,
amendments, termination and expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    RateKind,
    ReportStatus,
    VatTreatment,
)
from contracts.operations import contracts as operations
from contracts.rules import default_vat_treatment, standard_vat_rate
from portal import db, tenancy
from portal.models import AuditEvent, Notification
from portal.rules import RuleError
from portal.tenancy import organization_context
from vendors.models import Better

D = Decimal


@pytest.fixture(autouse=True)
def _request(app):
    # Messages are lazy strings read in the reader's language: a request is needed to read them.
    with app.test_request_context():
        yield


@pytest.fixture
def manager(make, client_org):
    return make.member(client_org, "procurement", email="procurement@northwind.test")


@pytest.fixture
def signatory(make, vendor_org):
    return make.member(vendor_org, "admin", email="admin@atlas.test")


@pytest.fixture
def function(make, client_org):
    return make.function(client_org, name="Accounts payable", catalogue_key="accounts_payable")


def contract_data(vendor, function, **overrides) -> dict:
    data = {
        "vendor_id": vendor.id,
        "function_id": function.id,
        "title": "Accounts payable outsourcing",
        "scope": "The whole payables cycle.",
        "currency": "",
        "start_date": date(2026, 1, 1),
        "end_date": date(2028, 12, 31),
        "payment_terms_days": 45,
        "vat_treatment": "",
        "vat_rate": None,
        "transition_cost": D("50000"),
        "retained_governance_monthly": D("4000"),
        "monthly_minimum": D("30000"),
        "credit_cap_percent": D("12"),
        "rate_lines": [
            {
                "kind": "fixed_monthly",
                "description": "Service management",
                "unit": "",
                "rate": D("20000"),
                "code": "",
            },
            {
                "kind": "per_unit",
                "description": "Invoice processing",
                "unit": "supplier invoice",
                "rate": D("1.75"),
                "code": "",
            },
            {"kind": "fixed_monthly", "description": "", "unit": "", "rate": None, "code": ""},
        ],
        "metrics": [
            {
                "name": "Invoice accuracy",
                "unit": "%",
                "target": D("99"),
                "better": "higher",
                "critical_threshold": D("97"),
                "credit_percent": D("5"),
                "code": "",
                "library_key": None,
            },
        ],
        "library_keys": [],
    }
    data.update(overrides)
    return data


def as_client(contract_or_org, function_, *args, **kwargs):
    org_id = getattr(contract_or_org, "client_organization_id", None) or contract_or_org.id
    with organization_context(org_id):
        return function_(*args, **kwargs)


def as_vendor(contract, function_, *args, **kwargs):
    with organization_context(contract.vendor_organization_id):
        return function_(*args, **kwargs)


def create(client_org, manager, vendor, function, **overrides):
    return as_client(
        client_org,
        operations.create_contract,
        manager,
        contract_data(vendor, function, **overrides),
    )


def reload(contract) -> Contract:
    db.session.expire_all()
    statement = tenancy.across_tenants(select(Contract).where(Contract.id == contract.id))
    return db.session.scalars(statement).one()


def events(org, action) -> list[AuditEvent]:
    statement = tenancy.across_tenants(
        select(AuditEvent)
        .where(AuditEvent.organization_id == org.id, AuditEvent.action == action)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(statement))


def notified(user, kind) -> list[Notification]:
    statement = tenancy.across_tenants(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    )
    return list(db.session.scalars(statement))


# --- VAT defaults ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "vendor", "captive", "expected"),
    [
        ("FR", "FR", False, VatTreatment.DOMESTIC),
        ("FR", "PT", False, VatTreatment.REVERSE_CHARGE),
        ("DE", "PL", False, VatTreatment.REVERSE_CHARGE),
        ("FR", "IN", False, VatTreatment.OUT_OF_SCOPE),
        ("GB", "FR", False, VatTreatment.OUT_OF_SCOPE),
        ("GB", "GB", False, VatTreatment.DOMESTIC),
        ("FR", "PT", True, VatTreatment.INTERNAL),
        ("FR", "FR", True, VatTreatment.INTERNAL),
    ],
)
def test_default_vat_treatment_follows_the_parties_countries(client, vendor, captive, expected):
    assert default_vat_treatment(client, vendor, captive) is expected


def test_standard_vat_rates_of_some_eu_countries():
    assert standard_vat_rate("FR") == D("20")
    assert standard_vat_rate("de") == D("19")
    assert standard_vat_rate("LU") == D("17")
    assert standard_vat_rate("GB") is None
    assert standard_vat_rate(None) is None


# --- Drafting -------------------------------------------------------------------------


def test_create_contract_stores_version_one_with_codes_from_names(
    client_org, vendor_org, manager, function
):
    contract = create(client_org, manager, vendor_org, function)
    contract = reload(contract)
    assert contract.status == ContractStatus.DRAFT
    assert contract.currency == "EUR"  # the function's
    assert contract.catalogue_key == "accounts_payable"
    assert contract.payment_terms_days == 45
    assert (contract.vat_treatment, contract.vat_rate) == (VatTreatment.DOMESTIC, D("20"))
    assert contract.transition_cost == D("50000")
    [version] = contract.versions
    assert (version.number, version.effective_from, version.end_date) == (
        1,
        date(2026, 1, 1),
        date(2028, 12, 31),
    )
    assert version.retained_governance_monthly == D("4000")
    assert version.monthly_minimum == D("30000")
    assert version.credit_cap_percent == D("12")
    assert [line.code for line in version.rate_lines] == [
        "service-management",
        "invoice-processing",
    ]
    assert [line.kind for line in version.rate_lines] == [RateKind.FIXED_MONTHLY, RateKind.PER_UNIT]
    assert version.rate_lines[0].unit == ""
    [metric] = version.metrics
    assert (metric.code, metric.critical_threshold) == ("invoice-accuracy", D("97"))
    [event] = events(client_org, "contract.created")
    assert event.after["terms"]["retained_governance_monthly"] == "4000"
    assert events(vendor_org, "contract.created") == []


def test_codes_typed_are_kept_and_a_name_taken_gets_a_number(
    client_org, vendor_org, manager, function
):
    lines = [
        {"kind": "fixed_monthly", "description": "Fee", "unit": "", "rate": 1, "code": "fee-2"},
        {"kind": "fixed_monthly", "description": "Fee", "unit": "", "rate": 2, "code": ""},
        {"kind": "fixed_monthly", "description": "Fee", "unit": "", "rate": 3, "code": ""},
        {"kind": "fixed_monthly", "description": "Été", "unit": "", "rate": 4, "code": "BASE"},
    ]
    contract = create(client_org, manager, vendor_org, function, rate_lines=lines)
    codes = [line.code for line in reload(contract).versions[0].rate_lines]
    assert codes == ["fee-2", "fee", "fee-3", "base"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rate_lines": []}, "rate_lines"),
        (
            {
                "rate_lines": [
                    {"kind": "per_unit", "description": "X", "unit": "", "rate": 1, "code": ""}
                ]
            },
            "rate_lines",
        ),
        (
            {
                "rate_lines": [
                    {
                        "kind": "fixed_monthly",
                        "description": "A",
                        "unit": "",
                        "rate": 1,
                        "code": "a",
                    },
                    {
                        "kind": "fixed_monthly",
                        "description": "B",
                        "unit": "",
                        "rate": 1,
                        "code": "a",
                    },
                ]
            },
            "rate_lines",
        ),
        (
            {
                "rate_lines": [
                    {
                        "kind": "fixed_monthly",
                        "description": "A",
                        "unit": "",
                        "rate": 1,
                        "code": "A b",
                    }
                ]
            },
            "rate_lines",
        ),
        ({"end_date": date(2025, 12, 31)}, "end_date"),
        ({"payment_terms_days": 121}, "payment_terms_days"),
        ({"credit_cap_percent": D("101")}, "credit_cap_percent"),
        ({"vat_treatment": "domestic", "vat_rate": D("120")}, "vat_rate"),
        ({"currency": "XYZ"}, "currency"),
        ({"title": " "}, "title"),
        ({"transition_cost": D("-1")}, "transition_cost"),
        ({"function_id": 999999}, "function_id"),
    ],
)
def test_create_contract_refuses_bad_terms_naming_the_field(
    client_org, vendor_org, manager, function, overrides, field
):
    with pytest.raises(RuleError) as error:
        create(client_org, manager, vendor_org, function, **overrides)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("better", "target", "critical", "consistent"),
    [
        ("higher", "99", "97", True),
        ("higher", "99", "99", True),
        ("higher", "99", "99.5", False),
        ("lower", "3", "5", True),
        ("lower", "3", "2", False),
    ],
)
def test_a_critical_threshold_must_be_on_the_worse_side_of_the_target(
    client_org, vendor_org, manager, function, better, target, critical, consistent
):
    metric = {
        "name": "M",
        "unit": "%",
        "target": D(target),
        "better": better,
        "critical_threshold": D(critical),
        "credit_percent": D("5"),
        "code": "",
        "library_key": None,
    }
    if consistent:
        create(client_org, manager, vendor_org, function, metrics=[metric])
    else:
        with pytest.raises(RuleError, match="critical threshold") as error:
            create(client_org, manager, vendor_org, function, metrics=[metric])
        assert error.value.field == "metrics"


def test_the_vendor_must_be_a_vendor_organization_other_than_the_client(
    make, client_org, manager, function
):
    other_client = make.organization(kind="client")
    for vendor in (other_client, client_org):
        with pytest.raises(RuleError) as error:
            create(client_org, manager, vendor, function)
        assert error.value.field == "vendor_id"


def test_captive_centres_come_first_in_the_vendor_choices(make, client_org):
    make.organization(name="Aardvark BPO", kind="vendor")
    captive = make.organization(
        name="Zulu Shared Services", kind="vendor", captive_of_id=client_org.id
    )
    make.organization(name="Not a vendor", kind="client")
    choices = as_client(client_org, operations.vendor_choices)
    assert choices[0] == captive
    assert client_org not in choices
    assert all(org.is_vendor for org in choices)


def test_a_captive_centre_contract_is_internal_by_default(make, client_org, manager, function):
    captive = make.organization(kind="vendor", country="PL", captive_of_id=client_org.id)
    contract = reload(create(client_org, manager, captive, function))
    assert (contract.vat_treatment, contract.vat_rate) == (VatTreatment.INTERNAL, D("0"))


def test_library_slas_ticked_are_added_with_a_default_credit(
    client_org, vendor_org, manager, function
):
    contract = create(
        client_org, manager, vendor_org, function, library_keys=["invoice_cycle_time"]
    )
    metrics = reload(contract).versions[0].metrics
    assert [m.code for m in metrics] == ["invoice-accuracy", "invoice-processing-cycle-time"]
    assert metrics[1].library_key == "invoice_cycle_time"
    assert metrics[1].credit_percent == D("5")
    assert metrics[1].better == Better.LOWER


def test_update_contract_rewrites_the_draft_and_may_reuse_codes(
    client_org, vendor_org, manager, function
):
    contract = create(client_org, manager, vendor_org, function)
    lines = [
        {
            "kind": "per_unit",
            "description": "Other",
            "unit": "invoice",
            "rate": 2,
            "code": "service-management",
        },
    ]
    as_client(
        contract,
        operations.update_contract,
        manager,
        contract,
        contract_data(
            vendor_org, function, title="Renamed", rate_lines=lines, end_date=date(2027, 6, 30)
        ),
    )
    contract = reload(contract)
    assert contract.title == "Renamed"
    assert contract.end_date == date(2027, 6, 30)
    [version] = contract.versions
    assert version.end_date == date(2027, 6, 30)
    [line] = version.rate_lines
    assert (line.code, line.kind) == ("service-management", RateKind.PER_UNIT)
    [event] = events(client_org, "contract.updated")
    assert event.before["title"] == "Accounts payable outsourcing"
    assert event.after["title"] == "Renamed"


# --- Sending and the vendor's answer --------------------------------------------------


def test_send_then_accept_makes_the_contract_active_and_tells_each_side(
    make, client_org, vendor_org, manager, signatory, function
):
    vendor_viewer = make.member(vendor_org, "viewer")
    contract = create(client_org, manager, vendor_org, function)
    as_client(contract, operations.send_contract, manager, contract)
    contract = reload(contract)
    assert contract.status == ContractStatus.SENT
    assert contract.sent_at is not None
    assert len(notified(signatory, "contract.sent")) == 1
    assert notified(vendor_viewer, "contract.sent") == []
    [client_event] = events(client_org, "contract.sent")
    [vendor_event] = events(vendor_org, "contract.sent")
    assert "transition_cost" in client_event.after
    assert "transition_cost" not in vendor_event.after

    as_vendor(contract, operations.accept_contract, signatory, contract)
    contract = reload(contract)
    assert contract.status == ContractStatus.ACTIVE
    assert contract.accepted_by_id == signatory.id
    assert len(notified(manager, "contract.accepted")) == 1
    assert len(events(client_org, "contract.accepted")) == 1
    assert len(events(vendor_org, "contract.accepted")) == 1


def test_a_double_accept_is_applied_once(client_org, vendor_org, manager, signatory, function):
    contract = create(client_org, manager, vendor_org, function)
    as_client(contract, operations.send_contract, manager, contract)
    contract = reload(contract)
    as_vendor(contract, operations.accept_contract, signatory, contract)
    with pytest.raises(RuleError, match="already accepted"):
        as_vendor(contract, operations.accept_contract, signatory, contract)
    # Two requests that both read "sent": the second UPDATE finds nothing to change.
    set_committed_value(contract, "status", ContractStatus.SENT)
    with pytest.raises(RuleError, match="just changed"):
        as_vendor(contract, operations.accept_contract, signatory, contract)
    assert reload(contract).status == ContractStatus.ACTIVE
    assert len(events(vendor_org, "contract.accepted")) == 1
    assert len(notified(manager, "contract.accepted")) == 1


def test_reject_sends_the_contract_back_to_draft_with_its_reason(
    client_org, vendor_org, manager, signatory, function
):
    contract = create(client_org, manager, vendor_org, function)
    as_client(contract, operations.send_contract, manager, contract)
    with pytest.raises(RuleError) as error:
        as_vendor(contract, operations.reject_contract, signatory, contract, "  ")
    assert error.value.field == "reason"
    as_vendor(contract, operations.reject_contract, signatory, contract, "Credits too high.")
    contract = reload(contract)
    assert contract.status == ContractStatus.DRAFT
    assert contract.rejection_reason == "Credits too high."
    assert contract.rejected_at is not None
    [told] = notified(manager, "contract.rejected")
    assert "Credits too high." in told.body
    assert len(events(vendor_org, "contract.rejected")) == 1
    # The client changes the draft and sends it again; the reason stays as history.
    as_client(contract, operations.send_contract, manager, contract)
    assert reload(contract).status == ContractStatus.SENT
    assert reload(contract).rejection_reason == "Credits too high."


def test_moves_outside_the_life_cycle_are_refused(
    make, client_org, vendor_org, manager, signatory, function
):
    contract = create(client_org, manager, vendor_org, function)
    with pytest.raises(RuleError):
        as_vendor(contract, operations.accept_contract, signatory, contract)
    with pytest.raises(RuleError):
        as_vendor(contract, operations.reject_contract, signatory, contract, "No.")
    with pytest.raises(RuleError):
        as_client(
            contract, operations.terminate_contract, manager, contract, date(2026, 6, 30), "x"
        )
    active = make.contract(client_org, vendor_org)
    for step in (operations.send_contract, operations.cancel_contract):
        with pytest.raises(RuleError):
            as_client(active, step, manager, active)
    with pytest.raises(RuleError, match="Only a draft"):
        as_client(
            active, operations.update_contract, manager, active, contract_data(vendor_org, function)
        )


def test_only_the_client_sends_and_only_the_vendor_accepts(
    client_org, vendor_org, manager, signatory, function
):
    contract = create(client_org, manager, vendor_org, function)
    with pytest.raises(RuleError, match="Only the client"):
        as_vendor(contract, operations.send_contract, signatory, contract)
    as_client(contract, operations.send_contract, manager, contract)
    with pytest.raises(RuleError, match="Only the vendor"):
        as_client(contract, operations.accept_contract, manager, contract)


def test_a_draft_without_rate_lines_cannot_be_sent(make, client_org, vendor_org, manager):
    contract = make.contract(client_org, vendor_org, status="draft", lines=[])
    with pytest.raises(RuleError, match="at least one line"):
        as_client(contract, operations.send_contract, manager, contract)


def test_cancel_a_sent_contract_tells_the_vendor(
    client_org, vendor_org, manager, signatory, function
):
    draft = create(client_org, manager, vendor_org, function)
    as_client(draft, operations.cancel_contract, manager, draft)
    assert reload(draft).status == ContractStatus.CANCELLED
    assert events(vendor_org, "contract.cancelled") == []

    sent = create(client_org, manager, vendor_org, function)
    as_client(sent, operations.send_contract, manager, sent)
    as_client(sent, operations.cancel_contract, manager, sent)
    assert reload(sent).status == ContractStatus.CANCELLED
    assert len(events(vendor_org, "contract.cancelled")) == 1
    assert len(notified(signatory, "contract.cancelled")) == 1


# --- Amendments -----------------------------------------------------------------------


def amendment(contract, **overrides) -> dict:
    version = contract.current_version
    data = {
        "effective_month": date(2026, 7, 1),
        "summary": "Lower invoice rate from July.",
        "end_date": contract.end_date,
        "retained_governance_monthly": D("3000"),
        "monthly_minimum": None,
        "credit_cap_percent": D("15"),
        "rate_lines": [
            {
                "kind": RateKind(line.kind).value,
                "description": line.description,
                "unit": line.unit,
                "rate": D("2.10") if line.code == "invoices" else line.rate,
                "code": line.code,
            }
            for line in version.rate_lines
        ],
        "metrics": [
            {
                "name": m.name,
                "unit": m.unit,
                "target": D("98") if m.code == "accuracy" else m.target,
                "better": Better(m.better).value,
                "critical_threshold": m.critical_threshold,
                "credit_percent": m.credit_percent,
                "code": m.code,
                "library_key": None,
            }
            for m in version.metrics
        ],
        "library_keys": [],
    }
    data.update(overrides)
    return data


def amend(contract, manager, **overrides):
    return as_client(
        contract, operations.amend_contract, manager, contract, amendment(contract, **overrides)
    )


def test_an_amendment_adds_a_version_and_keeps_the_earlier_one(
    make, client_org, vendor_org, manager, signatory
):
    contract = make.contract(client_org, vendor_org)
    version = amend(contract, manager, end_date=date(2029, 6, 30))
    assert (version.number, version.effective_from, version.summary) == (
        2,
        date(2026, 7, 1),
        "Lower invoice rate from July.",
    )
    contract = reload(contract)
    assert contract.end_date == date(2029, 6, 30)
    first, second = contract.versions
    assert first.end_date == date(2028, 12, 31)
    assert [line.rate for line in first.rate_lines] == [D("40000"), D("2.50")]
    assert [line.rate for line in second.rate_lines] == [D("40000"), D("2.10")]
    # Codes are kept, so reports and CSV files name the same lines and metrics.
    assert [line.code for line in second.rate_lines] == ["base-fee", "invoices"]
    assert [m.code for m in second.metrics] == ["accuracy", "cycle-time"]
    assert second.metrics[0].target == D("98")
    # Each period is evaluated against the version in force on its first day.
    assert contract.version_for(date(2026, 1, 1)) is first
    assert contract.version_for(date(2026, 6, 1)) is first
    assert contract.version_for(date(2026, 7, 1)) is second
    assert contract.version_for(date(2028, 1, 1)) is second

    [told] = notified(signatory, "contract.amended")
    assert "2026-07" in told.body
    [client_event] = events(client_org, "contract.amended")
    [vendor_event] = events(vendor_org, "contract.amended")
    assert client_event.before["terms"]["rate_lines"][1]["rate"] == "2.5"
    assert client_event.after["terms"]["rate_lines"][1]["rate"] == "2.1"
    assert client_event.after["terms"]["retained_governance_monthly"] == "3000"
    assert "retained_governance_monthly" not in vendor_event.after["terms"]


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (date(2026, 7, 15), "first day of a month"),
        (date(2026, 1, 1), "after the start"),
        (date(2025, 12, 1), "after the start"),
        (date(2029, 1, 1), "within the term"),
    ],
)
def test_an_amendment_month_must_be_a_month_inside_the_term(
    make, client_org, vendor_org, manager, month, message
):
    contract = make.contract(client_org, vendor_org)
    with pytest.raises(RuleError, match=message) as error:
        amend(contract, manager, effective_month=month)
    assert error.value.field == "effective_month"


def test_an_amendment_comes_after_the_latest_version(make, client_org, vendor_org, manager):
    contract = make.contract(client_org, vendor_org)
    amend(contract, manager, effective_month=date(2026, 9, 1))
    contract = reload(contract)
    for month in (date(2026, 8, 1), date(2026, 9, 1)):
        with pytest.raises(RuleError, match="latest version"):
            amend(contract, manager, effective_month=month)
    assert amend(contract, manager, effective_month=date(2026, 10, 1)).number == 3


def test_an_amendment_never_reaches_back_over_a_reported_month(
    make, client_org, vendor_org, manager
):
    contract = make.contract(client_org, vendor_org)
    make.delivery_report(contract, date(2026, 3, 1), status=ReportStatus.ACCEPTED)
    make.delivery_report(contract, date(2026, 4, 1), status=ReportStatus.SUBMITTED)
    for month in (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)):
        with pytest.raises(RuleError, match="2026-04 already has a delivery report"):
            amend(contract, manager, effective_month=month)
    assert amend(contract, manager, effective_month=date(2026, 5, 1)).number == 2


def test_a_draft_written_before_an_amendment_is_saved_again_before_it_is_submitted(
    make, client_org, vendor_org, manager
):
    from contracts.operations.reports import submit_report

    contract = make.contract(client_org, vendor_org)
    draft = make.delivery_report(contract, date(2026, 4, 1), status=ReportStatus.DRAFT)
    # The vendor's draft is behind the wall: it does not hold the amendment back.
    version = amend(contract, manager, effective_month=date(2026, 4, 1))

    with organization_context(vendor_org.id), pytest.raises(RuleError, match="save it again"):
        submit_report(None, draft)
    assert draft.status is ReportStatus.DRAFT
    assert version.effective_from == date(2026, 4, 1)


def test_an_amendment_needs_a_reason_an_active_contract_and_the_client(
    make, client_org, vendor_org, manager, signatory
):
    contract = make.contract(client_org, vendor_org)
    with pytest.raises(RuleError) as error:
        amend(contract, manager, summary=" ")
    assert error.value.field == "summary"
    with pytest.raises(RuleError) as error:
        amend(contract, manager, end_date=date(2026, 6, 30))
    assert error.value.field == "end_date"
    with pytest.raises(RuleError, match="Only the client"):
        as_vendor(contract, operations.amend_contract, signatory, contract, amendment(contract))
    sent = make.contract(client_org, vendor_org, status="sent")
    with pytest.raises(RuleError, match="Only an active"):
        amend(sent, manager)
    versions = tenancy.across_tenants(
        select(func.count(ContractVersion.id)).where(ContractVersion.contract_id == contract.id)
    )
    assert db.session.scalar(versions) == 1


# --- The end --------------------------------------------------------------------------


def test_terminate_sets_the_last_day_and_tells_the_vendor(
    make, client_org, vendor_org, manager, signatory
):
    contract = make.contract(client_org, vendor_org)
    today = date(2026, 5, 10)
    for day, field in ((date(2026, 5, 9), "last_day"), (date(2029, 1, 1), "last_day")):
        with pytest.raises(RuleError) as error:
            as_client(contract, operations.terminate_contract, manager, contract, day, "x", today)
        assert error.value.field == field
    with pytest.raises(RuleError) as error:
        as_client(contract, operations.terminate_contract, manager, contract, today, "", today)
    assert error.value.field == "reason"

    as_client(
        contract,
        operations.terminate_contract,
        manager,
        contract,
        date(2026, 8, 31),
        "Function brought back in-house.",
        today,
    )
    contract = reload(contract)
    assert contract.status == ContractStatus.TERMINATED
    assert contract.terminated_on == date(2026, 8, 31)
    assert contract.last_service_day == date(2026, 8, 31)
    assert contract.termination_reason == "Function brought back in-house."
    assert contract.terminated_by_id == manager.id
    [told] = notified(signatory, "contract.terminated")
    assert "2026-08-31" in told.body
    assert len(events(vendor_org, "contract.terminated")) == 1
    with pytest.raises(RuleError):
        as_client(
            contract, operations.terminate_contract, manager, contract, date(2026, 8, 1), "x", today
        )


def test_expiry_marks_contracts_past_their_last_day_once(make, client_org, vendor_org):
    over = make.contract(client_org, vendor_org, start_date=date(2024, 1, 1), months=12)
    ends_today = make.contract(client_org, vendor_org, start_date=date(2025, 6, 1), months=12)
    running = make.contract(client_org, vendor_org, start_date=date(2025, 1, 1), months=36)
    sent = make.contract(
        client_org, vendor_org, status="sent", start_date=date(2024, 1, 1), months=12
    )
    now = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
    assert operations.expire_due_contracts(now) == 1
    assert operations.expire_due_contracts(now) == 0
    assert reload(over).status == ContractStatus.EXPIRED
    assert reload(over).expired_at is not None
    assert reload(ends_today).status == ContractStatus.ACTIVE
    assert reload(running).status == ContractStatus.ACTIVE
    assert reload(sent).status == ContractStatus.SENT
    assert len(events(client_org, "contract.expired")) == 1
    assert len(events(vendor_org, "contract.expired")) == 1
    # The next day, the contract ending on 31 May 2026 expires too.
    assert operations.expire_due_contracts(datetime(2026, 6, 1, 0, 1, tzinfo=UTC)) == 1
    assert reload(ends_today).status == ContractStatus.EXPIRED
