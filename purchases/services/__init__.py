"""Every write on purchases, split by topic; import from here (`from purchases.services import ...`).

- `cancel.py`: cancel at period end / now, cancel now, recover, Cancel purchase, the expiry sweep;
- `access_codes.py`: generate, delete, redeem access codes.
What a cancellation will do is decided in `purchases/plans.py`, which both the services and the modals use.
"""

from ..errors import AccessCodeError
from .access_codes import (
    BATCH_SIZES,
    GeneratedBatch,
    access_code_delete,
    access_code_redeem,
    access_codes_generate,
    access_expiry,
)
from .cancel import (
    CONFIRMATION_PHRASE,
    CancelOptionNotAllowed,
    CancelResult,
    CancelWhen,
    NotASubscription,
    NotScheduledToCancel,
    PurchaseError,
    PurchaseNotLive,
    WrongConfirmationPhrase,
    purchase_cancel,
    purchase_cancel_options,
    purchases_expire,
    subscription_cancel,
    subscription_cancel_now,
    subscription_recover,
)

__all__ = [
    "BATCH_SIZES",
    "CONFIRMATION_PHRASE",
    "AccessCodeError",
    "CancelOptionNotAllowed",
    "CancelResult",
    "CancelWhen",
    "GeneratedBatch",
    "NotASubscription",
    "NotScheduledToCancel",
    "PurchaseError",
    "PurchaseNotLive",
    "WrongConfirmationPhrase",
    "access_code_delete",
    "access_code_redeem",
    "access_codes_generate",
    "access_expiry",
    "purchase_cancel",
    "purchase_cancel_options",
    "purchases_expire",
    "subscription_cancel",
    "subscription_cancel_now",
    "subscription_recover",
]
