"""Every change in a contract's life: the draft, sending, the vendor's answer,
amendments, termination and expiry.

The client drafts a contract (directly with any vendor organization, or from
an award: ``tender_awarded`` turns the winning bid into a draft), edits it,
sends it; the vendor accepts it (active) or sends it back with a reason. An
active contract changes only by amendment: a new version of the terms from a
given month, earlier versions kept. It ends early by termination, or expires
past its end date (``expire_due_contracts``, run by ``flask contracts
run-due``). Every move is checked against ``CONTRACT_TRANSITIONS`` and applied
by a conditional UPDATE, so a move posted twice is applied once.

The retained governance cost and the transition cost are the client's cost
data: they are recorded in the client's audit log only, never in the vendor's.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from contracts import CONTRACT_MANAGERS, CONTRACT_SIGNATORIES
from contracts.models import (
    CONTRACT_TRANSITIONS,
    Contract,
    ContractStatus,
    ContractVersion,
    DeliveryReport,
    RateCardLine,
    RateKind,
    SlaMetric,
    VatTreatment,
)
from contracts.rules import (
    default_vat_treatment,
    standard_vat_rate,
    term_end,
    threshold_is_consistent,
)
from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.models import BackOfficeFunction, Organization, OrganizationKind, User
from portal.notifications.service import link_to, notify_organization
from portal.organizations.forms import CURRENCIES
from portal.rules import RuleError
from vendors.models import Better, Bid, PriceLineKind, Tender
from vendors.operations.evaluation import tender_awarded
from vendors.sla_library import library_sla

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "contract.created": _l("Contract drafted"),
        "contract.drafted_from_award": _l("Contract drafted from an award"),
        "contract.updated": _l("Contract draft changed"),
        "contract.sent": _l("Contract sent to the vendor"),
        "contract.cancelled": _l("Contract cancelled"),
        "contract.accepted": _l("Contract accepted"),
        "contract.rejected": _l("Contract sent back by the vendor"),
        "contract.amended": _l("Contract amended"),
        "contract.terminated": _l("Contract terminated"),
        "contract.expired": _l("Contract expired"),
    }
)
TARGET_LABELS.update({"Contract": _l("Contract")})

#: What both parties' audit logs keep of a contract (no cost data of the client).
SHARED_FIELDS = (
    "status",
    "client_organization_id",
    "vendor_organization_id",
    "title",
    "currency",
    "start_date",
    "end_date",
    "payment_terms_days",
    "vat_treatment",
    "vat_rate",
    "sent_at",
    "accepted_at",
    "rejection_reason",
    "terminated_on",
    "termination_reason",
)
#: What only the client's log keeps besides.
CLIENT_FIELDS = (*SHARED_FIELDS, "function_id", "scope", "transition_cost")

#: A service credit and a cap offered as editable defaults on a draft from an award.
DEFAULT_CREDIT_PERCENT = Decimal("5")
DEFAULT_CREDIT_CAP_PERCENT = Decimal("10")
DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_PAYMENT_TERMS_DAYS = 120

#: What the columns hold: amounts ``Numeric(14, 2)``, rates ``Numeric(14, 4)``,
#: SLA values ``Numeric(12, 4)``.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_RATE = Decimal("9999999999.9999")
MAX_SLA_VALUE = Decimal("99999999.9999")
HUNDRED = Decimal(100)
MAX_CODE = 40
_CODE = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?")
_VENDOR_KINDS = (OrganizationKind.VENDOR, OrganizationKind.BOTH)


class ContractRuleError(RuleError):
    """A change to a contract that its rules refuse."""


# --- Helpers --------------------------------------------------------------------------


def _text(data: dict, name: str) -> str:
    return str(data.get(name) or "").strip()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _fits(value: Decimal, places: int) -> bool:
    """Whether ``value`` has at most ``places`` decimals (nothing is rounded behind people)."""
    try:
        return value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return False


def _amount(data: dict, name: str, message, *, optional: bool = False) -> Decimal | None:
    """An amount of money: zero or more, in cents; None only when ``optional`` and blank."""
    raw = data.get(name)
    if optional and (raw is None or raw == ""):
        return None
    value = _decimal(raw) if raw not in (None, "") else Decimal(0)
    if value is None or value < 0 or value > MAX_AMOUNT or not _fits(value, 2):
        raise ContractRuleError(message, name)
    return value


def _percent(data: dict, name: str, message, default: Decimal | None = None) -> Decimal:
    raw = data.get(name)
    value = default if raw in (None, "") else _decimal(raw)
    if value is None or not 0 <= value <= HUNDRED or not _fits(value, 2):
        raise ContractRuleError(message, name)
    return value


def _enum_value(enum_cls, value, field: str, message):
    try:
        return enum_cls(value)
    except ValueError:
        raise ContractRuleError(message, field) from None


def _plain(value: Decimal | None) -> str | None:
    """A decimal as people read it and JSON keeps it: ``99.5``, not ``99.5000``."""
    if value is None:
        return None
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def slugify(text: str, fallback: str) -> str:
    """A short code from a name: ``"Invoice accuracy (%)"`` → ``invoice-accuracy``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    # Room for a "-2" suffix when two names make the same code.
    return slug[: MAX_CODE - 4].strip("-") or fallback


