"""CLI commands of contracts: ``flask contracts run-due`` (run it from cron, daily or hourly).

Loaded with the package's views and API (``portal.register_blueprints``
imports each package's ``cli`` module) and added to the application when the
blueprint is registered, so ``portal`` never imports ``contracts``.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from contracts import bp
from contracts.operations.contracts import expire_due_contracts
from contracts.operations.reports import chase_missing_reports
from portal import db
from portal.db import utcnow

contracts_cli = AppGroup("contracts", help="Contracts: the jobs that keep them current.")


@contracts_cli.command("run-due")
def run_due() -> None:
    """Expire contracts past their last day, then chase missing reports (safe to run twice)."""
    now = utcnow()
    expired = expire_due_contracts(now)
    db.session.commit()
    click.echo(f"{expired} contract(s) expired")
    chased = chase_missing_reports(now.date())
    db.session.commit()
    click.echo(f"{chased} missing report(s) chased")


@bp.record_once
def _register_commands(state) -> None:
    state.app.cli.add_command(contracts_cli)
