"""Saving the client's savings settings (inflation, discount rate, transition), audited."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from billing.models import SavingsSettings
from portal import audit, db
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.models import User

log = logging.getLogger(__name__)

ACTION_LABELS.update({"savings_settings.updated": _l("Savings settings changed")})
TARGET_LABELS.update({"SavingsSettings": _l("Savings settings")})

SETTINGS_FIELDS = ("yearly_inflation_percent", "discount_rate_percent", "transition_amortised")


def update_savings_settings(actor: User | None, data: Mapping[str, Any]) -> SavingsSettings:
    """Set how the current client's savings are computed (its row is created on first save)."""
    settings = db.session.scalars(select(SavingsSettings)).one_or_none()
    if settings is None:
        settings = SavingsSettings(
            yearly_inflation_percent=Decimal("0"),
            discount_rate_percent=Decimal("8"),
            transition_amortised=True,
        )
        db.session.add(settings)
    before = audit.snapshot(settings, SETTINGS_FIELDS)
    settings.yearly_inflation_percent = Decimal(data["yearly_inflation_percent"])
    settings.discount_rate_percent = Decimal(data["discount_rate_percent"])
    settings.transition_amortised = bool(data["transition_amortised"])
    db.session.flush()
    after = audit.snapshot(settings, SETTINGS_FIELDS)
    if before != after:
        audit.record("savings_settings.updated", settings, actor=actor, before=before, after=after)
        log.info("user %s changed the savings settings", getattr(actor, "id", None))
    return settings
