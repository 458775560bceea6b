"""CLI groups: ``flask db …`` (migrations) and ``flask demo …`` (demo data)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import db, migrations

db_cli = AppGroup("db", help="Database migrations (Alembic).")
demo_cli = AppGroup("demo", help="Demo data for trying the portal.")


def _engine():
    return current_app.extensions["relais_engine"]


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrations.upgrade(_engine(), revision)
    click.echo(f"database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the difference between models and database."""
    migrations.revision(_engine(), message)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo organizations, users and records (idempotent)."""
    from portal.demo import load_demo

    created = load_demo()
    db.session.commit()
    click.echo("demo data loaded" if created else "demo data already present")


@demo_cli.command("logins")
def demo_logins() -> None:
    """Print the demo logins and API tokens."""
    from portal.demo import describe_logins

    click.echo(describe_logins())


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
