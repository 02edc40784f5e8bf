"""Every delivery order of a customer's events ends in the state in-order delivery gives.

Stripe delivers at least once and in any order: a refund, a dispute or an invoice payment can come before
its charge, an invoice before its subscription. Each scenario is a card or SEPA customer's life in today's
shapes (period on the subscription items, charges linked only through invoice_payment, refunds as their own
objects), delivered in order, reversed, children first and in seeded random orders, each to a fresh
merchant. An event whose parent is unknown is parked by the inbox (NotYetKnown); here the inbox's retry is
simulated by re-running the parked events after each delivery, as the inbox does once the parent is applied.
"""

import random

import pytest
from django.conf import settings
from django.utils import timezone

from providers.inbox import event_store
from providers.inbox_apply import event_process, event_process_batch
from providers.models import ProviderEvent
from purchases.models import Purchase
from tests import factories
from tests import stripe_shapes as sp
from transactions.models import Transaction

pytestmark = pytest.mark.django_db
T0 = 1_760_000_000
DAY = 86_400
MONTH = 30 * DAY
DONE = (ProviderEvent.Status.PROCESSED, ProviderEvent.Status.IGNORED)


def _clock():
    t = iter(range(T0, T0 + 10_000_000, 37))
    return lambda: next(t)


def _subscription_life(tag: str, *, sepa: bool) -> list[dict]:
    """Created (period on its item), two paid periods, partial + full refunds, a dispute lost and one
    won, scheduled to cancel at the end of the period, then deleted. Returns events in Stripe's order."""
    at = _clock()
    cus, sub_id = f"cus_{tag}", f"sub_{tag}"
    pm = sp.sepa_pm(id=f"pm_{tag}", customer=cus) if sepa else sp.card_pm(id=f"pm_{tag}", customer=cus)
    make_charge = sp.sepa_charge if sepa else sp.charge
    events = [
        sp.event("customer.created", sp.customer(id=cus, email=f"{tag}@example.org"), created=at()),
        sp.event("payment_method.attached", pm, created=at()),
    ]
    periods = [(T0, T0 + MONTH), (T0 + MONTH, T0 + 2 * MONTH), (T0 + 2 * MONTH, T0 + 3 * MONTH)]
    sub = sp.subscription(id=sub_id, customer=cus, period=periods[0], created=T0, start_date=T0)
    events.append(sp.event("customer.subscription.created", sub, created=at()))
    charges = []
    for number, period in enumerate(periods, 1):
        if number > 1:
            renewed = sp.subscription(id=sub_id, customer=cus, period=period, created=T0, start_date=T0)
            events.append(sp.event("customer.subscription.updated", renewed, created=at()))
        ch = make_charge(id=f"ch_{tag}{number}", customer=cus, payment_intent=f"pi_{tag}{number}")
        inv = sp.invoice(sub_id, id=f"in_{tag}{number}", customer=cus, period=period)
        pay = sp.invoice_payment(inv["id"], payment_intent=ch["payment_intent"], id=f"inpay_{tag}{number}")
        if sepa:  # a SEPA debit is pending for days before it succeeds
            pending = {**ch, "status": "pending", "paid": False}
            events.append(sp.event("charge.pending", pending, created=at()))
        events += [  # Stripe's order: the charge, then the invoice and its payment
            sp.event("charge.succeeded", ch, created=at()),
            sp.event("invoice.paid", inv, created=at()),
            sp.event("invoice_payment.paid", pay, created=at()),
        ]
        charges.append(ch)
    first, second, third = charges
    # Partial refund of the first (pending, then succeeded), then the rest of it.
    events.append(
        sp.event(
            "refund.created", sp.refund(first["id"], 500, id=f"re_{tag}a", status="pending"), created=at()
        )
    )
    events.append(sp.event("refund.updated", sp.refund(first["id"], 500, id=f"re_{tag}a"), created=at()))
    events.append(sp.event("charge.refunded", {**first, "amount_refunded": 500}, created=at()))
    events.append(sp.event("refund.created", sp.refund(first["id"], 1500, id=f"re_{tag}b"), created=at()))
    events.append(
        sp.event("charge.refunded", {**first, "amount_refunded": 2000, "refunded": True}, created=at())
    )
    # The second is disputed and lost, the third disputed and won.
    for ch, outcome in ((second, "lost"), (third, "won")):
        dp_id = f"dp_{ch['id']}"
        events.append(sp.event("charge.dispute.created", sp.dispute(ch["id"], 2000, id=dp_id), created=at()))
        events.append(
            sp.event(
                "charge.dispute.closed", sp.dispute(ch["id"], 2000, id=dp_id, status=outcome), created=at()
            )
        )
    scheduled = sp.subscription(
        id=sub_id, customer=cus, period=periods[2], created=T0, start_date=T0, cancel_at_period_end=True,
        cancel_at=periods[2][1],
    )  # fmt: skip
    events.append(sp.event("customer.subscription.updated", scheduled, created=at()))
    deleted = sp.subscription(
        id=sub_id, customer=cus, status="canceled", period=periods[2], created=T0, start_date=T0,
        cancel_at_period_end=True, cancel_at=periods[2][1], canceled_at=periods[2][1], ended_at=periods[2][1],
    )  # fmt: skip
    events.append(sp.event("customer.subscription.deleted", deleted, created=at()))
    return events


