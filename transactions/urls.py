from django.urls import path

from . import detail_views, views

app_name = "transactions"
urlpatterns = [
    path("", views.transaction_list, name="list"),
    path("<int:pk>/", detail_views.transaction_detail, name="detail"),
    path("<int:pk>/notes/", detail_views.note_add, name="note-add"),
]
