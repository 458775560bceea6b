"""The Relais portal: the application factory and the shared machinery."""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

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
    if app.config["TRUSTED_PROXIES"]:
        # Behind a proxy, rate limits and session records need the client's
        # address, not the proxy's; only the configured number of hops is trusted.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_logging(app)
    register_extensions(app)
    register_database(app)
    register_input_checks(app)
    register_request_context(app)
    register_security_headers(app)
    register_url_converters(app)
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
    # WeasyPrint and fontTools narrate each step of every PDF at INFO.
    for noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from portal.extensions import babel, csrf, limiter, login_manager
    from portal.i18n import select_locale, select_timezone

    # CSRF is checked in a before-request step of our own so that the API (bearer
    # tokens, no cookies) is exempt by path, matched route or not: an unknown
    # API URL answers 404, not a CSRF error. A webhook (``portal.security.webhook``)
    # checks its caller's signature instead.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def _check_csrf() -> None:
        if not app.config["WTF_CSRF_ENABLED"] or request.path.startswith("/api/"):
            return
        if getattr(app.view_functions.get(request.endpoint or ""), "webhook", False):
            return
        csrf.protect()

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


def register_input_checks(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_characters() -> None:
        # PostgreSQL cannot store or compare text holding U+0000, and no one
        # types it: a form or query string carrying one is a bad request, not
        # a server error (SQLite would even store it).
        values = [*request.args.items(multi=True), *request.form.items(multi=True)]
        if any("\x00" in key or "\x00" in value for key, value in values):
            abort(400)


def register_request_context(app: Flask) -> None:
    from portal.context import init_app

    init_app(app)


def register_security_headers(app: Flask) -> None:
    from portal.headers import init_app

    init_app(app)


def register_url_converters(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    from portal.db import MAX_ID

    class RecordIdConverter(IntegerConverter):
        """``<int:…>`` that does not match past what an id column holds.

        ``/functions/99999999999999999999`` is then a plain 404, instead of an
        integer the database refuses (a 500 on PostgreSQL and SQLite alike).
        """

        #: At most as many digits as MAX_ID: a longer number does not even match
        #: the path, so werkzeug never weighs it against another method's rule
        #: on the same path (which would answer 405 instead of 404).
        regex = rf"\d{{1,{len(str(MAX_ID))}}}"

        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", MAX_ID)
            super().__init__(map, *args, **kwargs)

    # Before the blueprints: each rule takes its converters when it is added.
    app.url_map.converters["int"] = RecordIdConverter


#: Packages with a blueprint ``bp``; their ``views`` and ``api`` modules attach
#: routes when imported (and a ``cli`` module, its commands). Importing them here
#: rather than at the bottom of each ``__init__`` keeps the packages free of
#: import cycles.
BLUEPRINT_PACKAGES = (
    "portal.dashboard",
    "portal.auth",
    "portal.organizations",
    "portal.functions",
    "portal.notifications",
    "portal.audit_log",
    "vendors",
    "contracts",
    "billing",
)


def register_blueprints(app: Flask) -> None:
    for package in BLUEPRINT_PACKAGES:
        for part in ("views", "api", "cli"):
            if find_spec(f"{package}.{part}") is not None:
                import_module(f"{package}.{part}")
        app.register_blueprint(import_module(package).bp)
    # The API blueprint last: every package's api module has added its routes by now.
    import_module("portal.api.auth")  # the bearer-token hooks
    import_module("portal.api.views")
    from portal.api import bp as api_bp
    from portal.api.tokens import tokens_bp

    app.register_blueprint(tokens_bp)
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