def _children_first(events: list[dict]) -> list[dict]:
    """Refunds, disputes, invoices and invoice payments a minute before everything else."""
    early = ("refund.", "charge.dispute.", "invoice")
    return [e for e in events if e["type"].startswith(early)] + [
        e for e in events if not e["type"].startswith(early)
    ]


def _orders(events: list[dict], n_random: int) -> list[list[dict]]:
    rng = random.Random(12)
    shuffled = []
    for _ in range(n_random):
        order = list(events)
        rng.shuffle(order)
        shuffled.append(order)
    return [list(reversed(events)), _children_first(events), *shuffled]


def _run_parked(merchant) -> None:
    """The inbox's retry of parked children, simulated: re-run what waits until a pass changes nothing.

    A child whose parent is still unknown stays WAITING (event_process parks it, it does not raise), so
    progress is an event leaving the status it had, not a call that returned.
    """
    progress = True
    while progress:
        progress = False
        waiting = ProviderEvent.objects.filter(merchant=merchant, attempts__gt=0).exclude(
            status__in=[*DONE, ProviderEvent.Status.FAILED]
        )
        for row in list(waiting.order_by("provider_created_at", "pk")):
            before = row.status
            event_process(event_id=row.pk, now=timezone.now(), final_attempt=False)
            row.refresh_from_db(fields=["status"])
            progress = progress or row.status != before


def _deliver_one_by_one(merchant, events: list[dict]) -> None:
    for evt in events:
        stored, _ = event_store(merchant=merchant, event=evt, now=timezone.now())
        event_process(event_id=stored.pk, now=timezone.now(), final_attempt=False)  # parks a child
        _run_parked(merchant)


def _state(merchant) -> dict:
    """Everything the customer page and the transactions table show, keyed by provider ids."""
    txns = {
        t.provider_id: (
            t.kind,
            t.status,
            t.amount,
            t.refunded_amount,
            t.disputed_amount,
            t.parent.provider_id if t.parent else None,
            t.customer.provider_customer_id if t.customer else None,
            t.purchase.provider_subscription_id if t.purchase else None,
            t.purchase.product.name if t.purchase else None,
            t.method_type,
            t.identifier.kind if t.identifier else None,
        )
        for t in Transaction.objects.filter(merchant=merchant).select_related(
            "parent", "customer", "purchase__product", "identifier"
        )
    }
    purchases = {
        p.provider_subscription_id: (
            p.status,
            p.customer.provider_customer_id,
            p.current_period_start_at,
            p.current_period_end_at,
            p.cancel_at_period_end,
            p.cancel_at,
            p.canceled_at,
            p.ended_at,
            p.amount,
        )
        for p in Purchase.objects.filter(merchant=merchant).select_related("customer")
    }
    events = dict(ProviderEvent.objects.filter(merchant=merchant).values_list("provider_event_id", "status"))
    return {"transactions": txns, "purchases": purchases, "events": events}


def _fresh_merchant():
    return factories.MerchantFactory(provider="STRIPE")


@pytest.mark.parametrize("sepa", [False, True], ids=["card", "sepa"])
def test_every_delivery_order_ends_in_the_in_order_state(sepa):
    events = _subscription_life("L", sepa=sepa)
    reference = _fresh_merchant()
    _deliver_one_by_one(reference, events)
    expected = _state(reference)

    for order in _orders(events, n_random=12):
        merchant = _fresh_merchant()
        _deliver_one_by_one(merchant, order)
        assert _state(merchant) == expected

    # The in-order state itself is the right one: every charge under its subscription purchase.
    txns, purchase = expected["transactions"], expected["purchases"]["sub_L"]
    assert {e for e in expected["events"].values()} == {"PROCESSED"}
    assert {txns[f"ch_L{n}"][7] for n in (1, 2, 3)} == {"sub_L"}
    assert txns["ch_L1"][1:4] == ("REFUNDED", 2000, 2000)
    assert txns["re_La"][1] == txns["re_Lb"][1] == "SUCCEEDED"
    assert (txns["re_La"][7], txns["dp_ch_L2"][7]) == ("sub_L", "sub_L")
    assert (txns["ch_L2"][1], txns["dp_ch_L2"][1]) == ("CHARGED_BACK", "LOST")
    assert (txns["ch_L3"][1], txns["dp_ch_L3"][1]) == ("SUCCEEDED", "WON")
    assert txns["ch_L1"][9] == ("sepa_debit" if sepa else "card")
    status, _, start, end, at_period_end, *_ = purchase
    assert (status, at_period_end) == ("CANCELED", True)
    assert (start.timestamp(), end.timestamp()) == (T0 + 2 * MONTH, T0 + 3 * MONTH)


