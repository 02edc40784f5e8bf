import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from merchants.models import Membership, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_invites_changes_a_role_deactivates_and_reads_it_all_in_the_audit(
    page, sign_in, owner, merchant, screenshot
):
    agent = MembershipFactory(merchant=merchant, role=Role.SUPPORT, user__email="agent.smith@example.com")
    sign_in(owner)

    page.click("nav >> text=Staff")
    expect(page.locator("h1")).to_have_text("Staff")
    screenshot(page, "staff-list")

    page.click("#staff-invite")
    page.fill("input[name=email]", "new.hire@example.com")
    page.select_option("select[name=role]", "MANAGER")
    screenshot(page, "staff-invite-modal")
    page.click("#staff-submit")
    expect(page.locator("tr[data-member='new.hire@example.com']")).to_contain_text("Invited")
    assert mail.outbox and "/accounts/set-password/" in mail.outbox[-1].body

    row = page.locator(f"tr[data-member='{agent.user.email}']")
    row.locator("text=Change role").click()
    page.select_option("#modal select[name=role]", "MANAGER")
    page.click("#staff-submit")
    expect(row).to_contain_text("Manager")

    row.locator("text=Deactivate").click()
    screenshot(page, "staff-deactivate-modal")
    page.click("#staff-submit")
    expect(row).to_contain_text("Deactivated")
    assert not Membership.objects.get(pk=agent.pk).is_active
    screenshot(page, "staff-after-changes")

    page.click("nav >> text=Audit")
    expect(page.locator("h1")).to_have_text("Audit")
    expect(page.locator(".audit-table")).to_contain_text("staff.deactivate")
    expect(page.locator(".audit-table")).to_contain_text("staff.role_change")
    screenshot(page, "audit-list")

    page.select_option("select[name=action]", "staff.role_change")
    expect(page.locator(".audit-table > tbody > tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"action=staff.role_change"))
    screenshot(page, "audit-filtered")


def test_the_invitation_link_sets_a_password_that_signs_in(
    page, sign_in, owner, merchant, screenshot, live_server, settings
):
    settings.TELLER_PUBLIC_URL = live_server.url  # links Teller sends use its public address
    sign_in(owner)
    page.goto("/staff/invite/")
    page.fill("input[name=email]", "fresh@example.com")
    page.click("#staff-submit")
    expect(page.locator("tr[data-member='fresh@example.com']")).to_contain_text("Invited")  # back on the list
    link = re.search(r"https?://\S+/accounts/set-password/\S+/", mail.outbox[-1].body).group(0)
    # Sign out only once the list page's own requests are done: a late answer (the session is saved on every
    # request) would set the owner's session cookie again after the clear (seen once in CI).
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    assert not page.context.cookies()

    assert link.startswith(live_server.url)
    page.goto(link)
    page.fill("input[name=new_password1]", "short")
    page.fill("input[name=new_password2]", "short")
    page.click("#set-password")
    expect(page.locator(".errorlist")).to_contain_text("too short")
    screenshot(page, "staff-set-password-error")
    page.fill("input[name=new_password1]", "violet-otter-42x-lamp")
    page.fill("input[name=new_password2]", "violet-otter-42x-lamp")
    page.click("#set-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", "fresh@example.com")
    page.fill("input[name=password]", "violet-otter-42x-lamp")
    page.click("#sign-in")
    expect(page.locator("h1")).to_have_text("Customers")


def test_repeated_wrong_passwords_show_the_lockout_page(page, sign_in, owner, settings, screenshot):
    settings.AXES_ENABLED = True

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(owner, password="wrong-password")
    sign_in(owner)

    expect(page.locator("#lockout-title")).to_have_text("Too many failed sign-ins")
    screenshot(page, "sign-in-lockout")
