"""Every change a vendor makes on a tender: clarification questions, bids, attachments.

Bids are sealed (DESIGN.md): nothing here tells the client about a bid; the
client opens them at the deadline. The acting user is None when an API
token acts (the audit log then records the token). From the deadline's second on, nothing
about a bid changes: every operation compares ``portal.db.utcnow()`` with
``tender.bid_deadline`` itself, whatever the tender's stored status says.
"""

from __future__ import annotations

import hashlib
import io
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename

from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS
from portal.db import utcnow
from portal.models import User
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError
from vendors import TENDER_MANAGERS
from vendors.forms.bids import (
    MAX_AMOUNT,
    MAX_NARRATIVE,
    MAX_PRICE_LINES,
    MAX_QUESTION,
    MAX_SLA_VALUE,
    MAX_UNIT_PRICE,
)
from vendors.models import (
    BID_TRANSITIONS,
    Bid,
    BidAttachment,
    BidPriceLine,
    BidSlaCommitment,
    BidStatus,
    ClarificationQuestion,
    LocationKind,
    PriceLineKind,
    Tender,
    TenderStatus,
)

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "question.asked": _l("Clarification question asked"),
        "bid.draft_created": _l("Bid draft started"),
        "bid.draft_saved": _l("Bid draft saved"),
        "bid.submitted": _l("Bid submitted"),
        "bid.superseded": _l("Bid superseded by a new version"),
        "bid.withdrawn": _l("Bid withdrawn"),
        "bid.replacement_started": _l("Bid replacement started"),
        "bid.attachment_added": _l("Document attached to a bid"),
        "bid.attachment_deleted": _l("Document removed from a bid"),
    }
)

BID_FIELDS = (
    "tender_id",
    "status",
    "version",
    "supersedes_id",
    "transition_cost",
    "delivery_location",
    "location_kind",
    "narrative",
)
#: A bid has at most this many documents.
MAX_ATTACHMENTS = 20
PDF_MAGIC = b"%PDF-"
#: The end-of-file marker must sit in the last kilobyte of a complete PDF.
PDF_TAIL = 1024

_CENTS = Decimal("0.01")
_FOUR_PLACES = Decimal("0.0001")


class BidRuleError(RuleError):
    """A change of a bid or a question that the tendering rules refuse."""


class AlreadyDone(BidRuleError):
    """The change was already made (a form sent twice): nothing to do, nothing wrong."""


# --- Shared checks --------------------------------------------------------------------


def _ensure_open(tender: Tender) -> None:
    """Refuse any change once the deadline passed, or when the tender takes no bids."""
    now = utcnow()
    if now >= tender.bid_deadline or tender.status in (TenderStatus.CLOSED, TenderStatus.AWARDED):
        raise BidRuleError(
            _l("The bid deadline has passed: bids on this tender can no longer change.")
        )
    if tender.status != TenderStatus.PUBLISHED:
        raise BidRuleError(_l("This tender is not open for bids."))


def _ensure_other_client(tender: Tender) -> None:
    if tender.organization_id == tenancy.require_organization_id():
        raise BidRuleError(_l("An organization cannot bid on its own tender."))


def _ensure_own(bid: Bid) -> None:
    if bid.organization_id != tenancy.require_organization_id():
        raise BidRuleError(_l("This bid belongs to another organization."))


def _own_bids_on(tender_id: int):
    return select(Bid).where(
        Bid.tender_id == tender_id, Bid.organization_id == tenancy.require_organization_id()
    )


def _draft_on(tender_id: int) -> Bid | None:
    statement = _own_bids_on(tender_id).where(Bid.status == BidStatus.DRAFT)
    return db.session.scalars(statement).one_or_none()


def _live_on(tender_id: int) -> Bid | None:
    statement = _own_bids_on(tender_id).where(
        Bid.status.in_([BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED])
    )
    return db.session.scalars(statement).one_or_none()