def test_a_refund_and_a_dispute_a_minute_before_their_charge_wait_and_are_applied_after_it():
    charge = sp.charge(id="ch_EARLY", customer="cus_EARLY", payment_intent="pi_EARLY")
    refund = sp.event("refund.created", sp.refund("ch_EARLY", 300, id="re_EARLY"), created=T0 + 60)
    dispute = sp.event("charge.dispute.created", sp.dispute("ch_EARLY", 2000, id="dp_EARLY"), created=T0 + 61)
    merchant = _fresh_merchant()

    _deliver_one_by_one(merchant, [refund, dispute])
    assert not Transaction.objects.filter(merchant=merchant).exists()
    assert not ProviderEvent.objects.filter(merchant=merchant, status__in=DONE).exists()

    _deliver_one_by_one(merchant, [sp.event("charge.succeeded", charge, created=T0)])

    state = _state(merchant)
    assert state["transactions"]["ch_EARLY"][1] == "DISPUTED"
    assert state["transactions"]["re_EARLY"][:2] == ("REFUND", "SUCCEEDED")
    assert set(state["events"].values()) == {"PROCESSED"}


@pytest.mark.parametrize(
    "order",
    [
        ("sub", "charge", "invoice", "payment"),
        ("payment", "invoice", "charge", "sub"),
        ("invoice", "payment", "sub", "charge"),
        ("charge", "payment", "sub", "invoice"),
    ],
)
def test_the_charge_is_tied_to_its_subscription_whichever_piece_arrives_last(order):
    merchant = _fresh_merchant()
    pieces = {
        "sub": sp.event(
            "customer.subscription.created", sp.subscription(id="sub_T", customer="cus_T"), created=T0
        ),
        "charge": sp.event(
            "charge.succeeded", sp.charge(id="ch_T", customer="cus_T", payment_intent="pi_T"), created=T0 + 1
        ),
        "invoice": sp.event("invoice.paid", sp.invoice("sub_T", id="in_T", customer="cus_T"), created=T0 + 2),
        "payment": sp.event(
            "invoice_payment.paid", sp.invoice_payment("in_T", payment_intent="pi_T"), created=T0 + 2
        ),
    }

    _deliver_one_by_one(merchant, [pieces[name] for name in order])

    charge = Transaction.objects.get(merchant=merchant, provider_id="ch_T")
    assert charge.purchase.provider_subscription_id == "sub_T"
    assert list(charge.purchase.transactions.values_list("provider_id", flat=True)) == ["ch_T"]


def test_an_invoice_payment_of_a_charge_without_payment_intent_names_the_charge():
    merchant = _fresh_merchant()
    events = [
        sp.event("invoice_payment.paid", sp.invoice_payment("in_C", charge="ch_C"), created=T0),
        sp.event("charge.succeeded", sp.charge(id="ch_C", customer="cus_C", payment_intent=None), created=T0),
        sp.event("invoice.paid", sp.invoice("sub_C", id="in_C", customer="cus_C"), created=T0 + 1),
        sp.event(
            "customer.subscription.created", sp.subscription(id="sub_C", customer="cus_C"), created=T0 + 2
        ),
    ]

    _deliver_one_by_one(merchant, events)

    charge = Transaction.objects.get(merchant=merchant, provider_id="ch_C")
    assert charge.purchase.provider_subscription_id == "sub_C"


@pytest.mark.postgres
@pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)")
def test_on_postgresql_the_batch_drain_in_any_order_ends_in_the_in_order_state():
    events = _subscription_life("P", sepa=False) + _subscription_life("Q", sepa=True)
    reference = _fresh_merchant()
    _deliver_one_by_one(reference, events)
    expected = _state(reference)

    for order in _orders(events, n_random=3):
        merchant = _fresh_merchant()
        for start in range(0, len(order), 7):  # webhooks arrive in bursts; each burst is drained in batches
            for evt in order[start : start + 7]:
                event_store(merchant=merchant, event=evt, now=timezone.now())
            while event_process_batch(merchant_id=merchant.pk, now=timezone.now(), limit=5):
                pass
            _run_parked(merchant)
        assert _state(merchant) == expected
