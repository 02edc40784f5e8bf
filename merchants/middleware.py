import zoneinfo

from django.contrib.auth import logout
from django.utils import timezone

from common.logging import bind_request_identity

from .models import Membership

SESSION_KEY = "teller_merchant_id"


def current_membership(request):
    """The signed-in user's active membership in the merchant this session is bound to.

    A session is bound to one merchant (SESSION_KEY): the first by name until the user switches. When that
    membership is no longer active (deactivated), the session ends rather than moving to another merchant:
    deactivation ends the sessions bound to that merchant, and only those.
    """
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=request.user).select_related("merchant")
    wanted = request.session.get(SESSION_KEY)
    if wanted:
        membership = memberships.filter(merchant_id=wanted).first()
        if membership is None:
            logout(request)
        return membership
    membership = memberships.order_by("merchant__name").first()
    if membership is not None:
        request.session[SESSION_KEY] = membership.merchant_id
    return membership


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
        # Dates shown to staff are in their own time zone if they chose one, else their merchant's; stored
        # values stay UTC.
        try:
            zone = zoneinfo.ZoneInfo(
                getattr(request.user, "time_zone", "") or request.merchant.time_zone or "UTC"
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        with timezone.override(zone):
            return self.get_response(request)
