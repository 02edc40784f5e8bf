"""The sandbox's hosted repayment page: a customer opens the link and pays; Teller records the repayment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from refunds.models import Repayment
from refunds.services import repayment_link_create
from sandbox import simulate as sim
from tests import factories
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_pays_a_sandbox_repayment_link(page, live_server, screenshot):
    merchant = factories.MerchantFactory(name="Northwind Channels", slug="northwind")
    owner = factories.MembershipFactory(merchant=merchant).user
    at = timezone.now() - timedelta(days=60)
    customer = sim.simulate_customer(merchant, key="e2e", email="pay@example.org", name="Pat Payer", at=at)
    pm = sim.simulate_payment_method(merchant, key="e2e", customer=customer, at=at)
    charge = sim.simulate_charge(
        merchant, key="e2e", customer=customer["id"], pm=pm, amount=4900, currency="eur", at=at
    )
    sim.simulate_dispute(
        merchant, key="e2e", charge_id=charge["id"], at=at + timedelta(days=2), status="lost"
    )
    chargeback = Transaction.objects.get(merchant=merchant, kind=Transaction.Kind.CHARGEBACK)
    repayment = repayment_link_create(actor=owner, now=timezone.now(), chargeback=chargeback)
    path = repayment.link_url.removeprefix("http://127.0.0.1:8000")

    page.goto(path)
    screenshot(page, "sandbox-pay")
    page.click("#sandbox-pay")
    page.wait_for_load_state("networkidle")

    assert page.get_by_text("Paid. Thank you.").is_visible()
    screenshot(page, "sandbox-pay-paid")
    repayment.refresh_from_db()
    assert repayment.status == Repayment.Status.PAID
