from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from common.views import merchant_required

from .forms import EmailAuthenticationForm
from .middleware import SESSION_KEY
from .models import Membership


class LoginView(auth_views.LoginView):
    template_name = "merchants/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@merchant_required()
def home(request):
    return redirect("customers:list")


@require_POST
@merchant_required()
def switch_merchant(request):
    membership = (
        Membership.objects.active()
        .filter(user=request.user, merchant_id=request.POST.get("merchant"))
        .first()
    )
    if membership is None:
        raise Http404("No such merchant")
    request.session[SESSION_KEY] = membership.merchant_id
    messages.success(request, f"Switched to {membership.merchant.name}.")
    # Back to the same section's list: an object page of the previous merchant would be a 404 now.
    next_url = request.POST.get("next", "")
    section = next_url.split("/")[1] if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else ""
    return redirect({"customers": "customers:list", "transactions": "transactions:list"}.get(section, "home"))
