from django.urls import path

from . import detail_views, dispute_views, views

app_name = "transactions"
urlpatterns = [
    path("", views.transaction_list, name="list"),
    path("<int:pk>/", detail_views.transaction_detail, name="detail"),
    path("<int:pk>/notes/", detail_views.note_add, name="note-add"),
    path("disputes/", dispute_views.dispute_list, name="disputes"),
    path("disputes/<int:pk>/respond/", dispute_views.dispute_respond_view, name="dispute-respond"),
    path("disputes/<int:pk>/accept/", dispute_views.dispute_accept_view, name="dispute-accept"),
]
