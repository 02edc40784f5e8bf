"""Staff page for owners: list members, invite by email, change a role, deactivate / reactivate.

Each action is a modal over the Staff page (HTMX) and a plain page without JS; success answers 204 with
HX-Trigger "staff:changed" (the table refreshes) or, without JS, redirects back to the list.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from common.htmx import hx_trigger_response
from merchants.guards import merchant_required

from .. import services
from ..forms.staff import StaffInviteForm, StaffRoleForm
from ..models import Membership


def _members(merchant):
    return (
        Membership.objects.filter(merchant=merchant)
        .select_related("user")
        .order_by("-is_active", "user__email")
    )


def _membership(request, pk):
    return get_object_or_404(
        Membership.objects.select_related("user", "merchant"), merchant=request.merchant, pk=pk
    )


def _done(request, message):
    if request.htmx:
        return hx_trigger_response("staff:changed", message=message)
    messages.success(request, message)
    return redirect("staff")


def _action(request, ctx, status=200):
    """The modal for HTMX, or the same form on a page of its own without JS."""
    template = "merchants/staff_action_modal.html" if request.htmx else "merchants/staff_action.html"
    return render(request, template, ctx, status=status)


@merchant_required("staff.manage")
def staff_list(request):
    ctx = {"members": _members(request.merchant)}
    template = "merchants/staff_list.html"
    return render(request, f"{template}#table" if request.htmx else template, ctx)


@require_http_methods(["GET", "POST"])
@merchant_required("staff.manage")
def staff_invite(request):
    form = StaffInviteForm(request.POST if request.method == "POST" else None)  # an empty POST is bound
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_invite(
                merchant=request.merchant,
                actor=request.user,
                now=timezone.now(),
                # Links Teller sends use its public address, not the host this request happened to reach.
                base_url=settings.TELLER_PUBLIC_URL,
                **form.cleaned_data,
            )
        except services.StaffError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, f"Invitation sent to {form.cleaned_data['email']}.")
    ctx = {"form": form, "title": "Invite a staff member", "submit": "Send invitation", "fields": "invite"}
    return _action(request, ctx)


@require_http_methods(["GET", "POST"])
@merchant_required("staff.manage")
def staff_role(request, pk):
    membership = _membership(request, pk)
    form = StaffRoleForm(
        request.POST if request.method == "POST" else None, initial={"role": membership.role}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_change_role(
                membership=membership, actor=request.user, now=timezone.now(), role=form.cleaned_data["role"]
            )
        except services.StaffError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    ctx = {
        "form": form,
        "membership": membership,
        "title": "Change role",
        "submit": "Save role",
        "fields": "role",
    }
    return _action(request, ctx)


def _confirm(request, pk, *, service, done_message, **labels):
    """A confirm-then-POST staff action: GET shows the modal, POST calls `service` once."""
    membership = _membership(request, pk)
    error = ""
    if request.method == "POST":
        try:
            service(membership=membership, actor=request.user, now=timezone.now())
        except services.StaffError as exc:
            error = str(exc)
        else:
            return _done(request, done_message.format(email=membership.user.email))
    return _action(request, {"membership": membership, "error": error, **labels})


@require_http_methods(["GET", "POST"])
@merchant_required("staff.manage")
def staff_deactivate(request, pk):
    return _confirm(
        request,
        pk,
        service=services.staff_deactivate,
        done_message="{email} was deactivated and signed out.",
        title="Deactivate member",
        submit="Deactivate",
        fields="deactivate",
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@merchant_required("staff.manage")
def staff_reactivate(request, pk):
    return _confirm(
        request,
        pk,
        service=services.staff_reactivate,
        done_message="{email} can sign in again.",
        title="Reactivate member",
        submit="Reactivate",
        fields="reactivate",
    )


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password (Django's validators apply), then sign in."""

    template_name = "merchants/staff_set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, "Your password is set. Sign in with your email and new password.")
        return super().form_valid(form)
