import json
import re

import pytest
from django.urls import reverse

from desk.templatetags.customer_page import creditable
from refunds.models import Credit, Repayment
from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def charge(merchant):
    return factories.TransactionFactory(customer__merchant=merchant, amount=5000)


@pytest.fixture
def chargeback(merchant):
    charge = factories.TransactionFactory(
        customer__merchant=merchant, amount=5000, status=Transaction.Status.CHARGED_BACK
    )
    return factories.TransactionFactory(
        customer=charge.customer, parent=charge, chargeback=True, amount=5000, status=Transaction.Status.LOST
    )


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', response.content.decode()).group(1)


def post_credit(client, charge, **fields):
    url = reverse("refunds:credit", args=[charge.pk])
    key = key_of(client.get(url, **HTMX))
    data = {"mode": "FULL", "reason": "REQUESTED_BY_CUSTOMER", "idempotency_key": key, **fields}
    return client.post(url, data, **HTMX)


def test_the_credit_modal_shows_the_remaining_balance(manager_client, charge):
    charge.refunded_amount = 1000
    charge.status = Transaction.Status.PARTIALLY_REFUNDED
    charge.save()

    response = manager_client.get(reverse("refunds:credit", args=[charge.pk]), **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Remaining creditable balance" in body and "€40.00" in body
    assert "Block all customer details" in body


def test_a_full_credit_answers_204_with_the_customer_changed_event(manager_client, charge, provider):
    response = post_credit(manager_client, charge)

    assert response.status_code == 204
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["customer:changed"] is True and trigger["teller:toast"]["message"] == "Credited €50.00"
    charge.refresh_from_db()
    assert charge.status == Transaction.Status.REFUNDED


def test_a_partial_credit_reads_a_comma_amount(manager_client, charge, provider):
    response = post_credit(manager_client, charge, mode="PARTIAL", amount="12,50")

    assert json.loads(response["HX-Trigger"])["teller:toast"]["message"] == "Credited €12.50"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter a number"),
        ("0", "greater than zero"),
        ("12.505", "ambiguous"),
        ("60", "remaining balance"),
    ],
)
def test_a_bad_amount_is_shown_in_the_modal_and_nothing_is_sent(
    manager_client, charge, provider, amount, message
):
    response = post_credit(manager_client, charge, mode="PARTIAL", amount=amount)

    assert response.status_code == 200 and message in response.content.decode()
    assert provider.calls == [] and not Credit.objects.exists()


def test_the_provider_refusal_is_shown_in_the_modal_with_a_fresh_key(manager_client, charge, provider):
    provider.fail_with = "Charge has already been refunded."
    url = reverse("refunds:credit", args=[charge.pk])
    key = key_of(manager_client.get(url, **HTMX))

    response = manager_client.post(
        url, {"mode": "FULL", "reason": "DUPLICATE", "idempotency_key": key}, **HTMX
    )

    body = response.content.decode()
    assert "The provider refused the credit: Charge has already been refunded." in body
    assert key_of(response) != key


def test_a_sepa_charge_offers_no_partial_credit_and_refuses_one(manager_client, merchant, provider):
    sepa = factories.TransactionFactory(customer__merchant=merchant, sepa=True)

    page = manager_client.get(reverse("refunds:credit", args=[sepa.pk]), **HTMX).content.decode()
    response = post_credit(manager_client, sepa, mode="PARTIAL", amount="5", risk_acknowledged="on")

    assert (
        re.search(r'value="PARTIAL"\s+disabled', page) and "I understand the risk and want to proceed" in page
    )
    assert "not possible for SEPA" in response.content.decode() and provider.calls == []


def test_the_chargeback_warning_is_shown(manager_client, merchant):
    disputed = factories.TransactionFactory(customer__merchant=merchant, status=Transaction.Status.DISPUTED)
    factories.TransactionFactory(
        customer=disputed.customer, parent=disputed, chargeback=True, status=Transaction.Status.WARNING
    )

    body = manager_client.get(reverse("refunds:credit", args=[disputed.pk]), **HTMX).content.decode()

    assert "lost twice" in body and 'name="chargeback_acknowledged"' in body


def test_another_merchants_charge_is_a_404(other_client, charge):
    assert other_client.get(reverse("refunds:credit", args=[charge.pk])).status_code == 404
    assert other_client.post(reverse("refunds:credit", args=[charge.pk]), {}).status_code == 404


def test_without_htmx_the_modal_is_a_page_and_success_redirects_to_the_customer(
    manager_client, charge, provider
):
    url = reverse("refunds:credit", args=[charge.pk])
    page = manager_client.get(url)
    key = key_of(page)

    response = manager_client.post(url, {"mode": "FULL", "reason": "DUPLICATE", "idempotency_key": key})

    assert page.status_code == 200 and "<html" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[charge.customer.public_id])


# --- repayments ---------------------------------------------------------------------------------------------


def test_support_agents_cannot_add_repayments(support_client, chargeback):
    assert support_client.get(reverse("refunds:repayment", args=[chargeback.pk])).status_code == 403


def test_a_repayment_link_is_shown_with_a_copy_button(manager_client, chargeback, provider):
    response = manager_client.post(
        reverse("refunds:repayment", args=[chargeback.pk]), {"option": "LINK"}, **HTMX
    )

    body = response.content.decode()
    link = Repayment.objects.get()
    assert response.status_code == 200 and link.link_url in body and f'data-copy="{link.link_url}"' in body
    assert "Email it to the customer" in body
    assert json.loads(response["HX-Trigger"]) == {"customer:changed": True}


