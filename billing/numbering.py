"""Invoice numbers: gapless and chronological per issuer and year.

``ACME-2026-00042`` is the issuer's code, the year of the issue date and the
sequence in that year. A number is taken in the same transaction as the rest
of the issue: if anything fails before the commit, the counter goes back with
it, so no number is lost; the counter's row is locked until the commit, so two
issues at the same moment get two consecutive numbers (PostgreSQL: ``FOR
UPDATE``; SQLite: the whole transaction holds the write lock from its BEGIN,
see ``portal.db.begin_immediate``). A database sequence would not do: it is
not rolled back, which leaves gaps.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from billing.models import Invoice, InvoiceCounter
from portal import db
from portal.tenancy import across_tenants

SEQUENCE_DIGITS = 5


def format_number(issuer_code: str, year: int, sequence: int) -> str:
    return f"{issuer_code}-{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def _locked_counter(organization_id: int, year: int) -> InvoiceCounter:
    """The issuer's counter of ``year``, created at 0 when missing, locked until commit."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(InvoiceCounter)
        .values(vendor_organization_id=organization_id, year=year, last_sequence=0)
        .on_conflict_do_nothing()
    )
    statement = (
        select(InvoiceCounter)
        .where(
            InvoiceCounter.vendor_organization_id == organization_id,
            InvoiceCounter.year == year,
        )
        .with_for_update()
        # Another transaction may have moved it since this session last read it.
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).one()


def assign_number(invoice: Invoice, issue_date: date) -> str:
    """Give ``invoice`` its issuer's next number in the year of ``issue_date``.

    Chronological too: an issue date earlier than the issuer's last issued
    invoice of that year is refused by the caller (``latest_issue_date``).
    """
    counter = _locked_counter(invoice.vendor_organization_id, issue_date.year)
    counter.last_sequence += 1
    invoice.number_year = issue_date.year
    invoice.number_sequence = counter.last_sequence
    invoice.number = format_number(invoice.vendor.slug, issue_date.year, counter.last_sequence)
    invoice.issue_date = issue_date
    return invoice.number


def latest_issue_date(organization_id: int, year: int) -> date | None:
    """The issue date of the issuer's last numbered invoice of ``year``."""
    statement = across_tenants(
        select(func.max(Invoice.issue_date)).where(
            Invoice.vendor_organization_id == organization_id, Invoice.number_year == year
        )
    )
    return db.session.scalar(statement)
