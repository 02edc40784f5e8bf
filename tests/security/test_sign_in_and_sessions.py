from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client, user, password=PASSWORD):
    return client.post(reverse("login"), {"username": user.email, "password": password})


@pytest.fixture
def axes_on(settings):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True
    yield settings
    AccessAttempt.objects.all().delete()


def test_repeated_failures_lock_the_account_out_with_a_proper_page(client, owner, axes_on):
    for _ in range(axes_on.AXES_FAILURE_LIMIT):
        _sign_in(client, owner, "wrong-password")

    response = _sign_in(client, owner)  # even the right password is refused while locked

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "15 minutes" in response.text
    assert "_auth_user_id" not in client.session
    assert "merchants/lockout.html" in [t.name for t in response.templates]


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(client, owner, axes_on):
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, owner, "wrong-password")

    assert _sign_in(client, owner).status_code == 302


def test_failures_with_an_unknown_email_do_not_lock_others_out_behind_that_address(client, owner, axes_on):
    for _ in range(axes_on.AXES_FAILURE_LIMIT + 1):
        client.post(reverse("login"), {"username": "nobody@example.org", "password": "wrong-password"})

    colleague = Client()  # same address (127.0.0.1), another account

    assert _sign_in(colleague, owner).status_code == 302
    assert (
        client.post(
            reverse("login"), {"username": "nobody@example.org", "password": "wrong-password"}
        ).status_code
        == 429
    )  # the guessed account itself is locked


def test_signing_in_gives_a_new_session_key(client, owner):
    client.get(reverse("login"))
    session = client.session
    session["before-login"] = True
    session.save()
    before = session.session_key

    _sign_in(client, owner)

    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_a_session_expires_after_inactivity(client, owner, settings):
    from django.contrib.sessions.models import Session

    _sign_in(client, owner)
    assert client.get(reverse("home")).status_code == 302
    stored = Session.objects.get(session_key=client.session.session_key)
    idle_too_long = timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    Session.objects.filter(pk=stored.pk).update(expire_date=stored.expire_date - idle_too_long)

    response = client.get(reverse("customers:list"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_activity_pushes_the_expiry_forward(client, owner):
    from django.contrib.sessions.models import Session

    _sign_in(client, owner)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(
        expire_date=Session.objects.get(pk=key).expire_date - timedelta(hours=1)
    )
    shortened = Session.objects.get(pk=key).expire_date

    client.get(reverse("customers:list"))

    assert Session.objects.get(pk=key).expire_date > shortened


def test_inactivity_timeout_and_cookie_flags_are_configured(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "staff-member@example.com"])
def test_weak_passwords_are_refused_by_the_validators(password, owner):
    owner.email = "staff-member@example.com"

    with pytest.raises(ValidationError):
        validate_password(password, user=owner)


def test_a_strong_password_passes_the_validators(owner):
    validate_password("violet-otter-42x-lamp", user=owner)


def test_a_wrong_password_does_not_reveal_whether_the_email_exists(client, owner):
    known = _sign_in(client, owner, "wrong-password")
    unknown = Client().post(
        reverse("login"), {"username": "nobody@example.com", "password": "wrong-password"}
    )

    assert known.status_code == unknown.status_code == 200
    assert "do not match" in known.text and "do not match" in unknown.text