def assign_codes(rows: list[dict], name_key: str, fallback: str, field: str, label) -> None:
    """Give each row a code unique among ``rows``: the one typed, else one made from its name.

    A code typed twice is refused; a code made from a name that is taken gets
    a number (``invoices-2``).
    """
    taken: set[str] = set()
    for number, row in enumerate(rows, start=1):
        code = (row.get("code") or "").strip().lower()
        if not code:
            continue
        if len(code) > MAX_CODE or not _CODE.fullmatch(code):
            raise ContractRuleError(
                _l(
                    "%(what)s %(number)s: a code is made of lowercase letters, digits and "
                    "hyphens (at most 40).",
                    what=label,
                    number=number,
                ),
                field,
            )
        if code in taken:
            raise ContractRuleError(
                _l("The code %(code)s appears twice.", code=code),
                field,
            )
        taken.add(code)
        row["code"] = code
    for row in rows:
        if row.get("code"):
            continue
        base = slugify(row[name_key], fallback)
        code, suffix = base, 2
        while code in taken:
            code, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(code)
        row["code"] = code


def _link(contract: Contract) -> str:
    return link_to("contracts.show", contract_id=contract.id)


def _shared_snapshot(contract: Contract) -> dict[str, Any]:
    return audit.snapshot(contract, SHARED_FIELDS)


def _client_snapshot(contract: Contract) -> dict[str, Any]:
    return audit.snapshot(contract, CLIENT_FIELDS)


def terms_snapshot(version: ContractVersion, *, for_client: bool) -> dict[str, Any]:
    """A version's terms as the audit log keeps them (governance cost: the client's only)."""
    values: dict[str, Any] = {
        "number": version.number,
        "effective_from": version.effective_from.isoformat(),
        "end_date": version.end_date.isoformat(),
        "monthly_minimum": _plain(version.monthly_minimum),
        "credit_cap_percent": _plain(version.credit_cap_percent),
        "rate_lines": [
            {
                "code": line.code,
                "kind": RateKind(line.kind).value,
                "description": line.description,
                "unit": line.unit,
                "rate": _plain(line.rate),
            }
            for line in version.rate_lines
        ],
        "metrics": [
            {
                "code": metric.code,
                "name": metric.name,
                "unit": metric.unit,
                "target": _plain(metric.target),
                "better": Better(metric.better).value,
                "critical_threshold": _plain(metric.critical_threshold),
                "credit_percent": _plain(metric.credit_percent),
            }
            for metric in version.metrics
        ],
    }
    if for_client:
        values["retained_governance_monthly"] = _plain(version.retained_governance_monthly)
    return values


def _require_client(contract: Contract) -> None:
    if contract.client_organization_id != tenancy.current_organization_id():
        raise ContractRuleError(_l("Only the client changes this contract."))


def _require_vendor(contract: Contract) -> None:
    if contract.vendor_organization_id != tenancy.current_organization_id():
        raise ContractRuleError(_l("Only the vendor answers this contract."))


def _move(contract: Contract, target: ContractStatus, refusal, **values) -> None:
    """Move the contract to ``target`` if its life cycle allows it, exactly once.

    The UPDATE names the status read: of two identical requests at the same
    moment, the second finds nothing to change and is refused.
    """
    current = ContractStatus(contract.status)
    if target not in CONTRACT_TRANSITIONS[current]:
        raise ContractRuleError(refusal)
    result = db.session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.status == current)
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ContractRuleError(_l("This contract has just changed; reload the page."))
    db.session.refresh(contract)


def _record_both(
    action: str,
    contract: Contract,
    actor: User | None,
    before_shared: dict,
    before_client: dict,
) -> None:
    """Record a move in the client's log (with its cost data) and in the vendor's."""
    audit.record(
        action,
        contract,
        actor=actor,
        before=before_client,
        after=_client_snapshot(contract),
        summary=contract.title,
        organization_id=contract.client_organization_id,
    )
    audit.record(
        action,
        contract,
        actor=actor,
        before=before_shared,
        after=_shared_snapshot(contract),
        summary=contract.title,
        organization_id=contract.vendor_organization_id,
    )


def _tell_vendor(contract: Contract, kind: str, title, body) -> None:
    notify_organization(
        contract.vendor_organization_id, CONTRACT_SIGNATORIES, kind, title, body, _link(contract)
    )


def _tell_client(contract: Contract, kind: str, title, body) -> None:
    notify_organization(
        contract.client_organization_id, CONTRACT_MANAGERS, kind, title, body, _link(contract)
    )


