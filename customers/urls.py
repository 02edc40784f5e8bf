from django.urls import path

from . import detail_views, views, views_blocking

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<str:public_id>/", detail_views.customer_detail, name="detail"),
    # Customer page partials (HTMX; each renders the whole page without JS).
    path("<str:public_id>/transactions/", detail_views.customer_transactions, name="detail-transactions"),
    path("<str:public_id>/notes/", detail_views.customer_note_add, name="note-add"),
    path("<str:public_id>/header/", detail_views.customer_header, name="detail-header"),
    path("<str:public_id>/products/", detail_views.customer_products, name="detail-products"),
    path(
        "<str:public_id>/products/<int:purchase_id>/transactions/",
        detail_views.purchase_transactions,
        name="purchase-transactions",
    ),
    path(
        "<str:public_id>/payment-methods/",
        detail_views.customer_payment_methods,
        name="detail-payment-methods",
    ),
    # Block / unblock customer details (issue 5): the "Manage customer details" modal.
    path("<str:public_id>/details/manage/", views_blocking.identifiers_manage, name="identifiers-manage"),
    # The block / unblock log of one detail (Log icon on the Info tab).
    path(
        "<str:public_id>/details/<int:identifier_id>/log/", detail_views.identifier_log, name="identifier-log"
    ),
]
