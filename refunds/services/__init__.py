"""Every write of the credit and repayment flows (reserve, call the provider, record; see credits.py). Split
by flow; import from here."""

from .credit_outcome import credit_reconcile, credits_reconcile_pending
from .credits import (
    credit_create,
    credit_remaining,
    is_under_chargeback,
    new_idempotency_key,
    support_limit,
)
from .errors import CreditRefused, RefundsError, RepaymentRefused
from .repayment_records import repayment_manual_create, repayment_record_paid
from .repayments import (
    chargeback_outstanding,
    repayment_link_cancel,
    repayment_link_create,
    repayment_link_email,
    repayments_expire,
)

__all__ = [
    "credit_create",
    "credit_reconcile",
    "credit_remaining",
    "credits_reconcile_pending",
    "is_under_chargeback",
    "new_idempotency_key",
    "support_limit",
    "CreditRefused",
    "RefundsError",
    "RepaymentRefused",
    "chargeback_outstanding",
    "repayment_link_cancel",
    "repayment_link_create",
    "repayment_link_email",
    "repayment_manual_create",
    "repayment_record_paid",
    "repayments_expire",
]
