"""The Django admin: every model registered, every page opens, logs are read-only, secrets never shown."""

import inspect

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from access.models import TelegramUpdate
from audit.models import AuditEvent
from customers.models import BlockEvent
from exports.models import ExportJob
from merchants.models import Merchant
from providers.models import InvoicePayment, ProviderEvent, ProviderInvoice
from tests import factories
from transactions.models import Dispute

pytestmark = pytest.mark.django_db
PROJECT_APPS = {
    "merchants",
    "customers",
    "purchases",
    "transactions",
    "refunds",
    "providers",
    "access",
    "audit",
    "exports",
    "attention",
}
# Provider mirrors and logs: written only by the apply step or the log writers.
READ_ONLY = {
    AuditEvent,
    BlockEvent,
    ProviderEvent,
    ProviderInvoice,
    InvoicePayment,
    TelegramUpdate,
    Dispute,
    ExportJob,
}


def factory_for(model):
    for _, obj in inspect.getmembers(factories, inspect.isclass):
        if issubclass(obj, factories.factory.django.DjangoModelFactory) and obj._meta.model is model:
            return obj
    return None


def project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def make(model):
    if model is AuditEvent:  # no factory: the audit log is written through audit_record in real code
        merchant = factories.MerchantFactory()
        return AuditEvent.objects.create(
            merchant=merchant,
            action="customer.view",
            target_type="customer",
            target_id="1",
            target_repr="Ada",
            created_at="2026-01-01T00:00:00Z",
        )
    factory = factory_for(model)
    assert factory is not None, f"tests/factories.py has no factory for {model.__name__}: add one"
    return factory()


@pytest.fixture
def superuser_client(client):
    user = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_project_model_is_registered_in_the_admin():
    missing = [m.__name__ for m in project_models() if m not in admin.site._registry]

    assert missing == []


@pytest.mark.parametrize("model", project_models(), ids=lambda m: m.__name__)
def test_a_superuser_opens_the_changelist_add_and_change_pages(superuser_client, model):
    obj = make(model)

    changelist = superuser_client.get(admin_url(model, "changelist"))
    add = superuser_client.get(admin_url(model, "add"))
    change = superuser_client.get(admin_url(model, "change", obj.pk))
    searched = superuser_client.get(admin_url(model, "changelist"), {"q": "x"})

    assert changelist.status_code == 200
    assert searched.status_code == 200
    assert add.status_code == (403 if model in READ_ONLY else 200)
    assert change.status_code == 200


@pytest.mark.parametrize("model", sorted(READ_ONLY, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_log_models_are_viewable_but_refuse_change_and_delete(superuser_client, model):
    obj = make(model)
    model_admin = admin.site._registry[model]

    page = superuser_client.get(admin_url(model, "change", obj.pk))
    post = superuser_client.post(admin_url(model, "change", obj.pk), {})
    delete = superuser_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})

    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert post.status_code == 403
    assert delete.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()
    assert not model_admin.has_change_permission(page.wsgi_request, obj)
    assert not model_admin.has_delete_permission(page.wsgi_request, obj)


def test_merchant_secrets_are_never_rendered_back(superuser_client):
    merchant = factories.MerchantFactory(
        stripe_secret_key="sk_test_TOPSECRET42", telegram_bot_token="123:BOTTOKEN"
    )

    html = superuser_client.get(admin_url(Merchant, "change", merchant.pk)).text
    raw = Merchant.objects.filter(pk=merchant.pk).values_list("stripe_secret_key", flat=True).get()

    assert "sk_test_TOPSECRET42" not in html and "BOTTOKEN" not in html and "whsec_test_secret" not in html
    assert raw not in html  # nor the ciphertext
    assert "Stripe secret key: set" in html


def _merchant_post(merchant, **secrets):
    data = {
        "name": merchant.name,
        "slug": merchant.slug,
        "provider": merchant.provider,
        "time_zone": "UTC",
        "default_currency": "eur",
        "support_credit_limit": "10000",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "new_stripe_secret_key": "",
        "new_stripe_webhook_secret": "",
        "new_telegram_bot_token": "",
    }
    data.update(secrets)
    return data


def test_a_new_secret_replaces_the_old_one_and_a_blank_keeps_it(superuser_client):
    merchant = factories.MerchantFactory(stripe_secret_key="sk_test_OLD")

    keep = superuser_client.post(admin_url(Merchant, "change", merchant.pk), _merchant_post(merchant))
    merchant.refresh_from_db()
    kept = merchant.stripe_secret_key
    replace = superuser_client.post(
        admin_url(Merchant, "change", merchant.pk),
        _merchant_post(merchant, new_stripe_secret_key="sk_test_NEW"),
    )
    merchant.refresh_from_db()

    assert keep.status_code == 302 and replace.status_code == 302
    assert kept == "sk_test_OLD"
    assert merchant.stripe_secret_key == "sk_test_NEW"
    assert merchant.stripe_webhook_secret == "whsec_test_secret"


def test_a_superuser_adds_a_staff_user_by_email(superuser_client):
    response = superuser_client.post(
        admin_url(apps.get_model("merchants", "User"), "add"),
        {
            "email": "new.agent@example.com",
            "usable_password": "true",
            "password1": "a-long-Passphrase-77",
            "password2": "a-long-Passphrase-77",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert apps.get_model("merchants", "User").objects.filter(email="new.agent@example.com").exists()


def test_staff_without_superuser_cannot_open_the_admin(owner_client):
    response = owner_client.get(reverse("admin:index"))

    assert response.status_code == 302
