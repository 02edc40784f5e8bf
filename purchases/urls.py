from django.urls import path

from . import views

app_name = "purchases"
urlpatterns = [
    # Subscriptions on the customer page: Cancel ("keep active until the next rebill date"), Cancel now,
    # Recover.
    path("purchases/<int:pk>/subscription/cancel/", views.subscription_cancel, name="subscription-cancel"),
    path(
        "purchases/<int:pk>/subscription/cancel-now/",
        views.subscription_cancel_now,
        name="subscription-cancel-now",
    ),
    path("purchases/<int:pk>/subscription/recover/", views.subscription_recover, name="subscription-recover"),
    # The purchases table: Cancel purchase with the typed CANCEL PURCHASE confirmation.
    path("purchases/<int:pk>/cancel/", views.purchase_cancel, name="purchase-cancel"),
    path("access-codes/", views.access_codes, name="access-codes"),
    path("access-codes/<int:pk>/delete/", views.access_code_delete, name="access-code-delete"),
    path("access-codes/batches/<str:batch>.csv", views.access_codes_csv, name="access-codes-csv"),
]
