"""The "What will happen" endpoints: scoped to the merchant and the action's permission, read-only, and
a clear answer (never a 500) to hostile input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from customers.models import BlockEvent, Identifier
from refunds.models import Credit
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = ["\x00", "9" * 5000, "ü" * 300, "-1", "1e309", "<script>x</script>", "12.345"]


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe")
    card = factories.IdentifierFactory(merchant=merchant, kind=Identifier.Kind.CARD, value="fp_jane")
    factories.CustomerIdentifierFactory(customer=customer, identifier=card)
    return customer


@pytest.fixture
def charge(customer):
    return factories.TransactionFactory(customer=customer, amount=5000)


def _credit_url(charge):
    return reverse("transactions:credit-preview", args=[charge.pk])


def test_the_credit_preview_follows_the_form(owner_client, charge):
    full = owner_client.get(_credit_url(charge), {"mode": "FULL"})
    partial = owner_client.get(_credit_url(charge), {"mode": "PARTIAL", "amount": "12.50", "block_all": "on"})

    assert full.status_code == partial.status_code == 200
    assert "€50.00" in full.text and "No payment detail is blocked" in full.text
    assert 'data-amount="1250"' in partial.text and "€37.50 can still be credited" in partial.text
    assert "Blocks 2 details" in partial.text  # the card and the customer ID block all creates


def test_the_credit_preview_says_why_nothing_would_happen(owner_client, charge):
    too_much = owner_client.get(_credit_url(charge), {"mode": "PARTIAL", "amount": "60.00"})
    missing = owner_client.get(_credit_url(charge), {"mode": "PARTIAL", "amount": ""})

    assert "Nothing will happen: The amount is more than the remaining balance of €50.00." in too_much.text
    assert "Nothing yet: Enter the amount to credit." in missing.text


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_preview_input_gets_an_answer_and_changes_nothing(owner_client, charge, customer, value):
    purchase = factories.PurchaseFactory(customer=customer, merchant=customer.merchant)
    answers = [
        owner_client.get(_credit_url(charge), {"mode": value, "amount": value, "block_all": value}),
        owner_client.get(_credit_url(charge), {"mode": "PARTIAL", "amount": value}),
        owner_client.get(
            reverse("customers:cancel-preview", args=[purchase.pk]), {"modal": value, "when": value}
        ),
        owner_client.get(
            reverse("customers:identifiers-preview", args=[customer.public_id]),
            {"shown": value, "blocked": [value, "1"], "cancel_subscriptions": value},
        ),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert "What will happen" in answers[0].text
    assert not Credit.objects.exists() and not BlockEvent.objects.exists() and not AuditEvent.objects.exists()


def test_previews_are_scoped_to_the_merchant(other_client, charge, customer):
    purchase = factories.PurchaseFactory(customer=customer, merchant=customer.merchant)

    assert other_client.get(_credit_url(charge)).status_code == 404
    assert other_client.get(reverse("customers:cancel-preview", args=[purchase.pk])).status_code == 404
    assert (
        other_client.get(reverse("customers:identifiers-preview", args=[customer.public_id])).status_code
        == 404
    )


def test_a_support_agent_is_not_shown_unblock_all(client, support, manager, customer):
    url = reverse("customers:identifiers-preview", args=[customer.public_id])

    client.force_login(support)
    assert 'data-action="unblock-all"' not in client.get(url).text
    client.force_login(manager)
    assert 'data-action="unblock-all"' in client.get(url).text


def test_a_preview_is_a_get_only(owner_client, charge):
    assert owner_client.post(_credit_url(charge), {"mode": "FULL"}).status_code == 405


def test_the_switches_preview_lists_only_the_moved_switch(owner_client, customer):
    card = Identifier.objects.get(value="fp_jane")
    url = reverse("customers:identifiers-preview", args=[customer.public_id])

    untouched = owner_client.get(url, {"shown": card.pk})
    moved = owner_client.get(url, {"shown": card.pk, "blocked": card.pk})

    assert 'data-action="save"' not in untouched.text
    assert 'data-action="save"' in moved.text and f"Card {card.display}" in moved.text


def test_the_details_preview_costs_the_same_queries_with_1_or_10_subscriptions(owner_client, customer):
    url = reverse("customers:identifiers-preview", args=[customer.public_id])
    counts = []
    for extra in (1, 9):
        for _ in range(extra):
            factories.PurchaseFactory(customer=customer, merchant=customer.merchant)
        with CaptureQueriesContext(connection) as queries:
            answer = owner_client.get(url, {"cancel_subscriptions": "on"})
        counts.append(len(queries))
        assert answer.text.count('data-outcome="ends"') == (1 if extra == 1 else 10)

    assert counts[0] == counts[1]
