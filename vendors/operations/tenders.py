"""Every change to a client's tender goes through here, up to its deadline.

A tender is written as a draft (``create_tender``, ``update_tender``),
published to the vendors it is open to (``publish_tender``), changed after
publication only by an addendum (``publish_addendum``), and cancelled with a
reason (``cancel_tender``). ``close_due_tenders`` persists what the deadline
already says. Each operation checks its rule, records the audit event and
tells the people concerned; none commits.

Bids are sealed from the client until the deadline, so the operations that
must touch them (an addendum sends submitted bids back for confirmation) read
them across the wall on purpose and never return them.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.models import BackOfficeFunction, Role, User
from portal.notifications.service import link_to, members_of, notify, notify_organization
from portal.rules import RuleError
from vendors import BID_MANAGERS, TENDER_MANAGERS
from vendors.models import (
    TENDER_TRANSITIONS,
    Better,
    Bid,
    BidStatus,
    ClarificationQuestion,
    EvaluationCriterion,
    LocationPreference,
    Tender,
    TenderAddendum,
    TenderInvitation,
    TenderSlaRequirement,
    TenderStatus,
    TenderVisibility,
)
from vendors.queries import tenders as queries
from vendors.queries.profiles import vendor_ids_serving
from vendors.sla_library import library_sla

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "tender.created": _l("Tender created"),
        "tender.updated": _l("Tender draft changed"),
        "tender.published": _l("Tender published"),
        "tender.vendor_invited": _l("Vendor invited to a tender"),
        "tender.vendor_uninvited": _l("Vendor invitation withdrawn"),
        "tender.addendum_published": _l("Tender addendum published"),
        "tender.cancelled": _l("Tender cancelled"),
        "tender.closed": _l("Tender closed for bids"),
        "question.answered": _l("Clarification question answered"),
        "question.answer_corrected": _l("Clarification answer corrected"),
        "bid.reopened": _l("Bid reopened by a tender addendum"),
    }
)
TARGET_LABELS.update(
    {
        "Tender": _l("Tender"),
        "TenderInvitation": _l("Tender invitation"),
        "TenderAddendum": _l("Tender addendum"),
        "ClarificationQuestion": _l("Clarification question"),
        "Bid": _l("Bid"),
    }
)

#: Plain fields of a tender, recorded before and after each change.
TENDER_FIELDS = (
    "function_id",
    "title",
    "scope",
    "currency",
    "monthly_volume",
    "volume_unit",
    "term_months",
    "start_date",
    "location_preference",
    "bid_deadline",
    "visibility",
    "status",
)

#: The material terms an addendum may change (SLA targets besides).
ADDENDUM_FIELDS = tuple(queries.ADDENDUM_FIELD_LABELS)

_MAX_WEIGHT = 100
_VOLUME_PLACES = Decimal("0.01")


class TenderRuleError(RuleError):
    """A change to a tender that its rules refuse."""


# --- Helpers --------------------------------------------------------------------------


def _client_link(tender: Tender) -> str:
    return link_to("vendors.tender", tender_id=tender.id)


def _vendor_link(tender: Tender) -> str:
    return link_to("vendors.marketplace_tender", tender_id=tender.id)


def _deadline_utc(tender: Tender) -> str:
    # Notifications reach people in several time zones: name the zone.
    return tender.bid_deadline.strftime("%Y-%m-%d %H:%M UTC")


def _snapshot(tender: Tender) -> dict[str, Any]:
    values = audit.snapshot(tender, TENDER_FIELDS)
    values["monthly_volume"] = str(Decimal(tender.monthly_volume).quantize(_VOLUME_PLACES))
    values["sla_requirements"] = [
        {
            "metric": r.metric,
            "unit": r.unit,
            "target": _plain(r.target),
            "better": Better(r.better).value,
            "library_key": r.library_key,
        }
        for r in tender.sla_requirements
    ]
    values["criteria"] = [
        {"name": c.name, "weight": c.weight, "is_price": bool(c.is_price)} for c in tender.criteria
    ]
    return values


def _plain(value: Decimal | int | None) -> str | None:
    """A decimal as people read it and as JSON keeps it: ``99.5``, not ``99.5000``."""
    if value is None:
        return None
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _lock(tender: Tender) -> None:
    """Re-read the tender under a row lock, so two requests cannot both move it."""
    # Only the tender's row: its eager-loaded relations are outer joins.
    db.session.refresh(tender, with_for_update={"of": Tender})


def _move(tender: Tender, status: TenderStatus, message) -> None:
    if status not in TENDER_TRANSITIONS[TenderStatus(tender.status)]:
        raise TenderRuleError(message)
    tender.status = status


def _notify_vendors(
    organization_ids: Iterable[int], kind: str, title, body, tender: Tender
) -> None:
    """Tell each vendor organization's bid managers (never the client itself)."""
    link = _vendor_link(tender)
    for organization_id in sorted(set(organization_ids) - {tender.organization_id}):
        notify_organization(organization_id, BID_MANAGERS, kind, title, body, link)