# --- Parties and terms ----------------------------------------------------------------


def vendor_choices() -> list[Organization]:
    """Vendor organizations a client may contract with: its captive centres first, then by name.

    Never the client itself.
    """
    organization_id = tenancy.require_organization_id()
    statement = (
        select(Organization)
        .where(Organization.kind.in_(_VENDOR_KINDS), Organization.id != organization_id)
        .order_by(
            # Not ``(captive_of_id == id).desc()``: NULL sorts first in PostgreSQL.
            case((Organization.captive_of_id == organization_id, 0), else_=1),
            Organization.name,
            Organization.id,
        )
    )
    return list(db.session.scalars(statement))


def _vendor(client: Organization, vendor_id: Any) -> Organization:
    vendor_id = _int(vendor_id)
    vendor = db.session.get(Organization, vendor_id) if vendor_id is not None else None
    if vendor is None or not vendor.is_vendor or vendor.id == client.id:
        raise ContractRuleError(_l("Choose a vendor organization from the list."), "vendor_id")
    return vendor


def _function(function_id: Any) -> BackOfficeFunction:
    function_id = _int(function_id)
    function = None
    if function_id is not None:
        statement = select(BackOfficeFunction).where(BackOfficeFunction.id == function_id)
        function = db.session.scalars(statement).one_or_none()
    if function is None:
        raise ContractRuleError(_l("Choose one of your registered functions."), "function_id")
    return function


def suggested_vat(client: Organization, vendor: Organization) -> tuple[VatTreatment, Decimal]:
    """The VAT treatment and rate the parties' countries suggest."""
    treatment = default_vat_treatment(
        client.country, vendor.country, vendor.captive_of_id == client.id
    )
    rate = standard_vat_rate(client.country) if treatment is VatTreatment.DOMESTIC else None
    return treatment, rate or Decimal(0)


def _vat(data: dict, client: Organization, vendor: Organization) -> tuple[VatTreatment, Decimal]:
    raw = data.get("vat_treatment")
    if raw in (None, ""):
        treatment, _rate = suggested_vat(client, vendor)
    else:
        treatment = _enum_value(
            VatTreatment, raw, "vat_treatment", _l("Choose a VAT treatment from the list.")
        )
    if treatment is not VatTreatment.DOMESTIC:
        return treatment, Decimal(0)
    raw_rate = data.get("vat_rate")
    rate = standard_vat_rate(client.country) if raw_rate in (None, "") else _decimal(raw_rate)
    if rate is None:
        raise ContractRuleError(_l("Give the VAT rate of domestic VAT."), "vat_rate")
    if not 0 <= rate <= HUNDRED or not _fits(rate, 2):
        raise ContractRuleError(_l("A VAT rate is a percentage from 0 to 100."), "vat_rate")
    return treatment, rate


def _check_dates(start: Any, end: Any) -> tuple[date, date]:
    if not isinstance(start, date):
        raise ContractRuleError(_l("Enter the start date."), "start_date")
    if not isinstance(end, date):
        raise ContractRuleError(_l("Enter the last day of the term."), "end_date")
    if end < start:
        raise ContractRuleError(_l("The term cannot end before it starts."), "end_date")
    return start, end


def _contract_values(data: dict, client: Organization, vendor: Organization, function) -> dict:
    """The contract's own fields (parties and function aside), checked."""
    title = _text(data, "title")
    if not title:
        raise ContractRuleError(_l("Give the contract a title."), "title")
    currency = _text(data, "currency").upper() or (function.currency if function else "")
    if currency not in CURRENCIES:
        raise ContractRuleError(_l("Choose a currency from the list."), "currency")
    start, end = _check_dates(data.get("start_date"), data.get("end_date"))
    terms = data.get("payment_terms_days")
    terms = DEFAULT_PAYMENT_TERMS_DAYS if terms in (None, "") else _int(terms)
    if terms is None or not 0 <= terms <= MAX_PAYMENT_TERMS_DAYS:
        raise ContractRuleError(_l("Payment terms are from 0 to 120 days."), "payment_terms_days")
    treatment, rate = _vat(data, client, vendor)
    return {
        "title": title[:200],
        "scope": _text(data, "scope"),
        "currency": currency,
        "start_date": start,
        "end_date": end,
        "payment_terms_days": terms,
        "vat_treatment": treatment,
        "vat_rate": rate,
        "transition_cost": _amount(
            data, "transition_cost", _l("Enter a transition cost of zero or more, in cents.")
        ),
    }


