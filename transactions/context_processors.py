from functools import cache

from django.utils import timezone

from .selectors import disputes_due_soon


def disputes(request):
    """The navigation's "due in 72 hours" count, computed only when a page renders the navigation."""
    merchant = getattr(request, "merchant", None)
    if merchant is None or getattr(request, "membership", None) is None:
        return {}

    @cache
    def due_soon() -> int:

        return disputes_due_soon(merchant, timezone.now())

    return {"disputes_due_soon": due_soon}