def _text(data: dict, name: str) -> str:
    return (data.get(name) or "").strip()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _enum_value(enum_cls, value, field: str, message):
    try:
        return enum_cls(value)
    except ValueError:
        raise TenderRuleError(message, field) from None


# --- Rules of a tender's terms ----------------------------------------------------------


def _check_deadline(deadline: datetime | None, now: datetime) -> datetime:
    if deadline is None:
        raise TenderRuleError(_l("Enter the bid deadline."), "bid_deadline")
    if deadline.tzinfo is None:
        raise TenderRuleError(_l("Enter the bid deadline."), "bid_deadline")
    if deadline <= now:
        raise TenderRuleError(_l("The bid deadline must be in the future."), "bid_deadline")
    return deadline


def _check_term(value: Any) -> int:
    term = _int(value)
    if term is None or term <= 0:
        raise TenderRuleError(_l("The contract term must be at least one month."), "term_months")
    return term


def _check_volume(value: Any) -> Decimal:
    volume = _decimal(value)
    if volume is None or volume < 0:
        raise TenderRuleError(_l("Enter a monthly volume of zero or more."), "monthly_volume")
    return volume.quantize(_VOLUME_PLACES)


def _check_start_date(value: Any) -> date:
    if not isinstance(value, date):
        raise TenderRuleError(_l("Enter the contract start date."), "start_date")
    return value


def _sla_rows(data: dict) -> list[dict]:
    """The SLA requirements typed (blank rows left out) plus those ticked in the library."""
    rows = []
    for number, row in enumerate(data.get("sla_requirements") or [], start=1):
        metric = _text(row, "metric")
        unit = _text(row, "unit")
        target = row.get("target")
        if not metric and not unit and target is None:
            continue
        if not metric:
            raise TenderRuleError(
                _l("SLA requirement %(number)s: name the metric.", number=number),
                "sla_requirements",
            )
        if not unit:
            raise TenderRuleError(
                _l("SLA requirement %(number)s: give the unit (%%, hours, days…).", number=number),
                "sla_requirements",
            )
        target = _decimal(target)
        if target is None or target < 0:
            raise TenderRuleError(
                _l("SLA requirement %(number)s: enter a target of zero or more.", number=number),
                "sla_requirements",
            )
        better = _enum_value(
            Better,
            row.get("better"),
            "sla_requirements",
            _l("SLA requirement %(number)s: say whether higher or lower is better.", number=number),
        )
        key = row.get("library_key") or None
        rows.append(
            {
                "metric": metric[:200],
                "unit": unit[:30],
                "target": target,
                "better": better,
                "library_key": key if library_sla(key) else None,
            }
        )
    present = {row["library_key"] for row in rows if row["library_key"]}
    for key in data.get("library_keys") or []:
        entry = library_sla(key)
        if entry is None:
            raise TenderRuleError(_l("Choose SLAs from the library's list."), "library_keys")
        if key in present:
            continue
        present.add(key)
        rows.append(
            {
                "metric": str(entry.metric),
                "unit": entry.unit,
                "target": entry.target,
                "better": entry.better,
                "library_key": key,
            }
        )
    return rows