def _rate_rows(rows: Iterable[dict] | None) -> list[dict]:
    """The rate-card lines typed (blank rows left out), with their codes."""
    result = []
    for number, row in enumerate(rows or [], start=1):
        description = _text(row, "description")
        unit = _text(row, "unit")
        code = _text(row, "code")
        if not description and not unit and not code and row.get("rate") in (None, ""):
            continue
        kind = _enum_value(
            RateKind,
            row.get("kind"),
            "rate_lines",
            _l("Rate line %(number)s: choose a fixed fee or a rate per unit.", number=number),
        )
        if not description:
            raise ContractRuleError(
                _l("Rate line %(number)s: describe it.", number=number), "rate_lines"
            )
        if kind is RateKind.PER_UNIT and not unit:
            raise ContractRuleError(
                _l(
                    "Rate line %(number)s: name the unit the rate is per (e.g. supplier invoice).",
                    number=number,
                ),
                "rate_lines",
            )
        rate = _decimal(row.get("rate"))
        if rate is None or rate < 0 or rate > MAX_RATE or not _fits(rate, 4):
            raise ContractRuleError(
                _l(
                    "Rate line %(number)s: enter a rate of zero or more (at most 4 decimals).",
                    number=number,
                ),
                "rate_lines",
            )
        result.append(
            {
                "kind": kind,
                "description": description[:200],
                "unit": unit[:80] if kind is RateKind.PER_UNIT else "",
                "rate": rate,
                "code": code,
            }
        )
    assign_codes(result, "description", "line", "rate_lines", _l("Rate line"))
    return result


def _sla_value(value: Any) -> Decimal | None:
    number = _decimal(value)
    if number is None or number < 0 or number > MAX_SLA_VALUE or not _fits(number, 4):
        return None
    return number


def _metric_rows(rows: Iterable[dict] | None, library_keys: Iterable[str] | None) -> list[dict]:
    """The SLA metrics typed (blank rows left out) plus those ticked in the library."""
    result = []
    for number, row in enumerate(rows or [], start=1):
        name = _text(row, "name")
        unit = _text(row, "unit")
        code = _text(row, "code")
        values = [row.get(key) for key in ("target", "critical_threshold", "credit_percent")]
        if not name and not unit and not code and all(v in (None, "") for v in values):
            continue
        if not name:
            raise ContractRuleError(_l("SLA metric %(number)s: name it.", number=number), "metrics")
        if not unit:
            raise ContractRuleError(
                _l("SLA metric %(number)s: give the unit (%%, hours, days…).", number=number),
                "metrics",
            )
        target = _sla_value(row.get("target"))
        if target is None:
            raise ContractRuleError(
                _l("SLA metric %(number)s: enter a target of zero or more.", number=number),
                "metrics",
            )
        better = _enum_value(
            Better,
            row.get("better"),
            "metrics",
            _l("SLA metric %(number)s: say whether higher or lower is better.", number=number),
        )
        critical = None
        if row.get("critical_threshold") not in (None, ""):
            critical = _sla_value(row.get("critical_threshold"))
            if critical is None:
                raise ContractRuleError(
                    _l(
                        "SLA metric %(number)s: enter a critical threshold of zero or more.",
                        number=number,
                    ),
                    "metrics",
                )
        if not threshold_is_consistent(target, better, critical):
            raise ContractRuleError(
                _l(
                    "SLA metric %(number)s: the critical threshold must be worse than the "
                    "target (below it when higher is better, above it when lower is better).",
                    number=number,
                ),
                "metrics",
            )
        credit = _decimal(row.get("credit_percent"))
        if credit is None or not 0 <= credit <= HUNDRED or not _fits(credit, 2):
            raise ContractRuleError(
                _l(
                    "SLA metric %(number)s: the credit is a percentage of the period's fees "
                    "from 0 to 100.",
                    number=number,
                ),
                "metrics",
            )
        key = row.get("library_key") or None
        result.append(
            {
                "name": name[:200],
                "unit": unit[:30],
                "target": target,
                "better": better,
                "critical_threshold": critical,
                "credit_percent": credit,
                "code": code,
                "library_key": key if library_sla(key) else None,
            }
        )
    present = {row["library_key"] for row in result if row["library_key"]}
    for key in library_keys or []:
        entry = library_sla(key)
        if entry is None:
            raise ContractRuleError(_l("Choose SLAs from the library's list."), "library_keys")
        if key in present:
            continue
        present.add(key)
        result.append(
            {
                "name": str(entry.metric),
                "unit": entry.unit,
                "target": entry.target,
                "better": entry.better,
                "critical_threshold": None,
                "credit_percent": DEFAULT_CREDIT_PERCENT,
                "code": "",
                "library_key": key,
            }
        )
    assign_codes(result, "name", "metric", "metrics", _l("SLA metric"))
    return result


