"""The customer page: header, tabs (each its own URL, HTMX fragments), products, payment methods, tenancy."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.customers.page_data import build_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(merchant):
    return factories.CustomerFactory(
        merchant=merchant,
        name="Ada Lovelace",
        email="ada@example.org",
        provider_customer_id="cus_ADA",
        providers_used=["STRIPE", "ACCESS_CODE"],
    )


def _get(client, url, htmx=False):
    return client.get(url, headers={"HX-Request": "true"} if htmx else {})


def _page(client, customer, tab=None, htmx=False, **params):
    url = reverse("customers:detail", args=[customer.public_id])
    query = {"tab": tab, **params} if tab else params
    return _get(client, url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""), htmx)


# Header ---------------------------------------------------------------------------------------------


def test_the_header_shows_who_the_customer_is_with_a_copyable_public_id(owner_client, customer):
    response = _page(owner_client, customer)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html and "ada@example.org" in html and "cus_ADA" in html
    assert f'data-copy="{customer.public_id}"' in html
    assert "Stripe" in html and "Access code" in html
    assert reverse("customers:identifiers-manage", args=[customer.public_id]) in html
    assert 'hx-trigger="customer:identifiers-changed from:body, customer:changed from:body"' in html


def test_a_blocked_customer_gets_a_blocked_badge(owner_client, customer):
    customer.is_blocked = True
    customer.save()

    html = _page(owner_client, customer).content.decode()

    assert 'id="customer-blocked"' in html


def test_the_header_warns_when_a_blocked_payment_detail_was_used(owner_client, customer):
    factories.TransactionFactory(customer=customer, blocked_detail_used=True)

    html = _page(owner_client, customer).content.decode()

    assert "A blocked payment detail was used" in html


def test_the_header_partial_answers_htmx_with_the_fragment_only(owner_client, customer):
    response = _get(owner_client, reverse("customers:detail-header", args=[customer.public_id]), htmx=True)

    html = response.content.decode()
    assert 'id="customer-header"' in html and "<html" not in html


# Tabs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["details", "stats", "info", "activity"])
def test_each_tab_has_its_own_url_and_works_without_javascript(owner_client, customer, tab):
    response = _page(owner_client, customer, tab=tab)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-tab="{tab}"' in html and "<html" in html
    assert f'id="tab-{tab}" role="tab"' in html


@pytest.mark.parametrize("tab", ["details", "stats", "info", "activity"])
def test_an_htmx_tab_request_gets_only_the_tabs_card(owner_client, customer, tab):
    html = _page(owner_client, customer, tab=tab, htmx=True).content.decode()

    assert f'data-tab="{tab}"' in html
    assert "<html" not in html and 'id="customer-products"' not in html


def test_an_unknown_tab_falls_back_to_details(owner_client, customer):
    html = _page(owner_client, customer, tab="nope").content.decode()

    assert 'data-tab="details"' in html


def test_details_tab_shows_the_last_transactions_payment_information(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer, product__name="Gold channel")
    factories.TransactionFactory(
        customer=customer, purchase=purchase, occurred_at=timezone.now() - timedelta(days=3)
    )
    last = factories.TransactionFactory(
        customer=customer,
        purchase=purchase,
        amount=4250,
        currency="usd",
        method_brand="mastercard",
        method_last4="5555",
        method_exp_month=9,
        method_exp_year=2031,
        method_country="FR",
        statement_descriptor="ACME*GOLD",
        provider_id="ch_LAST",
    )

    html = _page(owner_client, customer, tab="details").content.decode()

    for text in ("Gold channel", "$42.50", "Mastercard •••• 5555", "09/31", "FR", "ACME*GOLD", "ch_LAST"):
        assert text in html
    assert reverse("transactions:detail", args=[last.pk]) in html


def test_details_tab_has_an_empty_state(owner_client, customer):
    html = _page(owner_client, customer, tab="details").content.decode()

    assert "No transactions yet" in html


def test_stats_are_per_currency_with_ratios_and_a_server_rendered_chart(owner_client, customer):
    for _ in range(4):
        factories.TransactionFactory(customer=customer, amount=1000, currency="eur")
    factories.TransactionFactory(customer=customer, refund=True, amount=500, currency="eur")
    factories.TransactionFactory(customer=customer, chargeback=True, amount=1000, currency="eur")
    factories.TransactionFactory(customer=customer, amount=700, currency="usd")
    factories.PurchaseFactory(customer=customer)

    html = _page(owner_client, customer, tab="stats").content.decode()

    assert "€40.00" in html  # sales
    assert "€25.00" in html  # net = 40 - 5 - 10
    assert "12.5%" in html  # refund ratio: refunded 5 of 40 sold
    assert "25.0%" in html  # chargeback ratio 1/4 payments
    assert "USD" in html and "$7.00" in html and "No chargebacks" in html
    assert "<svg" in html and 'class="chart-sales"' in html and "style=" not in html


def test_the_refund_ratio_is_refunded_amount_over_sales_not_a_count(owner_client, customer):
    factories.TransactionFactory(customer=customer, amount=1000, currency="eur")
    factories.TransactionFactory(customer=customer, amount=3000, currency="eur")
    # The first charge refunded in two parts: 10.00 of 40.00 refunded, two refunds for two payments
    for part in (300, 700):
        factories.TransactionFactory(customer=customer, refund=True, amount=part, currency="eur")

    html = _page(owner_client, customer, tab="stats").content.decode()

    assert "25.0%" in html  # 10.00 of 40.00
    assert "100.0%" not in html  # 2 refunds / 2 payments, the old count ratio


def test_the_stats_tiles_show_every_currency_the_customer_paid_in(owner_client, customer):
    factories.TransactionFactory(customer=customer, amount=4000, currency="eur")
    factories.TransactionFactory(customer=customer, amount=1234, currency="usd")

    html = _page(owner_client, customer, tab="stats").content.decode()
    tiles = html[html.index("stat-tiles") : html.index("stats-table")]

    assert "€40.00" in tiles and "$12.34" in tiles


def test_stats_tab_has_an_empty_state(owner_client, customer):
    html = _page(owner_client, customer, tab="stats").content.decode()

    assert "No payments yet" in html


def test_info_tab_lists_every_detail_with_state_sharing_and_log(owner_client, merchant, customer):
    card = factories.CustomerIdentifierFactory(customer=customer).identifier
    email = factories.CustomerIdentifierFactory(
        customer=customer, identifier=factories.IdentifierFactory(merchant=merchant, email=True, blocked=True)
    ).identifier
    factories.CustomerIdentifierFactory(
        customer=factories.CustomerFactory(merchant=merchant), identifier=card
    )

    html = _page(owner_client, customer, tab="info").content.decode()

    assert card.display in html and email.value in html
    assert "Blocked" in html and "Active" in html
    assert "Shared with 1 other customer" in html
    assert reverse("customers:identifier-log", args=[customer.public_id, card.pk]) in html
    assert "customer:identifiers-changed from:body" in html


def test_activity_merges_every_source_newest_first(owner_client, merchant, owner, customer):
    now = timezone.now()
    txn = factories.TransactionFactory(customer=customer, occurred_at=now - timedelta(hours=5))
    factories.NoteFactory(
        transaction=txn, body="Called the bank", author=owner, created_at=now - timedelta(hours=1)
    )
    factories.ProviderEventFactory(
        merchant=merchant,
        customer=customer,
        type="customer.subscription.updated",
        received_at=now - timedelta(hours=2),
    )
    card = factories.CustomerIdentifierFactory(customer=customer).identifier
    factories.BlockEventFactory(identifier=card, actor=owner, created_at=now - timedelta(hours=3))
    factories_audit(merchant, owner, customer, now - timedelta(hours=4))

    html = _page(owner_client, customer, tab="activity").content.decode()

    positions = [
        html.index(s)
        for s in (
            "Called the bank",
            "customer.subscription.updated",
            "Blocked card Visa",
            "Subscription cancel",
            "Charge of €19.99 succeeded",
        )
    ]
    assert positions == sorted(positions)
    assert owner.email in html


def factories_audit(merchant, actor, customer, at):
    from audit.models import AuditEvent

    return AuditEvent.objects.create(
        merchant=merchant,
        actor=actor,
        action="subscription.cancel",
        target_type="purchases.Purchase",
        target_id="1",
        customer=customer,
        created_at=at,
    )


def test_activity_filters_by_kind(owner_client, merchant, owner, customer):
    factories.TransactionFactory(customer=customer)
    factories_audit(merchant, owner, customer, timezone.now())

    html = _page(owner_client, customer, tab="activity", kind="staff").content.decode()

    assert "Subscription cancel" in html and "Charge of €19.99 succeeded" not in html


def test_activity_paginates_with_an_older_link(owner_client, merchant, owner):
    customer = build_customer(merchant, purchases=3, transactions=80, actor=owner)

    first = _page(owner_client, customer, tab="activity", kind="payments").content.decode()
    assert 'id="activity-older"' in first
    older = first.split('id="activity-older" href="')[1].split('"')[0].replace("&amp;", "&")
    second = _get(owner_client, older).content.decode()

    assert second.count("timeline-item") == 25
    assert 'data-tab="activity"' in second


# Products ------------------------------------------------------------------------------------------


def test_products_are_grouped_with_status_and_last_action(owner_client, customer):
    sub = factories.PurchaseFactory(customer=customer, product__name="Pro channel", scheduled=True)
    factories.TransactionFactory(customer=customer, purchase=sub, amount=1999)
    factories.PurchaseFactory(customer=customer, one_time=True, product__name="Ebook")
    factories.PurchaseFactory(customer=customer, access_code=True, product__name="VIP room")

    html = _page(owner_client, customer).content.decode()

    titles = [
        html.index(f'class="group-title">{t}') for t in ("Subscriptions", "One-time payments", "Access codes")
    ]
    assert titles == sorted(titles)
    assert "Cancels on" in html and "€19.99" in html


def test_subscription_actions_depend_on_its_state(owner_client, customer):
    live = factories.PurchaseFactory(customer=customer)
    scheduled = factories.PurchaseFactory(customer=customer, scheduled=True)
    canceled = factories.PurchaseFactory(customer=customer, canceled=True)

    html = _page(owner_client, customer).content.decode()

    assert reverse("purchases:subscription-cancel", args=[live.pk]) in html
    assert reverse("purchases:subscription-cancel-now", args=[live.pk]) not in html
    assert reverse("purchases:subscription-cancel-now", args=[scheduled.pk]) in html
    assert reverse("purchases:subscription-recover", args=[scheduled.pk]) in html
    assert reverse("purchases:purchase-cancel", args=[live.pk]) in html
    assert reverse("purchases:purchase-cancel", args=[canceled.pk]) not in html
    assert reverse("purchases:subscription-cancel", args=[canceled.pk]) not in html


def test_a_pending_access_removal_is_shown_with_a_retry(owner_client, customer):
    grant = factories.AccessGrantFactory(
        purchase__customer=customer, status="REVOKE_PENDING", last_error="Bot is not an admin"
    )

    html = _page(owner_client, customer).content.decode()

    assert "Removal pending" in html and "Bot is not an admin" in html
    assert reverse("access:access-retry", args=[grant.purchase.pk]) in html


def test_product_details_show_its_last_successful_payment(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer)
    factories.TransactionFactory(
        customer=customer,
        purchase=purchase,
        provider_id="ch_GOOD",
        occurred_at=timezone.now() - timedelta(days=2),
    )
    factories.TransactionFactory(customer=customer, purchase=purchase, failed=True, provider_id="ch_FAILED")

    html = _page(owner_client, customer).content.decode()
    details = html.split('class="product-details-body"')[1].split("</details>")[0]

    assert "ch_GOOD" in details and "ch_FAILED" not in details


def test_product_transactions_load_on_demand_with_their_actions(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer)
    charge = factories.TransactionFactory(customer=customer, purchase=purchase)
    refunded = factories.TransactionFactory(
        customer=customer, purchase=purchase, status="REFUNDED", refunded_amount=1999
    )
    dispute = factories.TransactionFactory(customer=customer, purchase=purchase, chargeback=True)
    url = reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk])

    html = _get(owner_client, url, htmx=True).content.decode()

    assert "<html" not in html
    assert reverse("refunds:credit", args=[charge.pk]) in html
    assert reverse("refunds:credit", args=[refunded.pk]) not in html
    assert reverse("refunds:repayment", args=[dispute.pk]) in html
    assert reverse("transactions:detail", args=[dispute.pk]) in html


def test_product_transactions_paginate(owner_client, merchant, owner):
    customer = build_customer(merchant, purchases=1, transactions=45, actor=owner)
    purchase = customer.purchases.get()
    url = reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk])

    first = _get(owner_client, url, htmx=True).content.decode()
    third = _get(owner_client, url + "?page=3", htmx=True).content.decode()

    assert first.count('<tr id="txn-') == 20 and "?page=2" in first
    assert third.count('<tr id="txn-') == 5 and "Older" not in third


def test_products_paginate(owner_client, merchant, owner):
    customer = build_customer(merchant, purchases=25, transactions=10, actor=owner)

    html = _get(
        owner_client, reverse("customers:detail-products", args=[customer.public_id]) + "?page=3", htmx=True
    ).content.decode()

    assert html.count('class="product"') == 5


def test_payment_methods_show_last4_expiry_default_and_blocked_state(owner_client, merchant, customer):
    blocked = factories.IdentifierFactory(merchant=merchant, blocked=True)
    factories.PaymentMethodFactory(customer=customer, last4="1111", is_default=True, identifier=blocked)
    factories.PaymentMethodFactory(customer=customer, last4="2222", exp_month=1, exp_year=2029)

    html = _get(
        owner_client, reverse("customers:detail-payment-methods", args=[customer.public_id]), htmx=True
    ).content.decode()

    assert "•••• 1111" in html and "•••• 2222" in html and "01/29" in html
    assert "Default" in html and "Blocked" in html


def test_a_chargeback_is_negative_on_the_customer_page_as_on_the_transactions_list(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer)
    factories.TransactionFactory(customer=customer, purchase=purchase, chargeback=True, amount=1000)
    products_url = reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk])

    details = _page(owner_client, customer, tab="details").content.decode()
    activity = _page(owner_client, customer, tab="activity").content.decode()
    listed = owner_client.get(reverse("transactions:list")).content.decode()
    rows = _get(owner_client, products_url, htmx=True).content.decode()

    for html in (details, activity, listed, rows):
        assert "-€10.00" in html


def test_card_brands_are_spelled_as_the_networks_spell_them(owner_client, customer):
    factories.PaymentMethodFactory(customer=customer, brand="jcb", last4="3566")
    factories.PaymentMethodFactory(customer=customer, brand="amex", last4="0005")
    factories.TransactionFactory(customer=customer, method_brand="jcb", method_last4="3566")

    panel = _get(
        owner_client, reverse("customers:detail-payment-methods", args=[customer.public_id]), htmx=True
    ).content.decode()
    details = _page(owner_client, customer, tab="details").content.decode()

    assert "JCB" in panel and "American Express" in panel and "Jcb" not in panel and "Amex" not in panel
    assert "JCB •••• 3566" in details and "Jcb" not in details


def test_an_expired_card_shows_expired_not_active(owner_client, customer):
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    factories.PaymentMethodFactory(
        customer=customer, last4="3333", exp_month=last_month.month, exp_year=last_month.year
    )
    # Valid through the end of this month
    factories.PaymentMethodFactory(
        customer=customer, last4="4444", exp_month=today.month, exp_year=today.year
    )

    html = _get(
        owner_client, reverse("customers:detail-payment-methods", args=[customer.public_id]), htmx=True
    ).content.decode()
    rows = {row.split("•••• ")[1][:4]: row for row in html.split('<li class="pm">')[1:]}
    expired, current = rows["3333"], rows["4444"]

    assert "Expired" in expired and "Active" not in expired
    assert "Active" in current and "Expired" not in current


# Identifier log ---------------------------------------------------------------------------------------


def test_the_log_modal_lists_who_when_action_reason_and_source(owner_client, owner, customer):
    identifier = factories.CustomerIdentifierFactory(customer=customer).identifier
    factories.BlockEventFactory(identifier=identifier, actor=owner, reason="FRAUD", source="BLOCK_ALL")
    factories.BlockEventFactory(
        identifier=identifier, actor=None, action="UNBLOCK", reason="CUSTOMER_REQUEST"
    )
    url = reverse("customers:identifier-log", args=[customer.public_id, identifier.pk])

    modal = _get(owner_client, url, htmx=True).content.decode()
    page = _get(owner_client, url).content.decode()

    for text in (owner.email, "Fraud", "Block all", "Unblocked", "Customer request", "System"):
        assert text in modal
    assert 'class="modal' in modal and "<html" in page


def test_the_log_of_a_detail_not_linked_to_the_customer_is_404(owner_client, merchant, customer):
    stranger = factories.IdentifierFactory(merchant=merchant)

    response = _get(owner_client, reverse("customers:identifier-log", args=[customer.public_id, stranger.pk]))

    assert response.status_code == 404


# Tenancy -------------------------------------------------------------------------------------------


def _all_urls(customer, purchase, identifier):
    pid = customer.public_id
    detail = reverse("customers:detail", args=[pid])
    return (
        [detail]
        + [f"{detail}?tab={t}" for t in ("details", "stats", "info", "activity")]
        + [
            reverse("customers:detail-header", args=[pid]),
            reverse("customers:detail-products", args=[pid]),
            reverse("customers:detail-payment-methods", args=[pid]),
            reverse("customers:purchase-transactions", args=[pid, purchase.pk]),
            reverse("customers:identifier-log", args=[pid, identifier.pk]),
        ]
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_a_user_of_another_merchant_gets_404_on_every_url_of_the_page(other_client, merchant, owner, htmx):
    customer = build_customer(merchant, purchases=3, transactions=5, actor=owner)
    purchase = customer.purchases.first()
    identifier = customer.identifiers.first()

    statuses = {
        url: _get(other_client, url, htmx).status_code for url in _all_urls(customer, purchase, identifier)
    }

    assert set(statuses.values()) == {404}


def test_a_purchase_of_another_customer_is_404_under_this_customer(owner_client, merchant, customer):
    foreign = factories.PurchaseFactory(customer=factories.CustomerFactory(merchant=merchant))

    response = _get(
        owner_client, reverse("customers:purchase-transactions", args=[customer.public_id, foreign.pk])
    )

    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, customer):
    response = client.get(reverse("customers:detail", args=[customer.public_id]))

    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    "query",
    [
        "?tab=activity&before=not-a-date",
        "?tab=activity&before=2026-13-45T99:00",
        "?tab=activity&kind=<script>",
        "?tab=%00",
        "?page=abc",
    ],
)
def test_bad_query_parameters_are_ignored_not_errors(owner_client, customer, query):
    response = _get(owner_client, reverse("customers:detail", args=[customer.public_id]) + query, htmx=True)

    assert response.status_code == 200


def test_bad_page_numbers_on_partials_fall_back_to_the_first_page(owner_client, customer):
    purchase = factories.PurchaseFactory(customer=customer)
    urls = [
        reverse("customers:detail-products", args=[customer.public_id]) + "?page=-3",
        reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk]) + "?page=x",
    ]

    assert [_get(owner_client, url, htmx=True).status_code for url in urls] == [200, 200]


def test_activity_pages_never_skip_or_repeat_rows_that_share_a_timestamp(owner_client, merchant, customer):
    instant = timezone.now().replace(microsecond=0)
    for _ in range(25):
        factories.TransactionFactory(customer=customer, occurred_at=instant)
    for _ in range(10):
        factories.TransactionFactory(customer=customer, occurred_at=instant - timedelta(hours=1))

    first = _page(owner_client, customer, tab="activity").content.decode()
    older = first.split('id="activity-older" href="')[1].split('"')[0].replace("&amp;", "&")
    second = _get(owner_client, older).content.decode()

    shown = [html.count('class="timeline-item') for html in (first, second)]
    assert shown == [25, 10]
    assert 'id="activity-older"' not in second


def test_an_avatar_the_csp_would_block_falls_back_to_initials(owner_client, customer):
    customer.avatar_url = "https://cdn.example.com/ada.png"
    customer.save()

    html = _page(owner_client, customer).content.decode()

    assert "cdn.example.com" not in html and ">AL<" in html.replace("\n", "").replace(" ", "")
