"""Shared pieces of the apply step: timestamps, ordering guard, upserts that survive concurrent duplicates."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from customers.identifiers import normalize
from customers.models import Customer, CustomerIdentifier, Identifier

# Set while the inbox applies an event: it holds its own savepoint around the apply (or, in an optimistic
# batch, none at all: a failure there rolls the whole batch back and it is redone one savepoint per event).
_IN_INBOX: ContextVar[bool] = ContextVar("teller_apply_in_inbox", default=False)
_OPTIMISTIC: ContextVar[bool] = ContextVar("teller_apply_optimistic", default=False)
# In an optimistic batch: keys the batch looked up at its start and found missing. A lookup of such a key is
# skipped and the row inserted straight away; if someone inserted it meanwhile, the unique constraint says
# so and the batch is redone carefully. Only absence is remembered, never a row (rows change under us).
_ABSENT: ContextVar[set | None] = ContextVar("teller_apply_absent", default=None)
# In an optimistic batch: the rows the batch itself inserted, by key. No other transaction can see them
# before the batch commits, so they change only through the apply helpers, which keep these instances
# current; a later event of the batch reuses them instead of reading them back.
_INSERTED: ContextVar[dict | None] = ContextVar("teller_apply_inserted", default=None)


@contextmanager
def inbox_scope(*, optimistic: bool, batch: "BatchMemory | None" = None) -> Iterator[None]:
    memory = batch if optimistic else None
    tokens = (
        _IN_INBOX.set(True),
        _OPTIMISTIC.set(optimistic),
        _ABSENT.set(memory.absent if memory else None),
        _INSERTED.set(memory.inserted if memory else None),
    )
    try:
        yield
    finally:
        _IN_INBOX.reset(tokens[0])
        _OPTIMISTIC.reset(tokens[1])
        _ABSENT.reset(tokens[2])
        _INSERTED.reset(tokens[3])


class BatchMemory:
    """What one optimistic batch knows beyond the database: keys found missing, rows it inserted."""

    def __init__(self, absent: set):
        self.absent = absent
        self.inserted: dict = {}


def absence_key(model, **key) -> tuple:
    """How a unique lookup is remembered: the model and its key fields (related rows by primary key)."""
    return (model._meta.label, *sorted((name, getattr(value, "pk", value)) for name, value in key.items()))


def _known_absent(model, key: dict) -> bool:
    absent = _ABSENT.get()
    return absent is not None and absence_key(model, **key) in absent


def _now_present(model, key: dict, row) -> None:
    """The batch inserted (or re-read) this row: no longer absent, and reusable by later events."""
    absent, inserted = _ABSENT.get(), _INSERTED.get()
    if absent is not None:
        absent.discard(absence_key(model, **key))
    if inserted is not None:
        inserted[absence_key(model, **key)] = row


def _inserted_row(model, key: dict):
    inserted = _INSERTED.get()
    return None if inserted is None else inserted.get(absence_key(model, **key))


def _mark_new(row):
    """Rows this apply inserted: nothing can refer to them yet (see identifier_link)."""
    row._inserted_by_apply = True
    return row


def apply_atomic():
    """The transaction of one apply: a savepoint of its own, unless the inbox already holds one for it (a
    staff action that calls apply inside its transaction and catches an error keeps a usable transaction)."""
    return transaction.atomic(savepoint=not _IN_INBOX.get())


def _insert(row) -> None:
    """INSERT the row. A unique conflict raises IntegrityError; outside an optimistic batch the caller's
    transaction survives it (a savepoint), inside one the batch is redone carefully anyway."""
    if _OPTIMISTIC.get():
        row.save(force_insert=True)
        _mark_new(row)
    else:
        with transaction.atomic():
            row.save(force_insert=True)


class NotYetKnown(Exception):
    """The object refers to one Teller has not seen yet (a refund before its charge): retry later.

    `object_type` is the Stripe object type of the missing parent ("charge", "invoice", ...) and `object_id`
    its id, so the inbox can park the event until that parent is applied (or fetch it from the provider).
    """

    def __init__(self, object_type: str, object_id: str | None, message: str = ""):
        self.object_type = object_type
        self.object_id = object_id
        super().__init__(message or f"{object_type} {object_id} is not known yet")


STALE_NOTE = "stale, skipped"

CARD_BRANDS = {
    "amex": "American Express",
    "american_express": "American Express",
    "mastercard": "Mastercard",
    "visa": "Visa",
    "discover": "Discover",
    "jcb": "JCB",
    "diners": "Diners Club",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
}


def ts(value) -> datetime | None:
    """A Stripe unix timestamp as an aware datetime (None stays None)."""
    if value in (None, "", 0):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def obj_id(value) -> str | None:
    """A reference that is either an id string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def stamp_of(event, now: datetime) -> datetime:
    """The ordering key: the event's own `created` time; a staff action's result is as new as `now`."""
    return event.provider_created_at if event is not None else now


