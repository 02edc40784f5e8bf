"""The modals and the access codes page through the test client (HTMX and plain requests)."""

import json

import pytest
from django.urls import reverse

from payments.base import ProviderError
from purchases.models import AccessCode, Purchase
from purchases.services import access_code_redeem, access_codes_generate
from tests import factories, sandbox_failures

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def subscription(merchant):
    return factories.PurchaseFactory(customer__merchant=merchant)


def _url(name, purchase):
    namespace = "access" if name == "access-retry" else "purchases"  # the retry is the access app's
    return reverse(f"{namespace}:{name}", args=[purchase.pk])


def _trigger(response):
    return json.loads(response["HX-Trigger"])


def test_the_cancel_modal_offers_keep_active_until_the_rebill_date(owner_client, subscription):
    response = owner_client.get(_url("subscription-cancel", subscription), **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Keep subscription active until the next expected rebill date" in body
    assert f"{subscription.current_period_end_at:%-d %b %Y}" in body
    assert "<html" not in body


def test_without_htmx_the_modal_is_a_full_page(owner_client, subscription):
    response = owner_client.get(_url("subscription-cancel", subscription))

    assert response.status_code == 200
    assert b"<html" in response.content and b"Cancel subscription" in response.content


def test_ticked_keep_active_schedules_the_cancellation(owner_client, subscription):
    response = owner_client.post(_url("subscription-cancel", subscription), {"keep_active": "on"}, **HX)

    subscription.refresh_from_db()
    assert response.status_code == 204
    assert _trigger(response)["customer:changed"] is True
    assert "will cancel on" in _trigger(response)["teller:toast"]["message"]
    assert subscription.cancel_at_period_end and subscription.status == Purchase.Status.ACTIVE


def test_unticked_keep_active_cancels_now(owner_client, subscription):
    response = owner_client.post(_url("subscription-cancel", subscription), {}, **HX)

    subscription.refresh_from_db()
    assert response.status_code == 204
    assert subscription.status == Purchase.Status.CANCELED


def test_scheduling_again_says_it_is_already_scheduled(owner_client, merchant, provider_must_not_be_called):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    response = owner_client.post(_url("subscription-cancel", purchase), {"keep_active": "on"}, **HX)

    assert response.status_code == 204
    assert _trigger(response)["teller:toast"]["message"].startswith("Already scheduled to cancel on")


def test_a_provider_error_is_shown_in_the_modal_and_nothing_changes(owner_client, subscription):
    sandbox_failures.fail_next(ProviderError("No such subscription: 'sub_gone'"))

    response = owner_client.post(_url("subscription-cancel", subscription), {}, **HX)

    subscription.refresh_from_db()
    assert response.status_code == 200
    assert "No such subscription: &#x27;sub_gone&#x27;" in response.content.decode()
    assert subscription.status == Purchase.Status.ACTIVE


def test_a_plain_post_redirects_to_the_customer(owner_client, subscription):
    response = owner_client.post(_url("subscription-cancel-now", subscription))

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[subscription.customer.public_id])


def test_cancel_now_and_recover(owner_client, merchant):
    scheduled = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)
    other = factories.PurchaseFactory(customer__merchant=merchant, scheduled=True)

    assert (
        b"already scheduled to cancel on"
        in owner_client.get(_url("subscription-cancel-now", scheduled), **HX).content
    )
    assert owner_client.post(_url("subscription-cancel-now", scheduled), **HX).status_code == 204
    assert b"renews as before" in owner_client.get(_url("subscription-recover", other), **HX).content
    assert owner_client.post(_url("subscription-recover", other), **HX).status_code == 204

    scheduled.refresh_from_db()
    other.refresh_from_db()
    assert scheduled.status == Purchase.Status.CANCELED
    assert other.cancel_at_period_end is False


def test_recover_on_a_subscription_not_scheduled_explains_and_offers_no_button(owner_client, subscription):
    response = owner_client.get(_url("subscription-recover", subscription), **HX)

    assert b"not scheduled to cancel" in response.content
    assert b"subscription-recover-submit" not in response.content


def test_the_cancel_purchase_modal_for_a_subscription_offers_when(owner_client, subscription):
    body = owner_client.get(_url("purchase-cancel", subscription), **HX).content.decode()

    assert "When to cancel" in body and "At the end of the period" in body
    assert "cannot be undone" in body and "does not refund money" in body
    assert 'data-confirm-phrase="CANCEL PURCHASE"' in body
    assert "Keep purchase" in body