def _terms(data: dict) -> dict:
    """The versioned terms: caps and costs, rate card (at least one line) and SLA set."""
    rate_rows = _rate_rows(data.get("rate_lines"))
    if not rate_rows:
        raise ContractRuleError(
            _l("Give the rate card at least one line: a fixed fee or a rate per unit."),
            "rate_lines",
        )
    return {
        "monthly_minimum": _amount(
            data,
            "monthly_minimum",
            _l("Enter a monthly minimum of zero or more, or leave it empty."),
            optional=True,
        ),
        "credit_cap_percent": _percent(
            data,
            "credit_cap_percent",
            _l("The cap on credits is a percentage of the period's fees from 0 to 100."),
            default=Decimal(0),
        ),
        "retained_governance_monthly": _amount(
            data,
            "retained_governance_monthly",
            _l("Enter a governance cost of zero or more, in cents."),
        ),
        "rate_lines": rate_rows,
        "metrics": _metric_rows(data.get("metrics"), data.get("library_keys")),
    }


def _write_terms(version: ContractVersion, terms: dict) -> None:
    """Set a version's terms; its rows are replaced whole (old codes may be reused)."""
    version.monthly_minimum = terms["monthly_minimum"]
    version.credit_cap_percent = terms["credit_cap_percent"]
    version.retained_governance_monthly = terms["retained_governance_monthly"]
    if version.rate_lines or version.metrics:
        # Deleted before the new rows go in, so that a kept code is not taken twice.
        version.rate_lines.clear()
        version.metrics.clear()
        db.session.flush()
    version.rate_lines = [
        RateCardLine(position=position, **row) for position, row in enumerate(terms["rate_lines"])
    ]
    version.metrics = [
        SlaMetric(position=position, **row) for position, row in enumerate(terms["metrics"])
    ]


# --- The draft ------------------------------------------------------------------------


def create_contract(actor: User, data: dict) -> Contract:
    """Draft a direct contract of the current (client) organization with a vendor."""
    client = db.session.get(Organization, tenancy.require_organization_id())
    vendor = _vendor(client, data.get("vendor_id"))
    function = _function(data.get("function_id"))
    values = _contract_values(data, client, vendor, function)
    terms = _terms(data)
    contract = Contract(
        client_organization_id=client.id,
        vendor_organization_id=vendor.id,
        function_id=function.id,
        catalogue_key=function.catalogue_key,
        status=ContractStatus.DRAFT,
        created_by_id=actor.id,
        **values,
    )
    version = ContractVersion(
        number=1,
        effective_from=contract.start_date,
        end_date=contract.end_date,
        summary="",
        created_by_id=actor.id,
    )
    _write_terms(version, terms)
    contract.versions.append(version)
    db.session.add(contract)
    db.session.flush()
    audit.record(
        "contract.created",
        contract,
        actor=actor,
        after={**_client_snapshot(contract), "terms": terms_snapshot(version, for_client=True)},
        summary=f"{contract.title}: {vendor.name}",
    )
    log.info("user %s drafted contract %s with %s", actor.id, contract.id, vendor.id)
    return contract


def update_contract(actor: User, contract: Contract, data: dict) -> Contract:
    """Change a draft: its terms and version 1 (the parties and function stay)."""
    _require_client(contract)
    if contract.status != ContractStatus.DRAFT:
        raise ContractRuleError(_l("Only a draft can be edited; an active contract is amended."))
    version = contract.versions[0]
    before = {**_client_snapshot(contract), "terms": terms_snapshot(version, for_client=True)}
    values = _contract_values(data, contract.client, contract.vendor, contract.function)
    terms = _terms(data)
    for name, value in values.items():
        setattr(contract, name, value)
    version.effective_from = contract.start_date
    version.end_date = contract.end_date
    _write_terms(version, terms)
    db.session.flush()
    audit.record(
        "contract.updated",
        contract,
        actor=actor,
        before=before,
        after={**_client_snapshot(contract), "terms": terms_snapshot(version, for_client=True)},
        summary=contract.title,
    )
    return contract


def send_contract(actor: User, contract: Contract) -> Contract:
    """Send the draft to the vendor to accept or reject; its terms are frozen from now."""
    _require_client(contract)
    if contract.status == ContractStatus.DRAFT and not contract.current_version.rate_lines:
        raise ContractRuleError(_l("Give the rate card at least one line before sending."))
    before = _shared_snapshot(contract)
    before_client = _client_snapshot(contract)
    _move(
        contract,
        ContractStatus.SENT,
        _l("Only a draft can be sent to the vendor."),
        sent_at=utcnow(),
    )
    _record_both("contract.sent", contract, actor, before, before_client)
    _tell_vendor(
        contract,
        "contract.sent",
        _l("Contract to accept: %(title)s", title=contract.title),
        _l(
            "%(client)s sent you the contract %(title)s. Read its terms, then accept it or "
            "send it back with your reason.",
            client=contract.client.name,
            title=contract.title,
        ),
    )
    log.info("user %s sent contract %s", actor.id, contract.id)
    return contract


