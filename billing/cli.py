"""CLI commands of billing: ``flask billing run-due`` (run it from cron, daily).

Loaded with the package's views and API (``portal.register_blueprints``
imports each package's ``cli`` module) and added to the application when the
blueprint is registered, so ``portal`` never imports ``billing``.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from billing import bp
from billing.operations.overdue import notify_overdue_invoices
from portal import db
from portal.db import utcnow

billing_cli = AppGroup("billing", help="Billing: the jobs that keep invoices current.")


@billing_cli.command("run-due")
def run_due() -> None:
    """Tell both parties of each newly overdue invoice, once (safe to run twice)."""
    told = notify_overdue_invoices(utcnow())
    db.session.commit()
    click.echo(f"{told} overdue invoice(s) notified")


@bp.record_once
def _register_commands(state) -> None:
    state.app.cli.add_command(billing_cli)