def test_the_cancel_purchase_modal_for_a_one_time_purchase_is_immediate_only(owner_client, merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    body = owner_client.get(_url("purchase-cancel", purchase), **HX).content.decode()

    assert "When to cancel" not in body
    assert "access is revoked immediately" in body


def test_a_mistyped_phrase_re_renders_the_modal_with_the_error(owner_client, merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    response = owner_client.post(
        _url("purchase-cancel", purchase), {"when": "IMMEDIATELY", "confirmation": "cancel purchase"}, **HX
    )

    purchase.refresh_from_db()
    assert response.status_code == 200
    assert b"Type CANCEL PURCHASE exactly to confirm." in response.content
    assert purchase.status == Purchase.Status.ACTIVE


def test_the_right_phrase_cancels_the_purchase(owner_client, merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    response = owner_client.post(
        _url("purchase-cancel", purchase), {"when": "IMMEDIATELY", "confirmation": "CANCEL PURCHASE"}, **HX
    )

    purchase.refresh_from_db()
    assert response.status_code == 204
    assert purchase.status == Purchase.Status.CANCELED


def test_period_end_is_not_accepted_for_a_one_time_purchase(owner_client, merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    response = owner_client.post(
        _url("purchase-cancel", purchase), {"when": "PERIOD_END", "confirmation": "CANCEL PURCHASE"}, **HX
    )

    purchase.refresh_from_db()
    assert response.status_code == 200
    assert purchase.status == Purchase.Status.ACTIVE


def test_a_canceled_purchase_shows_why_there_is_nothing_to_do(owner_client, merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True, canceled=True)

    response = owner_client.post(_url("purchase-cancel", purchase), {"confirmation": "CANCEL PURCHASE"}, **HX)

    assert response.status_code == 200
    assert b"nothing to cancel" in response.content


@pytest.mark.parametrize(
    "name",
    [
        "subscription-cancel",
        "subscription-cancel-now",
        "subscription-recover",
        "purchase-cancel",
        "access-retry",
    ],
)
def test_another_merchants_purchase_is_a_404(other_client, subscription, name):
    assert other_client.post(_url(name, subscription)).status_code == 404


def test_support_agents_may_cancel(support_client, merchant):
    purchase = factories.PurchaseFactory(customer__merchant=merchant, one_time=True)

    response = support_client.post(
        _url("purchase-cancel", purchase), {"when": "IMMEDIATELY", "confirmation": "CANCEL PURCHASE"}, **HX
    )

    assert response.status_code == 204


# Access codes page --------------------------------------------------------------------------------


@pytest.fixture
def product(merchant):
    return factories.ProductFactory(merchant=merchant, allows_access_codes=True, name="VIP channel")


def test_generating_codes_redirects_to_the_batch(owner_client, product):
    response = owner_client.post(
        reverse("purchases:access-codes"),
        {"products": [product.pk], "quantity": "5", "duration": "DAYS", "duration_count": "30"},
    )

    batch = AccessCode.objects.values_list("batch", flat=True).distinct().get()
    assert response.status_code == 302 and response["Location"].endswith(f"?batch={batch}")
    assert AccessCode.objects.filter(batch=batch, duration="DAYS", duration_count=30).count() == 5


def test_generation_errors_are_shown_and_nothing_is_created(owner_client, product):
    response = owner_client.post(
        reverse("purchases:access-codes"), {"products": [product.pk], "quantity": "5", "duration": "MONTHS"}
    )

    assert response.status_code == 200
    assert b"Enter how many days, months or years" in response.content
    assert not AccessCode.objects.exists()


def test_the_list_shows_the_buyer_with_a_link(owner_client, merchant, product, django_assert_max_num_queries):
    codes = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=10,
        duration="LIFETIME",
        duration_count=None,
    ).codes
    buyer = factories.CustomerFactory(merchant=merchant, name="Ada Buyer")
    access_code_redeem(code=codes[0].code, customer=buyer, now=_now())

    # 14: the page's own reads plus the navigation's (merchant switcher, disputes due in 72 hours).
    with django_assert_max_num_queries(14):
        response = owner_client.get(reverse("purchases:access-codes"))

    body = response.content.decode()
    assert response.status_code == 200
    assert all(code.code in body for code in codes)
    assert reverse("customers:detail", args=[buyer.public_id]) in body and "Ada Buyer" in body
    redeemed_only = owner_client.get(reverse("purchases:access-codes") + "?status=REDEEMED").content.decode()
    assert codes[0].code in redeemed_only and codes[1].code not in redeemed_only


def test_durations_are_singular_for_one_in_the_list_and_the_csv(owner_client, merchant, product):
    def generate(duration, count):
        return access_codes_generate(
            actor=None,
            now=_now(),
            merchant=merchant,
            products=[product],
            quantity=1,
            duration=duration,
            duration_count=count,
        )

    generate("YEARS", 1)
    generate("MONTHS", 3)
    batch = generate("DAYS", 1).codes[0].batch

    body = owner_client.get(reverse("purchases:access-codes")).content.decode()
    csv = owner_client.get(reverse("purchases:access-codes-csv", args=[batch])).content.decode()

    assert "<td>1 year</td>" in body and "<td>3 months</td>" in body and "<td>1 day</td>" in body
    assert "1 years" not in body and "1 day," in csv and "1 days" not in csv


def test_the_csv_holds_the_batch(owner_client, merchant, product):
    batch = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=5,
        duration="YEARS",
        duration_count=1,
    )

    response = owner_client.get(reverse("purchases:access-codes-csv", args=[batch.batch]))

    lines = response.content.decode().strip().splitlines()
    assert response["Content-Type"] == "text/csv"
    assert lines[0].startswith("code,products,duration")
    assert len(lines) == 6 and ",1 year," in lines[1] and "VIP channel" in lines[1]


def test_unused_codes_can_be_deleted_redeemed_ones_not(owner_client, merchant, product):
    unused, redeemed = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=5,
        duration="LIFETIME",
        duration_count=None,
    ).codes[:2]
    access_code_redeem(code=redeemed.code, customer=factories.CustomerFactory(merchant=merchant), now=_now())

    owner_client.post(reverse("purchases:access-code-delete", args=[unused.pk]))
    response = owner_client.post(reverse("purchases:access-code-delete", args=[redeemed.pk]), follow=True)

    assert not AccessCode.objects.filter(pk=unused.pk).exists()
    assert AccessCode.objects.filter(pk=redeemed.pk).exists()
    assert b"cannot be deleted" in response.content


def test_support_can_list_but_not_generate_or_delete(support_client, merchant, product):
    code = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=1,
        duration="LIFETIME",
        duration_count=None,
    ).codes[0]

    page = support_client.get(reverse("purchases:access-codes"))
    generate = support_client.post(
        reverse("purchases:access-codes"), {"products": [product.pk], "quantity": "1", "duration": "LIFETIME"}
    )
    delete = support_client.post(reverse("purchases:access-code-delete", args=[code.pk]))
    csv = support_client.get(reverse("purchases:access-codes-csv", args=[code.batch]))

    assert page.status_code == 200 and b"Generate codes" not in page.content
    assert generate.status_code == delete.status_code == csv.status_code == 403
    assert AccessCode.objects.count() == 1


