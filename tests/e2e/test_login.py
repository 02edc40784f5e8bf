import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_sign_in_through_the_form_and_see_the_customers_page(page, sign_in, owner, screenshot):
    page.goto("/accounts/login/")
    screenshot(page, "login")

    sign_in(owner)

    assert page.url.endswith("/customers/")
    assert page.locator("h1").inner_text() == "Customers"


def test_a_wrong_password_is_refused_with_a_message(page, sign_in, owner):
    sign_in(owner, password="wrong-password")

    assert "/accounts/login/" in page.url
    assert "do not match" in page.locator(".alert-danger").inner_text()
