"""A purchase whose access has ended is ended everywhere it is shown, whether or not the expiry sweep ran."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.services import access_grants_for_customer
from purchases.models import Purchase
from purchases.services import CONFIRMATION_PHRASE, purchases_expire
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapsed(merchant):
    """An access-code purchase that ended yesterday; the sweep has not run (its stored status is ACTIVE)."""
    return factories.PurchaseFactory(
        customer__merchant=merchant,
        access_code=True,
        access_expires_at=timezone.now() - timedelta(days=1),
    )


def _products_html(client, purchase):
    html = client.get(reverse("customers:detail", args=[purchase.customer.public_id])).content.decode()
    return html.split(f'id="product-{purchase.pk}"')[1].split("</article>")[0]


def test_the_customer_page_shows_it_expired_with_no_cancel(owner_client, lapsed):
    product = _products_html(owner_client, lapsed)

    assert "Expired" in product and ">Active<" not in product
    assert "Cancel purchase" not in product
    assert "Access ended" in product


def test_a_purchase_that_has_not_ended_is_still_active_with_cancel(owner_client, merchant):
    running = factories.PurchaseFactory(
        customer__merchant=merchant, access_code=True, access_expires_at=timezone.now() + timedelta(days=1)
    )

    product = _products_html(owner_client, running)

    assert ">Active<" in product and "Cancel purchase" in product and "Access until" in product


def test_canceling_it_is_refused_and_changes_nothing(owner_client, lapsed):
    url = reverse("purchases:purchase-cancel", args=[lapsed.pk])

    modal = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    owner_client.post(url, {"confirmation": CONFIRMATION_PHRASE, "when": "IMMEDIATELY"})

    lapsed.refresh_from_db()
    assert "expired" in modal and "nothing to cancel" in modal
    assert lapsed.status == Purchase.Status.ACTIVE and lapsed.canceled_at is None


def test_it_gives_no_channel_access_and_is_not_live_now(merchant, lapsed):
    chat = factories.TelegramChatFactory(merchant=merchant)
    chat.products.add(lapsed.product)
    factories.TelegramAccountFactory(customer=lapsed.customer)
    running = factories.PurchaseFactory(customer=lapsed.customer, access_code=True, product=lapsed.product)

    grants = access_grants_for_customer(customer=lapsed.customer, now=timezone.now())

    assert not lapsed.is_live and lapsed.current_status == Purchase.Status.EXPIRED
    assert list(Purchase.objects.live_now().filter(customer=lapsed.customer)) == [running]
    assert {g.purchase_id for g in grants} == {running.pk}


def test_the_sweep_still_expires_it(lapsed):
    assert purchases_expire(now=timezone.now()) == 1

    lapsed.refresh_from_db()
    assert lapsed.status == Purchase.Status.EXPIRED and lapsed.ended_at is not None
