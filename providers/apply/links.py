"""The link charge <-> invoice <-> subscription purchase, made whichever piece arrives last.

Stripe tells it in three objects that arrive in any order: the charge (its payment intent), the
invoice_payment (invoice <-> payment intent, or charge) and the invoice (its subscription). Each apply stores
what its object tells (Transaction.provider_payment_intent_id, InvoicePayment, ProviderInvoice) and then asks
these helpers to tie whatever is now complete; the subscription's own apply ties what waited for its purchase.
"""

from django.db.models import Q

from purchases.models import Purchase
from transactions.models import Transaction

from ..models import InvoicePayment, ProviderInvoice


def attach_purchase(merchant, charges, purchase: Purchase) -> list[Transaction]:
    """Put the charges (and their refunds, disputes and the dispute's fees) under the purchase."""
    changed = []
    for charge in charges:
        if charge.purchase_id == purchase.pk:
            continue
        charge.purchase = purchase
        charge.save(update_fields=["purchase", "updated_at"])
        Transaction.objects.filter(merchant=merchant).filter(
            Q(parent=charge) | Q(parent__parent=charge)
        ).update(purchase=purchase)
        changed.append(charge)
    return changed


def subscription_id_for_charge(merchant, charge: Transaction) -> str | None:
    """The subscription whose invoice this charge paid, when invoice_payment and invoice are both known.

    The invoice ids are read first, one indexed lookup per key (UNION): as a single query with an OR inside
    an IN subquery, PostgreSQL on fresh statistics (a table still filling, as during a history import)
    planned a scan of every invoice of the merchant per charge.
    """
    if not charge.provider_id:
        return None
    payments = InvoicePayment.objects.filter(merchant=merchant)
    by_charge = payments.filter(charge_id=charge.provider_id).values_list("provider_invoice_id", flat=True)
    if charge.provider_payment_intent_id:
        by_intent = payments.filter(payment_intent_id=charge.provider_payment_intent_id).values_list(
            "provider_invoice_id", flat=True
        )
        by_charge = by_charge.union(by_intent)
    invoice_ids = list(by_charge)
    if not invoice_ids:
        return None
    return (
        ProviderInvoice.objects.filter(merchant=merchant, provider_invoice_id__in=invoice_ids)
        .exclude(provider_subscription_id="")
        .order_by("pk")
        .values_list("provider_subscription_id", flat=True)
        .first()
    )


def charges_of_invoices(merchant, invoice_ids) -> list[Transaction]:
    payments = list(
        InvoicePayment.objects.filter(merchant=merchant, provider_invoice_id__in=invoice_ids).values_list(
            "payment_intent_id", "charge_id"
        )
    )
    intents = {pi for pi, _ in payments if pi}
    charge_ids = {ch for _, ch in payments if ch}
    if not intents and not charge_ids:
        return []
    return list(
        Transaction.objects.filter(merchant=merchant, kind=Transaction.Kind.CHARGE).filter(
            Q(provider_id__in=charge_ids) | Q(provider_payment_intent_id__in=intents)
        )
    )


def link_invoice(merchant, invoice_id: str | None) -> tuple[list[Transaction], Purchase | None]:
    """Tie the charges that paid this invoice to its subscription's purchase (when all are known)."""
    if not invoice_id:
        return [], None
    charges = charges_of_invoices(merchant, [invoice_id])
    sub_id = (
        ProviderInvoice.objects.filter(merchant=merchant, provider_invoice_id=invoice_id)
        .values_list("provider_subscription_id", flat=True)
        .first()
    )
    purchase = (
        Purchase.objects.filter(merchant=merchant, provider_subscription_id=sub_id).first()
        if sub_id
        else None
    )
    if purchase is not None:
        attach_purchase(merchant, charges, purchase)
    return charges, purchase


def link_subscription(merchant, purchase: Purchase) -> list[Transaction]:
    """A subscription applied after its invoices and payments: tie the charges that waited for it."""
    if not purchase.provider_subscription_id:
        return []
    invoice_ids = ProviderInvoice.objects.filter(
        merchant=merchant, provider_subscription_id=purchase.provider_subscription_id
    ).values_list("provider_invoice_id", flat=True)
    return attach_purchase(merchant, charges_of_invoices(merchant, list(invoice_ids)), purchase)
