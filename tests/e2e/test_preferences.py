"""Browser: a staff member picks their own time zone from the user menu and every date follows it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from merchants.models import Merchant

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_staff_member_chooses_their_time_zone(page, sign_in, owner, merchant):
    merchant.provider = Merchant.Provider.STRIPE
    merchant.time_zone = "Asia/Tokyo"
    merchant.stripe_connected_at = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    merchant.save()
    sign_in(owner)
    page.goto("/settings/stripe/")
    expect(page.locator("main")).to_contain_text("1 Jan 2026, 09:00")

    page.locator(".usermenu summary").click()
    page.get_by_role("link", name="Preferences").click()
    page.select_option("select[name=time_zone]", "America/New_York")
    page.click("#preferences-save")

    expect(page.locator(".flashes")).to_contain_text("Preferences saved")
    expect(page.locator("#preferences-now")).to_contain_text("(America/New_York)")
    page.goto("/settings/stripe/")
    expect(page.locator("main")).to_contain_text("31 Dec 2025, 19:00")
