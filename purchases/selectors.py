"""Reads for the access codes page."""

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from .models import AccessCode, Purchase


def access_codes_with_state(*, merchant, now: datetime) -> QuerySet[AccessCode]:
    """Codes annotated with `has_expired`: redeemed, and the access it gave has run out."""
    ran_out = Purchase.objects.filter(access_code=OuterRef("pk"), access_expires_at__lte=now)
    return (
        AccessCode.objects.for_merchant(merchant)
        .annotate(has_expired=Exists(ran_out))
        .select_related("redeemed_by")
        .prefetch_related("products")
    )


def access_code_list(
    *, merchant, now: datetime, status: str = "", product=None, batch: str = "", q: str = ""
):
    codes = access_codes_with_state(merchant=merchant, now=now)
    if status == "UNUSED":
        codes = codes.filter(redeemed_at__isnull=True)
    elif status == "REDEEMED":
        codes = codes.filter(redeemed_at__isnull=False, has_expired=False)
    elif status == "EXPIRED":
        codes = codes.filter(redeemed_at__isnull=False, has_expired=True)
    if product is not None:
        codes = codes.filter(products=product)
    if batch:
        codes = codes.filter(batch=batch)
    if q:
        codes = codes.filter(code__icontains=q.strip().replace("-", ""))
    return codes


def access_code_batch_exists(*, merchant, batch: str) -> bool:
    return AccessCode.objects.filter(merchant=merchant, batch=batch).exists()


def access_code_state(code: AccessCode) -> str:
    if code.redeemed_at is None:
        return "UNUSED"
    return "EXPIRED" if getattr(code, "has_expired", False) else "REDEEMED"
