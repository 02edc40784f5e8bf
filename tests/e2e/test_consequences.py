"""Browser: the "What will happen" box of the credit, cancel purchase, cancel subscription and Manage details
modals follows the form as it is filled in, and the action then does what it said."""

import pytest
from playwright.sync_api import expect

from purchases.models import Purchase
from refunds.models import Credit
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1440, 1024, 768)


@pytest.fixture(autouse=True)
def _patient_expect(monkeypatch):
    monkeypatch.setattr("customers.tasks.provider_mirrors_radar", lambda merchant: False)
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def customer(merchant):
    customer = factories.CustomerFactory(merchant=merchant, name="Jane Roe", email="jane.roe@example.org")
    card = factories.IdentifierFactory(merchant=merchant)
    factories.CustomerIdentifierFactory(customer=customer, identifier=card)
    return customer


def _shots(page, screenshot, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_the_credit_preview_follows_the_amount_and_the_credit_matches_it(
    page, sign_in, owner, customer, screenshot
):
    purchase = factories.PurchaseFactory(customer=customer, merchant=customer.merchant, one_time=True)
    factories.TransactionFactory(customer=customer, purchase=purchase, amount=5000)
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    page.locator("#credit-last").click()
    modal = page.locator("#modal .modal")
    box = modal.locator("#consequences")
    expect(box).to_contain_text("€50.00 (EUR) goes back to Visa •••• 4242")
    expect(box).to_contain_text("No payment detail is blocked.")

    modal.locator("input[name=mode][value=PARTIAL]").check()
    expect(box).to_contain_text("Nothing yet: Enter the amount to credit.")
    modal.locator("#id_amount").fill("12.50")
    expect(box).to_contain_text("€12.50 (EUR) goes back")
    expect(box).to_contain_text("€37.50 can still be credited")
    modal.locator("#id_block_all").check()
    expect(box).to_contain_text("Blocks 2 details")
    modal.locator("input[name=reason][value=DUPLICATE]").check()
    _shots(page, screenshot, "credit-modal-consequences")

    modal.locator("#credit-submit").click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    credit = Credit.objects.get()
    assert (credit.amount, credit.currency, credit.block_all) == (1250, "eur", True)


def test_the_cancel_purchase_preview_names_the_chats_lost_and_kept(
    page, sign_in, owner, customer, screenshot
):
    merchant = customer.merchant
    factories.TelegramAccountFactory(customer=customer, merchant=merchant)
    product = factories.ProductFactory(merchant=merchant, one_time=True, name="Course")
    lost = factories.TelegramChatFactory(merchant=merchant, title="Course chat")
    kept = factories.TelegramChatFactory(merchant=merchant, title="Community")
    lost.products.add(product)
    kept.products.add(product)
    bundle = factories.ProductFactory(merchant=merchant, one_time=True, name="Community pass")
    kept.products.add(bundle)
    factories.PurchaseFactory(customer=customer, merchant=merchant, product=bundle, one_time=True)
    purchase = factories.PurchaseFactory(customer=customer, merchant=merchant, product=product, one_time=True)
    assert purchase.access_grants.count() == 2
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    page.locator(f"#product-{purchase.pk} .product-actions").get_by_role(
        "link", name="Cancel purchase"
    ).click()
    box = page.locator("#modal #consequences")

    expect(box).to_contain_text("Access to Course ends now.")
    expect(box).to_contain_text("The bot removes the member from Course chat now.")
    expect(box).to_contain_text("Kept: Community (through Community pass).")
    expect(box).to_contain_text("No money is refunded")
    _shots(page, screenshot, "purchase-cancel-modal-consequences")

    page.locator("#id_confirmation").fill("CANCEL PURCHASE")
    page.locator("#purchase-cancel-submit").click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.CANCELED


def test_the_subscription_cancel_preview_follows_keep_active(page, sign_in, owner, customer):
    subscription = factories.PurchaseFactory(
        customer=customer, merchant=customer.merchant, product__name="Signals"
    )
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    page.locator(f"#product-{subscription.pk} .product-actions").get_by_role(
        "link", name="Cancel", exact=True
    ).click()
    box = page.locator("#modal #consequences")
    end = f"{subscription.current_period_end_at:%-d %b %Y}"

    expect(box).to_contain_text(f"access kept until {end}")
    page.locator("#id_keep_active").uncheck()
    expect(box).to_contain_text("Stripe ends Signals now: no further charges, access ends now.")

    page.locator("#subscription-cancel-submit").click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    subscription.refresh_from_db()
    assert not subscription.is_live


def test_the_manage_details_preview_lists_block_all_and_the_subscriptions_it_ends(
    page, sign_in, owner, customer, screenshot
):
    factories.PurchaseFactory(customer=customer, merchant=customer.merchant, product__name="Signals")
    sign_in(owner)
    page.goto(f"/customers/{customer.public_id}/")
    page.locator("#manage-details").click()
    box = page.locator("#modal #consequences")
    block_all = box.locator("[data-action=block-all]")

    expect(block_all).to_contain_text("Blocks 2 details")
    expect(block_all).to_contain_text("No subscription is canceled")
    expect(box.locator("[data-action=save]")).to_have_count(0)

    page.locator("#id_cancel_subscriptions").check()
    expect(block_all).to_contain_text("Stripe ends Signals now")
    page.locator("#modal .detail-toggle .switch").first.click()
    expect(box.locator("[data-action=save]")).to_contain_text("Blocks 1 detail")
    _shots(page, screenshot, "manage-details-modal-consequences")
