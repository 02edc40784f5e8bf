"""An owner connects Stripe in Settings (tests/stripe_server.py), watches the import, finds the data."""

import threading

import pytest
from django.core.handlers.wsgi import WSGIHandler
from playwright.sync_api import expect

from customers.models import Customer
from merchant_settings import tasks
from merchant_settings.importer import Importer
from merchant_settings.models import ImportRun
from merchants.models import Merchant
from tests.factories import MembershipFactory
from tests.stripe_server import StripeServer, history

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "sk_test_TellerBrowser00001"


@pytest.fixture
def stripe_server(settings):
    with StripeServer(account_name="Northwind Test Shop") as server:
        server.add_key(KEY)
        server.load(history(60, prefix="E"))
        server.state.delay = 0.05  # slow enough that the progress bar is seen moving
        settings.STRIPE_API_BASE = server.url
        yield server


@pytest.fixture
def background_worker(monkeypatch):
    """The import runs in a thread, as a Celery worker would run it, so the page can poll it meanwhile.

    The live server's test database is SQLite in shared-cache memory, which refuses (rather than waits for)
    concurrent table locks; so a request and one unit of the importer's work never run at the same time.
    """
    threads, lock = [], threading.RLock()

    def serialised(fn):
        def wrapper(*args, **kwargs):
            with lock:
                return fn(*args, **kwargs)

        return wrapper

    for name in ("claim", "still_mine", "page", "_finish", "_history_start"):
        monkeypatch.setattr(Importer, name, serialised(getattr(Importer, name)))
    monkeypatch.setattr(WSGIHandler, "__call__", serialised(WSGIHandler.__call__))

    def delay(run_id):
        run = ImportRun.objects.select_related("merchant").get(pk=run_id)
        thread = threading.Thread(target=Importer(run).execute, daemon=True)
        thread.start()
        threads.append(thread)

    monkeypatch.setattr(tasks.import_run, "delay", delay)
    yield threads
    for thread in threads:
        thread.join(60)


@pytest.fixture
def new_owner(db):
    merchant = Merchant.objects.create(name="Northwind Channels", slug="northwind-e2e")
    return MembershipFactory(merchant=merchant, role="OWNER", user__email="owner.e2e@example.com").user


def test_an_owner_connects_stripe_watches_the_import_and_finds_the_customers(
    page, sign_in, new_owner, stripe_server, background_worker, screenshot
):
    sign_in(new_owner)
    expect(page.locator("#not-connected")).to_be_visible()
    page.click("#not-connected a")
    expect(page.locator("#connect-cta")).to_be_visible()
    for width in (1440, 1024, 768):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"settings-stripe-not-connected-{width}")

    page.fill("input[name=key]", "sk_test_ThisKeyIsWrong0001")
    page.click("#stripe-connect-form button[type=submit]")
    expect(page.locator("#stripe-key-error")).to_contain_text("did not accept this key")
    expect(page.locator("input[name=key]")).to_have_value("")

    page.fill("input[name=key]", KEY)
    page.click("#stripe-connect-form button[type=submit]")
    expect(page.locator("#stripe-account")).to_contain_text("Northwind Test Shop")
    expect(page.locator("#stripe-account")).to_contain_text("acct_1TellerTest00001")
    (endpoint_id,) = stripe_server.state.webhook_endpoints
    expect(page.locator("#webhook-endpoint")).to_contain_text(endpoint_id)
    expect(page.locator("#import-progress progress").first).to_be_visible()
    page.set_viewport_size({"width": 1440, "height": 900})
    screenshot(page, "settings-stripe-importing-1440")

    expect(page.locator("#import-progress")).to_have_attribute("data-state", "SUCCEEDED", timeout=90_000)
    expect(page.locator("#import-state")).to_have_text("Finished")
    expect(page.locator("tr[data-type=CHARGE]")).to_have_attribute("data-step-state", "DONE")
    for width in (1440, 1024, 768):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"settings-stripe-connected-{width}")

    customer = Customer.objects.get(email="buyere5@example.org")
    page.goto(f"/customers/{customer.public_id}/")
    expect(page.locator("body")).to_contain_text("Buyer E5")
    expect(page.locator("body")).to_contain_text("€15.00")  # its subscription payment
    expect(page.locator("body")).to_contain_text("€9.00")  # its one-time purchase, partly refunded
    expect(page.locator("#not-connected")).to_have_count(0)


def test_business_settings_screenshots(page, sign_in, new_owner, screenshot):
    sign_in(new_owner)
    page.goto("/settings/business/")
    page.select_option("select[name=time_zone]", "Europe/Berlin")
    page.fill("input[name=support_credit_limit]", "75")
    page.click("#business-save")
    expect(page.locator(".flash-success")).to_contain_text("Saved")
    for width in (1440, 1024, 768):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"settings-business-{width}")
