"""Access codes: generate a batch, delete an unused code, redeem one (a purchase per product the code gives).
Keyword-only, `actor` + `now`, one audit event per write, as every service here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from customers.models import Customer, ProviderKind

from ..errors import AccessCodeError
from ..models import AccessCode, Product, Purchase

BATCH_SIZES = (1, 5, 10)


def access_expiry(*, duration: str, count: int | None, start: datetime) -> datetime | None:
    """When access from a code of this duration, redeemed at `start`, runs out (None: lifetime)."""
    if duration == AccessCode.Duration.LIFETIME:
        return None
    unit = {
        AccessCode.Duration.DAYS: "days",
        AccessCode.Duration.MONTHS: "months",
        AccessCode.Duration.YEARS: "years",
    }
    return start + relativedelta(**{unit[duration]: count})


@dataclass
class GeneratedBatch:
    batch: str
    codes: list[AccessCode] = field(default_factory=list)


def access_codes_generate(
    *,
    actor,
    now: datetime,
    merchant,
    products: list[Product],
    quantity: int,
    duration: str,
    duration_count: int | None,
) -> GeneratedBatch:
    """Create `quantity` codes (1, 5 or 10) that each give access to all `products`.

    Raises AccessCodeError (no products, a product that does not allow codes, bad batch size or duration).
    """
    _validate_generation(
        merchant=merchant,
        products=products,
        quantity=quantity,
        duration=duration,
        duration_count=duration_count,
    )
    if duration == AccessCode.Duration.LIFETIME:
        duration_count = None
    batch = f"{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    result = GeneratedBatch(batch=batch)
    with transaction.atomic():
        for _ in range(quantity):
            code = AccessCode.objects.create(
                merchant=merchant,
                duration=duration,
                duration_count=duration_count,
                batch=batch,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            code.products.set(products)
            result.codes.append(code)
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.ACCESS_CODE_GENERATE,
            target=result.codes[0],
            now=now,
            data={
                "batch": batch,
                "quantity": quantity,
                "duration": duration,
                "duration_count": duration_count,
                "products": [p.pk for p in products],
            },
        )
    return result


def _validate_generation(*, merchant, products, quantity, duration, duration_count) -> None:
    if quantity not in BATCH_SIZES:
        raise AccessCodeError("Generate 1, 5 or 10 codes at a time.")
    if not products:
        raise AccessCodeError("Choose at least one product.")
    if any(p.merchant_id != merchant.pk or not p.allows_access_codes for p in products):
        raise AccessCodeError("Choose only products that allow access codes.")
    if duration not in AccessCode.Duration.values:
        raise AccessCodeError("Choose a duration.")
    if duration != AccessCode.Duration.LIFETIME and (not duration_count or duration_count < 1):
        raise AccessCodeError("Enter how many days, months or years the access lasts.")


def access_code_delete(*, actor, now: datetime, code: AccessCode) -> None:
    """Delete an unused code. Raises AccessCodeError when it was redeemed (redeemed codes are history)."""
    with transaction.atomic():
        locked = AccessCode.objects.select_for_update().filter(pk=code.pk).first()
        if locked is None:  # a concurrent delete got there first
            raise AccessCodeError("This code has already been deleted.")
        if locked.redeemed_at is not None:
            raise AccessCodeError("A redeemed code cannot be deleted; it stays as history.")
        audit_record(
            merchant=locked.merchant,
            actor=actor,
            action=AuditAction.ACCESS_CODE_DELETE,
            target=locked,
            now=now,
            data={"code": locked.code, "batch": locked.batch},
        )
        locked.products.clear()
        locked.delete()


def access_code_redeem(*, code: str, customer: Customer, now: datetime, actor=None) -> list[Purchase]:
    """Redeem a code for `customer`: one ACCESS_CODE purchase per product, until the code's duration ends.

    Single use: a second redemption raises AccessCodeError, as does another merchant's or an unknown code.
    """
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    with transaction.atomic():
        access_code = (
            AccessCode.objects.select_for_update().filter(merchant=customer.merchant, code=normalized).first()
        )
        if access_code is None:
            raise AccessCodeError("Unknown access code.")
        if access_code.redeemed_at is not None:
            raise AccessCodeError("This access code has already been redeemed.")
        expires_at = access_expiry(duration=access_code.duration, count=access_code.duration_count, start=now)
        purchases = [
            Purchase.objects.create(
                merchant=customer.merchant,
                customer=customer,
                product=product,
                kind=Purchase.Kind.ACCESS_CODE,
                status=Purchase.Status.ACTIVE,
                access_code=access_code,
                started_at=now,
                access_expires_at=expires_at,
            )
            for product in access_code.products.all()
        ]
        access_code.redeemed_by, access_code.redeemed_at = customer, now
        access_code.save(update_fields=["redeemed_by", "redeemed_at"])
        _mark_customer_used_code(customer=customer, now=now)
        audit_record(
            merchant=customer.merchant,
            actor=actor,
            action=AuditAction.ACCESS_CODE_REDEEM,
            target=access_code,
            now=now,
            customer=customer,
            data={
                "purchases": [p.pk for p in purchases],
                "access_expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return purchases


def _mark_customer_used_code(*, customer: Customer, now: datetime) -> None:
    customer.used_access_code = True
    if ProviderKind.ACCESS_CODE not in customer.providers_used:
        customer.providers_used = [*customer.providers_used, ProviderKind.ACCESS_CODE.value]
    customer.first_purchase_at = customer.first_purchase_at or now
    customer.last_purchase_at = now
    customer.save(
        update_fields=[
            "used_access_code",
            "providers_used",
            "first_purchase_at",
            "last_purchase_at",
            "updated_at",
        ]
    )
