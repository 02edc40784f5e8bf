"""Browser: the Disputes page, answering a dispute (save a draft, submit) and accepting another one."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests.transactions.disputes_helpers import open_dispute
from transactions.models import Dispute

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1440, 1024, 768)


@pytest.fixture
def disputes(merchant):
    now = timezone.now()
    return [
        open_dispute(merchant, key="ada", at=now - timedelta(days=13), reason="fraudulent"),
        open_dispute(merchant, key="bob", at=now - timedelta(days=11), reason="subscription_canceled"),
        open_dispute(merchant, key="cy", at=now - timedelta(days=3), reason="product_not_received"),
    ]


def test_respond_save_draft_submit_and_accept_another(page, sign_in, manager, disputes, screenshot):
    first, second, _ = disputes
    sign_in(manager)
    page.goto("/transactions/disputes/")
    expect(page.locator("#nav-disputes .nav-badge")).to_have_text("2")
    rows = page.locator("#dispute-results tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_id(f"dispute-{first.pk}")  # soonest deadline first
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"disputes-list-{width}")

    page.locator(f"#respond-{first.pk}").click()
    modal = page.locator("#modal .modal")
    expect(modal.locator("#modal-title")).to_have_text("Respond to dispute", timeout=15_000)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"disputes-respond-{width}", full_page=False)
    page.set_viewport_size({"width": 1440, "height": 900})

    modal.get_by_label("Product description").fill("Monthly access to the Acme channel, €49.00")
    modal.get_by_label("Access and usage log").fill("Joined the channel on 3 Nov from 203.0.113.7")
    modal.locator("#dispute-draft").click()
    expect(modal.locator("#dispute-saved")).to_contain_text("Draft saved")
    first.refresh_from_db()
    assert first.status == Dispute.Status.NEEDS_RESPONSE
    assert first.evidence["product_description"].startswith("Monthly access")

    modal.locator("input[name=customer_communication]").set_input_files(
        files=[{"name": "emails.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 mails"}]
    )
    modal.locator("#dispute-submit").click()
    expect(page.locator("#toasts")).to_contain_text("Evidence submitted")
    expect(page.locator(f"#dispute-{first.pk} .badge")).to_have_text("Under review")
    first.refresh_from_db()
    assert first.status == Dispute.Status.UNDER_REVIEW
    assert first.evidence["customer_communication"].startswith("file_")

    page.locator(f"#respond-{second.pk}").click()
    expect(modal.locator("#modal-title")).to_have_text("Respond to dispute", timeout=15_000)
    expect(modal.get_by_label("Why the subscription was not canceled")).to_be_visible()
    modal.locator("#dispute-accept summary").click()
    modal.get_by_label("Type ACCEPT to accept").fill("ACCEPT")
    modal.locator("#dispute-accept-submit").click()
    expect(page.locator("#toasts")).to_contain_text("Dispute accepted")
    expect(page.locator(f"#dispute-{second.pk}")).to_have_count(0)  # closed: no longer in the open list
    second.refresh_from_db()
    assert second.status == Dispute.Status.LOST
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "dispute.draft",
        "dispute.submit",
        "dispute.accept",
    }


def test_a_repaid_chargeback_keeps_its_dispute_panel_with_respond(page, sign_in, owner, disputes, screenshot):
    dispute = disputes[0]
    chargeback = dispute.transaction
    chargeback.repaid_amount = chargeback.amount
    chargeback.status = "REPAID"
    chargeback.save()
    sign_in(owner)

    page.goto(f"/customers/{chargeback.customer.public_id}/")
    panel = page.locator(f"#dispute-panel-{dispute.pk}")
    expect(panel).to_contain_text("Evidence due")
    expect(panel).to_contain_text("still needs its answer")
    expect(panel.get_by_role("link", name="Respond")).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"disputes-customer-panel-{width}", full_page=False)

    page.goto(f"/transactions/{chargeback.pk}/")
    expect(page.locator(f"#dispute-panel-{dispute.pk}")).to_contain_text("Fraudulent")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"disputes-transaction-{width}", full_page=False)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator(f"#dispute-panel-{dispute.pk}").get_by_role("link", name="Respond").click()
    expect(page.locator("#modal #modal-title")).to_have_text("Respond to dispute", timeout=15_000)
