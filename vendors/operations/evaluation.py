"""Evaluating the sealed bids of a tender once its deadline has passed, and the award.

Both happen only while the tender is closed: published with its deadline
passed (or closed by ``close-due``), and neither awarded nor cancelled. The
award is applied once: a conditional UPDATE moves the tender to awarded, so a
second award (or the same form posted twice, even at the same moment) finds
nothing to change and is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit, db
from portal.audit_log.labels import ACTION_LABELS
from portal.db import utcnow
from portal.i18n import moment
from portal.models import User
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError
from vendors import BID_MANAGERS
from vendors.models import Bid, BidScore, BidStatus, Tender, TenderStatus
from vendors.rules import MAX_SCORE

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "tender.scored": _l("Bids scored"),
        "tender.awarded": _l("Tender awarded"),
        "bid.awarded": _l("Bid awarded"),
        "bid.not_awarded": _l("Bid not awarded"),
    }
)

_signals = Namespace()

#: Sent as ``tender_awarded.send(tender, bid=winner, actor=user)`` once a tender is
#: awarded, inside the same transaction (a listener's writes commit or roll back
#: with the award). The contracts package turns the award into a contract.
tender_awarded = _signals.signal("tender-awarded")

#: What the audit log keeps of a tender before and after its award.
AWARD_FIELDS = (
    "status",
    "awarded_bid_id",
    "award_reason",
    "awarded_at",
    "awarded_by_id",
    "closed_at",
)

#: Stored statuses in which a tender past its deadline is still to be evaluated.
_EVALUATED_STATUSES = (TenderStatus.PUBLISHED, TenderStatus.CLOSED)


class EvaluationRuleError(RuleError):
    """A scoring or an award the rules refuse."""


def require_evaluation_open(tender: Tender, now: datetime) -> None:
    """Refuse unless the tender's bids are opened and it is neither awarded nor cancelled."""
    status = TenderStatus(tender.status)
    if status == TenderStatus.AWARDED:
        raise EvaluationRuleError(_l("This tender has already been awarded."))
    if status == TenderStatus.CANCELLED:
        raise EvaluationRuleError(_l("This tender was cancelled."))
    if status == TenderStatus.DRAFT:
        raise EvaluationRuleError(_l("This tender has not been published."))
    if now < tender.bid_deadline:
        raise EvaluationRuleError(
            _l(
                "Bids stay sealed until %(deadline)s.",
                # Shown in the reader's time zone, whenever the message is read.
                deadline=LazyString(moment, tender.bid_deadline),
            )
        )


def evaluation_open(tender: Tender, now: datetime) -> bool:
    """Whether scoring and the award are possible now (for showing the forms)."""
    try:
        require_evaluation_open(tender, now)
    except EvaluationRuleError:
        return False
    return True


# --- Scores ---------------------------------------------------------------------------


