"""Serve the portal for the browser journeys: fresh database, demo data, real server.

Started by tests/browser/conftest.py as a subprocess; prints READY once it listens.
"""

from __future__ import annotations

import argparse
from decimal import Decimal

from werkzeug.serving import make_server

from portal import create_app, db, migrations
from portal.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance-path", required=True)
    # Stripe, against the fake API the browser session runs (tests/billing/fake_stripe.py).
    parser.add_argument("--stripe-api-base", default="")
    parser.add_argument("--stripe-secret-key", default="")
    parser.add_argument("--stripe-webhook-secret", default="")
    parser.add_argument("--stripe-fee-percent", type=Decimal, default=Decimal(0))
    arguments = parser.parse_args()

    settings = Settings(
        ENV="development",
        DATABASE_URL=arguments.database_url,
        INSTANCE_PATH=arguments.instance_path,
        BASE_URL=f"http://127.0.0.1:{arguments.port}",
        STRIPE_API_BASE=arguments.stripe_api_base,
        STRIPE_SECRET_KEY=arguments.stripe_secret_key,
        STRIPE_WEBHOOK_SECRET=arguments.stripe_webhook_secret,
        STRIPE_APPLICATION_FEE_PERCENT=arguments.stripe_fee_percent,
    )
    app = create_app(settings)
    migrations.upgrade(app.extensions["relais_engine"])
    with app.app_context():
        from portal.demo import load_demo

        load_demo()
        db.session.commit()
    server = make_server("127.0.0.1", arguments.port, app, threaded=True)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
