"""API fixtures: tokens made straight in the database, and bearer headers."""

from __future__ import annotations

import pytest

from portal import db
from portal.api.operations import TOKEN_PREFIX
from portal.db import utcnow
from portal.models import ApiToken, Role
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


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


@pytest.fixture
def client_token(make_token, client_org):
    return make_token(client_org)


@pytest.fixture
def api(client, client_token):
    """A client whose every request carries the client organization's viewer token."""

    class _Api:
        def get(self, path, **kwargs):
            return client.get(path, headers=bearer(client_token), **kwargs)

        def open(self, path, method, **kwargs):
            return client.open(path, method=method, headers=bearer(client_token), **kwargs)

    return _Api()
