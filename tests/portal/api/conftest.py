"""API fixtures: a viewer token of the client organization, and bearer headers
(``make_token`` is in tests/conftest.py, for every package's API tests)."""

from __future__ import annotations

import pytest


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


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
