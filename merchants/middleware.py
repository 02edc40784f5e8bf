import zoneinfo

from django.utils import timezone

from common.logging import bind_request_identity

from .models import Membership

SESSION_KEY = "teller_merchant_id"


def current_membership(request):
    """The signed-in user's active membership in the merchant chosen in the session (or their first)."""
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=request.user).select_related("merchant")
    wanted = request.session.get(SESSION_KEY)
    membership = memberships.filter(merchant_id=wanted).first() if wanted else None
    return membership or memberships.order_by("merchant__name").first()


class CurrentMerchantMiddleware:
    """Sets request.membership and request.merchant: the one merchant every page of this request belongs
    to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = current_membership(request)
        request.merchant = request.membership.merchant if request.membership else None
        bind_request_identity(request)
        if request.merchant is None:
            return self.get_response(request)
        # Dates shown to staff are in their merchant's time zone; stored values stay UTC.
        try:
            zone = zoneinfo.ZoneInfo(request.merchant.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        with timezone.override(zone):
            return self.get_response(request)
