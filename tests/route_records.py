"""How to make a record for each id that appears in a URL rule.

The route-walking test (tests/test_route_walk.py) discovers every rule itself;
for each ``<int:name>`` it needs a record of that kind owned by one
organization. A new route whose id has no entry here fails that test, so a
later package cannot add a route without proving it is walled.

Each maker takes the factories module and the owning organization (a client
and vendor at once, so that side-specific pages exist) and returns the id.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from portal import db
from portal.models import ApiToken, Invitation, Notification, Role
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash

#: Departments and functions have names unique per organization, and the walk
#: makes one record per rule.
_unique = itertools.count(1)


def _membership(make, org) -> int:
    person = make.user()
    return make.add_membership(org, person, "procurement").id


def _department(make, org) -> int:
    return make.department(org, name=f"Walled department {next(_unique)}").id


def _function(make, org) -> int:
    return make.function(org, name=f"Walled function {next(_unique)}").id


def _notification(make, org) -> int:
    person = make.member(org, "viewer")
    with organization_context(org.id):
        record = Notification(user_id=person.id, kind="test", title="Walled", link=None)
        db.session.add(record)
        db.session.flush()
    return record.id


def _api_token(make, org) -> int:
    with organization_context(org.id):
        token = new_token("rls_")
        record = ApiToken(
            name="Walled", prefix=token[:12], token_hash=token_hash(token), role=Role.VIEWER
        )
        db.session.add(record)
        db.session.flush()
    return record.id


def _invitation(make, org) -> int:
    from datetime import timedelta

    from portal.db import utcnow

    with organization_context(org.id):
        record = Invitation(
            email="walled@example.test",
            role=Role.VIEWER,
            token_hash=token_hash(new_token()),
            expires_at=utcnow() + timedelta(days=7),
        )
        db.session.add(record)
        db.session.flush()
    return record.id


def _tender(make, org) -> int:
    # A draft: only its own client may see it.
    return make.tender(org).id


def _third_party_tender(make):
    """A published open tender of another client, on which ``org`` bids as a vendor."""
    return make.tender(make.organization(kind="client"), status="published", visibility="open")


def _bid(make, org) -> int:
    return make.bid(org, _third_party_tender(make), status="draft").id


def _question(make, org) -> int:
    # Unanswered, on the owner's own draft tender: nobody else may see it.
    tender = make.tender(org)
    return make.question(make.organization(kind="vendor"), tender).id


def _attachment(make, org) -> int:
    return make.attachment(make.bid(org, _third_party_tender(make), status="draft")).id


def _contract(make, org) -> int:
    # The owner is the client; the vendor is another organization.
    return make.contract(org, make.organization(kind="vendor")).id


def _report(make, org) -> int:
    contract = make.contract(org, make.organization(kind="vendor"))
    return make.delivery_report(contract, contract.start_date).id


def _version(make, org) -> int:
    return make.contract(org, make.organization(kind="vendor")).versions[0].id


def _metric(make, org) -> int:
    return make.contract(org, make.organization(kind="vendor")).versions[0].metrics[0].id


def _vendor_organization(make, org) -> int:
    # A vendor with which the owner has a contract (its scorecard as the client sees it).
    vendor = make.organization(kind="vendor")
    make.contract(org, vendor)
    return vendor.id


def _invoice(make, org) -> int:
    # Issued by the owner (as vendor) to another client: the recipient sees it too.
    contract = make.contract(make.organization(kind="client"), org)
    return make.invoice(contract, status="issued").id


RECORD_MAKERS: dict[str, Callable[[Any, Any], int]] = {
    "membership_id": _membership,
    "department_id": _department,
    "function_id": _function,
    "notification_id": _notification,
    "token_id": _api_token,
    "invitation_id": _invitation,
    "tender_id": _tender,
    "bid_id": _bid,
    "question_id": _question,
    "attachment_id": _attachment,
    "contract_id": _contract,
    "report_id": _report,
    "version_id": _version,
    "metric_id": _metric,
    "vendor_id": _vendor_organization,
    "invoice_id": _invoice,
}
