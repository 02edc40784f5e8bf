"""The provider registry: Stripe built in, the sandbox registered by its app, nothing else importing it."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from customers.models import BlockEvent, Identifier
from customers.services import identifier_block
from merchants.models import Merchant
from payments import registry
from payments.base import ProviderError, ProviderNotConnected
from providers.stripe import StripeProvider
from purchases.models import Purchase
from sandbox.provider import SandboxProvider
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sandbox_not_installed():
    """As on a production installation: nothing registered SANDBOX (the conftest fixture restores it)."""
    registry.unregister(Merchant.Provider.SANDBOX)


def test_a_stripe_merchant_gets_the_stripe_provider(merchant):
    merchant.provider = Merchant.Provider.STRIPE

    assert isinstance(registry.get_provider(merchant), StripeProvider)


def test_the_sandbox_app_registers_its_provider_when_it_is_ready(merchant, sandbox_not_installed):
    apps.get_app_config("sandbox").ready()

    provider = registry.get_provider(merchant)

    assert type(provider) is SandboxProvider and provider.merchant == merchant


def test_a_sandbox_merchant_without_the_sandbox_is_not_connected(merchant, sandbox_not_installed):
    with pytest.raises(ProviderNotConnected) as raised:
        registry.get_provider(merchant)

    # A ProviderError: every caller already shows its message and changes nothing.
    assert isinstance(raised.value, ProviderError)
    assert raised.value.code == "not_connected"
    assert raised.value.message.startswith("Acme Channels is not connected to a payment provider")


def test_canceling_without_a_provider_shows_the_message_and_changes_nothing(
    owner_client, merchant, sandbox_not_installed
):
    subscription = factories.PurchaseFactory(customer__merchant=merchant)

    response = owner_client.post(reverse("purchases:subscription-cancel", args=[subscription.pk]), {}, **HX)

    subscription.refresh_from_db()
    assert response.status_code == 200
    assert "is not connected to a payment provider" in response.content.decode()
    assert subscription.status == Purchase.Status.ACTIVE


def test_blocking_without_a_provider_blocks_and_mirrors_nothing(owner, merchant, sandbox_not_installed):
    card = factories.IdentifierFactory(merchant=merchant)
    customer = factories.CustomerFactory(merchant=merchant)
    factories.CustomerIdentifierFactory(customer=customer, identifier=card)

    identifier_block(actor=owner, now=timezone.now(), identifier=card, reason=BlockEvent.Reason.FRAUD)

    card.refresh_from_db()
    assert card.is_blocked and card.radar_status == Identifier.SyncStatus.NONE


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_the_sandbox_app_imports_it():
    """Dependencies point one way: the runtime must load without the sandbox (production)."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "sandbox", "tests", "bench"}:
            continue
        if any(name == "sandbox" or name.startswith("sandbox.") for name in _imports(path)):
            offenders.append(str(relative))

    assert offenders == []
