from django.urls import path

from . import views

app_name = "settings"
urlpatterns = [
    path("", views.settings_home, name="home"),
    path("stripe/", views.stripe_settings, name="stripe"),
    path("stripe/connect/", views.stripe_connect, name="stripe-connect"),
    path("stripe/rotate/", views.stripe_rotate, name="stripe-rotate"),
    path("stripe/disconnect/", views.stripe_disconnect, name="stripe-disconnect"),
    path("stripe/import/", views.import_resync, name="import-resync"),
    path("stripe/import/progress/", views.import_progress, name="import-progress"),
    path("business/", views.business_settings, name="business"),
    # /settings/telegram/ is built in the access app (another branch); the lead wires it here.
]
