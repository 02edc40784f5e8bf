"""Whether a charge can be credited (refunded at the provider): ONE rule for the Credit action's template
filter, the modal's view and the credit service, so Teller never offers what the provider will refuse.

Stripe's rule, per dispute: an *inquiry* (`warning_needs_response`, `warning_under_review`) leaves the charge
refundable (the dispute's `is_charge_refundable` is true; refunding is the usual way to settle one), and one
that closed as an inquiry (`warning_closed`) never became a chargeback. A formal dispute (`needs_response`,
`under_review`, and after it closes `won` or `lost`) means the charge has been charged back: Stripe refuses
the refund ("has been charged back", code `charge_disputed`), whatever the dispute's outcome; the money
goes back to the customer through the dispute, not a refund.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from .models import Transaction

FORMAL_DISPUTE_STATUSES = ("needs_response", "under_review", "won", "lost")
CHARGED_BACK = (
    "This charge has been charged back (a dispute was opened); the provider does not allow a refund."
)
# A chargeback row that is a formal dispute: the provider's own status, or for a row without it (created
# before the status was kept) Teller's mapping of those statuses.
FORMAL_DISPUTE = Q(kind=Transaction.Kind.CHARGEBACK) & (
    Q(metadata__dispute_status__in=FORMAL_DISPUTE_STATUSES)
    | Q(
        metadata__dispute_status__isnull=True,
        status__in=[
            Transaction.Status.NEEDS_RESPONSE,
            Transaction.Status.UNDER_REVIEW,
            Transaction.Status.WON,
            Transaction.Status.LOST,
        ],
    )
)


def with_formal_dispute(queryset):
    """Annotate `has_formal_dispute` in the same query, so a list asks credit_refusal nothing more."""
    formal = Transaction.objects.filter(FORMAL_DISPUTE, parent=OuterRef("pk"))
    return queryset.annotate(has_formal_dispute=Exists(formal))


def credit_refusal(charge: Transaction) -> str:
    """ "" when the charge can be credited at all (the amount is checked elsewhere), else why not."""
    if charge.kind != Transaction.Kind.CHARGE:
        return "Only a charge can be credited."
    if charge.status not in Transaction.SUCCESSFUL_STATUSES:
        return (
            f"This charge is {charge.get_status_display().lower()}; only a successful charge can be credited."
        )
    if charge.status == Transaction.Status.CHARGED_BACK:
        return CHARGED_BACK
    formal = getattr(charge, "has_formal_dispute", None)
    if formal is None:
        formal = charge.children.filter(FORMAL_DISPUTE).exists()
    if formal:
        return CHARGED_BACK
    if (
        charge.status == Transaction.Status.DISPUTED
        and not charge.children.filter(kind=Transaction.Kind.CHARGEBACK).exists()
    ):
        return CHARGED_BACK  # the dispute itself is not mirrored yet: assume the stricter case
    return ""