def _criteria_rows(data: dict, price_name: str) -> list[dict]:
    """The price criterion first, then the others; the weights must add up to 100."""
    price_weight = _int(data.get("price_weight"))
    if price_weight is None or not 1 <= price_weight <= _MAX_WEIGHT:
        raise TenderRuleError(
            _l("Give price a weight from 1 to 100: it is always a criterion."), "price_weight"
        )
    rows = [{"name": price_name, "weight": price_weight, "is_price": True}]
    names = {price_name.casefold()}
    for number, row in enumerate(data.get("criteria") or [], start=1):
        name = _text(row, "name")
        weight = row.get("weight")
        if not name and weight is None:
            continue
        if not name:
            raise TenderRuleError(_l("Criterion %(number)s: name it.", number=number), "criteria")
        if name.casefold() in names:
            raise TenderRuleError(_l("Criterion %(name)s appears twice.", name=name), "criteria")
        names.add(name.casefold())
        weight = _int(weight)
        if weight is None or not 1 <= weight <= _MAX_WEIGHT:
            raise TenderRuleError(
                _l("Criterion %(name)s: give it a weight from 1 to 100.", name=name), "criteria"
            )
        rows.append({"name": name[:120], "weight": weight, "is_price": False})
    _check_weights(row["weight"] for row in rows)
    return rows


def _check_weights(weights: Iterable[int]) -> None:
    total = sum(weights)
    if total != 100:
        raise TenderRuleError(
            _l("The weights add up to %(total)s; they must add up to 100.", total=total),
            "criteria",
        )


def _tender_values(data: dict, now: datetime) -> dict[str, Any]:
    title = _text(data, "title")
    if not title:
        raise TenderRuleError(_l("Give the tender a title."), "title")
    return {
        "title": title[:200],
        "scope": _text(data, "scope"),
        "monthly_volume": _check_volume(data.get("monthly_volume")),
        "volume_unit": _text(data, "volume_unit")[:80],
        "term_months": _check_term(data.get("term_months")),
        "start_date": _check_start_date(data.get("start_date")),
        "location_preference": _enum_value(
            LocationPreference,
            data.get("location_preference") or LocationPreference.ANY,
            "location_preference",
            _l("Choose a location preference from the list."),
        ),
        "bid_deadline": _check_deadline(data.get("bid_deadline"), now),
        "visibility": _enum_value(
            TenderVisibility,
            data.get("visibility"),
            "visibility",
            _l("Choose who may bid: every vendor, or invited vendors only."),
        ),
    }


def _price_name(tender: Tender | None) -> str:
    existing = tender.price_criterion if tender is not None else None
    return existing.name if existing is not None else str(_l("Price"))


def _apply_rows(tender: Tender, sla_rows: list[dict], criteria_rows: list[dict]) -> None:
    """Write the rows in place (ids of kept rows stay; the one price row is never replaced)."""
    requirements = list(tender.sla_requirements)
    for position, row in enumerate(sla_rows):
        if position < len(requirements):
            requirement = requirements[position]
        else:
            requirement = TenderSlaRequirement()
            tender.sla_requirements.append(requirement)
        requirement.position = position
        for name, value in row.items():
            setattr(requirement, name, value)
    for requirement in requirements[len(sla_rows) :]:
        tender.sla_requirements.remove(requirement)

    price = tender.price_criterion
    if price is None:
        price = EvaluationCriterion(is_price=True)
        tender.criteria.append(price)
    price_row, *other_rows = criteria_rows
    price.name, price.weight, price.position = price_row["name"], price_row["weight"], 0
    others = [c for c in tender.criteria if not c.is_price]
    for position, row in enumerate(other_rows, start=1):
        if position - 1 < len(others):
            criterion = others[position - 1]
        else:
            criterion = EvaluationCriterion(is_price=False)
            tender.criteria.append(criterion)
        criterion.name, criterion.weight, criterion.position = row["name"], row["weight"], position
    for criterion in others[len(other_rows) :]:
        tender.criteria.remove(criterion)


# --- Drafts ---------------------------------------------------------------------------


def create_tender(actor: User, function: BackOfficeFunction, data: dict) -> Tender:
    """Write a draft tender for one of the organization's registered functions."""
    if function is None or function.organization_id != tenancy.require_organization_id():
        raise TenderRuleError(_l("Choose one of your registered functions."), "function_id")
    now = utcnow()
    values = _tender_values(data, now)
    sla_rows = _sla_rows(data)
    criteria_rows = _criteria_rows(data, _price_name(None))
    tender = Tender(
        function_id=function.id,
        currency=function.currency,
        status=TenderStatus.DRAFT,
        created_by_id=actor.id,
        **values,
    )
    tender.function = function
    db.session.add(tender)
    _apply_rows(tender, sla_rows, criteria_rows)
    db.session.flush()
    audit.record(
        "tender.created", tender, actor=actor, after=_snapshot(tender), summary=tender.title
    )
    log.info("user %s created tender %s", actor.id, tender.id)
    return tender


