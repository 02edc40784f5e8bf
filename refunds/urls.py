from django.urls import path

from . import views

app_name = "refunds"
urlpatterns = [
    path("transactions/<int:pk>/credit/", views.credit, name="credit"),
    path("transactions/<int:pk>/repayment/", views.repayment, name="repayment"),
    path("repayments/<int:pk>/cancel/", views.repayment_cancel, name="repayment-cancel"),
    path("repayments/<int:pk>/email/", views.repayment_email, name="repayment-email"),
]
