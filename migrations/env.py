"""Alembic environment: the engine comes from the portal, the metadata from the models."""

from alembic import context
from sqlalchemy.types import TypeDecorator

import billing.models  # noqa: F401
import contracts.models  # noqa: F401
import portal.models  # noqa: F401 - registers the tables on Base.metadata
import vendors.models  # noqa: F401
from portal.db import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    # A migration stores the column's database type: the Python-side
    # conversion of a TypeDecorator (UTCDateTime) is the models' business, and
    # rendering it would make the migration import portal.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by dropping it; with foreign keys on,
            # SQLite would cascade that drop into every child table's rows.
            # The pragma only works outside a transaction, hence the driver
            # connection (in autocommit) before anything begins.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migration left rows with dangling foreign keys: {broken}")


run_migrations_online()
