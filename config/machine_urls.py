"""The endpoints machines call (Stripe's and Telegram's webhooks), in their own URLconf.

config/urls.py includes these; common.machine_endpoints resolves a webhook's path against this short
list alone (settings.MACHINE_URLCONF) instead of walking every page pattern, hundreds of times a second.
"""

from django.urls import path

from access.views import telegram_webhook
from providers import views as provider_views

urlpatterns = [
    path("webhooks/stripe/<slug:merchant_slug>/", provider_views.stripe_webhook, name="stripe-webhook"),
    path("webhooks/telegram/<slug:merchant_slug>/", telegram_webhook, name="telegram-webhook"),
]
