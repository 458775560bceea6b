"""Shared test helpers for the accounts part."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.models import User, UserSession
from portal.tokens import token_hash

SIGNUP = {
    "full_name": "Camille Martin",
    "email": "Camille@Northwind.test",
    "password": "a long enough secret",
    "password_confirmation": "a long enough secret",
    "locale": "fr",
    "name": "Northwind Holdings",
    "kind": "client",
    "legal_name": "Northwind Holdings SAS",
    "country": "FR",
    "vat_number": "FR40303265045",
    "registration_number": "303265045",
    "address_line1": "1 rue de la Paix",
    "address_line2": "",
    "postal_code": "75002",
    "city": "Paris",
    "default_currency": "EUR",
}


def session_token(test_client) -> str | None:
    """The server-side session token the client's Flask session carries."""
    with test_client.session_transaction() as flask_session:
        return flask_session.get("_user_id")


def session_row(token: str) -> UserSession:
    return db.session.scalars(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).one()


def user_named(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def post_login(test_client, email: str, password: str, address: str = "10.0.0.1", **extra):
    return test_client.post(
        "/login" + extra.pop("query", ""),
        data={"email": email, "password": password, **extra},
        environ_base={"REMOTE_ADDR": address},
    )
