"""Settings: production refuses to start without its secrets; nothing is hard-coded there."""

from decimal import Decimal

import pytest

from portal import create_app
from portal.config import ConfigurationError, Settings

PRODUCTION = {
    "RELAIS_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "sqlite://",
    "MAIL_SERVER": "smtp.example.com",
    "RELAIS_BASE_URL": "https://relais.example.com",
}


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "RELAIS_BASE_URL"]
)
def test_production_refuses_to_start_without_a_required_setting(missing):
    environ = {key: value for key, value in PRODUCTION.items() if key != missing}
    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(environ)


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env({**PRODUCTION, "SECRET_KEY": "too-short"})


def test_an_unknown_environment_is_refused():
    with pytest.raises(ConfigurationError):
        Settings.from_env({"RELAIS_ENV": "staging"})


def test_production_cookies_are_secure_and_hsts_is_sent(tmp_path):
    settings = Settings.from_env({**PRODUCTION, "RELAIS_INSTANCE_PATH": str(tmp_path)})
    app = create_app(settings)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    response = app.test_client().get("/login")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_falls_back_to_local_defaults(tmp_path):
    settings = Settings.from_env({"RELAIS_INSTANCE_PATH": str(tmp_path)})
    config = settings.flask_config(tmp_path)
    assert config["DATABASE_URL"].startswith("sqlite:///")
    assert config["SESSION_COOKIE_SECURE"] is False


def test_stripe_settings_are_read_from_the_environment(tmp_path):
    settings = Settings.from_env(
        {
            "RELAIS_INSTANCE_PATH": str(tmp_path),
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "STRIPE_APPLICATION_FEE_PERCENT": "1.5",
            "STRIPE_API_BASE": "http://127.0.0.1:12111",
        }
    )
    config = settings.flask_config(tmp_path)
    assert config["STRIPE_SECRET_KEY"] == "sk_test_x"
    assert config["STRIPE_WEBHOOK_SECRET"] == "whsec_x"
    assert config["STRIPE_APPLICATION_FEE_PERCENT"] == Decimal("1.5")
    assert config["STRIPE_API_BASE"] == "http://127.0.0.1:12111"


def test_without_stripe_keys_the_fee_defaults_to_zero(tmp_path):
    config = Settings.from_env({"RELAIS_INSTANCE_PATH": str(tmp_path)}).flask_config(tmp_path)
    assert config["STRIPE_SECRET_KEY"] == ""
    assert config["STRIPE_APPLICATION_FEE_PERCENT"] == Decimal(0)


@pytest.mark.parametrize("fee", ["-1", "100", "abc", "NaN", "1,5"])
def test_an_impossible_stripe_fee_is_refused(fee):
    with pytest.raises(ConfigurationError, match="STRIPE_APPLICATION_FEE_PERCENT"):
        Settings.from_env({"STRIPE_APPLICATION_FEE_PERCENT": fee})


def test_a_stripe_key_without_the_webhook_secret_is_refused():
    # Without the webhook, no Stripe payment would ever mark an invoice paid.
    with pytest.raises(ConfigurationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings.from_env({"STRIPE_SECRET_KEY": "sk_test_x"})


def test_production_talks_to_stripe_itself():
    with pytest.raises(ConfigurationError, match="STRIPE_API_BASE"):
        Settings.from_env({**PRODUCTION, "STRIPE_API_BASE": "http://127.0.0.1:12111"})
