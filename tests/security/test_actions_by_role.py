"""A role never sees an action it cannot take: every action link and form on the pages a role opens names a
view whose permission (merchants/permissions.py) that role holds. A refused HTMX request answers with a small
fragment shown in place, never a whole 403 page."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from access.models import ChatMember
from merchants.permissions import has_permission
from tests import factories

pytestmark = pytest.mark.django_db

ACTION_ATTRS = re.compile(r'\b(hx-get|hx-post|action)="([^"]+)"')
MODAL_LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*hx-target="#modal"')


@pytest.fixture
def book(merchant):
    """A customer with a live subscription, a charge and an open chargeback, a Telegram chat and member."""
    purchase = factories.PurchaseFactory(customer__merchant=merchant)
    customer = purchase.customer
    charge = factories.TransactionFactory(customer=customer, purchase=purchase)
    chargeback = factories.TransactionFactory(
        customer=customer, purchase=purchase, chargeback=True, parent=charge, amount=charge.amount
    )
    chat = factories.TelegramChatFactory(merchant=merchant)
    chat.products.add(purchase.product)
    account = factories.TelegramAccountFactory(customer=customer)
    ChatMember.objects.create(
        merchant=merchant,
        chat=chat,
        telegram_user_id=account.telegram_user_id,
        status=ChatMember.Status.MEMBER,
        changed_at=timezone.now(),
    )
    event = factories.ProviderEventFactory(merchant=merchant, status="FAILED")
    return {
        "customer": customer,
        "purchase": purchase,
        "chargeback": chargeback,
        "chat": chat,
        "event": event,
    }


def _pages(book):
    customer, purchase = book["customer"], book["purchase"]
    return [
        reverse("customers:detail", args=[customer.public_id]),
        reverse("customers:detail", args=[customer.public_id]) + "?tab=details",
        reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk]),
        reverse("access:customer-panel", args=[customer.public_id]),
        reverse("transactions:detail", args=[book["chargeback"].pk]),
        reverse("transactions:list"),
        reverse("customers:list"),
        reverse("access:chats"),
        reverse("access:chat-detail", args=[book["chat"].pk]),
        reverse("purchases:access-codes"),
        reverse("providers:events"),
        reverse("providers:event-detail", args=[book["event"].pk]),
    ]


def _action_urls(html: str) -> set[str]:
    found = {unescape(url) for _, url in ACTION_ATTRS.findall(html)}
    found |= {unescape(url) for url in MODAL_LINK.findall(html)}
    found |= {unescape(url) for url in re.findall(r'<a [^>]*href="(/[^"]+)"', html)}
    return {url for url in found if url.startswith("/") and not url.startswith("/static/")}


def _permission(url: str):
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return getattr(match.func, "teller_permission", None)


@pytest.mark.parametrize("role", ["SUPPORT", "MANAGER", "OWNER"])
def test_every_action_on_every_page_is_one_the_role_may_take(merchant, book, role):
    membership = factories.MembershipFactory(merchant=merchant, role=role)
    client = Client()
    client.force_login(membership.user)
    offered = {}
    for page in _pages(book):
        response = client.get(page)
        assert response.status_code == 200, page
        for url in _action_urls(response.content.decode()):
            offered.setdefault(url, page)

    refused = {
        url: page
        for url, page in offered.items()
        if (permission := _permission(url)) and not has_permission(membership, permission)
    }
    assert refused == {}, f"{role} is shown actions it may not take (url: page)"
    assert offered  # the pages were read


def test_support_sees_no_add_repayment_a_manager_does(merchant, book, support, manager):
    customer, purchase = book["customer"], book["purchase"]
    fragment = reverse("customers:purchase-transactions", args=[customer.public_id, purchase.pk])
    detail = reverse("transactions:detail", args=[book["chargeback"].pk])
    support_client, manager_client = Client(), Client()
    support_client.force_login(support)
    manager_client.force_login(manager)

    for url in (fragment, detail):
        assert "Add repayment" not in support_client.get(url).content.decode()
        assert "Add repayment" in manager_client.get(url).content.decode()


def test_a_refused_htmx_request_gets_a_fragment_with_the_reason(support_client, book):
    url = reverse("refunds:repayment", args=[book["chargeback"].pk])

    htmx = support_client.get(url, headers={"HX-Request": "true"})
    plain = support_client.get(url)

    assert htmx.status_code == plain.status_code == 403
    body = htmx.content.decode()
    assert 'id="forbidden-message"' in body and "does not allow" in body and "<html" not in body
    assert "<html" in plain.content.decode() and "does not allow" in plain.content.decode()
