"""Linked customers (Info tab panel) and Block all linked: who is linked, what the confirmation lists, what
the POST blocks, and that each blocked customer is audited on its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from customers.models import BlockEvent, Customer, Identifier
from customers.services import BlockingError, customer_block_all
from desk.linked import block_linked, linked_customers
from tests import factories

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture(autouse=True)
def no_radar(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)


def share(identifier, *customers):
    for c in customers:
        factories.CustomerIdentifierFactory(customer=c, identifier=identifier)
    return identifier


@pytest.fixture
def world(merchant):
    me = factories.CustomerFactory(merchant=merchant, name="Ana Origin")
    card_twin = factories.CustomerFactory(merchant=merchant, name="Ben Card")
    email_twin = factories.CustomerFactory(merchant=merchant, name="Cy Email")
    bank_twin = factories.CustomerFactory(merchant=merchant, name="Di Bank")
    tg_twin = factories.CustomerFactory(merchant=merchant, name="Ed Telegram")
    stranger = factories.CustomerFactory(merchant=merchant, name="Flo Stranger")
    card = share(factories.IdentifierFactory(merchant=merchant), me, card_twin)
    email = share(
        factories.IdentifierFactory(merchant=merchant, email=True, value="ana@example.org"), me, email_twin
    )
    share(factories.IdentifierFactory(merchant=merchant, sepa=True, value="iban_fp_1"), me, bank_twin)
    # A customer id is never "shared" in the panel's sense; nor is the stranger's own card.
    share(factories.IdentifierFactory(merchant=merchant, customer_id=True), me)
    share(factories.IdentifierFactory(merchant=merchant), stranger)
    # Ed's Telegram account holds access through one of Ana's purchases (e.g. moved by staff).
    account = factories.TelegramAccountFactory(customer=tg_twin, username="edtg")
    factories.AccessGrantFactory(
        purchase=factories.PurchaseFactory(customer=me, merchant=merchant), account=account
    )
    # Ben also shares the email: he shares the most and is listed first.
    share(email, card_twin)
    return {
        "me": me,
        "card_twin": card_twin,
        "email_twin": email_twin,
        "bank_twin": bank_twin,
        "tg_twin": tg_twin,
        "stranger": stranger,
        "card": card,
    }


def test_linked_customers_lists_each_kind_of_link_with_what_is_shared(world):
    linked = linked_customers(world["me"])
    names = [row.customer.name for row in linked.rows]
    assert names[0] == "Ben Card"
    assert set(names) == {"Ben Card", "Cy Email", "Di Bank", "Ed Telegram"}
    shares = {row.customer.name: {(s.kind, s.display) for s in row.shares} for row in linked.rows}
    assert ("Email", "ana@example.org") in shares["Ben Card"]
    assert any(kind == "Card" for kind, _ in shares["Ben Card"])
    assert shares["Di Bank"] == {("Bank account", "SEPA DE •••• 3000")}
    assert shares["Ed Telegram"] == {("Telegram", "@edtg")}
    assert linked.more is False


def test_the_telegram_link_is_seen_from_both_sides(world):
    names = [row.customer.name for row in linked_customers(world["tg_twin"]).rows]
    assert names == ["Ana Origin"]


def test_another_merchants_customer_with_the_same_card_value_is_not_linked(world, other_merchant):
    theirs = factories.CustomerFactory(merchant=other_merchant)
    twin = factories.IdentifierFactory(merchant=other_merchant, value=world["card"].value)
    share(twin, theirs)
    assert theirs.pk not in {row.customer.pk for row in linked_customers(world["me"]).rows}


def test_the_panel_reads_a_fixed_number_of_queries(world, merchant):
    with CaptureQueriesContext(connection) as small:
        linked_customers(world["me"])
    for _ in range(15):
        share(world["card"], factories.CustomerFactory(merchant=merchant))
    with CaptureQueriesContext(connection) as large:
        linked = linked_customers(world["me"])
    assert len(linked.rows) == 19
    assert len(large) == len(small) <= 7


def test_block_linked_blocks_the_chosen_still_linked_customers_and_audits_each(world, owner):
    chosen = {world["card_twin"].pk, world["tg_twin"].pk, world["stranger"].pk}  # the stranger is not linked
    blocked = block_linked(actor=owner, now=NOW, customer=world["me"], chosen=chosen, reason="FRAUD")
    assert {c.pk for c in blocked} == {world["card_twin"].pk, world["tg_twin"].pk}
    assert Customer.objects.get(pk=world["card_twin"].pk).is_blocked
    assert Customer.objects.get(pk=world["tg_twin"].pk).is_blocked
    assert not Customer.objects.get(pk=world["stranger"].pk).is_blocked
    assert not Customer.objects.get(pk=world["email_twin"].pk).is_blocked  # linked but not chosen
    per_customer = AuditEvent.objects.filter(action=AuditAction.CUSTOMER_BLOCK_ALL)
    assert sorted(per_customer.values_list("customer_id", flat=True)) == sorted(c.pk for c in blocked)
    assert set(BlockEvent.objects.filter(customer__in=blocked).values_list("source", flat=True)) == {
        BlockEvent.Source.BLOCK_LINKED
    }
    summary = AuditEvent.objects.get(action=AuditAction.CUSTOMER_BLOCK_LINKED)
    assert summary.customer_id == world["me"].pk
    assert sorted(summary.data["blocked"]) == sorted(c.public_id for c in blocked)
    # Blocking Ben blocked the card Ana shares: Ana's card is blocked too (a detail is blocked for all).
    assert Identifier.objects.get(pk=world["card"].pk).is_blocked


def test_block_linked_skips_customers_blocked_meanwhile_and_refuses_when_none_is_left(world, owner):
    customer_block_all(actor=owner, now=NOW, customer=world["bank_twin"], reason="")
    with pytest.raises(BlockingError):
        block_linked(actor=owner, now=NOW, customer=world["me"], chosen={world["bank_twin"].pk}, reason="")
    assert not AuditEvent.objects.filter(action=AuditAction.CUSTOMER_BLOCK_LINKED).exists()


def test_block_linked_with_a_bad_reason_changes_nothing(world, owner):
    before = BlockEvent.objects.count()
    with pytest.raises(BlockingError):
        block_linked(
            actor=owner, now=NOW, customer=world["me"], chosen={world["card_twin"].pk}, reason="OTHER"
        )
    assert BlockEvent.objects.count() == before
    assert not Customer.objects.get(pk=world["card_twin"].pk).is_blocked


def test_info_tab_shows_the_panel_and_the_button(world, support_client):
    page = support_client.get(reverse("customers:detail", args=[world["me"].public_id]) + "?tab=info")
    html = page.content.decode()
    assert 'id="linked-customers"' in html
    assert f'id="linked-{world["tg_twin"].public_id}"' in html
    assert 'id="block-linked"' in html
    assert f'id="linked-{world["stranger"].public_id}"' not in html


def test_the_confirmation_lists_the_unblocked_linked_customers_and_the_post_blocks_the_ticked(
    world, support_client
):
    url = reverse("customers:linked-block", args=[world["me"].public_id])
    html = support_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    for key in ("card_twin", "email_twin", "bank_twin", "tg_twin"):
        assert f'value="{world[key].pk}" checked' in html
    response = support_client.post(
        url,
        {"customers": [world["email_twin"].pk, world["bank_twin"].pk], "reason": "FRAUD"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 or "HX-Trigger" in response.headers
    assert set(Customer.objects.filter(is_blocked=True).values_list("name", flat=True)) == {
        "Cy Email",
        "Di Bank",
    }


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Tick at least one customer"),
        ({"customers": ["999999"]}, "no longer linked or already blocked"),
        ({"customers": ["x\x00"]}, "no longer linked or already blocked"),
        ({"customers": ["CARD"], "reason": "OTHER"}, "Describe the reason"),
    ],
)
def test_a_bad_post_shows_its_error_and_blocks_nobody(world, support_client, data, message):
    url = reverse("customers:linked-block", args=[world["me"].public_id])
    if data.get("customers") == ["CARD"]:
        data = {**data, "customers": [world["card_twin"].pk]}
    response = support_client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Customer.objects.filter(is_blocked=True).exists()
    assert not BlockEvent.objects.exists()


def test_another_merchants_staff_get_404(world, other_merchant, client):
    stranger = factories.UserFactory()
    factories.MembershipFactory(user=stranger, merchant=other_merchant)
    client.force_login(stranger)
    url = reverse("customers:linked-block", args=[world["me"].public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"customers": [world["card_twin"].pk]}).status_code == 404
    assert not Customer.objects.filter(is_blocked=True).exists()