def cancel_contract(actor: User, contract: Contract) -> Contract:
    """Drop a draft or a contract the vendor has not accepted yet."""
    _require_client(contract)
    was_sent = contract.sent_at is not None
    before = _shared_snapshot(contract)
    before_client = _client_snapshot(contract)
    _move(
        contract,
        ContractStatus.CANCELLED,
        _l("Only a draft or a contract awaiting the vendor can be cancelled."),
        cancelled_at=utcnow(),
    )
    if was_sent:
        _record_both("contract.cancelled", contract, actor, before, before_client)
        _tell_vendor(
            contract,
            "contract.cancelled",
            _l("Contract withdrawn: %(title)s", title=contract.title),
            _l(
                "%(client)s withdrew the contract %(title)s.",
                client=contract.client.name,
                title=contract.title,
            ),
        )
    else:
        audit.record(
            "contract.cancelled",
            contract,
            actor=actor,
            before=before_client,
            after=_client_snapshot(contract),
            summary=contract.title,
        )
    return contract


# --- The vendor's answer --------------------------------------------------------------


def accept_contract(actor: User, contract: Contract) -> Contract:
    """Accept the contract sent: it becomes active, once, however often it is posted."""
    _require_vendor(contract)
    before = _shared_snapshot(contract)
    before_client = _client_snapshot(contract)
    if contract.status == ContractStatus.ACTIVE:
        raise ContractRuleError(_l("This contract is already accepted."))
    _move(
        contract,
        ContractStatus.ACTIVE,
        _l("Only a contract sent to you can be accepted."),
        accepted_at=utcnow(),
        accepted_by_id=actor.id,
    )
    _record_both("contract.accepted", contract, actor, before, before_client)
    _tell_client(
        contract,
        "contract.accepted",
        _l("Contract accepted: %(title)s", title=contract.title),
        _l(
            "%(vendor)s accepted the contract %(title)s. It is active.",
            vendor=contract.vendor.name,
            title=contract.title,
        ),
    )
    log.info("user %s accepted contract %s", actor.id, contract.id)
    return contract


def reject_contract(actor: User, contract: Contract, reason: str) -> Contract:
    """Send the contract back to the client's draft, saying why."""
    _require_vendor(contract)
    reason = (reason or "").strip()
    if not reason:
        raise ContractRuleError(_l("Say why you send the contract back."), "reason")
    before = _shared_snapshot(contract)
    before_client = _client_snapshot(contract)
    _move(
        contract,
        ContractStatus.DRAFT,
        _l("Only a contract sent to you can be sent back."),
        rejection_reason=reason,
        rejected_at=utcnow(),
    )
    _record_both("contract.rejected", contract, actor, before, before_client)
    _tell_client(
        contract,
        "contract.rejected",
        _l("Contract sent back: %(title)s", title=contract.title),
        _l(
            "%(vendor)s sent the contract %(title)s back: %(reason)s",
            vendor=contract.vendor.name,
            title=contract.title,
            reason=reason,
        ),
    )
    return contract


# --- Amendments -----------------------------------------------------------------------


def last_reported_period(contract: Contract) -> date | None:
    """The latest month of the contract with a delivery report the client has received.

    An amendment starts after it: a submitted report is read against the terms
    it was written for, and an accepted one is frozen with them. (The vendor's
    drafts are behind the wall; one written before an amendment must be saved
    again against the new terms before it can be submitted.)
    """
    statement = select(func.max(DeliveryReport.period)).where(
        DeliveryReport.contract_id == contract.id
    )
    return db.session.scalar(statement)


def check_effective_month(contract: Contract, effective: Any) -> date:
    """The first month an amendment may apply to, or the reason it may not."""
    if not isinstance(effective, date):
        raise ContractRuleError(
            _l("Enter the month the amendment takes effect."), "effective_month"
        )
    if effective.day != 1:
        raise ContractRuleError(
            _l("An amendment takes effect on the first day of a month."), "effective_month"
        )
    if effective <= contract.start_date:
        raise ContractRuleError(
            _l("An amendment takes effect after the start of the contract."), "effective_month"
        )
    if effective > contract.last_service_day:
        raise ContractRuleError(
            _l("An amendment takes effect within the term of the contract."), "effective_month"
        )
    latest = contract.current_version
    if effective <= latest.effective_from:
        raise ContractRuleError(
            _l(
                "An amendment takes effect after the latest version (version %(number)s, "
                "from %(month)s).",
                number=latest.number,
                month=f"{latest.effective_from:%Y-%m}",
            ),
            "effective_month",
        )
    reported = last_reported_period(contract)
    if reported is not None and effective <= reported:
        raise ContractRuleError(
            _l(
                "%(month)s already has a delivery report: amend from a later month.",
                month=f"{reported:%Y-%m}",
            ),
            "effective_month",
        )
    return effective


