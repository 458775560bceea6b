"""The schema comes only from Alembic, and it matches the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.db import Base


@pytest.mark.no_transaction
def test_models_and_migrations_agree(app):
    engine = app.extensions["relais_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"run scripts/regen-migration.sh or add a migration: {differences}"