def update_tender(actor: User, tender: Tender, data: dict) -> Tender:
    """Change a draft; a published tender changes only by addendum."""
    _lock(tender)
    if tender.status != TenderStatus.DRAFT:
        raise TenderRuleError(
            _l("Only a draft can be edited; a published tender changes by addendum.")
        )
    now = utcnow()
    values = _tender_values(data, now)
    sla_rows = _sla_rows(data)
    criteria_rows = _criteria_rows(data, _price_name(tender))
    before = _snapshot(tender)
    for name, value in values.items():
        setattr(tender, name, value)
    _apply_rows(tender, sla_rows, criteria_rows)
    db.session.flush()
    after = _snapshot(tender)
    if before != after:
        audit.record(
            "tender.updated",
            tender,
            actor=actor,
            before=before,
            after=after,
            summary=tender.title,
        )
    return tender


# --- Invitations ----------------------------------------------------------------------


def invite_vendors(
    actor: User, tender: Tender, vendor_ids: Iterable[int]
) -> list[TenderInvitation]:
    """Invite vendor organizations to bid; once published, each new one is told.

    Vendors already invited are left as they are, so sending the same form
    twice invites once.
    """
    if not (tender.status == TenderStatus.DRAFT or tender.is_open_for_bids(utcnow())):
        raise TenderRuleError(_l("Vendors can be invited only until the bid deadline."))
    try:
        wanted = {int(i) for i in vendor_ids}
    except (TypeError, ValueError):
        raise TenderRuleError(
            _l("Only vendor organizations can be invited."), "vendor_ids"
        ) from None
    if not wanted:
        raise TenderRuleError(_l("Choose at least one vendor."), "vendor_ids")
    vendors = queries.vendor_organizations(wanted)
    if set(vendors) != wanted or tender.organization_id in wanted:
        raise TenderRuleError(_l("Only vendor organizations can be invited."), "vendor_ids")
    already = {invitation.vendor_organization_id for invitation in tender.invitations}
    created = []
    for vendor_id in sorted(wanted - already):
        invitation = TenderInvitation(vendor_organization_id=vendor_id)
        invitation.vendor = vendors[vendor_id]
        tender.invitations.append(invitation)
        db.session.flush()
        audit.record(
            "tender.vendor_invited",
            invitation,
            actor=actor,
            after={"tender_id": tender.id, "vendor": vendors[vendor_id].name},
            summary=f"{tender.title}: {vendors[vendor_id].name}",
        )
        created.append(invitation)
    if tender.status == TenderStatus.PUBLISHED and created:
        _notify_vendors(
            [invitation.vendor_organization_id for invitation in created],
            "tender.invited",
            _l("You are invited to bid: %(title)s", title=tender.title),
            _l(
                "%(client)s invites you to bid on %(title)s. Bids are due %(deadline)s.",
                client=tender.organization.name,
                title=tender.title,
                deadline=_deadline_utc(tender),
            ),
            tender,
        )
    return created


def uninvite_vendor(actor: User, tender: Tender, vendor_organization_id: int) -> bool:
    """Withdraw an invitation while the tender is still a draft (nobody was told yet).

    False when the vendor was not invited (a second click changes nothing).
    """
    if tender.status != TenderStatus.DRAFT:
        raise TenderRuleError(_l("Invitations can be withdrawn only while the tender is a draft."))
    invitation = next(
        (i for i in tender.invitations if i.vendor_organization_id == vendor_organization_id),
        None,
    )
    if invitation is None:
        return False
    audit.record(
        "tender.vendor_uninvited",
        invitation,
        actor=actor,
        before={"tender_id": tender.id, "vendor": invitation.vendor.name},
        summary=f"{tender.title}: {invitation.vendor.name}",
    )
    tender.invitations.remove(invitation)
    db.session.flush()
    return True


# --- Publication ----------------------------------------------------------------------


