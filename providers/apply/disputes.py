"""charge.dispute.* objects -> the CHARGEBACK Transaction, its Dispute row and the balance-transaction
children (funds withdrawn / reinstated). The charge itself is charges.py's."""

from datetime import datetime

from payments import stripe_shapes as shapes
from transactions.models import Dispute, Transaction

from .charges import REPAYMENT_STATUSES, _inherit, _parent_charge, recompute_charge_status
from .common import (
    apply_atomic,
    link_event,
    stamp_of,
    ts,
    upsert,
)

T = Transaction.Status

DISPUTE_STATUS_MAP = {
    "warning_needs_response": T.WARNING,
    "warning_under_review": T.WARNING,
    "warning_closed": T.WON,  # the inquiry closed without becoming a chargeback
    "needs_response": T.NEEDS_RESPONSE,
    "under_review": T.UNDER_REVIEW,
    "won": T.WON,
    "prevented": T.WON,
    "lost": T.LOST,
}


# ---------------------------------------------------------------------------------------------- disputes
def apply_dispute(*, merchant, obj: dict, now: datetime, event=None) -> Transaction:
    """Upsert a CHARGEBACK under its charge, mark the charge, record reinstatements and fees."""
    stamp = stamp_of(event, now)
    event_type = getattr(event, "type", "") or ""
    with apply_atomic():
        charge = _parent_charge(merchant, obj, now, event)
        status = DISPUTE_STATUS_MAP.get(obj.get("status") or "", T.NEEDS_RESPONSE)
        balance_txns = [b for b in obj.get("balance_transactions") or [] if isinstance(b, dict)]

        def fill(txn: Transaction, is_new: bool) -> None:
            _inherit(txn, charge)
            txn.kind = Transaction.Kind.CHARGEBACK
            keep_repaid = txn.status in REPAYMENT_STATUSES and status == T.LOST
            txn.status = txn.status if keep_repaid else status
            txn.amount = min(int(obj["amount"]), charge.amount) or charge.amount
            txn.currency = (obj.get("currency") or charge.currency)[:3]
            txn.reason = obj.get("reason") or ""
            txn.occurred_at = ts(obj.get("created")) or stamp
            metadata = dict(txn.metadata or {})
            metadata.update(obj.get("metadata") or {})
            metadata["dispute_status"] = obj.get("status")
            if event_type.endswith("funds_withdrawn") or any(b.get("amount", 0) < 0 for b in balance_txns):
                metadata["funds_withdrawn"] = True
            if event_type.endswith("funds_reinstated") or any(b.get("amount", 0) > 0 for b in balance_txns):
                metadata["funds_reinstated"] = True
            due_by = shapes.dispute_due_by(obj)
            if due_by:
                metadata["evidence_due_by"] = due_by
            txn.metadata = metadata

        chargeback, _ = upsert(
            Transaction,
            merchant=merchant,
            key={"provider_id": obj["id"]},
            stamp=stamp,
            fill=fill,
            event=event,
        )
        _dispute_row(merchant, chargeback, obj, stamp, event)
        touched = [chargeback, charge, *_balance_children(merchant, chargeback, balance_txns, stamp, event)]
        charge.disputed_amount = 0 if chargeback.status == T.WON else chargeback.amount
        recompute_charge_status(charge)
        charge.save(update_fields=["disputed_amount", "status", "updated_at"])
        link_event(event, customer=charge.customer, purchase=charge.purchase, transactions=touched)
    return chargeback


def _dispute_row(merchant, chargeback: Transaction, obj: dict, stamp, event) -> Dispute:
    """The dispute's stage, evidence deadline and evidence, ordered like the chargeback row itself."""
    state = shapes.dispute_evidence_state(obj)
    stripe_status = shapes.dispute_status(obj).upper()
    known = {s.value for s in Dispute.Status}

    def fill(row: Dispute, is_new: bool) -> None:
        row.transaction = chargeback
        row.status = (
            stripe_status if stripe_status in known else (row.status or Dispute.Status.NEEDS_RESPONSE)
        )
        row.reason = (obj.get("reason") or "")[:64]
        row.amount = max(0, int(obj.get("amount") or chargeback.amount))
        row.currency = (obj.get("currency") or chargeback.currency)[:3]
        row.due_by = ts(state["due_by"]) if state["due_by"] else None
        row.has_evidence = state["has_evidence"]
        row.past_due = state["past_due"]
        row.submission_count = state["submission_count"]
        row.is_charge_refundable = state["is_charge_refundable"]
        row.evidence = shapes.dispute_evidence(obj)

    row, _ = upsert(
        Dispute, merchant=merchant, key={"provider_id": obj["id"]}, stamp=stamp, fill=fill, event=event
    )
    return row


def _balance_children(merchant, chargeback: Transaction, balance_txns: list, stamp, event) -> list:
    """A reinstatement becomes a CHARGEBACK_REVERSAL, a fee a FEE, keyed by balance transaction."""
    rows = []
    for bt in balance_txns:
        if bt.get("amount", 0) > 0:
            rows.append(
                _child(
                    merchant,
                    chargeback,
                    f"{bt['id']}",
                    Transaction.Kind.CHARGEBACK_REVERSAL,
                    bt["amount"],
                    bt,
                    stamp,
                    event,
                )
            )
        if bt.get("fee", 0) > 0:
            rows.append(
                _child(
                    merchant, chargeback, f"{bt['id']}:fee", Transaction.Kind.FEE, bt["fee"], bt, stamp, event
                )
            )
    return rows


def _child(merchant, chargeback, provider_id, kind, amount, bt, stamp, event) -> Transaction:
    def fill(txn: Transaction, is_new: bool) -> None:
        _inherit(txn, chargeback)
        txn.kind = kind
        txn.status = T.SUCCEEDED
        txn.amount = int(amount)
        txn.currency = (bt.get("currency") or chargeback.currency)[:3]
        txn.description = bt.get("description") or ""
        txn.occurred_at = ts(bt.get("created")) or stamp

    row, _ = upsert(
        Transaction, merchant=merchant, key={"provider_id": provider_id}, stamp=stamp, fill=fill, event=event
    )
    return row
