"""The history import through providers.apply: complete, idempotent, resumable, polite on 429, ordered."""

import pytest
from django.utils import timezone

from customers.models import Customer, PaymentMethod
from merchant_settings import services
from merchant_settings.importer import HEARTBEAT_STALE, Importer
from merchant_settings.models import ImportFailure, ImportRun, ImportStep, ObjectType
from merchant_settings.selectors import import_view
from purchases.models import Purchase
from tests.merchant_settings.conftest import KEY
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

N = 12  # customers in small_history


@pytest.fixture
def connected(stripe_server, new_merchant, new_owner, small_history):
    stripe_server.load(small_history)
    services.stripe_connect(merchant=new_merchant, key=KEY, actor=new_owner, now=timezone.now())
    return new_merchant


def run_of(merchant) -> ImportRun:
    return ImportRun.objects.filter(merchant=merchant).latest("created_at")


def snapshot(merchant) -> dict:
    """Every imported row's data, without the ordering stamps an import refreshes."""
    skip = {"provider_updated_at", "updated_at"}
    rows = {}
    for model in (Customer, PaymentMethod, Purchase, Transaction):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        rows[model.__name__] = sorted(
            model.objects.filter(merchant=merchant).values_list(*fields), key=lambda r: r[0]
        )
    return rows


def steps(run) -> dict:
    return {s.object_type: s for s in run.steps.all()}


def test_an_import_applies_every_object_of_the_history(connected):
    Importer(run_of(connected)).execute()

    run = run_of(connected)
    by_type = steps(run)
    assert run.state == ImportRun.State.SUCCEEDED
    assert Customer.objects.filter(merchant=connected).count() == N
    assert PaymentMethod.objects.filter(customer__merchant=connected).count() == N
    assert Purchase.objects.filter(merchant=connected, provider_subscription_id__isnull=False).count() == N
    charges = Transaction.objects.filter(merchant=connected, provider_id__startswith="ch_")
    assert charges.count() == N + 3  # a subscription charge each, a one-time charge every 5th
    assert Transaction.objects.filter(merchant=connected, provider_id__startswith="re_").count() == 3
    assert by_type[ObjectType.CUSTOMER].applied == N
    assert by_type[ObjectType.DISPUTE].applied == 2
    assert not ImportFailure.objects.exists()
    assert all(s.state == ImportStep.State.DONE for s in run.steps.all())


def test_a_charge_belongs_to_its_customer_and_the_refund_to_its_charge(connected):
    Importer(run_of(connected)).execute()

    customer = Customer.objects.get(merchant=connected, email="buyers0@example.org")
    assert customer.transactions.filter(provider_id__startswith="ch_").count() == 2
    one_time = customer.transactions.get(amount=900)
    assert one_time.refunded_amount == 300


def test_a_second_import_changes_nothing(connected, new_owner):
    Importer(run_of(connected)).execute()
    before = snapshot(connected)

    services.import_start(merchant=connected, actor=new_owner, now=timezone.now())
    Importer(run_of(connected)).execute()

    assert run_of(connected).state == ImportRun.State.SUCCEEDED
    assert snapshot(connected) == before


def test_a_429_is_waited_out_and_the_import_goes_on(connected, stripe_server):
    stripe_server.rate_limit(3, retry_after=0.25)
    waits = []

    Importer(run_of(connected), sleep=waits.append).execute()

    assert waits == [0.25, 0.25, 0.25]  # Stripe's Retry-After
    assert run_of(connected).state == ImportRun.State.SUCCEEDED
    assert sum(s.rate_limited for s in run_of(connected).steps.all()) == 3
    assert Customer.objects.filter(merchant=connected).count() == N


def test_without_retry_after_the_waits_grow_exponentially(connected, stripe_server):
    stripe_server.rate_limit(4, retry_after=None)
    waits = []

    Importer(run_of(connected), sleep=waits.append).execute()

    assert len(waits) == 4
    assert [0.5 <= w <= 1 for w in waits[:1]] == [True]
    assert 4 <= waits[3] <= 8  # 2**3 with jitter in [0.5, 1]
    assert run_of(connected).state == ImportRun.State.SUCCEEDED


def test_endless_429s_stop_the_run_with_a_message_and_keep_what_was_imported(connected, stripe_server):
    stripe_server.rate_limit(1000)

    Importer(run_of(connected), sleep=lambda s: None).execute()

    run = run_of(connected)
    assert run.state == ImportRun.State.FAILED
    assert "429" in run.last_error


class Crash(BaseException):
    """Stands for the worker being killed: not an Exception, so nothing in the importer catches it."""


def test_a_run_killed_mid_page_resumes_from_its_cursor_without_duplicates(
    connected, stripe_server, monkeypatch
):
    from merchant_settings import importer as importer_module

    applied = []
    real_apply = importer_module.apply_object

    def dying_apply(**kwargs):
        applied.append(kwargs["obj"]["id"])
        if (
            kwargs["obj"]["object"] == "subscription"
            and len([a for a in applied if a.startswith("sub_")]) == 5
        ):
            raise Crash()
        return real_apply(**kwargs)

    monkeypatch.setattr(importer_module, "apply_object", dying_apply)
    monkeypatch.setattr(importer_module, "PAGE_SIZE", 4)
    with pytest.raises(Crash):
        Importer(run_of(connected)).execute()
    half = steps(run_of(connected))
    assert half[ObjectType.CUSTOMER].state == ImportStep.State.DONE
    assert half[ObjectType.SUBSCRIPTION].done == 4  # the page being applied when it died was rolled back
    stripe_server.state.requests.clear()
    monkeypatch.setattr(importer_module, "apply_object", real_apply)
    later = timezone.now() + HEARTBEAT_STALE * 2

    Importer(run_of(connected), clock=lambda: later).execute()

    run = run_of(connected)
    assert run.state == ImportRun.State.SUCCEEDED
    assert Purchase.objects.filter(merchant=connected, provider_subscription_id__isnull=False).count() == N
    assert steps(run)[ObjectType.SUBSCRIPTION].done == N
    lists = [p for m, p in stripe_server.state.requests if p == "/v1/customers"]
    assert lists == []  # finished steps are not read again