def publish_tender(actor: User, tender: Tender) -> Tender:
    """Open a draft for bids and tell the vendors it is open to."""
    _lock(tender)
    now = utcnow()
    if tender.status == TenderStatus.PUBLISHED:
        raise TenderRuleError(_l("This tender is already published."))
    if tender.status != TenderStatus.DRAFT:
        raise TenderRuleError(_l("Only a draft can be published."))
    if tender.bid_deadline <= now:
        raise TenderRuleError(
            _l("The bid deadline has passed: move it into the future before publishing."),
            "bid_deadline",
        )
    if not any(criterion.is_price for criterion in tender.criteria):
        raise TenderRuleError(_l("Price must be one of the evaluation criteria."), "criteria")
    _check_weights(criterion.weight for criterion in tender.criteria)
    invited = queries.invited_vendor_ids(tender)
    if tender.visibility == TenderVisibility.INVITED and not invited:
        raise TenderRuleError(
            _l("Invite at least one vendor before publishing a tender by invitation.")
        )
    before = _snapshot(tender)
    _move(tender, TenderStatus.PUBLISHED, _l("Only a draft can be published."))
    tender.published_at = now
    audit.record(
        "tender.published",
        tender,
        actor=actor,
        before={"status": before["status"]},
        after={"status": tender.status.value, "published_at": now},
        summary=tender.title,
    )
    client = tender.organization.name
    _notify_vendors(
        invited,
        "tender.invited",
        _l("You are invited to bid: %(title)s", title=tender.title),
        _l(
            "%(client)s invites you to bid on %(title)s. Bids are due %(deadline)s.",
            client=client,
            title=tender.title,
            deadline=_deadline_utc(tender),
        ),
        tender,
    )
    if tender.visibility == TenderVisibility.OPEN:
        key = tender.function.catalogue_key
        serving = set(vendor_ids_serving(key)) - invited if key else set()
        _notify_vendors(
            serving,
            "tender.published",
            _l("New tender for a function you serve: %(title)s", title=tender.title),
            _l(
                "%(client)s published an open tender, %(title)s. Bids are due %(deadline)s.",
                client=client,
                title=tender.title,
                deadline=_deadline_utc(tender),
            ),
            tender,
        )
    log.info("user %s published tender %s", actor.id, tender.id)
    return tender


# --- Addenda --------------------------------------------------------------------------


def _term_json(name: str, value: Any) -> Any:
    """A material term as an addendum records it (JSON: strings, numbers)."""
    if name == "monthly_volume":
        return _plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _to_the_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _addendum_values(tender: Tender, data: dict) -> dict[str, Any]:
    deadline = data.get("bid_deadline")
    if deadline is None:
        raise TenderRuleError(_l("Enter the bid deadline."), "bid_deadline")
    if _to_the_minute(deadline) == _to_the_minute(tender.bid_deadline):
        # The form shows the deadline to the minute: the same minute is no change.
        deadline = tender.bid_deadline
    if deadline < tender.bid_deadline:
        raise TenderRuleError(
            _l("The deadline can only be extended, never brought forward."), "bid_deadline"
        )
    return {
        "scope": _text(data, "scope"),
        "monthly_volume": _check_volume(data.get("monthly_volume")),
        "volume_unit": _text(data, "volume_unit")[:80],
        "term_months": _check_term(data.get("term_months")),
        "start_date": _check_start_date(data.get("start_date")),
        "location_preference": _enum_value(
            LocationPreference,
            data.get("location_preference"),
            "location_preference",
            _l("Choose a location preference from the list."),
        ),
        "bid_deadline": deadline,
    }


def _sla_target_changes(tender: Tender, data: dict) -> dict[TenderSlaRequirement, Decimal]:
    requirements = {r.id: r for r in tender.sla_requirements}
    changed = {}
    for row in data.get("sla_targets") or []:
        requirement = requirements.get(_int(row.get("requirement_id")))
        if requirement is None:
            raise TenderRuleError(_l("Change only this tender's SLA targets."), "sla_targets")
        target = _decimal(row.get("target"))
        if target is None or target < 0:
            raise TenderRuleError(
                _l("%(metric)s: enter a target of zero or more.", metric=requirement.metric),
                "sla_targets",
            )
        if target != requirement.target:
            changed[requirement] = target
    return changed


