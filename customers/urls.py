"""Routes of the customers app itself; the customers list and the customer page are the desk's
(`desk/urls.py`), mounted in the same `customers` namespace by `config/urls.py`."""

from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    # Block / unblock customer details (issue 5): the "Manage customer details" modal.
    path("<str:public_id>/details/manage/", views.identifiers_manage, name="identifiers-manage"),
]
