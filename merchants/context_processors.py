from .models import Membership
from .permissions import RolePermissions


def merchant(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    if not membership:
        return {"current_membership": None, "can": RolePermissions(None)}
    return {
        "current_membership": membership,
        "can": RolePermissions(membership),
        "current_merchant": membership.merchant,
        "switchable_memberships": lambda: list(
            Membership.objects.active().filter(user=user).select_related("merchant")
        ),
    }
