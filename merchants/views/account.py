from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from merchants.guards import merchant_required

from ..forms import EmailAuthenticationForm, MerchantSwitchForm, PreferencesForm
from ..middleware import SESSION_KEY
from ..services import PreferencesError, preferences_update


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


@merchant_required()
def preferences(request):
    """The signed-in staff member's own preferences: the time zone every date is shown in."""
    form = PreferencesForm(
        request.POST or None, merchant=request.merchant, initial={"time_zone": request.user.time_zone}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                preferences_update(
                    actor=request.user,
                    merchant=request.merchant,
                    time_zone=form.cleaned_data["time_zone"],
                    now=timezone.now(),
                )
            except PreferencesError as error:
                form.add_error("time_zone", str(error))
            else:
                messages.success(request, "Preferences saved.")
                return redirect("preferences")
        status = 400
    return render(request, "merchants/preferences.html", {"form": form}, status=status)
