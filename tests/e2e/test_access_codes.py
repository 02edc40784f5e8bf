"""Browser: generate a batch of access codes, see Unused / Redeemed with the buyer, delete an unused code."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from purchases.models import AccessCode
from purchases.services import access_code_redeem, access_codes_generate
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    """The shared 2-core machine can be slow: wait up to 15 s for the page to settle, then restore."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def test_generate_list_and_delete_codes(page, sign_in, owner, merchant, screenshot):
    vip = factories.ProductFactory(
        merchant=merchant, name="VIP channel", allows_access_codes=True, one_time=True
    )
    factories.ProductFactory(merchant=merchant, name="Signals", allows_access_codes=True)
    factories.ProductFactory(merchant=merchant, name="No codes here")
    earlier = access_codes_generate(
        actor=owner,
        now=timezone.now(),
        merchant=merchant,
        products=[vip],
        quantity=1,
        duration="LIFETIME",
        duration_count=None,
    ).codes[0]
    buyer = factories.CustomerFactory(merchant=merchant, name="Ada Buyer")
    access_code_redeem(code=earlier.code, customer=buyer, now=timezone.now())
    sign_in(owner)

    page.goto("/access-codes/")
    form = page.locator("#access-code-generate-form")
    expect(form).not_to_contain_text("No codes here")
    form.get_by_label("VIP channel").check()
    form.get_by_label("Codes in this batch").select_option("5")
    form.get_by_label("Access lasts").select_option("MONTHS")
    form.locator("#id_duration_count").fill("3")
    form.locator("#access-code-generate-submit").click()

    expect(page.locator(".flashes")).to_contain_text("Generated 5 code(s)")
    expect(page.locator("#access-codes-table tbody tr")).to_have_count(5)
    expect(page.locator("#access-codes-csv")).to_be_visible()
    page.goto("/access-codes/")
    expect(page.locator("#access-codes-table tbody tr")).to_have_count(6)
    expect(page.locator(f"tr[data-code='{earlier.code}']")).to_contain_text("Ada Buyer")
    screenshot(page, "access-codes")

    unused = AccessCode.objects.filter(redeemed_at__isnull=True).first()
    page.locator(f"tr[data-code='{unused.code}']").get_by_role("button", name="Delete").click()
    expect(page.locator(".flashes")).to_contain_text(f"Code {unused.code} deleted.")
    page.get_by_role("link", name="Redeemed", exact=True).click()
    expect(page.locator("#access-codes-table tbody tr")).to_have_count(1)
    assert AccessCode.objects.count() == 5
