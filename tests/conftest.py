"""Shared fixtures: one migrated database per test session, one rolled-back
transaction per test, a client per role and side, and factories.

``RELAIS_TEST_DATABASE`` picks the engine: ``sqlite`` (default) or
``postgresql``, for which a fresh database is created and dropped afterwards.
"""

from __future__ import annotations

import contextvars
import os
import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from portal import create_app, db, mail, migrations, tenancy
from portal.api.operations import TOKEN_PREFIX
from portal.config import Settings
from portal.db import utcnow
from portal.extensions import limiter
from portal.models import ApiToken, Role
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash
from tests import factories

POSTGRES_SERVER = os.environ.get(
    "RELAIS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def _database_backend() -> str:
    return os.environ.get("RELAIS_TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if _database_backend() == "postgresql":
        name = f"relais_test_{secrets.token_hex(6)}"
        admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{POSTGRES_SERVER}/{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'relais-test.sqlite3'}"


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a real server would.

    The test itself holds an application context (for factories); without
    this, Flask would reuse it for the request, and ``g`` (Flask-Login's
    cached user, the current organization) would leak from one request to
    the next.
    """

    def open(self, *args, **kwargs):
        # What the test set up was committed before the request, as it would
        # have been in reality; otherwise a request that rolls back (any 4xx)
        # would take the test's setup with it. The outer transaction still
        # undoes everything at the end of the test.
        db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        # The request had its own session; reload what it may have changed.
        db.session.expire_all()
        return response


def _redis_settings() -> tuple[str, dict]:
    """The PostgreSQL run also takes the scale-out path: rate limits in Redis.

    Each run (and each xdist worker) gets its own key prefix, so resetting the
    limits between tests never touches another run's keys.
    """
    if _database_backend() != "postgresql":
        return "", {}
    url = os.environ.get("RELAIS_TEST_REDIS", "redis://127.0.0.1:6379/15")
    prefix = f"relais-test-{secrets.token_hex(6)}"
    return url, {"RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix}}


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Flask:
    redis_url, redis_options = _redis_settings()
    settings = Settings(
        ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INSTANCE_PATH=str(tmp_path_factory.mktemp("instance")),
        BASE_URL="http://relais.test",
        extra={"TESTING": True, "WTF_CSRF_ENABLED": False, "SERVER_NAME": None, **redis_options},
    )
    application = create_app(settings)
    application.test_client_class = IsolatedClient
    migrations.upgrade(application.extensions["relais_engine"])
    return application


@pytest.fixture(autouse=True)
def _transaction(request) -> Iterator[None]:
    """Run each test in a transaction that is rolled back at the end.

    Views' commits become savepoint releases, so a test sees what a request
    committed, and the next test starts from the migrated, empty database.
    """
    # Browser journeys talk to their own live server and database.
    if "no_transaction" in request.keywords or "browser" in request.keywords:
        yield
        return
    app = request.getfixturevalue("app")
    engine = app.extensions["relais_engine"]
    connection = engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    mail.outbox.clear()
    limiter.reset()
    try:
        with app.app_context():
            yield
    finally:
        db.session.remove()
        db.session.configure(bind=engine, join_transaction_mode="conditional_savepoint")
        outer.rollback()
        connection.close()
        tenancy.set_current_organization(None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make():
    """The factories (``make.organization(...)``, ``make.member(...)``, …)."""
    return factories


@pytest.fixture
def client_org(make):
    return make.organization(name="Northwind Holdings", kind="client")


@pytest.fixture
def vendor_org(make):
    return make.organization(name="Atlas Back Office", kind="vendor")


@pytest.fixture
def other_client_org(make):
    return make.organization(name="Contoso Industries", kind="client")


def _logged_in(app, user, organization):
    test_client = app.test_client()
    factories.log_in(test_client, user, organization)
    return test_client


@pytest.fixture
def login(app):
    """``login(user, organization)`` gives a test client logged in as that member."""

    def _login(user, organization):
        return _logged_in(app, user, organization)

    return _login


@pytest.fixture
def client_admin(make, client_org):
    return make.member(client_org, "admin", email="admin@northwind.test")


@pytest.fixture
def as_client_admin(login, client_admin, client_org):
    return login(client_admin, client_org)


@pytest.fixture
def as_client_viewer(make, login, client_org):
    return login(make.member(client_org, "viewer", email="viewer@northwind.test"), client_org)


@pytest.fixture
def as_client_finance(make, login, client_org):
    return login(make.member(client_org, "finance", email="finance@northwind.test"), client_org)


@pytest.fixture
def as_vendor_admin(make, login, vendor_org):
    return login(make.member(vendor_org, "admin", email="admin@atlas.test"), vendor_org)


@pytest.fixture
def as_other_client_admin(make, login, other_client_org):
    return login(
        make.member(other_client_org, "admin", email="admin@contoso.test"), other_client_org
    )


@pytest.fixture
def make_token():
    """``make_token(org, role="viewer", revoked=False)`` → the secret."""

    def _make(org, role: str = "viewer", revoked: bool = False) -> str:
        secret = TOKEN_PREFIX + new_token()
        with organization_context(org.id):
            db.session.add(
                ApiToken(
                    name=f"{role} token",
                    prefix=secret[:12],
                    token_hash=token_hash(secret),
                    role=Role(role),
                    revoked_at=utcnow() if revoked else None,
                )
            )
            # A request answering >= 400 rolls back; the token must survive it.
            db.session.commit()
        return secret

    return _make