def amend_contract(actor: User, contract: Contract, data: dict) -> ContractVersion:
    """Change an active contract's terms from a month on, as a new version.

    The earlier versions stay as they are: each period is evaluated against
    the version in force on its first day.
    """
    _require_client(contract)
    if contract.status != ContractStatus.ACTIVE:
        raise ContractRuleError(_l("Only an active contract can be amended."))
    effective = check_effective_month(contract, data.get("effective_month"))
    reason = _text(data, "summary")
    if not reason:
        raise ContractRuleError(_l("Say what the amendment changes and why."), "summary")
    end = data.get("end_date") or contract.end_date
    if not isinstance(end, date) or end < effective:
        raise ContractRuleError(
            _l("The term cannot end before the amendment takes effect."), "end_date"
        )
    terms = _terms(data)
    current = contract.current_version
    before_client = {
        "end_date": contract.end_date.isoformat(),
        "terms": terms_snapshot(current, for_client=True),
    }
    before_shared = {
        "end_date": contract.end_date.isoformat(),
        "terms": terms_snapshot(current, for_client=False),
    }
    version = ContractVersion(
        number=current.number + 1,
        effective_from=effective,
        end_date=end,
        summary=reason,
        created_by_id=actor.id,
    )
    _write_terms(version, terms)
    contract.versions.append(version)
    contract.end_date = end
    db.session.flush()
    summary = f"{contract.title}: v{version.number} {effective:%Y-%m}"
    audit.record(
        "contract.amended",
        contract,
        actor=actor,
        before=before_client,
        after={"end_date": end.isoformat(), "terms": terms_snapshot(version, for_client=True)},
        summary=summary,
    )
    audit.record(
        "contract.amended",
        contract,
        actor=actor,
        before=before_shared,
        after={"end_date": end.isoformat(), "terms": terms_snapshot(version, for_client=False)},
        summary=summary,
        organization_id=contract.vendor_organization_id,
    )
    _tell_vendor(
        contract,
        "contract.amended",
        _l("Contract amended: %(title)s", title=contract.title),
        _l(
            "%(client)s amended the contract %(title)s from %(month)s: %(reason)s",
            client=contract.client.name,
            title=contract.title,
            month=f"{effective:%Y-%m}",
            reason=reason,
        ),
    )
    log.info("user %s amended contract %s (version %s)", actor.id, contract.id, version.number)
    return version


# --- The end --------------------------------------------------------------------------