def test_a_manual_repayment_is_recorded(manager_client, chargeback):
    response = manager_client.post(
        reverse("refunds:repayment", args=[chargeback.pk]),
        {
            "option": "MANUAL",
            "amount": "20",
            "paid_on": "2026-01-02",
            "manual_method": "CASH",
            "reference": "R1",
        },
        **HTMX,
    )

    assert response.status_code == 204
    chargeback.refresh_from_db()
    assert chargeback.repaid_amount == 2000 and chargeback.status == Transaction.Status.PARTIALLY_REPAID


def test_a_manual_repayment_above_the_outstanding_amount_is_refused(manager_client, chargeback):
    response = manager_client.post(
        reverse("refunds:repayment", args=[chargeback.pk]),
        {"option": "MANUAL", "amount": "50.01", "paid_on": "2026-01-02", "manual_method": "CASH"},
        **HTMX,
    )

    assert response.status_code == 200 and "more than what is outstanding" in response.content.decode()
    assert not Repayment.objects.exists()


def test_a_link_can_be_emailed_and_canceled_from_the_modal(manager_client, chargeback, provider, mailoutbox):
    manager_client.post(reverse("refunds:repayment", args=[chargeback.pk]), {"option": "LINK"}, **HTMX)
    link = Repayment.objects.get()

    emailed = manager_client.post(reverse("refunds:repayment-email", args=[link.pk]), **HTMX)
    canceled = manager_client.post(reverse("refunds:repayment-cancel", args=[link.pk]), **HTMX)

    assert emailed.status_code == 200 and len(mailoutbox) == 1 and link.link_url in mailoutbox[0].body
    assert canceled.status_code == 200
    link.refresh_from_db()
    assert link.status == Repayment.Status.CANCELED


def test_another_merchants_repayment_link_is_a_404(other_client, chargeback):
    link = factories.RepaymentFactory(
        chargeback=chargeback, method=Repayment.Method.LINK, status=Repayment.Status.PENDING
    )

    assert other_client.post(reverse("refunds:repayment-cancel", args=[link.pk])).status_code == 404


def test_a_timeout_closes_the_modal_with_a_pending_message_and_the_modal_then_shows_it_pending(
    manager_client, charge, provider
):
    provider.unavailable = True

    response = post_credit(manager_client, charge, mode="PARTIAL", amount="10")
    reopened = manager_client.get(reverse("refunds:credit", args=[charge.pk]), **HTMX).content.decode()

    message = json.loads(response["HX-Trigger"])["teller:toast"]["message"]
    assert response.status_code == 204 and message.startswith("Credit of €10.00 is pending")
    assert "is <strong>pending</strong>" in reopened and "€40.00" in reopened
    assert Credit.objects.get().status == Credit.Status.PENDING


def test_a_support_agent_sees_the_limit_and_is_refused_above_it(support_client, charge, merchant, provider):
    merchant.support_credit_limit = 2000
    merchant.save()

    page = support_client.get(reverse("refunds:credit", args=[charge.pk]), **HTMX).content.decode()
    response = post_credit(support_client, charge, mode="PARTIAL", amount="20.01")

    assert "your role can credit up to €20.00" in page
    assert "Support agents can credit up to €20.00" in response.content.decode() and provider.calls == []


def _queries_for(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **HTMX).status_code == 200
    return len(captured)


def test_the_credit_modal_runs_a_fixed_number_of_queries_however_many_credits(manager_client, charge):
    url = reverse("refunds:credit", args=[charge.pk])
    factories.CreditFactory(transaction=charge, amount=100, status=Credit.Status.SUCCEEDED)
    one = _queries_for(manager_client, url)
    for _ in range(9):
        factories.CreditFactory(transaction=charge, amount=100, status=Credit.Status.FAILED)

    assert _queries_for(manager_client, url) == one


def test_the_repayment_modal_runs_a_fixed_number_of_queries_for_any_number_of_repayments(
    manager_client, chargeback
):
    url = reverse("refunds:repayment", args=[chargeback.pk])
    factories.RepaymentFactory(chargeback=chargeback, amount=100, status=Repayment.Status.PAID)
    one = _queries_for(manager_client, url)
    for _ in range(9):
        factories.RepaymentFactory(chargeback=chargeback, amount=100, status=Repayment.Status.PAID)

    assert _queries_for(manager_client, url) == one


def test_a_form_without_its_key_says_it_expired_and_credits_nothing(manager_client, charge, provider):
    response = manager_client.post(
        reverse("refunds:credit", args=[charge.pk]), {"mode": "FULL", "reason": "DUPLICATE"}, **HTMX
    )

    assert "This form has expired" in response.content.decode() and provider.calls == []


def test_a_charged_back_charge_offers_no_credit_anywhere(manager_client, merchant):
    """The template filter, the modal and the service say the same (transactions/rules.py)."""
    charge = factories.TransactionFactory(customer__merchant=merchant, amount=5000)
    factories.TransactionFactory(
        customer=charge.customer,
        parent=charge,
        chargeback=True,
        status=Transaction.Status.WON,
        metadata={"dispute_status": "won"},
    )

    body = manager_client.get(reverse("refunds:credit", args=[charge.pk]), **HTMX).content.decode()

    assert not creditable(charge)
    assert "has been charged back" in body and 'id="credit-submit"' not in body
