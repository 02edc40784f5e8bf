import os

import pytest

from merchants.models import Merchant
from payments import registry
from tests import factories, sandbox_failures
from tests.localstripe import running_localstripe

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _eager_celery():
    """Ordinary tests apply tasks inline even when REDIS_URL is set (CI). Celery caches its config, so the
    Django setting alone is not enough. Reliability tests that need a real worker flip this back
    themselves."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _fast_settings(settings, _media_root):
    settings.MEDIA_ROOT = str(_media_root)  # export files never land in the working tree
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _sandbox_failures_disarmed():
    """SANDBOX merchants get the provider with test failure hooks (tests/sandbox_failures.py), and a failure
    armed with fail_next() never leaks into the next test."""
    previous = registry.registered(Merchant.Provider.SANDBOX)
    registry.register(Merchant.Provider.SANDBOX, sandbox_failures.FailingSandboxProvider)
    sandbox_failures.reset_failures()
    yield
    sandbox_failures.reset_failures()
    registry.register(Merchant.Provider.SANDBOX, previous)


@pytest.fixture
def merchant(db):
    return factories.MerchantFactory(name="Acme Channels", slug="acme")


@pytest.fixture
def other_merchant(db):
    return factories.MerchantFactory(name="Other Co", slug="other")


def _member(merchant, role):
    return factories.MembershipFactory(merchant=merchant, role=role).user


@pytest.fixture
def owner(merchant):
    return _member(merchant, "OWNER")


@pytest.fixture
def manager(merchant):
    return _member(merchant, "MANAGER")


@pytest.fixture
def support(merchant):
    return _member(merchant, "SUPPORT")


@pytest.fixture
def other_user(other_merchant):
    return _member(other_merchant, "OWNER")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def support_client(client, support):
    client.force_login(support)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def other_client(client, other_user):
    client.force_login(other_user)
    return client


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """One localstripe server for the whole session (tests/localstripe.py)."""
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as url:
        yield url
