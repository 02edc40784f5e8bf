"""Staff management writes: invite, change a role, deactivate and reactivate a membership.

Every write records an audit event in the same transaction; emails leave after the commit (never inside it).
"""

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.models import AuditAction
from audit.services import audit_record

from .middleware import SESSION_KEY
from .models import Membership, Merchant, Role, User


class StaffError(Exception):
    """A staff change that the rules refuse; the message is shown to the owner as a form error."""


class LastOwnerError(StaffError):
    pass


class AlreadyMemberError(StaffError):
    pass


class SelfChangeError(StaffError):
    pass


def set_password_url(user: User, base_url: str) -> str:
    """A one-time link (Django's PasswordResetTokenGenerator): it dies once the password is set."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return base_url.rstrip("/") + reverse("set-password", args=[uidb64, token])


def staff_invite(
    *, merchant: Merchant, actor: User, now: datetime, email: str, role: str, base_url: str
) -> Membership:
    """Give `email` a membership with `role`, creating the user (no usable password) if needed; email them.

    A new user gets a set-password link; an existing user gets a note that they can sign in. Inviting an
    active member who never set a password resends their link. Raises AlreadyMemberError if they already
    have an active membership here and a password.
    """
    email = User.objects.normalize_email(email).lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None)  # set_password(None): unusable
        membership = Membership.objects.select_for_update().filter(user=user, merchant=merchant).first()
        if membership is not None and membership.is_active:
            if user.has_usable_password():
                raise AlreadyMemberError(f"{email} is already a member of {merchant.name}.")
            # Invited but never set a password (lost or expired link): send a fresh link, change nothing.
            audit_record(
                merchant=merchant,
                actor=actor,
                action=AuditAction.STAFF_INVITE_RESEND,
                target=membership,
                now=now,
                data={"email": email},
            )
            transaction.on_commit(lambda: _send_invitation(user, merchant, actor, base_url))
            return membership
        before = {"role": membership.role, "is_active": False} if membership else None
        if membership is None:
            membership = Membership.objects.create(user=user, merchant=merchant, role=role)
        else:
            membership.role, membership.is_active = role, True
            membership.save(update_fields=["role", "is_active"])
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.STAFF_INVITE,
            target=membership,
            now=now,
            data={"email": email, "before": before, "after": {"role": role, "is_active": True}},
        )
        transaction.on_commit(lambda: _send_invitation(user, merchant, actor, base_url))
    return membership


def _send_invitation(user: User, merchant: Merchant, actor: User, base_url: str) -> None:
    context = {
        "merchant": merchant,
        "inviter": actor,
        "link": set_password_url(user, base_url) if not user.has_usable_password() else None,
        "login_url": base_url.rstrip("/") + reverse("login"),
    }
    body = render_to_string("merchants/staff_invite_email.txt", context)
    send_mail(
        f"You have been invited to {merchant.name} on Teller", body, settings.DEFAULT_FROM_EMAIL, [user.email]
    )


def _active_owner_count(merchant: Merchant) -> int:
    return Membership.objects.active().filter(merchant=merchant, role=Role.OWNER).count()


def _refuse_self(membership: Membership, actor: User) -> None:
    if membership.user_id == actor.pk:
        raise SelfChangeError("You cannot change your own membership; ask another owner.")


def _refuse_last_owner(membership: Membership) -> None:
    if (
        membership.role == Role.OWNER
        and membership.is_active
        and _active_owner_count(membership.merchant) <= 1
    ):
        raise LastOwnerError("This is the merchant's last owner: make someone else an owner first.")


def staff_change_role(*, membership: Membership, actor: User, now: datetime, role: str) -> Membership:
    """Change a member's role. Raises SelfChangeError, LastOwnerError (demoting the last active owner)."""
    with transaction.atomic():
        # Lock the merchant's memberships so two owners demoting each other at once cannot leave none.
        list(Membership.objects.select_for_update().filter(merchant=membership.merchant).values_list("pk"))
        membership.refresh_from_db()
        _refuse_self(membership, actor)
        before = membership.role
        if before == role:
            return membership
        if role != Role.OWNER:
            _refuse_last_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            merchant=membership.merchant,
            actor=actor,
            action=AuditAction.STAFF_ROLE_CHANGE,
            target=membership,
            now=now,
            data={"before": {"role": before}, "after": {"role": role}},
        )
    return membership


def staff_deactivate(*, membership: Membership, actor: User, now: datetime) -> Membership:
    """Deactivate a membership and end the user's sessions at once.

    Raises SelfChangeError, LastOwnerError.
    """
    with transaction.atomic():
        list(Membership.objects.select_for_update().filter(merchant=membership.merchant).values_list("pk"))
        membership.refresh_from_db()
        _refuse_self(membership, actor)
        if not membership.is_active:
            return membership
        _refuse_last_owner(membership)
        # A session not yet bound to a merchant would land on the user's first one: is that this one?
        first = Membership.objects.active().filter(user=membership.user).order_by("merchant__name").first()
        unbound_here = first is not None and first.merchant_id == membership.merchant_id
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        ended = end_user_sessions(membership.user, merchant=membership.merchant, unbound=unbound_here)
        audit_record(
            merchant=membership.merchant,
            actor=actor,
            action=AuditAction.STAFF_DEACTIVATE,
            target=membership,
            now=now,
            data={"before": {"is_active": True}, "after": {"is_active": False}, "sessions_ended": ended},
        )
    return membership


def staff_reactivate(*, membership: Membership, actor: User, now: datetime) -> Membership:
    """Give a deactivated member their access back with the role they had. Raises SelfChangeError."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _refuse_self(membership, actor)
        if membership.is_active:
            return membership
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        audit_record(
            merchant=membership.merchant,
            actor=actor,
            action=AuditAction.STAFF_REACTIVATE,
            target=membership,
            now=now,
            data={"before": {"is_active": False}, "after": {"is_active": True}},
        )
    return membership


class PreferencesError(Exception):
    """A preference that cannot be saved; the message says why and nothing changed."""


def preferences_update(*, actor: User, merchant: Merchant, time_zone: str, now: datetime) -> User:
    """The signed-in staff member's own preferences (today: their time zone; "" follows the merchant's)."""
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise PreferencesError(f"Unknown time zone {time_zone[:64]!r}; nothing changed.")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        before = user.time_zone
        if before == time_zone:
            return user
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
        audit_record(
            merchant=merchant,
            actor=actor,
            action=AuditAction.PREFERENCES_UPDATE,
            target=user,
            now=now,
            data={"before": {"time_zone": before}, "after": {"time_zone": time_zone}},
        )
    return user


def end_user_sessions(user: User, *, merchant: Merchant | None = None, unbound: bool = True) -> int:
    """Delete the stored sessions of `user` (database sessions): their next request is signed out.

    With `merchant`, only the sessions bound to that merchant (the session's SESSION_KEY, set by the
    membership middleware on every request) end, plus with `unbound` those not bound yet: a member
    deactivated in one merchant stays signed in to the others. Sessions are opaque blobs, so this decodes
    the live ones; staff counts are small. The middleware also ends a session whose merchant membership is
    no longer active, so one that slipped through still gets nothing.
    """
    user_id = str(user.pk)

    def bound_here(data: dict) -> bool:
        if merchant is None:
            return True
        bound = data.get(SESSION_KEY)
        return unbound if bound is None else str(bound) == str(merchant.pk)

    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == user_id and bound_here(data):
            doomed.append(session.pk)
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)