def terminate_contract(
    actor: User, contract: Contract, last_day: Any, reason: str, today: date | None = None
) -> Contract:
    """End an active contract early: its last day of service, from today to its end date."""
    _require_client(contract)
    today = today or utcnow().date()
    if contract.status != ContractStatus.ACTIVE:
        raise ContractRuleError(_l("Only an active contract can be terminated."))
    if not isinstance(last_day, date):
        raise ContractRuleError(_l("Enter the last day of service."), "last_day")
    if last_day < today:
        raise ContractRuleError(_l("The last day of service cannot be in the past."), "last_day")
    if last_day > contract.end_date:
        raise ContractRuleError(
            _l("The last day of service is at the latest the end of the term."), "last_day"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ContractRuleError(_l("Say why the contract ends early."), "reason")
    before = _shared_snapshot(contract)
    before_client = _client_snapshot(contract)
    _move(
        contract,
        ContractStatus.TERMINATED,
        _l("Only an active contract can be terminated."),
        terminated_on=last_day,
        termination_reason=reason,
        terminated_at=utcnow(),
        terminated_by_id=actor.id,
    )
    _record_both("contract.terminated", contract, actor, before, before_client)
    _tell_vendor(
        contract,
        "contract.terminated",
        _l("Contract terminated: %(title)s", title=contract.title),
        _l(
            "%(client)s terminated the contract %(title)s; the last day of service is "
            "%(day)s. Reason: %(reason)s",
            client=contract.client.name,
            title=contract.title,
            day=last_day.isoformat(),
            reason=reason,
        ),
    )
    log.info("user %s terminated contract %s on %s", actor.id, contract.id, last_day)
    return contract


def expire_due_contracts(now: datetime) -> int:
    """Mark active contracts whose last day is over as expired; return how many (safe twice)."""
    today = now.date()
    statement = tenancy.across_tenants(
        select(Contract.id, Contract.client_organization_id)
        .where(Contract.status == ContractStatus.ACTIVE, Contract.end_date < today)
        .order_by(Contract.id)
    )
    expired = 0
    for contract_id, client_id in db.session.execute(statement).all():
        with tenancy.organization_context(client_id):
            contract = db.session.scalars(select(Contract).where(Contract.id == contract_id)).one()
            before = _shared_snapshot(contract)
            before_client = _client_snapshot(contract)
            try:
                _move(
                    contract,
                    ContractStatus.EXPIRED,
                    _l("Only an active contract expires."),
                    expired_at=now,
                )
            except ContractRuleError:
                continue  # moved meanwhile (terminated, or expired by another run)
            _record_both("contract.expired", contract, None, before, before_client)
            expired += 1
    if expired:
        log.info("%d contract(s) expired", expired)
    return expired


# --- From an award --------------------------------------------------------------------


def _number_text(value: Decimal) -> str:
    return _plain(value) or "0"


def _rows_from_bid(tender: Tender, bid: Bid) -> list[dict]:
    rows = []
    for line in bid.price_lines:
        kind = PriceLineKind(line.kind)
        description = (line.description or "").strip()
        if kind is PriceLineKind.PER_UNIT:
            unit = tender.volume_unit or _("unit")
            rows.append(
                {
                    "kind": RateKind.PER_UNIT,
                    "description": description or _("Price per %(unit)s", unit=unit),
                    "unit": unit[:80],
                    "rate": line.unit_price,
                    "code": "",
                }
            )
        elif kind is PriceLineKind.PER_FTE:
            ftes = line.quantity or Decimal(0)
            staffing = _(
                "%(ftes)s FTE × %(price)s",
                ftes=_number_text(ftes),
                price=_number_text(line.unit_price),
            )
            rows.append(
                {
                    "kind": RateKind.FIXED_MONTHLY,
                    "description": (f"{description}: {staffing}" if description else staffing)[
                        :200
                    ],
                    "unit": "",
                    "rate": (ftes * line.unit_price).quantize(
                        Decimal("0.0001"), rounding=ROUND_HALF_UP
                    ),
                    "code": "",
                }
            )
        else:
            rows.append(
                {
                    "kind": RateKind.FIXED_MONTHLY,
                    "description": description or _("Monthly fee"),
                    "unit": "",
                    "rate": line.unit_price,
                    "code": "",
                }
            )
    assign_codes(rows, "description", "line", "rate_lines", _l("Rate line"))
    return rows


def _metrics_from_bid(tender: Tender, bid: Bid) -> list[dict]:
    committed = {c.requirement_id: c.committed for c in bid.sla_commitments}
    rows = [
        {
            "name": requirement.metric,
            "unit": requirement.unit,
            "target": committed.get(requirement.id, requirement.target),
            "better": Better(requirement.better),
            "critical_threshold": None,
            "credit_percent": DEFAULT_CREDIT_PERCENT,
            "code": "",
            "library_key": requirement.library_key,
        }
        for requirement in tender.sla_requirements
    ]
    assign_codes(rows, "name", "metric", "metrics", _l("SLA metric"))
    return rows


def draft_from_award(actor: User, tender: Tender, bid: Bid) -> Contract:
    """Turn an awarded tender and its winning bid into the client's draft contract.

    Runs in the award's transaction, as the client: the client edits the
    draft (credits, thresholds, VAT…) before sending it.
    """
    client = tender.organization
    vendor = db.session.get(Organization, bid.organization_id)
    function = tender.function
    start = tender.start_date
    end = term_end(start, tender.term_months)
    treatment, rate = suggested_vat(client, vendor)
    contract = Contract(
        client_organization_id=tender.organization_id,
        vendor_organization_id=bid.organization_id,
        function_id=tender.function_id,
        tender_id=tender.id,
        bid_id=bid.id,
        title=tender.title,
        catalogue_key=function.catalogue_key if function else None,
        scope=tender.scope or "",
        currency=tender.currency,
        start_date=start,
        end_date=end,
        payment_terms_days=DEFAULT_PAYMENT_TERMS_DAYS,
        vat_treatment=treatment,
        vat_rate=rate,
        transition_cost=bid.transition_cost or Decimal(0),
        status=ContractStatus.DRAFT,
        created_by_id=actor.id if actor else None,
    )
    version = ContractVersion(
        number=1,
        effective_from=start,
        end_date=end,
        summary="",
        credit_cap_percent=DEFAULT_CREDIT_CAP_PERCENT,
        retained_governance_monthly=Decimal(0),
        created_by_id=actor.id if actor else None,
    )
    version.rate_lines = [
        RateCardLine(position=position, **row)
        for position, row in enumerate(_rows_from_bid(tender, bid))
    ]
    version.metrics = [
        SlaMetric(position=position, **row)
        for position, row in enumerate(_metrics_from_bid(tender, bid))
    ]
    contract.versions.append(version)
    db.session.add(contract)
    db.session.flush()
    audit.record(
        "contract.drafted_from_award",
        contract,
        actor=actor,
        after={**_client_snapshot(contract), "terms": terms_snapshot(version, for_client=True)},
        summary=f"{contract.title}: {vendor.name}",
        organization_id=contract.client_organization_id,
    )
    _tell_client(
        contract,
        "contract.drafted",
        _l("A draft contract is ready: %(title)s", title=contract.title),
        _l(
            "The award of %(title)s to %(vendor)s made a draft contract from the winning bid. "
            "Check its terms (service credits, VAT, governance cost), then send it to the vendor.",
            title=contract.title,
            vendor=vendor.name,
        ),
    )
    log.info("award of tender %s drafted contract %s", tender.id, contract.id)
    return contract


@tender_awarded.connect
def _draft_contract_on_award(tender: Tender, bid: Bid, actor: User | None = None, **_extra):
    draft_from_award(actor, tender, bid)
