"""Transaction details: every field, the IPN log, the customer's own note and staff notes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests import factories
from transactions.models import Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def txn(merchant):
    return factories.TransactionFactory(
        customer__merchant=merchant,
        customer__name="Grace Hopper",
        amount=2500,
        currency="usd",
        statement_descriptor="ACME*PRO",
        description="Please renew manually",
        metadata={"order": "A-42"},
        provider_id="ch_DETAIL",
    )


def _detail(client, txn):
    return client.get(reverse("transactions:detail", args=[txn.pk]))


def test_the_page_shows_every_field_of_the_transaction(owner_client, txn):
    html = _detail(owner_client, txn).content.decode()

    for text in (
        "$25.00",
        "Succeeded",
        "Visa •••• 4242",
        "04/28",
        "DE",
        "ACME*PRO",
        "ch_DETAIL",
        "Grace Hopper",
    ):
        assert text in html


def test_the_customers_note_is_only_their_description_metadata_is_raw_json(owner_client, txn):
    txn.metadata = {"order": "A-42", "evidence_due_by": 1796905426}
    txn.save(update_fields=["metadata"])

    html = _detail(owner_client, txn).content.decode()

    note = html.split('id="txn-customer-note"')[1].split("</section>")[0]
    raw = html.split('id="txn-metadata"')[1].split("</section>")[0]
    assert "Please renew manually" in note and "Grace Hopper" in note
    assert "evidence_due_by" not in note and "A-42" not in note
    assert "Raw JSON" in raw and "&quot;evidence_due_by&quot;: 1796905426" in raw


def test_metadata_alone_is_not_shown_as_a_customers_note(owner_client, txn):
    txn.description = ""
    txn.save(update_fields=["description"])

    note = (
        _detail(owner_client, txn).content.decode().split('id="txn-customer-note"')[1].split("</section>")[0]
    )

    assert "The customer left no note" in note and "A-42" not in note


def test_the_ipn_log_lists_linked_and_matching_events_with_pretty_json(owner_client, merchant, txn):
    linked = factories.ProviderEventFactory(
        merchant=merchant,
        type="charge.refunded",
        status="FAILED",
        error="Boom: no such charge",
        payload={"b": 2, "a": {"nested": True}},
    )
    linked.transactions.add(txn)
    factories.ProviderEventFactory(
        merchant=merchant, type="charge.succeeded", object_id="ch_DETAIL", status="PROCESSED"
    )
    factories.ProviderEventFactory(merchant=merchant, type="invoice.paid", object_id="in_OTHER")

    html = _detail(owner_client, txn).content.decode()

    assert "charge.refunded" in html and "charge.succeeded" in html and "invoice.paid" not in html
    assert "Boom: no such charge" in html and "Processed" in html
    assert "<details" in html and "&quot;a&quot;: {\n    &quot;nested&quot;: true\n  }," in html


def test_an_event_both_linked_and_about_the_object_is_listed_once_newest_first(merchant, txn):
    from desk.views.transaction_page import provider_events

    now = timezone.now()
    both = factories.ProviderEventFactory(
        merchant=merchant, type="charge.succeeded", object_id="ch_DETAIL", received_at=now
    )
    both.transactions.add(txn)
    older = factories.ProviderEventFactory(
        merchant=merchant,
        type="charge.updated",
        object_id="ch_DETAIL",
        received_at=now - timedelta(minutes=5),
    )

    assert [e.pk for e in provider_events(txn)] == [both.pk, older.pk]


def test_another_merchants_event_with_the_same_object_id_is_not_shown(owner_client, other_merchant, txn):
    factories.ProviderEventFactory(
        merchant=other_merchant, type="charge.dispute.created", object_id="ch_DETAIL"
    )

    html = _detail(owner_client, txn).content.decode()

    assert "charge.dispute.created" not in html


def test_staff_add_a_note_which_is_audited(support_client, support, txn):
    response = support_client.post(
        reverse("transactions:note-add", args=[txn.pk]),
        {"body": "  Refund promised  "},
        headers={"HX-Request": "true"},
    )

    note = Note.objects.get()
    assert response.status_code == 200 and "Refund promised" in response.content.decode()
    assert "customer:changed" in response["HX-Trigger"]
    assert (note.author, note.body, note.transaction, note.customer) == (
        support,
        "Refund promised",
        txn,
        txn.customer,
    )
    event = AuditEvent.objects.get(action="note.add")
    assert (event.actor, event.customer, event.target_id) == (support, txn.customer, str(txn.pk))


def test_notes_show_author_and_time(owner_client, owner, txn):
    factories.NoteFactory(transaction=txn, author=owner, body="First contact")

    html = _detail(owner_client, txn).content.decode()

    assert "First contact" in html and (owner.get_full_name() or owner.email) in html


def test_a_plain_form_post_redirects_back_to_the_page(owner_client, txn):
    response = owner_client.post(reverse("transactions:note-add", args=[txn.pk]), {"body": "Without JS"})

    assert response.status_code == 302 and response["Location"] == reverse(
        "transactions:detail", args=[txn.pk]
    )


def test_an_empty_note_is_refused_with_a_message_and_nothing_saved(owner_client, txn):
    response = owner_client.post(
        reverse("transactions:note-add", args=[txn.pk]), {"body": "   "}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not Note.objects.exists() and not AuditEvent.objects.exists()


def test_a_get_on_the_note_url_goes_back_to_the_page(owner_client, txn):
    response = owner_client.get(reverse("transactions:note-add", args=[txn.pk]))

    assert response.status_code == 302


def test_a_user_of_another_merchant_gets_404_on_the_page_and_the_note_form(other_client, txn):
    assert _detail(other_client, txn).status_code == 404
    response = other_client.post(reverse("transactions:note-add", args=[txn.pk]), {"body": "hi"})
    assert response.status_code == 404
    assert not Note.objects.exists()


def test_the_page_has_fixed_query_count(owner_client, merchant, django_assert_max_num_queries, txn):
    for _ in range(20):
        event = factories.ProviderEventFactory(merchant=merchant, object_id="ch_DETAIL")
        event.transactions.add(txn)
        factories.NoteFactory(transaction=txn)

    # 12 for the page, plus the navigation's one bounded read of disputes due within 72 hours.
    with django_assert_max_num_queries(13):
        assert _detail(owner_client, txn).status_code == 200
