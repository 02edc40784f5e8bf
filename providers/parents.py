"""Parents that never came: fetch them from the provider, apply them, then the events that waited for them.

An event WAITING longer than settings.TELLER_INBOX_FETCH_PARENT_AFTER (beat: tasks.sweep_waiting_events)
gets its parent fetched through the provider (`retrieve_object`), applied through the normal apply path
(stamped `now`, as a staff action's result: the fetched state is newer than any event created before it), and
then the waiting events are applied. A parent the provider does not have (404) can never come: its children
are FAILED with that reason. A provider that cannot be reached leaves them WAITING for the next sweep.

No transaction or applier lock is held across a network call: the children are tried (the parent may have
been applied meanwhile outside the inbox, by sync_stripe or a staff action), then the parent is fetched, then
parent and children are applied under the merchant's applier lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from merchants.models import Merchant
from payments.base import ObjectMissing, ProviderError
from payments.registry import get_provider

from .apply import APPLIERS, NotYetKnown, apply_object
from .inbox import applier_lock
from .inbox_apply import apply_events
from .models import ProviderEvent
from .outcomes import save_outcomes
from .waiting import Key, applied_keys, stop_waiting, waiting_for

# Parents fetched per run of one merchant (the rest wait for the next sweep).
PARENTS_PER_RUN = 50
# A fetched parent may itself refer to an unknown object (an invoice's subscription): fetched too, this deep.
MAX_FETCH_DEPTH = 3


class ApplierBusy(Exception):
    """The merchant's applier lock is held by a drain: try again shortly."""


def fetch_after() -> timedelta:
    return timedelta(seconds=settings.TELLER_INBOX_FETCH_PARENT_AFTER)


def overdue_merchants(*, now: datetime) -> list[int]:
    return list(
        ProviderEvent.objects.filter(
            status=ProviderEvent.Status.WAITING, waiting_since__lte=now - fetch_after()
        )
        .values_list("merchant_id", flat=True)
        .distinct()
    )


@contextmanager
def _applier(merchant_id: int) -> Iterator[None]:
    with applier_lock(merchant_id) as held:
        if not held:
            raise ApplierBusy(merchant_id)
        yield


def waiting_resolve(*, merchant_id: int, now: datetime) -> dict[str, int]:
    """Resolve the merchant's overdue parents; returns how many ended applied, missing or still waiting.

    Raises ApplierBusy when a drain holds the merchant (the caller retries a little later).
    """
    merchant = Merchant.objects.get(pk=merchant_id)
    outcomes = {"applied": 0, "missing": 0, "waiting": 0}
    done: set[Key] = set()
    # A woken event may then wait for another parent (a refund waited for its payment intent, now for the
    # charge): it keeps its waiting_since, so a further round of the same run fetches that parent too.
    for _ in range(MAX_FETCH_DEPTH + 1):
        parents = [key for key in _overdue_parents(merchant_id, now=now) if key not in done]
        if not parents:
            break
        for key in parents:
            done.add(key)
            outcomes[parent_resolve(merchant=merchant, key=key, now=now)] += 1
    return outcomes


def _overdue_parents(merchant_id: int, *, now: datetime) -> list[Key]:
    rows = (
        ProviderEvent.objects.filter(
            merchant_id=merchant_id,
            status=ProviderEvent.Status.WAITING,
            waiting_since__lte=now - fetch_after(),
        )
        .order_by("waiting_since")
        .values_list("waiting_for_type", "waiting_for_id")[: PARENTS_PER_RUN * 10]
    )
    return list(dict.fromkeys(rows))[:PARENTS_PER_RUN]


def parent_resolve(*, merchant, key: Key, now: datetime) -> str:
    """Make the events waiting for `key` applied ("applied"), FAILED ("missing") or leave them ("waiting")."""
    with _applier(merchant.pk):
        if not _wake(merchant, {key}, now=now, still_waiting_for=key):
            return "applied"  # the parent was applied meanwhile outside the inbox
    provider = get_provider(merchant)
    try:
        applied = _fetch_and_apply(merchant, provider, key, now=now, depth=0)
    except ObjectMissing as exc:
        _settle(
            merchant, key, now=now, fail=f"{key[0]} {key[1]} does not exist at the provider ({exc.message})"
        )
        return "missing"
    except (ProviderError, NotYetKnown) as exc:  # unreachable, refused, or a grandparent too deep
        _settle(merchant, key, now=now, note=f"fetching {key[0]} {key[1]} failed, tried again later: {exc}")
        return "waiting"
    with _applier(merchant.pk):
        left = _wake(merchant, applied | {key}, now=now, still_waiting_for=key, fetched=True)
    return "waiting" if left else "applied"


def _retrieve(provider, key: Key) -> dict:
    """The object to apply for a parent. A payment intent is known to Teller through its charge."""
    obj = provider.retrieve_object(*key)
    if obj.get("object") in APPLIERS or key[0] != "payment_intent":
        return obj
    charge = obj.get("latest_charge")
    if not charge:
        raise NotYetKnown("payment_intent", key[1], f"payment intent {key[1]} has no charge yet")
    return charge if isinstance(charge, dict) else provider.retrieve_object("charge", charge)


def _fetch_and_apply(merchant, provider, key: Key, *, now: datetime, depth: int) -> set[Key]:
    """Fetch the parent (and any grandparent it needs first) and apply it; returns the keys it made known."""
    obj = _retrieve(provider, key)  # the network call, outside any transaction
    for _ in range(MAX_FETCH_DEPTH + 1):
        try:
            with _applier(merchant.pk), transaction.atomic():
                apply_object(merchant=merchant, obj=obj, now=now)
            return applied_keys(obj)
        except NotYetKnown as exc:
            if depth >= MAX_FETCH_DEPTH or not exc.object_id:
                raise
            _fetch_and_apply(merchant, provider, (exc.object_type, exc.object_id), now=now, depth=depth + 1)
    raise NotYetKnown(*key, f"{key[0]} {key[1]} could not be applied after fetching what it refers to")


def _wake(merchant, keys: set[Key], *, now: datetime, still_waiting_for: Key, fetched: bool = False) -> int:
    """Apply the events waiting for `keys` (then theirs); returns how many still wait for the parent."""
    with transaction.atomic():
        waiting = waiting_for(merchant.pk, keys)
        children = sorted(
            (c for group in waiting.values() for c in group), key=lambda c: (c.provider_created_at, c.pk)
        )
        for child in children:
            child.parent_fetched = f"{child.waiting_for_type} fetched from the provider" if fetched else ""
        touched, _ = apply_events(children, merchant_id=merchant.pk, now=now)
        save_outcomes(touched)
    return sum(
        1
        for c in children
        if c.status == ProviderEvent.Status.WAITING
        and (c.waiting_for_type, c.waiting_for_id) == still_waiting_for
    )


def _settle(merchant, key: Key, *, now: datetime, fail: str = "", note: str = "") -> None:
    """FAILED with `fail` (the parent cannot come), or still WAITING with `note` on the row."""
    with transaction.atomic():
        children = [c for group in waiting_for(merchant.pk, {key}).values() for c in group]
        for child in children:
            if fail:
                child.status, child.error, child.processed_at = ProviderEvent.Status.FAILED, fail, now
                stop_waiting(child)
            else:
                child.error = note[:5000]
        save_outcomes(children)
