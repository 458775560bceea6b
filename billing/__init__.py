"""Invoicing between the parties: invoices and credit notes, their gapless
numbers, PDFs with embedded e-invoices, payments (recorded or through Stripe)."""

from flask import Blueprint

from portal.models import Role

bp = Blueprint("billing", __name__)

#: Who prepares, issues and credits a vendor's invoices and records payments.
INVOICE_ISSUERS = (Role.ADMIN, Role.FINANCE)
#: Who approves, disputes and pays invoices on the client's side.
INVOICE_APPROVERS = (Role.ADMIN, Role.FINANCE)
