import pytest
from django.urls import reverse

from merchants.middleware import SESSION_KEY
from tests.factories import PASSWORD, CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_staff_sign_in_with_email_and_password_and_land_on_customers(client, owner):
    response = client.post(reverse("login"), {"username": owner.email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).resolver_match.view_name == "customers:list"


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(client, owner):
    response = client.post(reverse("login"), {"username": owner.email, "password": "nope"})

    assert response.status_code == 200
    assert "do not match" in response.text
    assert "_auth_user_id" not in client.session


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("customers:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_out_is_a_post(owner_client):
    assert owner_client.get(reverse("logout")).status_code == 405

    owner_client.post(reverse("logout"))

    assert "_auth_user_id" not in owner_client.session


def test_a_user_with_two_memberships_switches_merchant(owner_client, owner, merchant, other_merchant):
    MembershipFactory(user=owner, merchant=other_merchant, role="SUPPORT")
    theirs = CustomerFactory(merchant=other_merchant, name="Only In Other")

    owner_client.post(reverse("merchant-switch"), {"merchant": other_merchant.pk, "next": "/customers/"})

    assert owner_client.session[SESSION_KEY] == other_merchant.pk
    assert owner_client.get(reverse("customers:detail", args=[theirs.public_id])).status_code == 200


def test_switching_to_a_merchant_without_membership_is_a_404(owner_client, merchant, other_merchant):
    response = owner_client.post(reverse("merchant-switch"), {"merchant": other_merchant.pk})

    assert response.status_code == 404
    assert owner_client.session[SESSION_KEY] == merchant.pk  # still bound to the merchant it was on


def test_a_customer_of_another_merchant_is_a_404(owner_client, other_merchant):
    theirs = CustomerFactory(merchant=other_merchant)

    assert owner_client.get(reverse("customers:detail", args=[theirs.public_id])).status_code == 404