def note_stale(event) -> None:
    if event is not None:
        event.apply_note = STALE_NOTE


def is_stale(row, stamp: datetime) -> bool:
    """An older event never overwrites newer state (equal times apply: Stripe's clock has 1 s resolution)."""
    return row.provider_updated_at is not None and stamp < row.provider_updated_at


def upsert(
    model,
    *,
    merchant,
    key: dict,
    stamp: datetime,
    fill: Callable,
    event=None,
    would_reopen: Callable | None = None,
):
    """Lock-or-insert the row keyed by `key`, call fill(row, is_new) unless the row is newer than `stamp`.

    `would_reopen(row)` says whether applying would move the row out of a final state (a canceled
    subscription back to active). Stripe's clock has 1 s resolution, so two events of one object often
    share a `created` second and arrive in any order; at equal times the final state wins.

    Returns (row, applied). A concurrent insert of the same key loses on the unique constraint; we then
    retry once as an update of the winner's row.
    """
    for attempt in (1, 2):
        if attempt == 1 and _known_absent(model, {"merchant": merchant, **key}):
            row = None
        else:
            row = model.objects.select_for_update().filter(merchant=merchant, **key).first()
        if row is not None:
            tie_lost = would_reopen is not None and stamp == row.provider_updated_at and would_reopen(row)
            if is_stale(row, stamp) or tie_lost:
                note_stale(event)
                return row, False
            fill(row, False)
            row.provider_updated_at = stamp
            row.save()
            if _inserted_row(model, {"merchant": merchant, **key}) is not None:
                _now_present(model, {"merchant": merchant, **key}, row)  # later events reuse this copy
            return row, True
        row = model(merchant=merchant, **key)
        fill(row, True)
        row.provider_updated_at = stamp
        try:
            _insert(row)
            _now_present(model, {"merchant": merchant, **key}, row)
            return row, True
        except IntegrityError:
            if attempt == 2 or _OPTIMISTIC.get():
                raise
    raise AssertionError("unreachable")


def get_or_create_safe(model, *, defaults: dict | None = None, fresh: bool = False, **key):
    """get_or_create that tolerates a concurrent insert of the same unique key.

    INSERT ... ON CONFLICT DO NOTHING needs no savepoint (two round trips instead of four on a miss); in an
    optimistic batch a plain INSERT ... RETURNING is one. The `created` flag is True when this call attempted
    the insert; a concurrent twin may have won instead, so callers only use it for idempotent follow-ups.
    `fresh` says the caller knows the row cannot exist (it refers to a row this batch just inserted).
    """
    optimistic = _OPTIMISTIC.get()
    row = _inserted_row(model, key)  # None outside an optimistic batch
    if row is not None:
        return row, False
    if not (optimistic and (fresh or _known_absent(model, key))):
        row = model.objects.filter(**key).first()
        if row is not None:
            return row, False
    if optimistic:  # a conflict aborts the batch, which is then redone one savepoint per event
        row = model(**key, **(defaults or {}))
        _insert(row)
        _now_present(model, key, row)
        return row, True
    model.objects.bulk_create([model(**key, **(defaults or {}))], ignore_conflicts=True)
    return model.objects.get(**key), True


def customer_for(merchant, provider_customer_id: str | None) -> Customer | None:
    """The customer row for a Stripe customer id, created as a stub if its own event has not arrived yet.

    The stub has no provider_updated_at, so the customer's own event (whatever its age) fills it in.
    """
    if not provider_customer_id:
        return None
    customer, _ = get_or_create_safe(
        Customer,
        merchant=merchant,
        provider_customer_id=provider_customer_id,
        defaults={"providers_used": [merchant.provider]},
    )
    return customer


