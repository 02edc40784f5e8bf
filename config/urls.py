from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from access.views import telegram_join
from common.health import healthz
from customers import urls as customers_urls
from desk import urls as desk_urls
from transactions import urls as transactions_urls

admin.site.site_header = "Teller administration"
admin.site.site_title = "Teller admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("merchants.urls")),
    # The desk's pages (list, customer page, transaction page) share their app's namespace: customers:detail.
    path("customers/", include((customers_urls.urlpatterns + desk_urls.customer_patterns, "customers"))),
    path(
        "transactions/",
        include((transactions_urls.urlpatterns + desk_urls.transaction_patterns, "transactions")),
    ),
    path("", include("purchases.urls")),
    path("", include("refunds.urls")),
    path("", include("providers.urls")),
    path("", include("config.machine_urls")),  # the webhooks (common.machine_endpoints)
    path("", include((desk_urls.audit_patterns, "audit"))),
    path("settings/", include("merchant_settings.urls")),
    path("search/", include("search.urls")),
    path("attention/", include("attention.urls")),
    path("", include("access.urls")),
    path("", include("exports.urls")),
    path("telegram/join/<slug:merchant_slug>/<str:provider_id>/", telegram_join, name="telegram-join"),
]

handler403 = "merchants.guards.permission_denied"

# Only where the sandbox app is installed (TELLER_SANDBOX): in production /sandbox/ does not exist (404).
if apps.is_installed("sandbox"):
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
