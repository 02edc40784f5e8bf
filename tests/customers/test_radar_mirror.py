"""The Radar mirror, tested against a recording of the Stripe SDK's HTTP requests.

localstripe has no Radar, so a stripe.HTTPClient subclass stands in for the network: StripeProvider's real SDK
code builds every request, the recorder keeps method, path and parameters, and answers with Stripe's own
Radar objects in Stripe's shapes (tests/stripe_shapes.py: radar.value_list, radar.value_list_item).
"""

import itertools
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.utils import timezone

from customers.models import BlockEvent, Identifier
from customers.services import identifier_block, identifier_radar_retry, identifier_unblock
from merchants.models import Merchant
from tests import factories, stripe_shapes

pytestmark = pytest.mark.django_db
NOW = timezone.now()
FRAUD = BlockEvent.Reason.FRAUD


class RecordingStripeHTTP(stripe.HTTPClient):
    """Records every request the SDK makes and answers like Stripe's Radar API."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.requests: list[tuple[str, str, dict]] = []
        self.lists: dict[str, dict] = {}  # alias -> value list
        self.fail_with: tuple[int, dict] | None = None  # (status, error body) for every request
        self.missing_items: set[str] = set()
        self._ids = itertools.count(1)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query)) | dict(parse_qsl(post_data or ""))
        self.requests.append((method.upper(), parts.path, params))
        if self.fail_with:
            status, body = self.fail_with
            return json.dumps(body), status, {"stripe-should-retry": "false"}
        status, body = self._answer(method.upper(), parts.path, params)
        return json.dumps(body), status, {"request-id": "req_recorded"}

    def _answer(self, method, path, params):
        if (method, path) == ("GET", "/v1/radar/value_lists"):
            found = [vl for alias, vl in self.lists.items() if alias == params.get("alias")]
            return 200, {"object": "list", "data": found, "has_more": False, "url": path}
        if (method, path) == ("POST", "/v1/radar/value_lists"):
            value_list = stripe_shapes.obj("radar.value_list")
            value_list.update(
                id=f"rsl_rec{next(self._ids)}",
                alias=params["alias"],
                name=params["name"],
                item_type=params["item_type"],
            )
            self.lists[params["alias"]] = value_list
            return 200, value_list
        if (method, path) == ("POST", "/v1/radar/value_list_items"):
            item = stripe_shapes.obj("radar.value_list_item")
            item.update(
                id=f"rsli_rec{next(self._ids)}", value=params["value"], value_list=params["value_list"]
            )
            return 200, item
        if method == "DELETE" and path.startswith("/v1/radar/value_list_items/"):
            item_id = path.rsplit("/", 1)[1]
            if item_id in self.missing_items:
                return 404, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": f"No such radar.value_list_item: '{item_id}'",
                    }
                }
            return 200, stripe_shapes.obj("deleted_radar.value_list_item", id=item_id)
        unknown = f"Unrecorded route {method} {path}"
        return 404, {"error": {"type": "invalid_request_error", "message": unknown}}

    def close(self):
        pass

    def writes(self):
        return [(m, p, params) for m, p, params in self.requests if m != "GET"]


@pytest.fixture
def stripe_http(monkeypatch):
    recorder = RecordingStripeHTTP()
    # StripeProvider builds its client with stripe.new_default_http_client: the SDK seam we replace.
    monkeypatch.setattr(stripe, "new_default_http_client", lambda *args, **kwargs: recorder)
    return recorder


@pytest.fixture
def stripe_merchant(merchant, settings):
    settings.STRIPE_API_BASE = "https://api.stripe.test"
    merchant.provider = Merchant.Provider.STRIPE
    merchant.stripe_secret_key = "sk_test_recorded"
    merchant.save()
    return merchant


@pytest.fixture
def customer(stripe_merchant):
    return factories.CustomerFactory(merchant=stripe_merchant)


def link(customer, **kwargs):
    identifier = factories.IdentifierFactory(merchant=customer.merchant, **kwargs)
    factories.CustomerIdentifierFactory(customer=customer, identifier=identifier)
    return identifier


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the task enqueue) when the block's transaction ends; Celery is eager."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_blocking_a_card_adds_its_fingerprint_to_the_teller_card_list(
    owner, customer, stripe_http, on_commit
):
    card = link(customer, value="fp_Jq0QmYzUe8hBT7sd")

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    assert stripe_http.requests == [
        ("GET", "/v1/radar/value_lists", {"alias": "teller_blocked_card_fingerprints", "limit": "1"}),
        (
            "POST",
            "/v1/radar/value_lists",
            {
                "alias": "teller_blocked_card_fingerprints",
                "name": "Teller: blocked cards",
                "item_type": "card_fingerprint",
            },
        ),
        ("POST", "/v1/radar/value_list_items", {"value_list": "rsl_rec1", "value": "fp_Jq0QmYzUe8hBT7sd"}),
    ]
    card.refresh_from_db()
    assert (card.radar_status, card.radar_item_id, card.radar_error) == ("SYNCED", "rsli_rec2", "")


def test_the_status_is_pending_until_the_task_has_run(
    owner, customer, stripe_http, django_capture_on_commit_callbacks
):
    card = link(customer)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    card.refresh_from_db()
    assert card.radar_status == "PENDING" and stripe_http.requests == [] and len(callbacks) == 1


def test_an_existing_list_is_reused(owner, customer, stripe_http, on_commit):
    first, second = link(customer), link(customer)

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=first, reason=FRAUD)
    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=second, reason=FRAUD)

    creates = [r for r in stripe_http.writes() if r[1] == "/v1/radar/value_lists"]
    assert len(creates) == 1


@pytest.mark.parametrize(
    ("trait", "alias", "value"),
    [
        ("email", "teller_blocked_emails", "jane@example.org"),
        ("customer_id", "teller_blocked_customer_ids", "cus_NffrFeUfNV2Hib"),
    ],
)
def test_emails_and_customer_ids_go_to_their_own_lists(
    owner, customer, stripe_http, on_commit, trait, alias, value
):
    detail = link(customer, value=value, **{trait: True})

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=detail, reason=FRAUD)

    assert stripe_http.requests[0][2]["alias"] == alias
    expected = {"value_list": "rsl_rec1", "value": value}
    assert stripe_http.writes()[-1] == ("POST", "/v1/radar/value_list_items", expected)


def test_unblocking_removes_the_radar_item(owner, customer, stripe_http, on_commit):
    card = link(customer, blocked=True, radar_status="SYNCED", radar_item_id="rsli_1Pgc6xB7WZ01zgkWS2KbiAtC")

    with on_commit():
        identifier_unblock(actor=owner, now=NOW, identifier=card)

    path = "/v1/radar/value_list_items/rsli_1Pgc6xB7WZ01zgkWS2KbiAtC"
    assert stripe_http.requests == [("DELETE", path, {})]
    card.refresh_from_db()
    assert (card.radar_status, card.radar_item_id) == ("SYNCED", "")


def test_an_item_already_gone_from_radar_counts_as_removed(owner, customer, stripe_http, on_commit):
    card = link(customer, blocked=True, radar_status="SYNCED", radar_item_id="rsli_gone")
    stripe_http.missing_items.add("rsli_gone")

    with on_commit():
        identifier_unblock(actor=owner, now=NOW, identifier=card)

    card.refresh_from_db()
    assert (card.radar_status, card.radar_item_id) == ("SYNCED", "")


def test_bank_accounts_are_not_mirrored(owner, customer, stripe_http, on_commit):
    iban = link(customer, sepa=True)

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=iban, reason=FRAUD)

    iban.refresh_from_db()
    assert iban.is_blocked and iban.radar_status == "NONE" and stripe_http.requests == []


def test_a_refusal_marks_the_detail_failed_and_a_retry_syncs_it(owner, customer, stripe_http, on_commit):
    card = link(customer)
    stripe_http.fail_with = (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "parameter_invalid",
                "message": "Invalid value for card_fingerprint.",
            }
        },
    )

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    card.refresh_from_db()
    assert card.is_blocked and card.radar_status == "FAILED"
    assert "Invalid value" in card.radar_error

    stripe_http.fail_with = None
    with on_commit():
        identifier_radar_retry(actor=owner, now=NOW, identifier=card)

    card.refresh_from_db()
    assert (card.radar_status, card.radar_error) == ("SYNCED", "") and card.radar_item_id.startswith("rsli_")


def test_stripe_being_down_is_retried_then_marked_failed(owner, customer, stripe_http, on_commit):
    card = link(customer)
    stripe_http.fail_with = (500, {"error": {"type": "api_error", "message": "Something went wrong."}})

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    card.refresh_from_db()
    assert card.radar_status == "FAILED" and "server error" in card.radar_error
    from customers.tasks import MAX_RETRIES

    assert len(stripe_http.requests) == MAX_RETRIES + 1  # the first attempt and every retry


def test_a_sandbox_merchant_without_block_lists_stays_not_mirrored(owner, merchant, monkeypatch, on_commit):
    monkeypatch.setattr("customers.tasks.get_provider", lambda m: object())
    card = link(factories.CustomerFactory(merchant=merchant))

    with on_commit():
        identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)

    assert Identifier.objects.get(pk=card.pk).radar_status == "NONE"


def test_a_sync_waits_while_another_sync_of_the_same_detail_runs(owner, customer, stripe_http, on_commit):
    from django.core.cache import cache

    card = link(customer)
    cache.add(f"customers:radar-sync:{card.pk}", "another-worker", 60)
    try:
        with on_commit():
            identifier_block(actor=owner, now=NOW, identifier=card, reason=FRAUD)
    finally:
        cache.delete(f"customers:radar-sync:{card.pk}")

    card.refresh_from_db()
    assert stripe_http.requests == [] and card.radar_status == "PENDING"  # retried later, never doubled
