"""The "Manage customer details" modal: GET, POST, permissions, tenant isolation, bad input."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from customers.models import BlockEvent, Customer, Identifier
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


@pytest.fixture
def customer(merchant):
    return factories.CustomerFactory(merchant=merchant, name="Jane Roe")


def link(customer, **kwargs):
    kwargs.setdefault("merchant", customer.merchant)
    identifier = factories.IdentifierFactory(**kwargs)
    factories.CustomerIdentifierFactory(customer=customer, identifier=identifier)
    return identifier


def url(customer):
    return reverse("customers:identifiers-manage", args=[customer.public_id])


def post(client, customer, details, *, blocked=(), headers=HX, **extra):
    """What the modal posts: every shown id, those blocked when it opened, the switches that are on."""
    data = {
        "shown": [d.pk for d in details],
        "was_blocked": [d.pk for d in details if d.is_blocked],
        "blocked": [d.pk for d in blocked],
        **extra,
    }
    return client.post(url(customer), data, headers=headers)


def test_the_modal_lists_every_detail_with_a_switch_and_the_shared_customers(
    owner_client, merchant, customer
):
    card = link(customer, display="Visa •••• 4242, 04/28")
    link(customer, email=True, value="jane@example.org")
    link(customer, sepa=True)
    link(customer, customer_id=True, value="cus_JANE")
    twin = factories.CustomerFactory(merchant=merchant, name="Twin Buyer")
    factories.CustomerIdentifierFactory(customer=twin, identifier=card)

    response = owner_client.get(url(customer), headers=HX)

    html = response.text
    assert response.status_code == 200
    assert html.count('class="switch"') == 4
    for text in (
        "Visa •••• 4242, 04/28",
        "jane@example.org",
        "SEPA DE •••• 3000",
        "cus_JANE",
        "Block all",
        "Unblock all",
        "Also cancel live subscriptions now",
        "Fraud",
        "Chargeback abuse",
    ):
        assert text in html
    assert "Also used by 1 other customer" in html
    assert reverse("customers:detail", args=[twin.public_id]) in html
    assert "<html" not in html  # a fragment for #modal


def test_without_htmx_the_modal_is_a_full_page(owner_client, customer):
    link(customer)

    response = owner_client.get(url(customer))

    assert "<html" in response.text and "Manage customer details" in response.text


def test_the_modal_reads_a_fixed_number_of_queries(owner_client, merchant, customer):
    def add_shared_blocked_card():
        card = link(customer)
        for _ in range(3):
            factories.CustomerIdentifierFactory(customer__merchant=merchant, identifier=card)
        factories.BlockEventFactory(identifier=card)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url(customer), headers=HX).status_code == 200
        return len(captured)

    add_shared_blocked_card()
    queries()  # warm the session
    with_one = queries()
    for _ in range(4):
        add_shared_blocked_card()

    assert queries() == with_one <= 12


def test_saving_blocks_the_switched_detail_and_triggers_the_refresh_events(owner_client, customer):
    card, email = link(customer), link(customer, email=True)

    response = post(owner_client, customer, [card, email], blocked=[card], reason="FRAUD")

    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert {"customer:identifiers-changed", "customer:changed", "teller:close-modal"} <= set(trigger)
    assert "1 blocked" in trigger["teller:toast"]["message"]
    card.refresh_from_db()
    email.refresh_from_db()
    assert card.is_blocked and not email.is_blocked
    assert BlockEvent.objects.get().reason == "FRAUD"


def test_saving_without_js_redirects_to_the_info_tab(owner_client, customer):
    card = link(customer)

    response = post(owner_client, customer, [card], blocked=[card], headers={})

    assert response.status_code == 302
    assert response["Location"].endswith(f"/{customer.public_id}/?tab=info")


def test_a_detail_blocked_by_someone_else_meanwhile_is_not_reverted(owner_client, customer):
    card, email = link(customer), link(customer, email=True)
    shown_state = [card, email]  # both active when the modal opened
    Identifier.objects.filter(pk=email.pk).update(is_blocked=True)  # another agent blocks the email

    post(owner_client, customer, shown_state, blocked=[card])

    assert Identifier.objects.get(pk=email.pk).is_blocked


def test_block_all_blocks_every_detail_and_the_customer(support_client, customer):
    link(customer)
    link(customer, customer_id=True, value=customer.provider_customer_id)

    response = post(support_client, customer, [], action="block_all", reason="CHARGEBACK_ABUSE")

    assert response.status_code == 204
    assert Identifier.objects.filter(is_blocked=True).count() == 2
    assert Customer.objects.get(pk=customer.pk).is_blocked


def test_unblock_all_unblocks_every_detail(manager_client, customer):
    link(customer, blocked=True)
    link(customer, email=True, blocked=True)

    response = post(manager_client, customer, [], action="unblock_all")

    assert response.status_code == 204
    assert not Identifier.objects.filter(is_blocked=True).exists()


def test_a_support_agent_sees_the_unblock_switches_locked(support_client, customer):
    link(customer, blocked=True)
    link(customer)

    html = support_client.get(url(customer), headers=HX).text

    assert "Unblocking needs a manager or the owner" in html
    assert html.count(" disabled>") == 1
    assert "Unblock all" not in html


def test_the_server_refuses_an_unblock_by_a_support_agent(support_client, customer):
    card = link(customer, blocked=True)

    response = post(support_client, customer, [card], blocked=[])

    assert response.status_code == 403
    assert Identifier.objects.get(pk=card.pk).is_blocked
    assert not BlockEvent.objects.exists()


def test_the_server_refuses_unblock_all_by_a_support_agent(support_client, customer):
    link(customer, blocked=True)

    response = post(support_client, customer, [], action="unblock_all")

    assert response.status_code == 403
    assert Identifier.objects.filter(is_blocked=True).count() == 1


def test_a_support_agent_may_block_with_the_locked_switches_posted_as_they_were(support_client, customer):
    blocked_card, card = link(customer, blocked=True), link(customer)

    # The locked switch is posted through its hidden input, so it reads as "still blocked".
    response = post(support_client, customer, [blocked_card, card], blocked=[blocked_card, card])

    assert response.status_code == 204
    assert Identifier.objects.filter(is_blocked=True).count() == 2


def test_another_merchants_user_gets_404(other_client, customer):
    card = link(customer)

    assert other_client.get(url(customer), headers=HX).status_code == 404
    assert post(other_client, customer, [card], blocked=[card]).status_code == 404
    assert not Identifier.objects.get(pk=card.pk).is_blocked


@pytest.mark.parametrize("bad", ["another customer's", "another merchant's", "unknown", "not a number"])
def test_ids_that_are_not_this_customers_details_are_a_form_error(
    owner_client, merchant, other_merchant, customer, bad
):
    card = link(customer)
    bad_id = {
        "another customer's": lambda: link(factories.CustomerFactory(merchant=merchant)).pk,
        "another merchant's": lambda: link(factories.CustomerFactory(merchant=other_merchant)).pk,
        "unknown": lambda: 987654,
        "not a number": lambda: "x",
    }[bad]()

    response = owner_client.post(
        url(customer), {"shown": [card.pk, bad_id], "blocked": [card.pk, bad_id]}, headers=HX
    )

    assert response.status_code == 200
    assert "errorlist" in response.text or "alert-danger" in response.text
    assert not Identifier.objects.filter(is_blocked=True).exists()
    assert not BlockEvent.objects.exists() and not AuditEvent.objects.exists()


def test_reason_other_without_text_is_a_form_error(owner_client, customer):
    card = link(customer)

    response = post(owner_client, customer, [card], blocked=[card], reason="OTHER", reason_text=" ")

    assert response.status_code == 200
    assert "Describe the reason" in response.text
    assert not Identifier.objects.get(pk=card.pk).is_blocked
    assert "checked" in response.text  # the switch keeps the user's choice


def test_a_too_long_reason_text_is_a_form_error(owner_client, customer):
    card = link(customer)

    response = post(owner_client, customer, [card], blocked=[card], reason="OTHER", reason_text="x" * 501)

    assert response.status_code == 200
    assert not BlockEvent.objects.exists()


def test_an_unknown_reason_is_a_form_error(owner_client, customer):
    card = link(customer)

    response = post(owner_client, customer, [card], blocked=[card], reason="BORED")

    assert response.status_code == 200
    assert not BlockEvent.objects.exists()


def test_the_modal_shows_the_radar_state_and_retries_a_failed_one(owner_client, customer, monkeypatch):
    synced = link(customer, blocked=True, radar_status="SYNCED")
    failed = link(customer, email=True, blocked=True, radar_status="FAILED", radar_error="No such list")
    queued = []
    monkeypatch.setattr("customers.tasks.radar_sync_identifier.delay", queued.append)

    html = owner_client.get(url(customer), headers=HX).text
    assert "Radar: synced" in html and "Radar: failed" in html

    with pytest.MonkeyPatch.context():
        response = owner_client.post(url(customer), {"radar_retry": failed.pk}, headers=HX)

    assert response.status_code == 204
    failed.refresh_from_db()
    assert failed.radar_status == "PENDING"
    assert synced.pk not in queued


def test_a_get_is_allowed_for_every_role_but_needs_a_sign_in(client, customer):
    response = client.get(url(customer))

    assert response.status_code == 302 and "/login" in response["Location"]
