"""Random tokens handed to people (session, invitation, reset, API) and their hashes.

Only the SHA-256 of a token is stored: a leaked database does not let anyone
log in, accept an invitation or call the API.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
