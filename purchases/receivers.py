"""How purchases reacts to the apps below it (connected in `PurchasesConfig.ready`)."""

import structlog
from django.dispatch import receiver

from customers.signals import subscriptions_cancel_requested

from .plans import subscriptions_canceled_by_block_all
from .services import subscription_cancel_now

log = structlog.get_logger(__name__)


@receiver(subscriptions_cancel_requested, dispatch_uid="purchases.cancel_on_block_all")
def cancel_subscriptions_of_blocked_customer(sender, *, customer, actor, now, **kwargs):
    """Block all with "cancel subscriptions": cancel live subscriptions now; a failure keeps the block."""
    for purchase in subscriptions_canceled_by_block_all(customer):  # the list the Block all preview shows
        try:
            subscription_cancel_now(actor=actor, now=now, purchase=purchase)
        except Exception as exc:  # noqa: BLE001 - one failed subscription must not stop the others
            log.warning("block_all.cancel_failed", purchase=purchase.pk, error=str(exc))
