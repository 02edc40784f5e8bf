"""Signal receivers connected in AccessConfig.ready(): purchases never import access."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from purchases.models import Purchase
from purchases.signals import purchase_access_ended

from .services import access_grant_for_purchase, access_revocation_request


@receiver(purchase_access_ended, dispatch_uid="access.revoke_on_access_ended")
def revoke_on_access_ended(sender, purchase, now, **kwargs):
    access_revocation_request(purchase=purchase, now=now)


@receiver(post_save, sender=Purchase, dispatch_uid="access.grant_on_live_purchase")
def grant_on_live_purchase(sender, instance, raw=False, **kwargs):
    # Any code path that makes a purchase live (webhook sync, access-code redemption) gets its grants.
    if not raw and instance.is_live:
        access_grant_for_purchase(purchase=instance, now=timezone.now())
