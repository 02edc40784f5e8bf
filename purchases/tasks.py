"""Periodic: end access that has run out (access-code purchases with a duration)."""

from celery import shared_task
from django.utils import timezone

from .services import purchases_expire


@shared_task
def expire_access() -> int:
    return purchases_expire(now=timezone.now())
