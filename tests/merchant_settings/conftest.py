import pytest

from merchants.models import Merchant
from tests import factories
from tests.stripe_server import StripeServer, history

KEY = "sk_test_TellerSettings0001"
RESTRICTED = "rk_test_TellerNoCharges001"


@pytest.fixture
def stripe_server(settings):
    with StripeServer(account_name="Acme GmbH") as server:
        server.add_key(KEY)
        settings.STRIPE_API_BASE = server.url
        settings.TELLER_PUBLIC_URL = "https://teller.example.com"
        yield server


@pytest.fixture
def new_merchant(db):
    """A merchant as a superuser creates it: nothing chosen, so not connected."""
    return Merchant.objects.create(name="Acme Channels", slug="acme-new")


@pytest.fixture
def new_owner(new_merchant):
    return factories.MembershipFactory(merchant=new_merchant, role="OWNER").user


@pytest.fixture
def small_history():
    return history(12, prefix="S")