def test_a_live_worker_keeps_its_run(connected):
    run = run_of(connected)
    first = Importer(run)
    assert first.claim()

    assert not Importer(run_of(connected)).claim()


def test_a_webhook_newer_than_the_listing_wins_and_an_older_one_does_not(connected, stripe_server):
    from providers.inbox import event_store
    from providers.inbox_apply import event_process

    Importer(run_of(connected)).execute()
    charge = next(o for o in stripe_server.state.objects["charge"] if o["amount"] == 1500)
    old = {"id": "evt_old", "object": "event", "type": "charge.updated", "created": 1_700_000_000,
           "data": {"object": {**charge, "description": "before the import"}}}  # fmt: skip
    later = int(timezone.now().timestamp()) + 5
    new = {"id": "evt_new", "object": "event", "type": "charge.updated", "created": later,
           "data": {"object": {**charge, "description": "after the import"}}}  # fmt: skip

    for event in (new, old):
        row, _ = event_store(merchant=connected, event=event, now=timezone.now())
        event_process(event_id=row.pk, now=timezone.now())

    assert (
        Transaction.objects.get(merchant=connected, provider_id=charge["id"]).description
        == "after the import"
    )


def test_progress_is_estimated_from_how_far_back_the_cursor_reached(connected, monkeypatch):
    from merchant_settings import importer as importer_module

    monkeypatch.setattr(importer_module, "PAGE_SIZE", 6)
    importer = Importer(run_of(connected))
    importer.claim()
    importer._history_start()
    step = run_of(connected).steps.get(object_type=ObjectType.CUSTOMER)
    importer.page(step)

    view = import_view(run_of(connected), now=timezone.now())
    customers = next(p for p in view["progress"] if p.step.object_type == ObjectType.CUSTOMER)
    assert customers.step.done == 6
    assert 30 <= customers.percent <= 60
    assert customers.rate and customers.rate > 0


def test_an_object_that_cannot_be_applied_is_listed_with_its_id_and_the_rest_is_applied(
    connected, stripe_server
):
    orphan = {"id": "re_Orphan0001", "object": "refund", "charge": "ch_NeverListed", "amount": 100,
              "currency": "eur", "status": "succeeded", "created": 1_760_000_005, "metadata": {}}  # fmt: skip
    stripe_server.load([orphan])

    Importer(run_of(connected)).execute()

    failure = ImportFailure.objects.get()
    assert failure.object_id == "re_Orphan0001"
    assert "ch_NeverListed" in failure.message
    assert Transaction.objects.filter(merchant=connected, provider_id__startswith="re_").count() == 3
    assert steps(run_of(connected))[ObjectType.REFUND].failed == 1
    assert run_of(connected).state == ImportRun.State.SUCCEEDED


def test_429s_on_the_payment_method_lists_are_waited_out_by_the_fetchers(
    connected, stripe_server, monkeypatch
):
    from merchant_settings import importer as importer_module

    real_cards_of = importer_module.Importer._cards_of
    armed = []

    def cards_of(self, customer_ids, step):
        if not armed:  # the customers step is done: the next 3 list requests are the cards' and get 429
            armed.append(True)
            stripe_server.rate_limit(3, retry_after=0.25)
        return real_cards_of(self, customer_ids, step)

    monkeypatch.setattr(importer_module.Importer, "_cards_of", cards_of)
    waits = []
    Importer(run_of(connected), sleep=waits.append).execute()

    assert waits == [0.25, 0.25, 0.25]
    run = run_of(connected)
    assert run.state == ImportRun.State.SUCCEEDED
    assert steps(run)[ObjectType.PAYMENT_METHOD].rate_limited == 3
    assert PaymentMethod.objects.filter(customer__merchant=connected).count() == N
    assert PaymentMethod.objects.filter(customer__merchant=connected, is_default=True).count() == N


def test_marking_the_default_card_leaves_a_customer_a_later_webhook_changed(new_merchant):
    from datetime import timedelta

    from providers.apply import apply_default_method, apply_object
    from tests.stripe_server import history

    objects = history(1, prefix="D")
    customer = next(o for o in objects if o["object"] == "customer")
    first = next(o for o in objects if o["object"] == "payment_method")
    second = {**first, "id": "pm_DSecond0001", "card": {**first["card"], "fingerprint": "fpDSecond"}}
    earlier = timezone.now() - timedelta(minutes=5)
    for method in (first, second):
        apply_object(merchant=new_merchant, obj=method, now=earlier)
    later = {**customer, "invoice_settings": {"default_payment_method": second["id"]}}
    apply_object(merchant=new_merchant, obj=later, now=timezone.now())  # a webhook after the listing

    apply_default_method(merchant=new_merchant, obj=customer, now=earlier)  # the listing names `first`
    assert PaymentMethod.objects.get(is_default=True).provider_id == second["id"]

    apply_default_method(merchant=new_merchant, obj=customer, now=timezone.now() + timedelta(seconds=5))
    assert PaymentMethod.objects.get(is_default=True).provider_id == first["id"]