def _next_version(tender_id: int) -> int:
    statement = select(func.max(Bid.version)).where(
        Bid.tender_id == tender_id, Bid.organization_id == tenancy.require_organization_id()
    )
    return (db.session.scalar(statement) or 0) + 1


def _snapshot(bid: Bid) -> dict[str, Any]:
    snapshot = audit.snapshot(bid, BID_FIELDS)
    if bid.transition_cost is not None:
        snapshot["transition_cost"] = str(Decimal(bid.transition_cost).quantize(_CENTS))
    snapshot["price_lines"] = [
        [
            PriceLineKind(line.kind).value,
            line.description,
            None if line.quantity is None else str(Decimal(line.quantity).quantize(_CENTS)),
            str(Decimal(line.unit_price).quantize(_FOUR_PLACES)),
        ]
        for line in bid.price_lines
    ]
    snapshot["sla_commitments"] = {
        str(c.requirement_id): str(Decimal(c.committed).quantize(_FOUR_PLACES))
        for c in sorted(bid.sla_commitments, key=lambda c: c.requirement_id)
    }
    snapshot["attachments"] = [a.sha256 for a in bid.attachments]
    return snapshot


def _transition(bid: Bid, status: BidStatus) -> None:
    if status not in BID_TRANSITIONS[BidStatus(bid.status)]:
        raise BidRuleError(_l("This bid can no longer change."))


