import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from merchants.models import Membership, Role, User
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(owner_client, django_capture_on_commit_callbacks):
    """POST the invite form; invitations are emailed after the commit, so run those callbacks."""

    def _invite(email, role="SUPPORT"):
        with django_capture_on_commit_callbacks(execute=True):
            return owner_client.post(reverse("staff-invite"), {"email": email, "role": role})

    return _invite


def _link_from(email):
    return re.search(r"https?://\S+/accounts/set-password/\S+/", email.body).group(0)


def test_owners_see_every_member_with_role_and_status(owner_client, merchant, support):
    MembershipFactory(merchant=merchant, role=Role.MANAGER, is_active=False)

    response = owner_client.get(reverse("staff"))

    assert response.status_code == 200
    assert support.email in response.text
    assert "Deactivated" in response.text
    assert 'href="/staff/"' in owner_client.get(reverse("staff")).text  # the nav link


def test_managers_and_support_cannot_open_the_staff_page(manager_client, support):
    assert manager_client.get(reverse("staff")).status_code == 403

    manager_client.force_login(support)

    assert manager_client.get(reverse("staff")).status_code == 403


def test_inviting_a_new_email_creates_a_user_without_password_and_emails_a_set_password_link(
    invite, merchant
):
    response = invite("New.Agent@Example.com")

    assert response.status_code == 302
    user = User.objects.get(email="new.agent@example.com")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, merchant=merchant).role == Role.SUPPORT
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.agent@example.com"]
    assert AuditEvent.objects.filter(action="staff.invite", merchant=merchant).count() == 1


def test_the_invitation_links_to_the_public_url_not_the_request_host(invite, settings):
    settings.TELLER_PUBLIC_URL = "https://teller.example.com:8443"

    invite("agent@example.com")

    body = mail.outbox[0].body
    assert "https://teller.example.com:8443/accounts/set-password/" in body
    assert "testserver" not in body and ":8000" not in body


def test_the_set_password_link_applies_the_password_validators_then_lets_them_sign_in(invite):
    invite("agent@example.com", "MANAGER")
    link = _link_from(mail.outbox[0])
    visitor = Client()

    page = visitor.get(link, follow=True)
    form_url = page.redirect_chain[-1][0]
    weak = visitor.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    strong = visitor.post(
        form_url, {"new_password1": "violet-otter-42x", "new_password2": "violet-otter-42x"}
    )

    assert "too short" in weak.text or "too common" in weak.text
    assert strong.status_code == 302 and strong["Location"] == reverse("login")
    assert visitor.login(username="agent@example.com", password="violet-otter-42x")
    assert visitor.get(link).status_code == 200 and "no longer works" in visitor.get(link).text


def test_inviting_an_existing_user_attaches_them_without_touching_their_password(
    invite, merchant, other_user
):
    invite(other_user.email)

    other_user.refresh_from_db()
    assert other_user.check_password(PASSWORD)
    assert Membership.objects.filter(user=other_user, merchant=merchant, is_active=True).exists()
    assert "/set-password/" not in mail.outbox[0].body


def test_inviting_someone_who_is_already_a_member_is_a_form_error(invite, support):
    response = invite(support.email, "OWNER")

    assert response.status_code == 200
    assert "already a member" in response.text
    assert mail.outbox == []


def test_an_invalid_email_is_a_form_error_and_creates_nothing(owner_client):
    before = User.objects.count()

    response = owner_client.post(reverse("staff-invite"), {"email": "not-an-email", "role": "SUPPORT"})

    assert response.status_code == 200
    assert User.objects.count() == before


