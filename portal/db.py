"""Engine, session and the declarative base.

One scoped session per request (or CLI command, or job). Views never commit:
the request boundary commits when the response is a success and rolls back
otherwise, as Indico's request handler does.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask, Response, has_app_context, request
from flask.globals import app_ctx
from sqlalchemy import DateTime, MetaData, Numeric, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.pool import StaticPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The largest id an ``Integer`` primary key holds on every database (32-bit
#: signed on PostgreSQL): a larger one names no record, it is not a query.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A moment in time, always handed back timezone-aware in UTC.

    PostgreSQL keeps the zone; SQLite stores text without it and would hand
    back naive datetimes that cannot be compared with ``utcnow()``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use portal.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        Decimal: Numeric(14, 2),
        datetime: UTCDateTime(),
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _session_scope() -> int:
    """One session per application context: each request, CLI command or job."""
    if has_app_context():
        return id(app_ctx._get_current_object())
    return threading.get_ident()


#: The session every part of the portal uses; bound to the engine in ``init_app``.
session: scoped_session = scoped_session(
    sessionmaker(expire_on_commit=False), scopefunc=_session_scope
)


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and real transactions."""
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN.

    pysqlite's own transaction handling breaks SAVEPOINT (used by the tests'
    rollback-per-test) and cannot take a write lock up front; with BEGIN
    emitted here, ``begin_immediate`` gives the later invoice numbering its
    lock (SQLAlchemy drops FOR UPDATE on SQLite).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "BEGIN")
        connection.exec_driver_sql(mode)


def begin_immediate() -> None:
    """Start this session's transaction holding the database's write lock.

    For a transaction that reads a value and writes it back, such as the next
    invoice number: on SQLite ``BEGIN IMMEDIATE`` (SQLAlchemy drops ``FOR
    UPDATE`` there, and a deferred transaction that read a snapshot cannot
    take the write lock once another writer has committed). On PostgreSQL it
    does nothing: the rows read ``FOR UPDATE`` are the lock. Call it before
    the transaction's first query.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session().in_transaction():
        raise RuntimeError("begin_immediate() must come before the transaction's first query")
    session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})


def write_locked(view):
    """Mark a view whose request runs in one write-locked transaction (``begin_immediate``)."""
    view.write_locked = True
    return view


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["relais_engine"] = engine
    session.configure(bind=engine)

    @app.before_request
    def _begin_write_locked() -> None:
        # Registered before the request context is loaded, so that the lock is
        # taken by the transaction's BEGIN, before anything was read.
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "write_locked", False):
            begin_immediate()

    @app.after_request
    def _commit_on_success(response: Response) -> Response:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response

    @app.teardown_appcontext
    def _remove_session(exc: BaseException | None) -> None:
        if exc is not None:
            session.rollback()
        session.remove()
