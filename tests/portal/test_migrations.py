"""The schema comes only from Alembic, and it matches the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event

from portal.db import Base

INITIAL_REVISION = "3bcd2ec0a52b"


@pytest.mark.no_transaction
def test_models_and_migrations_agree(app):
    engine = app.extensions["relais_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"add a migration (flask db revision): {differences}"


@pytest.mark.no_transaction
def test_upgrading_keeps_existing_rows(tmp_path):
    """A later migration that rebuilds a table (SQLite batch mode) loses no child rows.

    Rebuilding drops the table; with foreign keys on, SQLite would cascade that
    drop into memberships. The environment turns them off for the migration.
    """
    from sqlalchemy import create_engine, text

    from portal import migrations
    from portal.db import utcnow

    engine = create_engine(f"sqlite:///{tmp_path / 'upgrade.db'}")

    @event.listens_for(engine, "connect")
    def _foreign_keys_on(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    migrations.upgrade(engine, INITIAL_REVISION)
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, slug, kind, legal_name, country, "
                "address_line1, postal_code, city, default_currency, created_at, updated_at) "
                "VALUES (1, 'Acme', 'ACME', 'client', 'Acme SA', 'FR', '1 rue', '75001', "
                "'Paris', 'EUR', :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO users (id, email, full_name, password_hash, locale, timezone, "
                "is_active_account, created_at, updated_at) VALUES "
                "(1, 'a@acme.test', 'A', 'x', 'en', 'UTC', 1, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO memberships (id, user_id, organization_id, role, created_at, "
                "updated_at) VALUES (1, 1, 1, 'admin', :now, :now)"
            ),
            {"now": now},
        )
    migrations.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM memberships")).scalar() == 1
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
