"""Tendering: the vendor directory, tenders, clarification questions, sealed bids,
evaluation and award."""

from flask import Blueprint

from portal.models import Role

bp = Blueprint("vendors", __name__)

#: Who runs a client's tenders: drafts, publishes, answers questions, awards.
TENDER_MANAGERS = (Role.ADMIN, Role.PROCUREMENT)
#: Who may score bids (finance weighs in on price and value).
EVALUATORS = (Role.ADMIN, Role.PROCUREMENT, Role.FINANCE)
#: Who prepares and submits a vendor's bids and keeps its directory profile.
BID_MANAGERS = (Role.ADMIN, Role.PROCUREMENT)
