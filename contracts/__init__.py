"""Contracts between a client and a vendor: versioned terms (rate card, SLA set,
service credits), monthly delivery reports, SLA results and scorecards."""

from flask import Blueprint

from portal.models import Role

bp = Blueprint("contracts", __name__)

#: Who drafts, sends, amends and terminates a client's contracts.
CONTRACT_MANAGERS = (Role.ADMIN, Role.PROCUREMENT)
#: Who accepts or rejects a contract on the vendor's side.
CONTRACT_SIGNATORIES = (Role.ADMIN, Role.PROCUREMENT)
#: Who reports a vendor's delivery each month.
REPORTERS = (Role.ADMIN, Role.DELIVERY)
#: Who accepts or disputes delivery reports on the client's side.
REPORT_REVIEWERS = (Role.ADMIN, Role.PROCUREMENT, Role.FINANCE)
