"""The desk's routes. `config/urls.py` mounts them in the namespaces staff already know (`customers:detail`,
`transactions:detail`, `audit:list`), next to the routes of the app each page is about."""

from django.urls import path

from .views import audit, consequences, customer_page, customers, linked, transaction_page

customer_patterns = [
    path("", customers.customer_list, name="list"),
    path("<str:public_id>/", customer_page.customer_detail, name="detail"),
    # Customer page partials (HTMX; each renders the whole page without JS).
    path("<str:public_id>/transactions/", customer_page.customer_transactions, name="detail-transactions"),
    path("<str:public_id>/notes/", customer_page.customer_note_add, name="note-add"),
    path("<str:public_id>/header/", customer_page.customer_header, name="detail-header"),
    path("<str:public_id>/products/", customer_page.customer_products, name="detail-products"),
    path(
        "<str:public_id>/products/<int:purchase_id>/transactions/",
        customer_page.purchase_transactions,
        name="purchase-transactions",
    ),
    path(
        "<str:public_id>/payment-methods/",
        customer_page.customer_payment_methods,
        name="detail-payment-methods",
    ),
    # The block / unblock log of one detail (Log icon on the Info tab).
    path(
        "<str:public_id>/details/<int:identifier_id>/log/",
        customer_page.identifier_log,
        name="identifier-log",
    ),
    # "Block all linked" on the Info tab's Linked customers panel.
    path("<str:public_id>/linked/block/", linked.linked_block, name="linked-block"),
    # "What will happen" boxes of the modals (read-only; reloaded as the modal's form changes).
    path("<str:public_id>/details/manage/preview/", consequences.details_preview, name="identifiers-preview"),
    path("purchases/<int:pk>/preview/", consequences.cancel_preview, name="cancel-preview"),
]

transaction_patterns = [
    path("<int:pk>/", transaction_page.transaction_detail, name="detail"),
    path("<int:pk>/notes/", transaction_page.note_add, name="note-add"),
    path("<int:pk>/credit/preview/", consequences.credit_preview, name="credit-preview"),
]

audit_patterns = [
    path("audit/", audit.audit_list, name="list"),
]
