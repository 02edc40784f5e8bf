"""The customer page's Transactions tab (filters, keyset pages) and customer notes (issue 16)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests import factories
from transactions.models import Note, Transaction

pytestmark = pytest.mark.django_db
K, S = Transaction.Kind, Transaction.Status


def txns_url(customer):
    return reverse("customers:detail-transactions", args=[customer.public_id])


def note_url(customer):
    return reverse("customers:note-add", args=[customer.public_id])


def rows(response):
    return list(response.context["txn_page"].items)


@pytest.fixture
def customer(merchant):
    return factories.CustomerFactory(merchant=merchant, name="Tab Customer")


def test_the_tab_lists_only_this_customers_transactions_newest_first(owner_client, merchant, customer):
    now = timezone.now()
    old = factories.TransactionFactory(customer=customer, occurred_at=now - timedelta(days=3))
    new = factories.TransactionFactory(customer=customer, occurred_at=now - timedelta(days=1))
    factories.TransactionFactory(customer=factories.CustomerFactory(merchant=merchant))

    response = owner_client.get(txns_url(customer))

    assert response.status_code == 200
    assert [t.pk for t in rows(response)] == [new.pk, old.pk]
    assert 'data-tab="transactions"' in response.text and 'id="tab-transactions"' in response.text


def test_the_tab_filters_by_type_status_and_date_range(owner_client, customer):
    now = timezone.now()
    charge = factories.TransactionFactory(customer=customer, occurred_at=now - timedelta(days=40))
    refund = factories.TransactionFactory(customer=customer, kind=K.REFUND, occurred_at=now)
    failed = factories.TransactionFactory(customer=customer, status=S.FAILED, occurred_at=now)

    assert [t.pk for t in rows(owner_client.get(txns_url(customer), {"type": "REFUND"}))] == [refund.pk]
    assert [t.pk for t in rows(owner_client.get(txns_url(customer), {"status": "FAILED"}))] == [failed.pk]
    day = (now - timedelta(days=40)).date().isoformat()
    by_date = rows(owner_client.get(txns_url(customer), {"date_from": day, "date_to": day}))
    assert [t.pk for t in by_date] == [charge.pk]


def test_the_tab_pages_by_keyset_without_skipping_or_repeating(owner_client, customer):
    now = timezone.now()
    made = [
        factories.TransactionFactory(customer=customer, occurred_at=now - timedelta(minutes=i // 2))
        for i in range(45)
    ]
    first = owner_client.get(txns_url(customer))
    page = first.context["txn_page"]
    assert len(page.items) == 30 and page.has_next
    second = owner_client.get(
        page.next_url, headers={"HX-Request": "true", "HX-Target": "customer-txn-results"}
    )
    assert second.status_code == 200 and "customer-tabs" not in second.text
    seen = [t.pk for t in page.items] + [t.pk for t in rows(second)]
    assert sorted(seen) == sorted(t.pk for t in made)


def test_the_tab_costs_the_same_queries_for_1_transaction_as_for_60(owner_client, customer):
    factories.TransactionFactory(customer=customer)
    with CaptureQueriesContext(connection) as small:
        owner_client.get(txns_url(customer), headers={"HX-Request": "true"})
    for _ in range(60):
        factories.TransactionFactory(customer=customer, purchase=factories.PurchaseFactory(customer=customer))
    with CaptureQueriesContext(connection) as big:
        owner_client.get(txns_url(customer), headers={"HX-Request": "true"})
    assert len(big.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize(
    "params",
    [
        {"type": "NOPE"},
        {"status": "<script>"},
        {"date_from": "2026-13-45"},
        {"date_to": "99999-01-01"},
        {"date_from": "2026-01-01\x00"},
        {"after": "x" * 5000},
        {"before": "2026-01-01T00:00:00~99999999999999999999"},
        {"method": "é" * 300},
    ],
)
def test_hostile_filters_are_ignored_with_a_note_never_an_error(owner_client, customer, params):
    factories.TransactionFactory(customer=customer)

    response = owner_client.get(txns_url(customer), params)

    assert response.status_code == 200


def test_another_merchants_customer_is_a_404(owner_client, other_merchant):
    theirs = factories.CustomerFactory(merchant=other_merchant)
    factories.TransactionFactory(customer=theirs)

    assert owner_client.get(txns_url(theirs)).status_code == 404
    assert owner_client.post(note_url(theirs), {"body": "hello"}).status_code == 404
    assert not Note.objects.exists()


def test_a_note_is_added_audited_and_shown_once_in_activity(owner_client, owner, customer):
    response = owner_client.post(note_url(customer), {"body": "Asked for an invoice copy"})

    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.customer, note.transaction, note.author) == (customer, None, owner)
    audit = AuditEvent.objects.get(action="note.add")
    assert audit.customer == customer and audit.data["note_id"] == note.pk
    html = owner_client.get(reverse("customers:detail", args=[customer.public_id]), {"tab": "activity"}).text
    assert html.count("Asked for an invoice copy") == 1


def test_a_note_by_htmx_returns_the_activity_tab_with_the_note(owner_client, customer):
    response = owner_client.post(
        note_url(customer), {"body": "Prefers email"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert 'data-tab="activity"' in response.text and "Prefers email" in response.text
    assert "Note added" in response["HX-Trigger"]


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "This field is required"),
        ("   ", "This field is required"),
        ("x" * 5001, "at most 5000 characters"),
        ("bad\x00byte", "Null characters are not allowed"),
    ],
)
def test_a_bad_note_is_refused_with_a_message_and_changes_nothing(owner_client, customer, body, message):
    response = owner_client.post(note_url(customer), {"body": body}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert message in response.text
    assert not Note.objects.exists() and not AuditEvent.objects.filter(action="note.add").exists()


def test_a_get_shows_the_activity_tab_with_the_note_form_and_adds_nothing(owner_client, customer):
    response = owner_client.get(note_url(customer), {"body": "not from a GET"})

    assert response.status_code == 200 and 'id="customer-note-form"' in response.text
    assert not Note.objects.exists()


def test_a_note_needs_the_csrf_token(owner, customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(note_url(customer), {"body": "hi"})

    assert response.status_code == 403 and "CSRF" in response.text
    assert not Note.objects.exists()


def test_activity_reads_a_payment_as_a_sentence(owner_client, customer):
    factories.TransactionFactory(customer=customer, amount=4900, currency="eur")

    html = owner_client.get(reverse("customers:detail", args=[customer.public_id]), {"tab": "activity"}).text

    assert "Charge of €49.00 succeeded" in html


def test_a_transaction_note_appears_once_in_activity_not_again_as_its_audit_event(
    owner_client, owner, customer
):
    from transactions.services import note_create

    txn = factories.TransactionFactory(customer=customer)
    note_create(actor=owner, now=timezone.now(), txn=txn, body="Bank confirmed the refund")

    html = owner_client.get(reverse("customers:detail", args=[customer.public_id]), {"tab": "activity"}).text

    assert html.count("Bank confirmed the refund") == 1
    assert "timeline-staff" not in html  # no "note.add" staff row beside the note
