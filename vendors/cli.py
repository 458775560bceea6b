"""CLI commands of tendering: ``flask tenders close-due`` (run it from cron, every minute or so).

Loaded with the package's views and API (``portal.register_blueprints``
imports each package's ``cli`` module) and added to the application when the
blueprint is registered, so ``portal`` never imports ``vendors``.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal import db
from vendors import bp
from vendors.operations.tenders import close_due_tenders

tenders_cli = AppGroup("tenders", help="Tenders: the jobs that keep their status current.")


@tenders_cli.command("close-due")
def close_due() -> None:
    """Close the published tenders whose bid deadline has passed (a second run changes nothing)."""
    closed = close_due_tenders()
    db.session.commit()
    for tender in closed:
        click.echo(f"closed tender {tender.id}: {tender.title}")
    click.echo(f"{len(closed)} tender(s) closed")


@bp.record_once
def _register_commands(state) -> None:
    state.app.cli.add_command(tenders_cli)
