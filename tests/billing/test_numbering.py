"""Invoice numbers: gapless and chronological per issuer and year, under concurrency too."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text

from billing.models import Invoice, InvoiceStatus
from billing.numbering import assign_number, format_number
from portal import create_app, db, migrations
from portal.config import Settings
from portal.tenancy import across_tenants, organization_context
from tests import factories
from tests.conftest import POSTGRES_SERVER, _database_backend


def _issue(invoice: Invoice, day: date) -> str:
    with organization_context(invoice.vendor_organization_id):
        number = assign_number(invoice, day)
        invoice.status = InvoiceStatus.ISSUED
        db.session.flush()
    return number


def test_numbers_follow_each_other_per_issuer_and_year(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)
    other_vendor = make.organization(kind="vendor")
    other = make.contract(client_org, other_vendor)
    slug = vendor_org.slug

    numbers = [_issue(make.invoice(contract), date(2026, 3, day)) for day in (1, 2, 3)]
    theirs = _issue(make.invoice(other), date(2026, 3, 4))

    assert numbers == [f"{slug}-2026-00001", f"{slug}-2026-00002", f"{slug}-2026-00003"]
    assert theirs == f"{other_vendor.slug}-2026-00001"


def test_a_new_year_starts_again_at_one(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)

    last_of_year = _issue(make.invoice(contract), date(2026, 12, 31))
    first_of_next = _issue(make.invoice(contract), date(2027, 1, 1))
    second_of_next = _issue(make.invoice(contract), date(2027, 1, 2))

    assert last_of_year.endswith("-2026-00001")
    assert first_of_next.endswith("-2027-00001")
    assert second_of_next.endswith("-2027-00002")


def test_an_issue_that_fails_halfway_loses_no_number(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)
    first = make.invoice(contract)
    failing = make.invoice(contract)
    second = make.invoice(contract)
    _issue(first, date(2026, 5, 1))

    with pytest.raises(RuntimeError), db.session.begin_nested():
        _issue(failing, date(2026, 5, 2))
        raise RuntimeError("the PDF could not be produced")
    db.session.expire_all()

    assert _issue(second, date(2026, 5, 3)).endswith("-2026-00002")


def test_the_number_format():
    assert format_number("ACME", 2026, 42) == "ACME-2026-00042"


# --- Real concurrency: several connections issuing at once ------------------------------


@pytest.fixture
def own_app(tmp_path) -> Iterator:
    """An application on a database of its own, committed for real (no rolled-back test
    transaction): each thread below has its own connection, as concurrent requests do."""
    if _database_backend() == "postgresql":
        name = f"relais_numbering_{secrets.token_hex(6)}"
        admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{POSTGRES_SERVER}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'numbering.sqlite3'}"
    application = create_app(
        Settings(ENV="test", DATABASE_URL=url, INSTANCE_PATH=str(tmp_path), extra={"TESTING": True})
    )
    engine = application.extensions["relais_engine"]
    migrations.upgrade(engine)
    yield application
    db.session.remove()
    engine.dispose()
    if _database_backend() == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


ISSUERS = 8


@pytest.mark.no_transaction
def test_concurrent_issues_get_consecutive_numbers_without_gap_or_duplicate(own_app):
    with own_app.app_context():
        client = factories.organization(kind="client")
        vendor = factories.organization(kind="vendor")
        contract = factories.contract(client, vendor)
        invoice_ids = [factories.invoice(contract).id for _ in range(ISSUERS)]
        vendor_id = vendor.id
        db.session.commit()
        db.session.remove()

    start = threading.Barrier(ISSUERS)
    errors: list[BaseException] = []

    def issue(invoice_id: int, fail: bool) -> None:
        try:
            with own_app.app_context(), organization_context(vendor_id):
                start.wait()
                db.begin_immediate()
                invoice = db.session.scalars(select(Invoice).where(Invoice.id == invoice_id)).one()
                assign_number(invoice, date(2026, 6, 30))
                invoice.status = InvoiceStatus.ISSUED
                db.session.flush()
                if fail:
                    # Issuing fails after the number was taken: it goes back.
                    db.session.rollback()
                else:
                    db.session.commit()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=issue, args=(invoice_id, index % 4 == 3))
        for index, invoice_id in enumerate(invoice_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with own_app.app_context():
        sequences = db.session.scalars(
            across_tenants(
                select(Invoice.number_sequence)
                .where(Invoice.vendor_organization_id == vendor_id, Invoice.number.is_not(None))
                .order_by(Invoice.number_sequence)
            )
        ).all()
        db.session.remove()
    issued = ISSUERS - ISSUERS // 4
    assert sequences == list(range(1, issued + 1))
