"""Tenant and role checks in one place: every staff view goes through merchant_required, loads objects with
get_for_merchant (another merchant's object is a 404), and a refusal renders through permission_denied."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from .permissions import has_permission


def merchant_required(permission: str = "view"):
    """Signed in, with an active membership, and a role that allows `permission`; else login, or 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                raise PermissionDenied("You are not a member of any merchant.")
            if not has_permission(request.membership, permission):
                raise PermissionDenied("Your role does not allow this action.")
            return view(request, *args, **kwargs)

        wrapped.teller_permission = permission
        return wrapped

    return decorator


def get_for_merchant(model_or_qs, request, **lookup):
    """get_object_or_404 within the signed-in user's merchant: another merchant's object is a 404."""
    qs = model_or_qs if hasattr(model_or_qs, "for_merchant") else model_or_qs.objects
    return get_object_or_404(qs.for_merchant(request.merchant), **lookup)


FORBIDDEN = "You do not have permission to do this."


def permission_denied(request, exception=None):
    """403: a full page, or for an HTMX request a small modal fragment the page shows in place (teller.js)."""
    message = str(exception) if exception and str(exception) else FORBIDDEN
    template = "components/_forbidden.html" if getattr(request, "htmx", False) else "403.html"
    return render(request, template, {"message": message}, status=403)
