"""Shared harness for the browser journeys in tests/browser.

A journey drives the portal the way a person does: a real Chromium (the system
one at /usr/bin/chromium, headless) against a live server.

The server runs in a *subprocess* (`python -m tests.browser.serve`), not in the
test process, on purpose:

- it is the app's real server with its real request handling, sessions and
  static files, not the test client;
- it uses a real database of its own, migrated from scratch and loaded with the
  demo data, committed like in production (the in-process tests roll every
  test back in a transaction, which a browser in another process could never
  see);
- it shares no state with the in-process tests (app object, session, config),
  so neither can leak into the other, and each xdist worker gets its own.

Stripe is configured on it, talking to a fake Stripe API that the session runs
in this process (tests/billing/fake_stripe.py, with Stripe's hosted pages):
the ``stripe_api`` fixture gives it to a journey that pays through Stripe.
"""

import email
import email.policy
import os
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from psycopg import sql

from tests.billing.fake_stripe import FEE_PERCENT, SECRET_KEY, WEBHOOK_SECRET, FakeStripe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
    "--disable-gpu",
    # Keep the browser quiet: no calls home, no updates, nothing but the portal.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

SERVER_START_TIMEOUT = 60  # seconds to wait for the server to print READY
PAGE_TIMEOUT = 10_000  # milliseconds, for every Playwright action and wait


# --- Markers and reports ---------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser as `browser` (`-m "not browser"` skips them)."""
    # This hook receives the whole session's items, not only this directory's.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the item, so fixtures can tell if the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- Live server ---------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    database_url: str
    #: The server's instance folder; development mail lands in its mail/ folder.
    instance_path: Path

    def last_mail_to(self, address: str) -> str:
        """The body of the newest e-mail the portal sent to ``address``, decoded to text.

        The server writes each message after the request's commit and before the
        response leaves, so the mail of a request the browser saw answered is
        already on disk. Bodies may be quoted-printable or base64 (non-ASCII
        names, long lines): parse the message rather than search its raw bytes.
        """
        folder = self.instance_path / "mail"
        wanted = address.strip().lower()
        # File names start with a microsecond UTC stamp: name order is sending order.
        for path in sorted(folder.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            recipients = {recipient.addr_spec.lower() for recipient in message["To"].addresses}
            if wanted in recipients:
                return message.get_body(preferencelist=("plain",)).get_content()
        raise AssertionError(f"no e-mail to {address} in {folder}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_postgres_database() -> tuple[str, str]:
    name = f"relais_browser_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, POSTGRES_URL.format(name=name)


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _python() -> str:
    venv_python = ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


class _ServerOutput:
    """Read the server's output in a thread: signal READY, keep the last lines.

    Reading must go on for the server's whole life, or a full pipe would block it.
    """

    def __init__(self, stream) -> None:
        self.ready: queue.Queue[bool] = queue.Queue()
        self.tail: deque[str] = deque(maxlen=50)
        self._stream = stream
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.tail.append(line.rstrip("\n"))
            if line.strip() == "READY":
                self.ready.put(True)
        self.ready.put(False)  # the server exited

    def wait_until_ready(self, timeout: float) -> bool:
        try:
            return self.ready.get(timeout=timeout)
        except queue.Empty:
            return False

    def close(self) -> None:
        """Once the server has exited: let the reader reach the end, then close the pipe."""
        self._thread.join(timeout=5)
        self._stream.close()


@pytest.fixture(scope="session")
def stripe_api() -> Iterator[FakeStripe]:
    """The fake Stripe API (and Stripe's hosted pages) the live server talks to."""
    fake = FakeStripe(hosted=True)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, stripe_api: FakeStripe
) -> Iterator[LiveServer]:
    """Serve the portal from a subprocess on a fresh database with the demo data."""
    postgres_name = None
    if os.environ.get("RELAIS_TEST_DATABASE") == "postgresql":
        postgres_name, database_url = _create_postgres_database()
    else:
        database_file = tmp_path_factory.mktemp("browser-db") / "relais.sqlite"
        database_url = f"sqlite:///{database_file}"

    port = _free_port()
    instance_path = tmp_path_factory.mktemp("browser-instance")
    command = [_python(), "-m", "tests.browser.serve"]
    command += ["--port", str(port), "--database-url", database_url]
    command += ["--instance-path", str(instance_path)]
    command += ["--stripe-api-base", stripe_api.url, "--stripe-secret-key", SECRET_KEY]
    command += ["--stripe-webhook-secret", WEBHOOK_SECRET, "--stripe-fee-percent", str(FEE_PERCENT)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = _ServerOutput(process.stdout)
    try:
        if not output.wait_until_ready(SERVER_START_TIMEOUT):
            log = "\n".join(output.tail)
            status = "exited" if process.poll() is not None else "timed out"
            pytest.fail(f"live server {status} before printing READY:\n{log}")
        yield LiveServer(
            url=f"http://127.0.0.1:{port}", database_url=database_url, instance_path=instance_path
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
        if postgres_name:
            _drop_postgres_database(postgres_name)


# --- Browser and page ----------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            # Playwright turns the back/forward cache off; people's browsers have it
            # on, and it decides what the Back button shows after logging out.
            ignore_default_args=["--disable-back-forward-cache"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context per test (no cookies carried over), on the live server.

    Relative URLs resolve against the server: `page.goto("/login")`.
    A failed test leaves a full-page screenshot in test-artifacts/screenshots/.
    """
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Paris"
    )
    context.set_default_timeout(PAGE_TIMEOUT)
    page = context.new_page()
    yield page
    try:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    finally:
        context.close()


# --- People ----------------------------------------------------------------------

#: The password of every demo account (portal/demo.py).
DEMO_PASSWORD = "relais-demo-2026"


@dataclass(frozen=True)
class Client:
    """A person who signed up, with the client organization they created."""

    full_name: str
    email: str
    password: str
    organization: str


def unique_email(who: str) -> str:
    """An address no other test (nor a rerun on the same server) uses."""
    return f"{who}-{uuid.uuid4().hex[:12]}@example.test"


def fill_signup_form(page: Page, client: Client, *, confirmation: str | None = None) -> None:
    """Fill /signup: the person, then a French client organization's legal identity."""
    page.get_by_label("Full name").fill(client.full_name)
    page.get_by_label("E-mail").fill(client.email)
    page.get_by_label("Password", exact=True).fill(client.password)
    page.get_by_label("Confirm the password").fill(
        client.password if confirmation is None else confirmation
    )
    page.get_by_label("Organization name").fill(client.organization)
    page.get_by_label("A client: we put back-office work out to providers").check()
    page.get_by_label("Legal name").fill(f"{client.organization} SAS")
    page.get_by_label("Country").select_option(label="France")
    page.get_by_label("VAT number").fill("FR40303265045")
    page.get_by_label("Company registration number").fill("303265045")
    page.get_by_label("Address", exact=True).fill("12 rue de la Chaussée d'Antin")
    page.get_by_label("Postal code").fill("75009")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("Default currency").select_option("EUR")


def sign_up_client(page: Page, who: str = "client") -> Client:
    """Sign up through /signup; the browser is then logged in, on the new organization."""
    suffix = uuid.uuid4().hex[:8]
    client = Client(
        full_name="Hélène Rousseau",
        email=unique_email(who),
        password="correct horse battery staple",
        organization=f"Rousseau Industrie {suffix}",
    )
    page.goto("/signup")
    fill_signup_form(page, client)
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("current-organization")).to_have_text(client.organization)
    return client


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