def identifier_upsert(merchant, kind: str, value: str, **details) -> Identifier | None:
    """The merchant-wide identifier for a payment detail; display fields refresh when given."""
    value = normalize(kind, value or "")
    if not value:
        return None
    identifier, _ = get_or_create_safe(
        Identifier, merchant=merchant, kind=kind, value=value, defaults=details
    )
    changed = [f for f, v in details.items() if v not in (None, "") and getattr(identifier, f) != v]
    if changed:
        for field in changed:
            setattr(identifier, field, details[field])
        identifier.save(update_fields=[*changed, "updated_at"])
    return identifier


def _inserted(row) -> bool:
    return getattr(row, "_inserted_by_apply", False)


def identifier_link(customer: Customer | None, identifier: Identifier | None, seen_at: datetime) -> None:
    """Link a customer to an identifier they used, keeping the first and last time it was seen."""
    if customer is None or identifier is None:
        return
    link, created = get_or_create_safe(
        CustomerIdentifier,
        fresh=_inserted(customer) or _inserted(identifier),
        customer=customer,
        identifier=identifier,
        defaults={"first_seen_at": seen_at, "last_seen_at": seen_at},
    )
    if created:
        if (
            identifier.kind == Identifier.Kind.CUSTOMER_ID
            and identifier.is_blocked
            and not customer.is_blocked
        ):
            Customer.objects.filter(pk=customer.pk).update(is_blocked=True)
            customer.is_blocked = True
        return
    updates = {}
    if link.first_seen_at is None or seen_at < link.first_seen_at:
        updates["first_seen_at"] = seen_at
    if link.last_seen_at is None or seen_at > link.last_seen_at:
        updates["last_seen_at"] = seen_at
    if updates:
        CustomerIdentifier.objects.filter(pk=link.pk).update(**updates)
        for field, value in updates.items():
            setattr(link, field, value)


def card_display(brand: str, last4: str, exp_month: int | None, exp_year: int | None) -> str:
    """ "Visa •••• 4242, 04/28": never more than the last four digits."""
    label = CARD_BRANDS.get((brand or "").lower(), (brand or "Card").replace("_", " ").title())
    text = f"{label} •••• {last4}" if last4 else label
    if exp_month and exp_year:
        text += f", {int(exp_month):02d}/{int(exp_year) % 100:02d}"
    return text


def bank_display(last4: str, bank: str = "") -> str:
    text = f"SEPA Direct Debit •••• {last4}" if last4 else "SEPA Direct Debit"
    return f"{text} ({bank})" if bank else text


def method_identifier(merchant, method_type: str, details: dict) -> Identifier | None:
    """Identifier for a card or SEPA debit described by payment_method.card / payment_method_details.card."""
    fingerprint = details.get("fingerprint")
    if not fingerprint:
        return None
    if method_type == "card":
        return identifier_upsert(
            merchant,
            Identifier.Kind.CARD,
            fingerprint,
            display=card_display(
                details.get("brand", ""),
                details.get("last4", ""),
                details.get("exp_month"),
                details.get("exp_year"),
            ),
            brand=details.get("brand") or "",
            last4=details.get("last4") or "",
            exp_month=details.get("exp_month"),
            exp_year=details.get("exp_year"),
            country=details.get("country") or "",
        )
    if method_type == "sepa_debit":
        return identifier_upsert(
            merchant,
            Identifier.Kind.BANK_ACCOUNT,
            fingerprint,
            display=bank_display(details.get("last4", ""), details.get("bank_code") or ""),
            last4=details.get("last4") or "",
            country=details.get("country") or "",
            bank_name=details.get("bank_code") or "",
        )
    return None


def link_event(event, *, customer=None, purchase=None, transactions=()) -> None:
    """Record on the ProviderEvent what it touched: the customer activity and the IPN log read these."""
    if event is None or event.pk is None:
        return
    fields = []
    if customer is not None and event.customer_id != customer.pk:
        event.customer = customer
        fields.append("customer")
    if purchase is not None and event.purchase_id != purchase.pk:
        event.purchase = purchase
        fields.append("purchase")
    inbox = getattr(event, "inbox_saves_links", False)  # the inbox saves them with the event's status
    if fields and not inbox:
        event.save(update_fields=fields)
    txns = [t for t in transactions if t is not None and t.pk]
    if txns and inbox:
        event.pending_transaction_ids.update(t.pk for t in txns)
    elif txns:
        event.transactions.add(*txns)
