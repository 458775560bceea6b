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
"""

import os
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from psycopg import sql

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
        """The newest e-mail the portal sent to ``address``, as text."""
        mails = sorted((self.instance_path / "mail").glob("*.eml"))
        for path in reversed(mails):
            text = path.read_text()
            if f"To: {address}" in text:
                return text
        raise AssertionError(f"no e-mail to {address} in {self.instance_path / 'mail'}")


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
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
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
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
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
