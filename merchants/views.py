from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from common.views import merchant_required

from .forms import EmailAuthenticationForm, MerchantSwitchForm
from .middleware import SESSION_KEY


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
    form = MerchantSwitchForm(request.POST, user=request.user)
    if form.has_error("merchant", "not_member"):
        raise Http404("No such merchant")  # as for any other merchant's object
    if not form.is_valid():
        messages.error(request, "That merchant cannot be chosen; nothing changed.")
        return redirect("home")
    membership = form.cleaned_data["merchant"]
    request.session[SESSION_KEY] = membership.merchant_id
    messages.success(request, f"Switched to {membership.merchant.name}.")
    # Back to the same section's list: an object page of the previous merchant would be a 404 now.
    section = form.section()
    return redirect({"customers": "customers:list", "transactions": "transactions:list"}.get(section, "home"))
