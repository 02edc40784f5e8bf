"""No full card number in any page, and merchant secrets encrypted at rest and never rendered.

Pages come from the URL resolver (the tenant-isolation test's walk and object registry), so every page a
helper adds later is scanned too.
"""

import json
import logging
import re

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from providers.apply import apply_object
from tests.providers import stripe_payloads as stripe
from tests.test_tenant_isolation import ROUTES, World

pytestmark = pytest.mark.django_db

SECRETS = {
    "stripe_secret_key": "sk_live_TOPSECRETkey000111222333",
    "stripe_webhook_secret": "whsec_TOPSECRETwebhook444555",
    "telegram_bot_token": "123456:TOPSECRET-bot-token-AAAbbb",
}
# Not after a minus sign: a negative number (a Telegram chat id such as -1001000000007) is no card number,
# and a chat id from the factories' sequence can pass the Luhn check.
DIGIT_RUN = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d])")


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def card_numbers_in(text: str) -> list[str]:
    """Sequences of 13-19 digits (spaces or dashes allowed between) that pass the Luhn check."""
    found = (re.sub(r"[ -]", "", m.group(0)) for m in DIGIT_RUN.finditer(text))
    return [n for n in found if 13 <= len(n) <= 19 and luhn_valid(n)]


def test_the_detector_finds_card_numbers_and_ignores_other_numbers():
    assert card_numbers_in("card 4242 4242 4242 4242 used") == ["4242424242424242"]
    assert card_numbers_in("amex 378282246310005.") == ["378282246310005"]
    assert card_numbers_in("Visa •••• 4242, 04/28 · created 1700000100 · cus_T0000000001") == []
    assert card_numbers_in("chat -1001000000007") == []


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


@pytest.fixture
def world(merchant):
    for field, value in SECRETS.items():
        setattr(merchant, field, value)
    merchant.save()
    world = World(merchant, "ALPHA")
    world.build_all()
    # And a card charge applied the way a Stripe webhook applies it (Stripe sends last4, never the number).
    now = timezone.now()
    apply_object(merchant=merchant, obj=stripe.customer(id="cus_PANTEST"), now=now)
    apply_object(merchant=merchant, obj=stripe.card_pm(id="pm_PANTEST", customer="cus_PANTEST"), now=now)
    apply_object(merchant=merchant, obj=stripe.charge(id="ch_PANTEST", customer="cus_PANTEST"), now=now)
    return world


def _pages(client, world):
    for route in ROUTES:
        url = route.url(lambda kwarg: world)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code == 200:
                yield url, _body(response)


def test_no_page_shows_a_full_card_number_or_a_merchant_secret(owner_client, world):
    seen, leaks = 0, []
    for url, body in _pages(owner_client, world):
        seen += 1
        leaks += [f"{url}: card number {n}" for n in card_numbers_in(body)]
        leaks += [f"{url}: {name}" for name, secret in SECRETS.items() if secret in body]

    assert seen > 10
    assert leaks == []


def test_the_admin_never_renders_merchant_secrets(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x-very-long-pass")
    client.force_login(admin)

    body = client.get(reverse("admin:merchants_merchant_change", args=[world.merchant.pk])).text

    assert all(secret not in body for secret in SECRETS.values())


@pytest.mark.parametrize("field", sorted(SECRETS))
def test_merchant_secrets_are_encrypted_in_the_database_column(merchant, field):
    setattr(merchant, field, SECRETS[field])
    merchant.save()

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {field} FROM merchants_merchant WHERE id = %s", [merchant.pk])
        raw = cursor.fetchone()[0]

    assert raw and SECRETS[field] not in raw and "TOPSECRET" not in raw
    assert getattr(Merchant.objects.get(pk=merchant.pk), field) == SECRETS[field]


def test_a_ciphertext_made_with_another_key_reads_as_empty_not_as_an_error(merchant, settings):
    merchant.stripe_secret_key = SECRETS["stripe_secret_key"]
    merchant.save()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()

    assert Merchant.objects.get(pk=merchant.pk).stripe_secret_key == ""


def test_no_secret_or_card_number_reaches_the_logs(owner_client, client, world, caplog):
    caplog.set_level(logging.DEBUG)

    list(_pages(owner_client, world))
    client.post(
        reverse("stripe-webhook", args=[world.merchant.slug]),
        data=json.dumps(stripe.event("charge.succeeded", stripe.charge(customer="cus_PANTEST"))),
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=bad"},
    )

    logged = caplog.text + "".join(str(r.msg) for r in caplog.records)
    assert [name for name, secret in SECRETS.items() if secret in logged] == []
    assert card_numbers_in(logged) == []
