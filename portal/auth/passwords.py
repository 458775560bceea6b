"""Password hashing with Argon2id (argon2-cffi's current recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()

#: Verified against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("relais-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


#: The shortest password accepted; length matters more than character classes.
MIN_PASSWORD_LENGTH = 10
#: Argon2 pre-hashes any length; the cap only stops absurd request bodies.
MAX_PASSWORD_LENGTH = 200


class WeakPasswordError(ValueError):
    """A password the policy refuses; the message says why, in the reader's language."""


def password_problem(password: str, email: str | None) -> str | None:
    """Why ``password`` is refused for the account ``email``, or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(count)s characters.", count=MAX_PASSWORD_LENGTH)
    if email and password.strip().lower() == email.strip().lower():
        return _("Your password must not be your e-mail address.")
    return None


def require_acceptable_password(password: str, email: str | None) -> None:
    problem = password_problem(password, email)
    if problem is not None:
        raise WeakPasswordError(problem)