def _score_value(value: Any) -> int | None:
    """A score from 0 to 10, or None for no score."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(value)
        score = int(str(value).strip())
    except ValueError:
        score = -1
    if not 0 <= score <= MAX_SCORE:
        raise EvaluationRuleError(
            _l("A score is a whole number from 0 to %(max)s.", max=MAX_SCORE), "scores"
        )
    return score


def _cell(score: BidScore | None) -> dict | None:
    return None if score is None else {"score": score.score, "comment": score.comment}


def score_bids(actor: User, tender: Tender, scores: Iterable[Mapping[str, Any]]) -> int:
    """Record the acting evaluator's scores of the tender's bids; return how many changed.

    Each item names a bid and a non-price criterion of this tender, a score
    from 0 to 10 (None clears the evaluator's score there) and an optional
    comment. Scoring again replaces the evaluator's own scores, never another's.
    """
    now = utcnow()
    require_evaluation_open(tender, now)
    bid_ids = set(
        db.session.scalars(
            select(Bid.id).where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
        )
    )
    criterion_ids = {criterion.id for criterion in tender.criteria if not criterion.is_price}
    wanted: dict[tuple[int, int], tuple[int | None, str]] = {}
    for item in scores:
        try:
            key = (int(item["bid_id"]), int(item["criterion_id"]))
        except (KeyError, TypeError, ValueError):
            key = (0, 0)
        if key[0] not in bid_ids or key[1] not in criterion_ids:
            raise EvaluationRuleError(
                _l("Score only the bids of this tender, on its scored criteria."), "scores"
            )
        if key in wanted:
            raise EvaluationRuleError(_l("Each bid is scored once per criterion."), "scores")
        score = _score_value(item.get("score"))
        comment = (item.get("comment") or "").strip()
        if score is None and comment:
            raise EvaluationRuleError(_l("Give a score with each comment."), "scores")
        wanted[key] = (score, comment)
    if not wanted:
        return 0

    statement = select(BidScore).where(
        BidScore.bid_id.in_({bid_id for bid_id, _ in wanted}),
        BidScore.evaluator_id == actor.id,
    )
    existing = {(s.bid_id, s.criterion_id): s for s in db.session.scalars(statement)}
    before: dict[str, dict | None] = {}
    after: dict[str, dict | None] = {}
    for key, (score, comment) in wanted.items():
        current = existing.get(key)
        old = _cell(current)
        if score is None:
            if current is not None:
                db.session.delete(current)
        elif current is None:
            db.session.add(
                BidScore(
                    bid_id=key[0],
                    criterion_id=key[1],
                    evaluator_id=actor.id,
                    score=score,
                    comment=comment,
                )
            )
        else:
            current.score, current.comment = score, comment
        new = None if score is None else {"score": score, "comment": comment}
        if old != new:
            label = f"{key[0]}/{key[1]}"
            before[label], after[label] = old, new
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # The same evaluator saved twice at the same moment: one of them won.
        raise EvaluationRuleError(
            _l("Your scores were being saved twice at once; reload the page and check them."),
            "scores",
        ) from exc
    if after:
        audit.record(
            "tender.scored",
            tender,
            actor=actor,
            before=before,
            after=after,
            summary=f"{tender.title}: {len(after)}",
        )
        log.info("user %s changed %d score(s) on tender %s", actor.id, len(after), tender.id)
    return len(after)


# --- The award ------------------------------------------------------------------------


def award_tender(actor: User, tender: Tender, bid: Bid, reason: str) -> Tender:
    """Award the tender to one submitted bid; tell every bidder; record it for a contract.

    The winner becomes awarded, every other submitted bid not awarded. Each
    vendor is told only its own outcome.
    """
    now = utcnow()
    require_evaluation_open(tender, now)
    if bid.tender_id != tender.id:
        raise EvaluationRuleError(_l("Choose one of this tender's bids."), "bid_id")
    if bid.status != BidStatus.SUBMITTED:
        raise EvaluationRuleError(_l("Only a submitted bid can be awarded."), "bid_id")
    reason = (reason or "").strip()
    if not reason:
        raise EvaluationRuleError(_l("Say why this bid wins."), "reason")

    before = audit.snapshot(tender, AWARD_FIELDS)
    # One winner per tender, even when two awards race: only the first UPDATE
    # finds the tender still open for evaluation.
    result = db.session.execute(
        update(Tender)
        .where(
            Tender.id == tender.id,
            Tender.status.in_(_EVALUATED_STATUSES),
            Tender.awarded_bid_id.is_(None),
            Tender.bid_deadline <= now,
        )
        .values(
            status=TenderStatus.AWARDED,
            awarded_bid_id=bid.id,
            award_reason=reason,
            awarded_at=now,
            awarded_by_id=actor.id,
            closed_at=func.coalesce(Tender.closed_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise EvaluationRuleError(_l("This tender has already been awarded."))
    db.session.refresh(tender)

    # The client sees the sealed bids through the wall now that the deadline
    # has passed, so they are updated like any record it may read.
    others = list(
        db.session.scalars(
            select(Bid)
            .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED, Bid.id != bid.id)
            .order_by(Bid.id)
        )
    )
    bid.status = BidStatus.AWARDED
    for other in others:
        other.status = BidStatus.NOT_AWARDED
    db.session.flush()

    audit.record(
        "tender.awarded",
        tender,
        actor=actor,
        before=before,
        after=audit.snapshot(tender, AWARD_FIELDS),
        summary=f"{tender.title}: {bid.vendor.name}",
    )
    for record, action in [(bid, "bid.awarded"), *((other, "bid.not_awarded") for other in others)]:
        audit.record(
            action,
            record,
            actor=actor,
            before={"status": BidStatus.SUBMITTED.value},
            after={"status": BidStatus(record.status).value},
            summary=tender.title,
            organization_id=record.organization_id,
        )

    client = tender.organization.name
    notify_organization(
        bid.organization_id,
        BID_MANAGERS,
        "bid.awarded",
        _l("Your bid was awarded: %(title)s", title=tender.title),
        _l(
            "%(client)s awarded you the tender %(title)s. The contract comes next.",
            client=client,
            title=tender.title,
        ),
        link_to("vendors.bid", bid_id=bid.id),
    )
    for other in others:
        notify_organization(
            other.organization_id,
            BID_MANAGERS,
            "bid.not_awarded",
            _l("Your bid was not awarded: %(title)s", title=tender.title),
            _l(
                "%(client)s has made its decision on the tender %(title)s: your bid was not "
                "selected. Thank you for bidding.",
                client=client,
                title=tender.title,
            ),
            link_to("vendors.bid", bid_id=other.id),
        )

    tender_awarded.send(tender, bid=bid, actor=actor)
    log.info("user %s awarded tender %s to bid %s", actor.id, tender.id, bid.id)
    return tender
