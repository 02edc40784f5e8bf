"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Screenshots land in artifacts/screenshots/<name>.png (CI keeps the folder as an artifact).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class SerialWSGIServer(WSGIServer):
    """The live server answering one request at a time. On the embedded SQLite test database every thread of
    the threaded server shares one in-memory connection, so two requests at once (a modal's "What will happen"
    box loading while the test submits the form) fail with "database table is locked", a failure of the test
    setup that no deployment has (PostgreSQL, or a SQLite file with WAL). PostgreSQL keeps the threaded
    server: there, requests at once are what the tests should see."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)  # LiveServerThread.run() installs the shared connection itself


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = SerialWSGIServer


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.set_default_navigation_timeout(30_000)
    yield page
    try:  # let the server finish what the page asked for before the test database is flushed
        page.wait_for_load_state("networkidle", timeout=5_000)
    except Exception:  # noqa: BLE001 - a page still busy after 5 s is closed anyway
        pass
    context.close()


@pytest.fixture
def sign_in(page):
    """sign_in(user) signs in through the real login form and returns the page."""

    def _sign_in(user, password=PASSWORD):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", password)
        page.click("#sign-in")
        page.wait_for_load_state("networkidle")
        return page

    return _sign_in


@pytest.fixture
def screenshot():
    """screenshot(page, "customers-list") saves a full-page PNG and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name, full_page=True):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return _shot