def _reopen_submitted_bids(actor: User, tender: Tender, addendum: TenderAddendum) -> None:
    """Send every submitted bid back to its vendor to confirm, across the wall.

    A vendor already preparing a replacement keeps it: the replacement is
    marked reopened and the submitted version it replaces is superseded (one
    draft per vendor and tender).
    """
    statement = tenancy.across_tenants(
        select(Bid).where(
            Bid.tender_id == tender.id,
            Bid.status.in_([BidStatus.SUBMITTED, BidStatus.DRAFT]),
        )
    )
    bids = list(db.session.scalars(statement))
    drafts = {bid.organization_id: bid for bid in bids if bid.status == BidStatus.DRAFT}
    for bid in bids:
        if bid.status != BidStatus.SUBMITTED:
            continue
        replacement = drafts.get(bid.organization_id)
        if replacement is None:
            bid.status = BidStatus.DRAFT
            bid.reopened_by_addendum_id = addendum.id
            reopened = bid
        else:
            bid.status = BidStatus.SUPERSEDED
            replacement.reopened_by_addendum_id = addendum.id
            reopened = replacement
        # In the vendor's own log: the client's log says nothing about bids.
        audit.record(
            "bid.reopened",
            reopened,
            actor=actor,
            before={"status": BidStatus.SUBMITTED.value, "bid_id": bid.id},
            after={"status": BidStatus.DRAFT.value, "addendum": addendum.number},
            summary=f"{tender.title}: addendum {addendum.number}",
            organization_id=bid.organization_id,
        )
    db.session.flush()


def publish_addendum(actor: User, tender: Tender, data: dict) -> TenderAddendum:
    """Change a published tender's material terms before its deadline, and tell bidders.

    Stores what changed (``{field: [before, after]}``), applies it, sends
    submitted bids back for their vendors to confirm, and notifies every
    invited vendor and every vendor with a bid.
    """
    _lock(tender)
    if not tender.is_open_for_bids(utcnow()):
        raise TenderRuleError(
            _l("An addendum can be published only on a published tender before its deadline.")
        )
    summary = _text(data, "summary")
    if not summary:
        raise TenderRuleError(_l("Say what the addendum changes and why."), "summary")
    values = _addendum_values(tender, data)
    targets = _sla_target_changes(tender, data)
    changes: dict[str, list] = {}
    for name, value in values.items():
        old, new = _term_json(name, getattr(tender, name)), _term_json(name, value)
        if old != new:
            changes[name] = [old, new]
    for requirement, target in targets.items():
        key = f"{queries.SLA_TARGET_PREFIX}{requirement.id}"
        changes[key] = [_plain(requirement.target), _plain(target)]
    if not changes:
        raise TenderRuleError(_l("Nothing changed: an addendum changes at least one term."))

    addendum = TenderAddendum(
        tender_id=tender.id,
        number=queries.next_addendum_number(tender),
        summary=summary,
        changes=changes,
        published_at=utcnow(),
        published_by_id=actor.id,
    )
    tender.addenda.append(addendum)
    for name in values:
        if name in changes:
            setattr(tender, name, values[name])
    for requirement, target in targets.items():
        requirement.target = target
    db.session.flush()
    audit.record(
        "tender.addendum_published",
        addendum,
        actor=actor,
        before={field: pair[0] for field, pair in changes.items()},
        after={field: pair[1] for field, pair in changes.items()},
        summary=f"{tender.title}: {summary}",
    )
    _reopen_submitted_bids(actor, tender, addendum)
    _notify_vendors(
        queries.invited_vendor_ids(tender) | queries.bidder_ids(tender),
        "tender.addendum",
        _l("Addendum %(number)s to %(title)s", number=addendum.number, title=tender.title),
        _l(
            "The terms of %(title)s changed: %(summary)s. If you had submitted a bid, it is "
            "back in draft: review it and submit it again before the deadline (%(deadline)s).",
            title=tender.title,
            summary=summary,
            deadline=_deadline_utc(tender),
        ),
        tender,
    )
    log.info("user %s published addendum %s to tender %s", actor.id, addendum.number, tender.id)
    return addendum


# --- Cancellation ---------------------------------------------------------------------


