import pytest

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_reaches_access_codes_from_the_nav_but_cannot_generate(
    page, sign_in, support, merchant, screenshot
):
    factories.ProductFactory(merchant=merchant, allows_access_codes=True)
    sign_in(support)

    page.click("nav >> text=Access codes")

    screenshot(page, "access-codes-support")
    assert page.locator("h1").inner_text() == "Access codes"
    assert page.locator("#access-code-generate-form").count() == 0
    assert page.locator("nav >> text=Audit").count() == 0
    assert page.locator("nav >> text=Staff").count() == 0


def test_a_manager_sees_the_generate_form_and_the_audit_link(page, sign_in, manager, merchant):
    factories.ProductFactory(merchant=merchant, allows_access_codes=True)
    sign_in(manager)

    page.click("nav >> text=Access codes")

    assert page.locator("#access-code-generate-form").count() == 1
    assert page.locator("nav >> text=Audit").count() == 1
