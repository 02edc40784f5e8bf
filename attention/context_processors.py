from functools import cache

from django.utils import timezone


def attention(request):
    """The navigation's queue count: computed only when a page renders the navigation, once per request."""
    merchant = getattr(request, "merchant", None)
    if merchant is None or getattr(request, "membership", None) is None:
        return {}

    @cache
    def count() -> int:
        from .selectors import attention_count

        return attention_count(merchant, timezone.now())

    return {"attention_count": count}