def test_an_owner_changes_a_role_and_it_is_audited_with_before_and_after(owner_client, merchant, support):
    membership = Membership.objects.get(user=support)

    response = owner_client.post(
        reverse("staff-role", args=[membership.pk]), {"role": "MANAGER"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 204 and "staff:changed" in response["HX-Trigger"]
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER
    event = AuditEvent.objects.get(action="staff.role_change")
    assert event.data == {"before": {"role": "SUPPORT"}, "after": {"role": "MANAGER"}}


def test_the_last_owner_cannot_be_demoted_or_deactivated(client, merchant):
    owner_one = MembershipFactory(merchant=merchant, role=Role.OWNER)
    owner_two = MembershipFactory(merchant=merchant, role=Role.OWNER)
    client.force_login(owner_one.user)
    client.post(reverse("staff-role", args=[owner_two.pk]), {"role": "SUPPORT"})
    client.force_login(owner_two.user)  # now support: cannot manage staff any more

    assert client.get(reverse("staff")).status_code == 403

    from merchants.services import LastOwnerError, staff_change_role, staff_deactivate

    admin = MembershipFactory(merchant=merchant, role=Role.SUPPORT).user
    with pytest.raises(LastOwnerError):
        staff_change_role(membership=owner_one, actor=admin, now=owner_one.created_at, role=Role.MANAGER)
    with pytest.raises(LastOwnerError):
        staff_deactivate(membership=owner_one, actor=admin, now=owner_one.created_at)


def test_an_owner_cannot_change_their_own_membership(owner_client, owner):
    membership = Membership.objects.get(user=owner)

    response = owner_client.post(reverse("staff-role", args=[membership.pk]), {"role": "SUPPORT"})

    assert "your own membership" in response.text
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_deactivating_a_member_ends_their_sessions_at_once(owner_client, merchant, support):
    theirs = Client()
    theirs.force_login(support)
    assert theirs.get(reverse("customers:list")).status_code in (200, 404)
    membership = Membership.objects.get(user=support)

    owner_client.post(reverse("staff-deactivate", args=[membership.pk]))

    membership.refresh_from_db()
    assert membership.is_active is False
    assert not any(s.get_decoded().get("_auth_user_id") == str(support.pk) for s in Session.objects.all())
    assert theirs.get(reverse("customers:list"))["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.get(action="staff.deactivate").data["sessions_ended"] == 1


def test_a_deactivated_member_can_be_reactivated(owner_client, support):
    membership = Membership.objects.get(user=support)
    owner_client.post(reverse("staff-deactivate", args=[membership.pk]))

    owner_client.post(reverse("staff-reactivate", args=[membership.pk]))

    membership.refresh_from_db()
    assert membership.is_active
    assert AuditEvent.objects.filter(action="staff.reactivate").count() == 1


def test_another_merchants_membership_is_a_404(owner_client, other_user):
    theirs = Membership.objects.get(user=other_user)

    assert owner_client.get(reverse("staff-role", args=[theirs.pk])).status_code == 404
    assert owner_client.post(reverse("staff-deactivate", args=[theirs.pk])).status_code == 404


def test_the_invite_modal_renders_for_htmx_and_as_a_page_without_js(owner_client):
    modal = owner_client.get(reverse("staff-invite"), headers={"HX-Request": "true"})
    page = owner_client.get(reverse("staff-invite"))

    assert "modal-title" in modal.text and "<html" not in modal.text
    assert "<html" in page.text and 'name="email"' in page.text


def test_the_staff_page_needs_the_same_queries_for_many_members(
    owner_client, merchant, django_assert_max_num_queries
):
    for _ in range(25):
        MembershipFactory(merchant=merchant, role=Role.SUPPORT)

    with django_assert_max_num_queries(
        9
    ):  # session, user, membership, switcher, disputes due (nav), members, session save (3)
        response = owner_client.get(reverse("staff"))

    assert response.content.count(b"data-member=") == 26


def test_inviting_an_invited_member_again_resends_a_fresh_link(invite, merchant):
    invite("late@example.com")

    response = invite("late@example.com")

    assert response.status_code == 302
    assert len(mail.outbox) == 2 and "/accounts/set-password/" in mail.outbox[1].body
    assert Membership.objects.filter(merchant=merchant, user__email="late@example.com").count() == 1
    assert AuditEvent.objects.filter(action="staff.invite_resend").count() == 1