def test_another_merchants_code_cannot_be_deleted(other_client, merchant, product):
    code = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=1,
        duration="LIFETIME",
        duration_count=None,
    ).codes[0]

    assert other_client.post(reverse("purchases:access-code-delete", args=[code.pk])).status_code == 404
    assert b"VIP" not in other_client.get(reverse("purchases:access-codes-csv", args=[code.batch])).content


def _now():
    from django.utils import timezone

    return timezone.now()


def test_delete_never_redirects_off_site(owner_client, merchant, product):
    code = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=1,
        duration="LIFETIME",
        duration_count=None,
    ).codes[0]

    response = owner_client.post(
        reverse("purchases:access-code-delete", args=[code.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("purchases:access-codes")


def test_the_csv_of_an_unknown_batch_is_not_found(owner_client, merchant, product):
    batch = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=1,
        duration="LIFETIME",
        duration_count=None,
    ).batch

    assert owner_client.get(reverse("purchases:access-codes-csv", args=["no-such-batch"])).status_code == 404
    assert owner_client.get(reverse("purchases:access-codes-csv", args=[batch])).status_code == 200


def test_the_csv_of_another_merchants_batch_is_not_found(other_client, merchant, product):
    batch = access_codes_generate(
        actor=None,
        now=_now(),
        merchant=merchant,
        products=[product],
        quantity=1,
        duration="LIFETIME",
        duration_count=None,
    ).batch

    assert other_client.get(reverse("purchases:access-codes-csv", args=[batch])).status_code == 404
