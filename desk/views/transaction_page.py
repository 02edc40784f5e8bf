"""Transaction details: every field, the provider notifications about it (IPN log) and notes."""

import json

from django import forms
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone

from merchants.guards import get_for_merchant, merchant_required
from providers.models import ProviderEvent
from transactions.models import Dispute, Note, Transaction
from transactions.services import NOTE_MAX_LENGTH, NoteInvalid, note_create

TEMPLATE = "transactions/transaction_detail.html"
EVENTS_LIMIT = 50


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note",
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Visible to your team only"}),
    )


def _transaction(request, pk) -> Transaction:
    qs = Transaction.objects.select_related("customer", "purchase__product", "parent", "identifier")
    return get_for_merchant(qs, request, pk=pk)


def provider_events(txn: Transaction) -> list[ProviderEvent]:
    """The IPN log: events linked to the transaction, or about its provider object (1 query).

    Two indexed reads in one UNION (the links by transaction, the events by object_id), sorted after: an OR
    of the two in one WHERE let PostgreSQL walk the merchant's whole inbox newest first looking for rows that
    are not there (1.8 s at 5 million stored events; bench/inbox_pages.py).
    """
    events = ProviderEvent.objects.filter(merchant_id=txn.merchant_id).order_by()  # sorted after the UNION
    linked = ProviderEvent.transactions.through.objects.filter(transaction=txn).values("providerevent_id")
    found = events.filter(id__in=linked)
    if txn.provider_id:
        found = found.union(events.filter(object_id=txn.provider_id))
    events = list(found.order_by("-received_at", "-id")[:EVENTS_LIMIT])
    for event in events:
        event.pretty = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
    return events


def _notes(txn: Transaction) -> list[Note]:
    return list(Note.objects.filter(transaction=txn).select_related("author").order_by("created_at", "id"))


def _context(txn: Transaction, form=None) -> dict:
    return {
        "txn": txn,
        "notes": _notes(txn),
        "form": form or NoteForm(),
        # Only the customer's own words: provider metadata (evidence_due_by, order ids) is not a note and is
        # shown as raw JSON apart from it.
        "customer_note": txn.description,
        "metadata_json": json.dumps(txn.metadata, indent=2, sort_keys=True) if txn.metadata else "",
    }


@merchant_required()
def transaction_detail(request, pk):
    txn = _transaction(request, pk)
    ctx = _context(txn)
    ctx["events"] = provider_events(txn)
    ctx["related"] = list(txn.children.order_by("occurred_at", "id")[:50])
    ctx["disputes"] = transaction_disputes(txn)
    ctx["now"] = timezone.now()
    return render(request, TEMPLATE, ctx)


def transaction_disputes(txn: Transaction) -> list[Dispute]:
    """A chargeback's own dispute, or the disputes of a disputed charge (1 query; none for other rows)."""
    if txn.kind == Transaction.Kind.CHARGEBACK:
        match = Q(transaction=txn)
    elif txn.kind == Transaction.Kind.CHARGE and (
        txn.disputed_amount or txn.status in (Transaction.Status.DISPUTED, Transaction.Status.CHARGED_BACK)
    ):
        match = Q(transaction__parent=txn)
    else:
        return []
    return list(Dispute.objects.filter(match).select_related("transaction").order_by("due_by", "id"))


@merchant_required("note.add")
def note_add(request, pk):
    """POST a staff note; HTMX gets the notes card back, a plain form post is redirected to the page."""
    txn = _transaction(request, pk)
    if request.method != "POST":
        return redirect("transactions:detail", pk=txn.pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_create(actor=request.user, now=timezone.now(), txn=txn, body=form.cleaned_data["body"])
            form = None
        except NoteInvalid as exc:
            form.add_error("body", str(exc))
    if request.htmx:
        response = render(request, f"{TEMPLATE}#notes", _context(txn, form))
        if form is None:
            response["HX-Trigger"] = json.dumps(
                {"customer:changed": True, "teller:toast": {"message": "Note added"}}
            )
        return response
    if form is None:
        return redirect("transactions:detail", pk=txn.pk)
    ctx = _context(txn, form)
    ctx["events"] = provider_events(txn)
    ctx["related"] = list(txn.children.order_by("occurred_at", "id")[:50])
    return render(request, TEMPLATE, ctx, status=400)
