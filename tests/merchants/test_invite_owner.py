"""From an empty installation: the superuser's `manage.py invite_owner` gives a new merchant its owner."""

import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditEvent
from merchants.models import Membership, Merchant, Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_merchant():
    return Merchant.objects.create(name="Harbour Books", slug="harbour-books")


def test_the_owner_gets_a_membership_an_audit_event_and_a_set_password_link(
    new_merchant, settings, django_capture_on_commit_callbacks
):
    settings.TELLER_PUBLIC_URL = "https://teller.example.com"

    with django_capture_on_commit_callbacks(execute=True):
        call_command("invite_owner", "harbour-books", "Owner@Harbour.example")

    membership = Membership.objects.get(merchant=new_merchant)
    assert membership.user.email == "owner@harbour.example" and membership.role == Role.OWNER
    assert not membership.user.has_usable_password()
    event = AuditEvent.objects.get(merchant=new_merchant, action="staff.invite")
    assert event.actor is None
    (email,) = mail.outbox
    assert email.to == ["owner@harbour.example"]
    assert email.body.startswith("Your Teller administrator invited you to Harbour Books")
    link = re.search(r"https://teller\.example\.com(/accounts/set-password/\S+/)", email.body).group(1)

    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                       {"new_password1": PASSWORD, "new_password2": PASSWORD})  # fmt: skip
    assert done.status_code in (200, 302)
    membership.user.refresh_from_db()
    assert membership.user.check_password(PASSWORD)


def test_an_unknown_slug_is_a_clear_error_and_creates_nothing():
    with pytest.raises(CommandError, match="No merchant with the slug 'nope'"):
        call_command("invite_owner", "nope", "owner@example.org")

    assert not Membership.objects.exists() and not mail.outbox


def test_inviting_an_owner_who_already_signed_in_is_refused(new_merchant):
    call_command("invite_owner", "harbour-books", "owner@harbour.example")
    user = Membership.objects.get().user
    user.set_password(PASSWORD)
    user.save()

    with pytest.raises(CommandError, match="already a member"):
        call_command("invite_owner", "harbour-books", "owner@harbour.example")

    assert Membership.objects.count() == 1