def _claim(bid: Bid, expected: BidStatus | tuple[BidStatus, ...], **values) -> bool:
    """Change the bid only if it still has the ``expected`` status; False when it had not.

    A conditional UPDATE: of two identical requests racing (a double click),
    exactly one changes the row.
    """
    statuses = expected if isinstance(expected, tuple) else (expected,)
    result = db.session.execute(
        update(Bid)
        .where(Bid.id == bid.id, Bid.status.in_(statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(bid)
    return result.rowcount == 1


# --- Clarification questions ----------------------------------------------------------


def ask_question(actor: User | None, tender: Tender, text: str) -> ClarificationQuestion:
    """Ask the client a clarification question about its tender, before the deadline."""
    _ensure_other_client(tender)
    text = (text or "").strip()
    if not text:
        raise BidRuleError(_l("Write your question."), "question")
    if len(text) > MAX_QUESTION:
        raise BidRuleError(
            _l("Keep the question under %(count)s characters.", count=MAX_QUESTION), "question"
        )
    now = utcnow()
    if now >= tender.bid_deadline or tender.status != TenderStatus.PUBLISHED:
        raise BidRuleError(_l("Questions close with the bids, at the deadline."))
    waiting = select(ClarificationQuestion.id).where(
        ClarificationQuestion.tender_id == tender.id,
        ClarificationQuestion.organization_id == tenancy.require_organization_id(),
        ClarificationQuestion.answered_at.is_(None),
        ClarificationQuestion.question == text,
    )
    if db.session.scalars(waiting).first() is not None:
        # The same form sent twice: one question, one notification.
        raise AlreadyDone(_l("Your organization already asked this question."))
    question = ClarificationQuestion(
        tender_id=tender.id, question=text, asked_by_id=getattr(actor, "id", None), asked_at=now
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        "question.asked",
        question,
        actor=actor,
        after=audit.snapshot(question, ("tender_id", "question")),
        summary=tender.title,
    )
    # The client learns that a question was asked, never by whom.
    notify_organization(
        tender.organization_id,
        TENDER_MANAGERS,
        "tender.question_asked",
        _l("New question on %(title)s", title=tender.title),
        _l("A vendor asked a clarification question. Answer it for every bidder to read."),
        link_to("vendors.tender", tender_id=tender.id),
    )
    log.info(
        "user %s asked question %s on tender %s", getattr(actor, "id", None), question.id, tender.id
    )
    return question


# --- Drafts ---------------------------------------------------------------------------


def _decimal(value: Any, field: str, *, maximum: Decimal, places: Decimal) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise BidRuleError(_l("Enter a number."), field) from None
    if not amount.is_finite() or amount < 0 or amount > maximum:
        raise BidRuleError(_l("Enter a number between 0 and %(max)s.", max=maximum), field)
    if amount != amount.quantize(places):
        raise BidRuleError(_l("Too many decimal places."), field)
    return amount


def _price_lines(data: dict[str, Any]) -> list[BidPriceLine]:
    raw = data.get("price_lines") or []
    if len(raw) > MAX_PRICE_LINES:
        raise BidRuleError(
            _l("A bid has at most %(count)s pricing lines.", count=MAX_PRICE_LINES), "price_lines"
        )
    lines = []
    for position, item in enumerate(raw):
        number = position + 1
        try:
            kind = PriceLineKind(item.get("kind"))
        except ValueError:
            raise BidRuleError(
                _l("Line %(number)s: choose a pricing model.", number=number), "price_lines"
            ) from None
        if item.get("unit_price") is None:
            raise BidRuleError(
                _l("Line %(number)s: enter the price.", number=number), "price_lines"
            )
        unit_price = _decimal(
            item["unit_price"], "price_lines", maximum=MAX_UNIT_PRICE, places=_FOUR_PLACES
        )
        quantity = None
        if kind == PriceLineKind.PER_FTE:
            if not item.get("quantity"):
                raise BidRuleError(
                    _l("Line %(number)s: enter the number of FTEs.", number=number),
                    "price_lines",
                )
            quantity = _decimal(item["quantity"], "price_lines", maximum=MAX_AMOUNT, places=_CENTS)
        description = (item.get("description") or "").strip()
        if len(description) > 200:
            raise BidRuleError(
                _l("Line %(number)s: keep the description short.", number=number), "price_lines"
            )
        lines.append(
            BidPriceLine(
                position=position,
                kind=kind,
                description=description,
                quantity=quantity,
                unit_price=unit_price,
            )
        )
    return lines


def _commitments(tender: Tender, data: dict[str, Any]) -> dict[int, Decimal]:
    requirement_ids = {requirement.id for requirement in tender.sla_requirements}
    values = {}
    for requirement_id, value in (data.get("commitments") or {}).items():
        if int(requirement_id) not in requirement_ids:
            raise BidRuleError(_l("Commit only to the SLAs this tender requires."), "commitments")
        if value is None:
            continue
        values[int(requirement_id)] = _decimal(
            value, "commitments", maximum=MAX_SLA_VALUE, places=_FOUR_PLACES
        )
    return values


def _draft_values(data: dict[str, Any]) -> dict[str, Any]:
    location_kind = data.get("location_kind") or None
    if location_kind is not None:
        try:
            location_kind = LocationKind(location_kind)
        except ValueError:
            raise BidRuleError(_l("Choose a location kind."), "location_kind") from None
    delivery_location = (data.get("delivery_location") or "").strip()
    if len(delivery_location) > 200:
        raise BidRuleError(_l("Keep the location short."), "delivery_location")
    narrative = (data.get("narrative") or "").strip()
    if len(narrative) > MAX_NARRATIVE:
        raise BidRuleError(
            _l("Keep the narrative under %(count)s characters.", count=MAX_NARRATIVE), "narrative"
        )
    return {
        "transition_cost": _decimal(
            data.get("transition_cost") or 0, "transition_cost", maximum=MAX_AMOUNT, places=_CENTS
        ),
        "delivery_location": delivery_location,
        "location_kind": location_kind,
        "narrative": narrative,
    }


def _new_draft(tender: Tender) -> tuple[Bid, bool]:
    """Start the vendor's draft; if a twin request just started it, work on that one.

    Returns the draft and whether this call created it.
    """
    bid = Bid(
        tender_id=tender.id,
        status=BidStatus.DRAFT,
        version=_next_version(tender.id),
        currency=tender.currency,
    )
    try:
        with db.session.begin_nested():
            db.session.add(bid)
            db.session.flush()
    except IntegrityError:
        existing = _draft_on(tender.id)
        if existing is None:
            raise
        return existing, False
    return bid, True


def save_bid_draft(actor: User | None, tender: Tender, data: dict[str, Any]) -> Bid:
    """Create the vendor's draft bid on ``tender``, or save changes to it.

    A submitted bid is not edited: the vendor replaces it (``replace_bid``).
    Commitments weaker than the tender's targets are kept: the page flags them.
    """
    _ensure_other_client(tender)
    _ensure_open(tender)
    lines = _price_lines(data)
    commitments = _commitments(tender, data)
    values = _draft_values(data)
    bid = _draft_on(tender.id)
    created = False
    if bid is None:
        if _live_on(tender.id) is not None:
            raise BidRuleError(
                _l("Your bid is submitted. Replace it to change it: it stands until then.")
            )
        bid, created = _new_draft(tender)
    before = None if created else _snapshot(bid)
    for name, value in values.items():
        setattr(bid, name, value)
    bid.price_lines = lines
    kept = {c.requirement_id: c for c in bid.sla_commitments}
    for requirement_id, value in commitments.items():
        if requirement_id in kept:
            kept[requirement_id].committed = value
        else:
            bid.sla_commitments.append(
                BidSlaCommitment(requirement_id=requirement_id, committed=value)
            )
    for requirement_id, commitment in kept.items():
        if requirement_id not in commitments:
            bid.sla_commitments.remove(commitment)
    db.session.flush()
    after = _snapshot(bid)
    if before is None:
        audit.record(
            "bid.draft_created", bid, actor=actor, after=after, summary=_summary(bid, tender)
        )
    elif before != after:
        audit.record(
            "bid.draft_saved",
            bid,
            actor=actor,
            before=before,
            after=after,
            summary=_summary(bid, tender),
        )
    log.info("user %s saved bid %s on tender %s", getattr(actor, "id", None), bid.id, tender.id)
    return bid


def _summary(bid: Bid, tender: Tender) -> str:
    return f"{tender.title} · v{bid.version}"


# --- Submit, withdraw, replace --------------------------------------------------------


def missing_for_submission(bid: Bid, tender: Tender) -> list[Any]:
    """What the draft still lacks before it can be submitted (messages; empty: ready)."""
    problems: list[Any] = []
    if not bid.price_lines:
        problems.append(_l("Add at least one pricing line."))
    for number, line in enumerate(bid.price_lines, start=1):
        if PriceLineKind(line.kind) == PriceLineKind.PER_FTE and not line.quantity:
            problems.append(_l("Line %(number)s: enter the number of FTEs.", number=number))
    committed = {c.requirement_id for c in bid.sla_commitments}
    for requirement in tender.sla_requirements:
        if requirement.id not in committed:
            problems.append(_l("Commit to a level for %(metric)s.", metric=requirement.metric))
    return problems


def submit_bid(actor: User | None, bid: Bid) -> Bid:
    """Submit a draft before the deadline; a replacement supersedes the version it replaces.

    Sent twice (a double click), it is applied once: the second time raises
    ``AlreadyDone``. The client is not told: bids are sealed until the deadline.
    """
    _ensure_own(bid)
    tender = bid.tender
    if bid.status in (BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED):
        raise AlreadyDone(_l("This bid is already submitted."))
    _transition(bid, BidStatus.SUBMITTED)
    _ensure_open(tender)
    problems = missing_for_submission(bid, tender)
    if problems:
        raise BidRuleError(problems[0])
    before = _snapshot(bid)
    now = utcnow()
    with db.session.begin_nested():
        # The version it replaces steps aside first: at most one submitted bid
        # per vendor and tender (a partial unique index) at every moment.
        replaced = list(
            db.session.scalars(
                _own_bids_on(bid.tender_id).where(
                    Bid.id != bid.id, Bid.status == BidStatus.SUBMITTED
                )
            )
        )
        for old in replaced:
            if not _claim(old, BidStatus.SUBMITTED, status=BidStatus.SUPERSEDED):
                raise AlreadyDone(_l("This bid is already submitted."))
        if not _claim(
            bid,
            BidStatus.DRAFT,
            status=BidStatus.SUBMITTED,
            submitted_at=now,
            submitted_by_id=getattr(actor, "id", None),
            reopened_by_addendum_id=None,
        ):
            raise AlreadyDone(_l("This bid is already submitted."))
    for old in replaced:
        audit.record(
            "bid.superseded",
            old,
            actor=actor,
            before={"status": BidStatus.SUBMITTED.value},
            after={"status": BidStatus.SUPERSEDED.value, "superseded_by": bid.id},
            summary=_summary(old, tender),
        )
    audit.record(
        "bid.submitted",
        bid,
        actor=actor,
        before=before,
        after=_snapshot(bid),
        summary=_summary(bid, tender),
    )
    log.info("user %s submitted bid %s on tender %s", getattr(actor, "id", None), bid.id, tender.id)
    return bid


def withdraw_bid(actor: User | None, bid: Bid) -> Bid:
    """Withdraw a draft or a submitted bid before the deadline.

    Withdrawing the submitted version also drops a replacement draft of it;
    withdrawing a replacement draft leaves the submitted version standing.
    """
    _ensure_own(bid)
    tender = bid.tender
    if bid.status == BidStatus.WITHDRAWN:
        raise AlreadyDone(_l("This bid is already withdrawn."))
    if bid.status not in (BidStatus.DRAFT, BidStatus.SUBMITTED):
        raise BidRuleError(_l("This bid can no longer be withdrawn."))
    _ensure_open(tender)
    now = utcnow()
    targets = [bid]
    if bid.status == BidStatus.SUBMITTED:
        draft = _draft_on(bid.tender_id)
        if draft is not None and draft.supersedes_id == bid.id:
            targets.append(draft)
    withdrawn = []
    with db.session.begin_nested():
        for target in targets:
            before = _snapshot(target)
            if _claim(
                target,
                (BidStatus.DRAFT, BidStatus.SUBMITTED),
                status=BidStatus.WITHDRAWN,
                withdrawn_at=now,
            ):
                withdrawn.append((target, before))
            elif target is bid:
                raise AlreadyDone(_l("This bid is already withdrawn."))
    for target, before in withdrawn:
        audit.record(
            "bid.withdrawn",
            target,
            actor=actor,
            before=before,
            after=_snapshot(target),
            summary=_summary(target, tender),
        )
    log.info("user %s withdrew bid %s on tender %s", getattr(actor, "id", None), bid.id, tender.id)
    return bid


def replace_bid(actor: User | None, bid: Bid) -> Bid:
    """Open a new draft version from the submitted bid; the submitted one stands until then.

    The draft copies the pricing lines, commitments and documents; submitting
    it supersedes ``bid``.
    """
    _ensure_own(bid)
    tender = bid.tender
    if bid.status != BidStatus.SUBMITTED:
        raise BidRuleError(_l("Only a submitted bid can be replaced."))
    _ensure_open(tender)
    if _draft_on(bid.tender_id) is not None:
        raise AlreadyDone(_l("A new version of this bid is already in progress."))
    draft = Bid(
        tender_id=bid.tender_id,
        status=BidStatus.DRAFT,
        version=_next_version(bid.tender_id),
        supersedes_id=bid.id,
        currency=bid.currency,
        transition_cost=bid.transition_cost,
        delivery_location=bid.delivery_location,
        location_kind=bid.location_kind,
        narrative=bid.narrative,
    )
    draft.price_lines = [
        BidPriceLine(
            position=line.position,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in bid.price_lines
    ]
    draft.sla_commitments = [
        BidSlaCommitment(requirement_id=c.requirement_id, committed=c.committed)
        for c in bid.sla_commitments
    ]
    draft.attachments = [
        BidAttachment(filename=a.filename, size=a.size, sha256=a.sha256, content=a.content)
        for a in bid.attachments
    ]
    try:
        with db.session.begin_nested():
            db.session.add(draft)
            db.session.flush()
    except IntegrityError:
        # A twin request opened the draft between our check and this insert.
        raise AlreadyDone(_l("A new version of this bid is already in progress.")) from None
    audit.record(
        "bid.replacement_started",
        draft,
        actor=actor,
        after=_snapshot(draft),
        summary=_summary(draft, tender),
    )
    log.info(
        "user %s opened bid %s to replace bid %s", getattr(actor, "id", None), draft.id, bid.id
    )
    return draft


# --- Attachments ----------------------------------------------------------------------


def check_pdf(content: bytes, max_bytes: int) -> None:
    """Refuse anything but a complete, readable, unencrypted PDF of at most ``max_bytes``.

    Judged by the bytes alone: the file's name and the browser's content type
    say nothing about what was sent.
    """
    if not content:
        raise BidRuleError(_l("The file is empty."), "file")
    if len(content) > max_bytes:
        raise BidRuleError(
            _l("The file is too large: at most %(size)s MB.", size=max_bytes // (1024 * 1024)),
            "file",
        )
    if not content.startswith(PDF_MAGIC) or b"%%EOF" not in content[-PDF_TAIL:]:
        raise BidRuleError(_l("Only complete PDF documents can be attached."), "file")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise BidRuleError(
                _l("The PDF is password-protected: attach an unprotected copy."), "file"
            )
        if len(reader.pages) < 1:
            raise BidRuleError(_l("The PDF has no pages."), "file")
    except BidRuleError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        log.info("refused an attachment pypdf cannot read: %s", exc)
        raise BidRuleError(_l("The PDF cannot be read: it may be damaged."), "file") from None


def attachment_filename(name: str | None) -> str:
    """A safe file name that ends in .pdf (the content was checked to be one)."""
    stem = secure_filename(name or "")
    if stem.lower().endswith(".pdf"):
        stem = stem[:-4]
    stem = stem.strip("._") or "document"
    return f"{stem[:190]}.pdf"


def _ensure_draft(bid: Bid) -> None:
    if bid.status != BidStatus.DRAFT:
        raise BidRuleError(_l("Documents can only change on a draft bid."))


def add_attachment(
    actor: User | None, bid: Bid, filename: str | None, content: bytes
) -> BidAttachment:
    """Attach a PDF document to a draft bid."""
    _ensure_own(bid)
    _ensure_draft(bid)
    _ensure_open(bid.tender)
    check_pdf(content, current_app.config["MAX_ATTACHMENT_BYTES"])
    digest = hashlib.sha256(content).hexdigest()
    if any(existing.sha256 == digest for existing in bid.attachments):
        raise AlreadyDone(_l("This document is already attached."))
    if len(bid.attachments) >= MAX_ATTACHMENTS:
        raise BidRuleError(
            _l("A bid has at most %(count)s documents.", count=MAX_ATTACHMENTS), "file"
        )
    attachment = BidAttachment(
        filename=attachment_filename(filename),
        size=len(content),
        sha256=digest,
        content=content,
        uploaded_at=utcnow(),
    )
    bid.attachments.append(attachment)
    db.session.flush()
    audit.record(
        "bid.attachment_added",
        bid,
        actor=actor,
        after={"attachment_id": attachment.id, "filename": attachment.filename, "sha256": digest},
        summary=attachment.filename,
    )
    log.info("user %s attached %s to bid %s", getattr(actor, "id", None), attachment.id, bid.id)
    return attachment


def delete_attachment(actor: User | None, bid: Bid, attachment: BidAttachment) -> None:
    """Remove a document from a draft bid."""
    _ensure_own(bid)
    _ensure_draft(bid)
    _ensure_open(bid.tender)
    audit.record(
        "bid.attachment_deleted",
        bid,
        actor=actor,
        before={
            "attachment_id": attachment.id,
            "filename": attachment.filename,
            "sha256": attachment.sha256,
        },
        summary=attachment.filename,
    )
    db.session.delete(attachment)
    db.session.flush()
    db.session.expire(bid, ["attachments"])
    log.info(
        "user %s removed attachment %s from bid %s",
        getattr(actor, "id", None),
        attachment.id,
        bid.id,
    )
