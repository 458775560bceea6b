"""The closed list of settings, read from the environment.

Development and tests get safe local defaults; production refuses to start
without its secrets instead of falling back to a value written here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

MEGABYTE = 1024 * 1024


class ConfigurationError(RuntimeError):
    """A setting that production needs is missing or invalid."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _decimal(name: str, value: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise ConfigurationError(f"{name} must be a number: {value}") from None
    if not number.is_finite():
        raise ConfigurationError(f"{name} must be a number: {value}")
    return number


@dataclass
class Settings:
    """Every setting the portal reads; nothing else is configurable."""

    ENV: str = "development"
    SECRET_KEY: str = ""
    DATABASE_URL: str = ""
    REDIS_URL: str = ""
    #: Where uploaded and generated files live (SQLite database, PDFs).
    INSTANCE_PATH: str = ""
    #: Public address used in e-mailed links; development falls back to the local server.
    BASE_URL: str = ""
    MAIL_SERVER: str = ""
    MAIL_PORT: int = 587
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: str = ""
    MAIL_USE_TLS: bool = True
    MAIL_DEFAULT_SENDER: str = "Relais <no-reply@relais.example>"
    #: Login attempts allowed per account and per address.
    LOGIN_RATE_LIMIT: str = "10 per 15 minutes"
    PASSWORD_RESET_MAX_AGE_MINUTES: int = 60
    INVITATION_MAX_AGE_DAYS: int = 7
    #: How long the link confirming a new e-mail address works.
    EMAIL_CHANGE_MAX_AGE_HOURS: int = 24
    #: A sensitive change (e-mail, role, payout account) needs a login this recent.
    FRESH_LOGIN_MINUTES: int = 15
    SESSION_LIFETIME_DAYS: int = 14
    #: How many reverse proxies in front of the portal set X-Forwarded-*; 0 trusts none.
    TRUSTED_PROXIES: int = 0
    #: The largest file a bid may attach, in megabytes; a request may be 1 MB larger.
    MAX_ATTACHMENT_MB: int = 10
    #: The platform's Stripe secret key; empty, the portal offers no Stripe payments.
    STRIPE_SECRET_KEY: str = ""
    #: The signing secret of the Stripe webhook endpoint (``whsec_…``).
    STRIPE_WEBHOOK_SECRET: str = ""
    #: The platform's fee on each Stripe payment, in percent of the amount (may be 0).
    STRIPE_APPLICATION_FEE_PERCENT: Decimal = Decimal(0)
    #: Where the Stripe API is reached; empty is Stripe itself (tests point it at a fake).
    STRIPE_API_BASE: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls(
            ENV=env.get("RELAIS_ENV", "development"),
            SECRET_KEY=env.get("SECRET_KEY", ""),
            DATABASE_URL=env.get("DATABASE_URL", ""),
            REDIS_URL=env.get("REDIS_URL", ""),
            INSTANCE_PATH=env.get("RELAIS_INSTANCE_PATH", ""),
            BASE_URL=env.get("RELAIS_BASE_URL", ""),
            MAIL_SERVER=env.get("MAIL_SERVER", ""),
            MAIL_PORT=int(env.get("MAIL_PORT", "587")),
            MAIL_USERNAME=env.get("MAIL_USERNAME", ""),
            MAIL_PASSWORD=env.get("MAIL_PASSWORD", ""),
            MAIL_USE_TLS=_bool(env.get("MAIL_USE_TLS"), True),
            MAIL_DEFAULT_SENDER=env.get("MAIL_DEFAULT_SENDER", cls.MAIL_DEFAULT_SENDER),
            TRUSTED_PROXIES=int(env.get("RELAIS_TRUSTED_PROXIES", "0")),
            MAX_ATTACHMENT_MB=int(env.get("RELAIS_MAX_ATTACHMENT_MB", "10")),
            STRIPE_SECRET_KEY=env.get("STRIPE_SECRET_KEY", ""),
            STRIPE_WEBHOOK_SECRET=env.get("STRIPE_WEBHOOK_SECRET", ""),
            STRIPE_APPLICATION_FEE_PERCENT=_decimal(
                "STRIPE_APPLICATION_FEE_PERCENT", env.get("STRIPE_APPLICATION_FEE_PERCENT", "0")
            ),
            STRIPE_API_BASE=env.get("STRIPE_API_BASE", ""),
        )
        settings.validate()
        return settings

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def validate(self) -> None:
        if self.ENV not in {"development", "test", "production"}:
            raise ConfigurationError(
                f"RELAIS_ENV must be development, test or production: {self.ENV}"
            )
        if self.MAX_ATTACHMENT_MB < 1:
            raise ConfigurationError("RELAIS_MAX_ATTACHMENT_MB must be at least 1")
        if not Decimal(0) <= self.STRIPE_APPLICATION_FEE_PERCENT < Decimal(100):
            raise ConfigurationError("STRIPE_APPLICATION_FEE_PERCENT must be from 0 to under 100")
        if self.STRIPE_SECRET_KEY and not self.STRIPE_WEBHOOK_SECRET:
            # Without the webhook, no Stripe payment would ever mark an invoice paid.
            raise ConfigurationError("STRIPE_SECRET_KEY needs STRIPE_WEBHOOK_SECRET")
        if self.is_production:
            missing = [
                name
                for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "RELAIS_BASE_URL")
                if not (getattr(self, name if name != "RELAIS_BASE_URL" else "BASE_URL"))
            ]
            if missing:
                raise ConfigurationError(f"production needs these settings: {', '.join(missing)}")
            if len(self.SECRET_KEY) < 32:
                raise ConfigurationError("SECRET_KEY must be at least 32 characters in production")
            if self.STRIPE_API_BASE:
                # The secret key goes to that address: in production, only to Stripe.
                raise ConfigurationError("STRIPE_API_BASE is for tests: production talks to Stripe")

    def flask_config(self, instance_path: Path) -> dict:
        """Translate the settings into Flask's and the extensions' keys."""
        secure = self.is_production
        database_url = self.DATABASE_URL or f"sqlite:///{instance_path / 'relais.sqlite3'}"
        secret = self.SECRET_KEY or "development-only-secret-not-for-production"
        return {
            "RELAIS_ENV": self.ENV,
            "SECRET_KEY": secret,
            "DATABASE_URL": database_url,
            "REDIS_URL": self.REDIS_URL,
            "BASE_URL": self.BASE_URL or "http://127.0.0.1:5000",
            "MAIL_SERVER": self.MAIL_SERVER,
            "MAIL_PORT": self.MAIL_PORT,
            "MAIL_USERNAME": self.MAIL_USERNAME,
            "MAIL_PASSWORD": self.MAIL_PASSWORD,
            "MAIL_USE_TLS": self.MAIL_USE_TLS,
            "MAIL_DEFAULT_SENDER": self.MAIL_DEFAULT_SENDER,
            "LOGIN_RATE_LIMIT": self.LOGIN_RATE_LIMIT,
            "TRUSTED_PROXIES": self.TRUSTED_PROXIES,
            "PASSWORD_RESET_MAX_AGE_MINUTES": self.PASSWORD_RESET_MAX_AGE_MINUTES,
            "INVITATION_MAX_AGE_DAYS": self.INVITATION_MAX_AGE_DAYS,
            "EMAIL_CHANGE_MAX_AGE_HOURS": self.EMAIL_CHANGE_MAX_AGE_HOURS,
            "FRESH_LOGIN_MINUTES": self.FRESH_LOGIN_MINUTES,
            "SESSION_COOKIE_SECURE": secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_DURATION_DAYS": self.SESSION_LIFETIME_DAYS,
            "PERMANENT_SESSION_LIFETIME_DAYS": self.SESSION_LIFETIME_DAYS,
            "WTF_CSRF_TIME_LIMIT": None,
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_DEFAULT_TIMEZONE": "UTC",
            "RATELIMIT_STORAGE_URI": self.REDIS_URL or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "MAX_ATTACHMENT_BYTES": self.MAX_ATTACHMENT_MB * MEGABYTE,
            "STRIPE_SECRET_KEY": self.STRIPE_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": self.STRIPE_WEBHOOK_SECRET,
            "STRIPE_APPLICATION_FEE_PERCENT": self.STRIPE_APPLICATION_FEE_PERCENT,
            "STRIPE_API_BASE": self.STRIPE_API_BASE,
            # The attachment plus the form around it; a larger request is refused unread (413).
            "MAX_CONTENT_LENGTH": (self.MAX_ATTACHMENT_MB + 1) * MEGABYTE,
            **self.extra,
        }
