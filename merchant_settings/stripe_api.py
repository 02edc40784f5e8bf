"""Teller's side of the Stripe account: the client for a pasted key, the pinned API version, the events.

The API version is the one Teller pins (`providers.stripe.STRIPE_API_VERSION`, the version SDK 16 speaks):
the webhook endpoint Teller registers sends events in exactly the shapes the apply path reads.
"""

import re

import stripe
from django.conf import settings
from django.urls import reverse

from providers.inbox import APPLIED_TYPES
from providers.stripe import STRIPE_API_VERSION, stripe_client

# Exactly the event types the apply dispatcher handles: Stripe sends nothing Teller would only ignore.
WEBHOOK_EVENT_TYPES = tuple(sorted(APPLIED_TYPES))

KEY_PATTERN = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$")

# Reads the import needs, checked on connect: (what to call, what staff are told is missing).
REQUIRED_READS = (
    ("customers", "Customers"),
    ("products", "Products"),
    ("prices", "Prices"),
    ("subscriptions", "Subscriptions"),
    ("invoices", "Invoices"),
    ("invoice_payments", "Invoice payments"),
    ("charges", "Charges"),
    ("refunds", "Refunds"),
    ("disputes", "Disputes"),
)


def api_version() -> str:
    return STRIPE_API_VERSION


def client_for(key: str, *, retries: int = 0) -> stripe.StripeClient:
    """No SDK retries by default: the importer backs off on 429 itself (Retry-After), the rest is checked."""
    return stripe_client(key, max_network_retries=retries)


def key_mode(key: str) -> str:
    return "live" if "_live_" in key[:8] else "test"


def webhook_url(merchant) -> str:
    path = reverse("stripe-webhook", kwargs={"merchant_slug": merchant.slug})
    return settings.TELLER_PUBLIC_URL.rstrip("/") + path


def account_name(account: dict) -> str:
    profile = account.get("business_profile") or {}
    dashboard = (account.get("settings") or {}).get("dashboard") or {}
    return profile.get("name") or dashboard.get("display_name") or account.get("email") or account["id"]
