"""Events waiting for their parent: which objects an event applies, and who waits for them.

Stripe delivers in any order, so a refund, a dispute or an invoice payment can arrive before its charge or
invoice. The apply path then raises NotYetKnown(object_type, object_id); the inbox parks the event as WAITING
for that parent, and applies it right after an event applies the parent (same drain, same transaction).
If the parent never comes, providers/parents.py fetches it from the provider.
"""

from .models import ProviderEvent

Key = tuple[str, str]

# Besides the object itself, what applying it makes known: a charge makes its payment intent known (an
# invoice payment refers to the payment intent, and Teller keeps no row of payment intents of its own).
_ALSO_KNOWN = {"charge": ("payment_intent",)}


def data_object(payload) -> dict | None:
    """The event's data.object when it is an object (a hostile or broken payload may hold anything)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else None


def _key(kind, object_id) -> Key | None:
    if isinstance(kind, str) and isinstance(object_id, str) and object_id:
        return ("customer" if kind == "deleted_customer" else kind, object_id)
    return None


def applied_keys(obj: dict | None) -> set[Key]:
    """(object type, id) of every object that applying `obj` makes known to Teller."""
    if not obj:
        return set()
    keys = {_key(obj.get("object"), obj.get("id"))}
    for field in _ALSO_KNOWN.get(obj.get("object"), ()):
        ref = obj.get(field)
        keys.add(_key(field, ref.get("id") if isinstance(ref, dict) else ref))
    for value in obj.values():  # expanded parents travel inside the child (refund.charge) and are applied
        if isinstance(value, dict) and "object" in value:
            keys.add(_key(value.get("object"), value.get("id")))
    keys.discard(None)
    return keys


def waiting_key(event: ProviderEvent) -> Key:
    return (event.waiting_for_type, event.waiting_for_id)


def waiting_for(merchant_id: int, keys: set[Key], *, exclude: list[int] = ()) -> dict[Key, list]:
    """Lock the merchant's events waiting for any of `keys` (one query on a partial index), by key.

    SKIP LOCKED: an event another transaction holds is being applied by it right now.
    """
    if not keys:
        return {}
    rows = (
        ProviderEvent.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("merchant")
        .filter(
            merchant_id=merchant_id,
            status=ProviderEvent.Status.WAITING,
            waiting_for_id__in=sorted({object_id for _, object_id in keys}),
        )
        .exclude(pk__in=exclude)
        .order_by("provider_created_at", "pk")
    )
    found: dict[Key, list] = {}
    for row in rows:
        if waiting_key(row) in keys:  # ids are unique across types at Stripe, but be exact
            found.setdefault(waiting_key(row), []).append(row)
    return found


def waited_note(event: ProviderEvent, now) -> str:
    """What a PROCESSED event that had to wait keeps as its note."""
    if event.waiting_since is None:
        return ""
    seconds = max(0, int((now - event.waiting_since).total_seconds()))
    fetched = getattr(event, "parent_fetched", "")
    via = f"; {fetched}" if fetched else ""
    return f"applied after waiting {seconds} s for {event.waiting_for_type} {event.waiting_for_id}{via}"


def stop_waiting(event: ProviderEvent) -> None:
    event.waiting_for_type, event.waiting_for_id, event.waiting_since = "", "", None
