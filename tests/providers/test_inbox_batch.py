"""The drain: a merchant's new events applied in batches, one transaction each, woken once per burst."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, CustomerIdentifier
from providers import inbox, inbox_apply
from providers.inbox import BATCH_SIZE, WAKE_KEY, event_enqueue, event_store
from providers.inbox_apply import event_process_batch
from providers.models import ProviderEvent
from providers.tasks import SWEEP_AFTER, drain_events, sweep_received_events
from tests.db_sessions import other_session
from transactions.models import Transaction

from . import stripe_payloads as sp


def _store(merchant, events: list[dict]) -> list[ProviderEvent]:
    return [event_store(merchant=merchant, event=e, now=timezone.now())[0] for e in events]


def _customers_and_charges(n: int, tag: str) -> list[dict]:
    out = []
    for i in range(n):
        out.append(
            sp.event(
                "customer.created",
                sp.customer(id=f"cus_{tag}{i}", email=f"{tag}{i}@example.org"),
                created=1_700_000_000 + 2 * i,
            )
        )
        out.append(
            sp.event(
                "charge.succeeded",
                sp.charge(id=f"ch_{tag}{i}", customer=f"cus_{tag}{i}", amount=700),
                created=1_700_000_001 + 2 * i,
            )
        )
    return out


@pytest.fixture(autouse=True)
def _clean_wakes(stripe_merchant):
    cache.delete(WAKE_KEY.format(merchant_id=stripe_merchant.pk))
    yield
    cache.delete(WAKE_KEY.format(merchant_id=stripe_merchant.pk))


def test_a_batch_applies_events_oldest_first_and_records_each_outcome(stripe_merchant):
    # Delivered newest first: the charge's refund arrives before the charge, the batch still applies both.
    charge = sp.charge(id="ch_ORD", customer="cus_ORD", amount=1000)
    refund = sp.event("refund.created", sp.refund("ch_ORD", 400, id="re_ORD"), created=1_700_000_050)
    events = _store(stripe_merchant, [refund, sp.event("charge.succeeded", charge, created=1_700_000_010)])

    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 2

    rows = ProviderEvent.objects.filter(pk__in=[e.pk for e in events])
    assert set(rows.values_list("status", "attempts")) == {("PROCESSED", 1)}
    assert Transaction.objects.get(provider_id="ch_ORD").status == "PARTIALLY_REFUNDED"
    refund_event = rows.get(type="refund.created")
    assert "re_ORD" in set(refund_event.transactions.values_list("provider_id", flat=True))
    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 0


def test_a_failing_event_is_recorded_alone_and_the_rest_of_its_batch_is_applied(stripe_merchant):
    broken = sp.event("charge.succeeded", {"object": "charge", "id": "ch_BROKEN"}, created=1_700_000_005)
    events = _store(stripe_merchant, [*_customers_and_charges(3, "ok"), broken])

    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == len(events)

    failed = ProviderEvent.objects.get(provider_event_id=broken["id"])
    assert (failed.status, failed.attempts) == ("FAILED", 1)
    assert "KeyError" in failed.error
    others = ProviderEvent.objects.exclude(pk=failed.pk)
    assert set(others.values_list("status", "attempts")) == {("PROCESSED", 1)}
    assert Transaction.objects.filter(provider_id__startswith="ch_ok").count() == 3
    assert not Transaction.objects.filter(provider_id="ch_BROKEN").exists()


def test_an_event_whose_charge_is_unknown_waits_and_the_rest_of_its_batch_is_applied(
    stripe_merchant, django_capture_on_commit_callbacks
):
    # A refund of a charge Teller has never seen: WAITING for that charge, not retried (no task handed off).
    orphan = sp.event("refund.created", sp.refund("ch_NOWHERE", 100, id="re_ORPHAN"))
    _store(stripe_merchant, [*_customers_and_charges(2, "rt"), orphan])

    with django_capture_on_commit_callbacks(execute=True) as handoffs:
        event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now())

    assert handoffs == []
    row = ProviderEvent.objects.get(provider_event_id=orphan["id"])
    assert (row.status, row.attempts) == ("WAITING", 1)
    assert (row.waiting_for_type, row.waiting_for_id) == ("charge", "ch_NOWHERE")
    assert "NotYetKnown" in row.error
    assert ProviderEvent.objects.filter(status="PROCESSED").count() == 4
    assert not Transaction.objects.filter(provider_id="re_ORPHAN").exists()


def test_children_in_the_same_batch_are_applied_right_after_their_parent_in_order(stripe_merchant):
    # Stamped a minute before their charge (Stripe promises no order): refund and dispute come first.
    charge = sp.charge(id="ch_KID", customer="cus_KID", amount=1000)
    refund = sp.event("refund.created", sp.refund("ch_KID", 300, id="re_KID"), created=1_700_000_000)
    dispute = sp.event(
        "charge.dispute.created", sp.dispute("ch_KID", 700, id="dp_KID"), created=1_700_000_001
    )
    later = sp.event("customer.updated", sp.customer(id="cus_KID", name="Later"), created=1_700_000_090)
    _store(
        stripe_merchant, [refund, dispute, sp.event("charge.succeeded", charge, created=1_700_000_060), later]
    )

    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 4

    assert set(ProviderEvent.objects.values_list("status", flat=True)) == {"PROCESSED"}
    assert Transaction.objects.get(provider_id="ch_KID").status == "DISPUTED"
    assert Transaction.objects.get(provider_id="re_KID").parent.provider_id == "ch_KID"
    assert Transaction.objects.filter(provider_id__in=["re_KID", "dp_KID"]).count() == 2


def test_a_waiting_event_is_woken_by_a_later_batch_that_applies_its_parent(stripe_merchant):
    _store(stripe_merchant, [sp.event("refund.created", sp.refund("ch_NEXT", 400, id="re_NEXT"))])
    event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now())
    assert ProviderEvent.objects.get(object_id="re_NEXT").status == "WAITING"
    _store(stripe_merchant, _customers_and_charges(3, "nx"))
    _store(
        stripe_merchant,
        [sp.event("charge.succeeded", sp.charge(id="ch_NEXT", customer="cus_nx0", amount=1000))],
    )

    with CaptureQueriesContext(connection) as queries:
        assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 7

    refund_event = ProviderEvent.objects.get(object_id="re_NEXT")
    assert (refund_event.status, refund_event.attempts) == ("PROCESSED", 2)
    assert Transaction.objects.get(provider_id="ch_NEXT").status == "PARTIALLY_REFUNDED"
    # Woken inside the optimistic batch: no savepoint per event, one lookup of waiting events per batch.
    assert len([q for q in queries.captured_queries if "SAVEPOINT" in q["sql"]]) == 2
    assert len([q for q in queries.captured_queries if "'WAITING'" in q["sql"] and "SELECT" in q["sql"]]) == 1


def test_a_batch_takes_at_most_batch_size_events_and_the_drain_takes_them_all(stripe_merchant):
    _store(stripe_merchant, _customers_and_charges(BATCH_SIZE, "many"))  # 2 × BATCH_SIZE events

    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == BATCH_SIZE
    assert drain_events.apply(args=(stripe_merchant.pk,)).get() == BATCH_SIZE

    assert not ProviderEvent.objects.exclude(status="PROCESSED").exists()
    assert Customer.objects.filter(provider_customer_id__startswith="cus_many").count() == BATCH_SIZE


def test_events_stored_while_a_drain_is_queued_wait_for_that_drain(
    stripe_merchant, django_capture_on_commit_callbacks
):
    # A queued, not yet started drain holds the wake: storing more events queues no other drain.
    cache.set(WAKE_KEY.format(merchant_id=stripe_merchant.pk), 1, 30)
    with django_capture_on_commit_callbacks(execute=True):
        for stored in _store(stripe_merchant, _customers_and_charges(2, "wk")):
            event_enqueue(stored)
    assert ProviderEvent.objects.filter(status="RECEIVED").count() == 4

    drain_events.apply(args=(stripe_merchant.pk,))  # the queued drain runs: it clears the wake first

    assert ProviderEvent.objects.filter(status="PROCESSED").count() == 4
    assert cache.get(WAKE_KEY.format(merchant_id=stripe_merchant.pk)) is None
    with django_capture_on_commit_callbacks(execute=True):  # so the next event wakes a drain again
        event_enqueue(_store(stripe_merchant, _customers_and_charges(1, "next"))[0])
    assert ProviderEvent.objects.get(object_id="cus_next0").status == "PROCESSED"


def test_a_batch_costs_a_bounded_number_of_queries_per_event(stripe_merchant):
    # 40 new customers and their first charges: customer, identifiers, links, charge, dates, event status.
    _store(stripe_merchant, _customers_and_charges(20, "q"))

    with CaptureQueriesContext(connection) as queries:
        assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 40

    # Measured: 211 for 40 events, on SQLite and PostgreSQL (the batch knows which keys are new, reuses the
    # rows it inserted, and asks once per batch which waiting events its objects wake).
    assert len(queries) <= 40 * 8
    # The up-front identifier lookup names each kind, so it probes the (merchant, kind, value) index.
    lookup = next(q["sql"] for q in queries.captured_queries if 'FROM "customers_identifier"' in q["sql"])
    assert '"customers_identifier"."kind" = ' in lookup
    # No savepoint per event: only the batch's own (it is nested in the test's transaction here).
    assert len([q for q in queries.captured_queries if "SAVEPOINT" in q["sql"]]) == 2


def test_one_customers_events_in_one_batch_end_in_the_newest_state(stripe_merchant):
    created = sp.customer(id="cus_TWICE", email="old@example.org", name="Old")
    updated = sp.customer(id="cus_TWICE", email="new@example.org", name="New")
    _store(
        stripe_merchant,
        [
            sp.event("customer.created", created, created=1_700_000_000),
            sp.event(
                "charge.succeeded", sp.charge(id="ch_TWICE", customer="cus_TWICE"), created=1_700_000_001
            ),
            sp.event("customer.updated", updated, created=1_700_000_002),
            sp.event(
                "charge.succeeded", sp.charge(id="ch_TWICE2", customer="cus_TWICE"), created=1_700_000_003
            ),
        ],
    )

    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 4

    customer = Customer.objects.get(provider_customer_id="cus_TWICE")
    assert (customer.name, customer.email) == ("New", "new@example.org")
    assert set(Transaction.objects.filter(customer=customer).values_list("provider_id", flat=True)) == {
        "ch_TWICE",
        "ch_TWICE2",
    }
    kinds = set(
        CustomerIdentifier.objects.filter(customer=customer).values_list("identifier__kind", flat=True)
    )
    assert kinds == {"CUSTOMER_ID", "EMAIL", "CARD"}
    assert customer.first_purchase_at is not None
    assert set(ProviderEvent.objects.values_list("status", "attempts")) == {("PROCESSED", 1)}


def test_a_row_inserted_by_someone_else_during_the_batch_makes_it_redo_carefully(
    stripe_merchant, monkeypatch
):
    # The batch believes cus_RACE is new (as if it had been inserted right after the batch looked): its
    # INSERT hits the unique constraint, the batch is rolled back and applied again one event at a time.
    Customer.objects.create(merchant=stripe_merchant, provider_customer_id="cus_RACE", name="Stub")
    real = inbox_apply._absent_keys

    def stale(events):
        from providers.apply.common import absence_key

        return real(events) | {
            absence_key(Customer, merchant=stripe_merchant, provider_customer_id="cus_RACE")
        }

    monkeypatch.setattr(inbox_apply, "_absent_keys", stale)
    runs = []
    real_batch = inbox_apply._batch
    monkeypatch.setattr(inbox_apply, "_batch", lambda **kw: runs.append(kw["optimistic"]) or real_batch(**kw))
    _store(stripe_merchant, [sp.event("customer.created", sp.customer(id="cus_RACE", name="Raced"))])

    assert event_process_batch(merchant_id=stripe_merchant.pk, now=timezone.now()) == 1

    assert runs == [True, False]

    assert list(Customer.objects.filter(provider_customer_id="cus_RACE").values_list("name", flat=True)) == [
        "Raced"
    ]
    assert set(ProviderEvent.objects.values_list("status", "attempts")) == {("PROCESSED", 1)}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the applier lock is a PostgreSQL advisory lock"
)
def test_a_drain_finds_its_merchant_busy_and_asks_for_another_instead_of_contending(stripe_merchant):
    _store(stripe_merchant, _customers_and_charges(2, "busy"))
    with other_session() as other_drain:
        other_drain.execute("SELECT pg_advisory_lock(%s, %s)", [inbox.APPLIER_LOCK, stripe_merchant.pk])

        assert drain_events.apply(args=(stripe_merchant.pk,)).get() == 0  # (a worker asks for another: see
        # tests/reliability/test_webhook_pipeline.py; run eagerly it just leaves them to the running one)

        assert ProviderEvent.objects.filter(status="RECEIVED").count() == 4
        other_drain.execute("SELECT pg_advisory_unlock(%s, %s)", [inbox.APPLIER_LOCK, stripe_merchant.pk])

    assert drain_events.apply(args=(stripe_merchant.pk,)).get() == 4
    assert ProviderEvent.objects.filter(status="PROCESSED").count() == 4


def test_the_sweep_hands_never_tried_events_to_the_drain_and_tried_ones_to_their_retry(stripe_merchant):
    stored = _store(stripe_merchant, _customers_and_charges(3, "sw"))
    long_ago = timezone.now() - SWEEP_AFTER * 2
    ProviderEvent.objects.filter(pk__in=[e.pk for e in stored]).update(received_at=long_ago)
    ProviderEvent.objects.filter(pk=stored[1].pk).update(attempts=1)  # its retry message was lost
    _store(stripe_merchant, _customers_and_charges(1, "fresh"))  # too recent: not the sweep's business

    assert sweep_received_events() == 6

    assert set(ProviderEvent.objects.filter(object_id__contains="sw").values_list("status", flat=True)) == {
        "PROCESSED"
    }
    assert ProviderEvent.objects.get(pk=stored[1].pk).attempts == 2