def cancel_tender(actor: User, tender: Tender, reason: str) -> Tender:
    """Cancel a tender that is not yet awarded; vendors it concerned are told why."""
    _lock(tender)
    reason = (reason or "").strip()
    if tender.status == TenderStatus.CANCELLED:
        raise TenderRuleError(_l("This tender is already cancelled."))
    if tender.status == TenderStatus.AWARDED:
        raise TenderRuleError(_l("An awarded tender cannot be cancelled."))
    if not reason:
        raise TenderRuleError(_l("Give the reason for cancelling."), "reason")
    was_draft = tender.status == TenderStatus.DRAFT
    before = {"status": TenderStatus(tender.status).value}
    _move(tender, TenderStatus.CANCELLED, _l("This tender can no longer be cancelled."))
    tender.cancelled_at = utcnow()
    tender.cancel_reason = reason
    audit.record(
        "tender.cancelled",
        tender,
        actor=actor,
        before=before,
        after={"status": tender.status.value, "cancel_reason": reason},
        summary=tender.title,
    )
    if not was_draft:  # vendors never saw a draft
        _notify_vendors(
            queries.invited_vendor_ids(tender) | queries.bidder_ids(tender),
            "tender.cancelled",
            _l("Tender cancelled: %(title)s", title=tender.title),
            _l(
                "%(client)s cancelled %(title)s: %(reason)s",
                client=tender.organization.name,
                title=tender.title,
                reason=reason,
            ),
            tender,
        )
    log.info("user %s cancelled tender %s", actor.id, tender.id)
    return tender


# --- Clarification questions ----------------------------------------------------------


def answer_question(
    actor: User, tender: Tender, question: ClarificationQuestion, answer: str
) -> ClarificationQuestion:
    """Answer (or correct the answer to) a question; every eligible bidder is told.

    The answer is published without naming who asked.
    """
    if question.tender_id != tender.id:
        raise TenderRuleError(_l("This question is not about this tender."))
    if not tender.is_open_for_bids(utcnow()):
        raise TenderRuleError(
            _l("Questions can be answered only while the tender is open for bids.")
        )
    answer = (answer or "").strip()
    if not answer:
        raise TenderRuleError(_l("Write the answer."), "answer")
    if answer == question.answer:
        return question
    correction = question.answer is not None
    before = audit.snapshot(question, ["answer", "answered_at"])
    question.answer = answer
    question.answered_at = utcnow()
    question.answered_by_id = actor.id
    db.session.flush()
    audit.record(
        "question.answer_corrected" if correction else "question.answered",
        question,
        actor=actor,
        before=before,
        after=audit.snapshot(question, ["answer", "answered_at"]),
        summary=tender.title,
    )
    recipients = (
        queries.invited_vendor_ids(tender) | queries.bidder_ids(tender) | {question.organization_id}
    )
    title = (
        _l("An answer on %(title)s was corrected", title=tender.title)
        if correction
        else _l("A question on %(title)s was answered", title=tender.title)
    )
    _notify_vendors(
        recipients,
        "tender.question_answered",
        title,
        _l(
            "Question: %(question)s\n\nAnswer: %(answer)s",
            question=question.question,
            answer=answer,
        ),
        tender,
    )
    return question


# --- Closing at the deadline ----------------------------------------------------------


def close_due_tenders(now: datetime | None = None) -> list[Tender]:
    """Persist "closed" for published tenders past their deadline (every client).

    Runs outside any request (``flask tenders close-due``); a tender already
    closed is not found again, so a second run changes nothing.
    """
    now = now or utcnow()
    closed = []
    for tender in queries.due_tenders(now):
        with tenancy.organization_context(tender.organization_id):
            _move(tender, TenderStatus.CLOSED, _l("Only a published tender can be closed."))
            tender.closed_at = now
            audit.record(
                "tender.closed",
                tender,
                before={"status": TenderStatus.PUBLISHED.value},
                after={"status": TenderStatus.CLOSED.value, "closed_at": now},
                summary=tender.title,
                organization_id=tender.organization_id,
            )
            managers = members_of(tender.organization_id, TENDER_MANAGERS)
            creator = next(
                (
                    person
                    for person in members_of(tender.organization_id, tuple(Role))
                    if person.id == tender.created_by_id
                ),
                None,
            )
            notify(
                [*managers, creator],
                "tender.closed",
                _l("Bids are in for %(title)s", title=tender.title),
                _l(
                    "The bid deadline of %(title)s has passed: the submitted bids can now "
                    "be compared and evaluated.",
                    title=tender.title,
                ),
                _client_link(tender),
            )
        closed.append(tender)
        log.info("closed tender %s (deadline %s)", tender.id, tender.bid_deadline.isoformat())
    db.session.flush()
    return closed
