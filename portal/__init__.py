"""The Relais portal: the application factory and the shared machinery."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from portal.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    instance_path = Path(settings.INSTANCE_PATH or ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.flask_config(instance_path))
    register_logging(app)
    register_extensions(app)
    register_database(app)
    register_request_context(app)
    register_security_headers(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    # Alembic narrates every plugin it loads at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from portal.extensions import babel, csrf, limiter, login_manager
    from portal.i18n import select_locale, select_timezone

    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "translations"),
    )
    login_manager.init_app(app)


def register_database(app: Flask) -> None:
    from portal import db

    db.init_app(app)


def register_request_context(app: Flask) -> None:
    from portal.context import init_app

    init_app(app)


def register_security_headers(app: Flask) -> None:
    from portal.headers import init_app

    init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal.api import bp as api_bp
    from portal.api.tokens import tokens_bp as api_tokens_bp
    from portal.audit_log import bp as audit_log_bp
    from portal.auth import bp as auth_bp
    from portal.dashboard import bp as dashboard_bp
    from portal.functions import bp as functions_bp
    from portal.notifications import bp as notifications_bp
    from portal.organizations import bp as organizations_bp

    app.register_blueprint(dashboard_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(functions_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(audit_log_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def register_error_handlers(app: Flask) -> None:
    from portal.errors import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from portal.i18n import init_template_helpers

    init_template_helpers(app)


def register_commands(app: Flask) -> None:
    from portal.cli import init_app

    init_app(app)
