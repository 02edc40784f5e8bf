"""Routes of the transactions app; a transaction's page is the desk's (`desk/urls.py`), mounted in the same
`transactions` namespace by `config/urls.py`."""

from django.urls import path

from . import views

app_name = "transactions"
urlpatterns = [
    path("", views.transaction_list, name="list"),
    path("disputes/", views.dispute_list, name="disputes"),
    path("disputes/<int:pk>/respond/", views.dispute_respond_view, name="dispute-respond"),
    path("disputes/<int:pk>/accept/", views.dispute_accept_view, name="dispute-accept"),
]
