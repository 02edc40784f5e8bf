from django.urls import path

from . import views

app_name = "attention"
urlpatterns = [
    path("", views.attention_list, name="list"),
    path("count/", views.attention_count_view, name="count"),
    path("claim/", views.attention_claim_view, name="claim"),
    path("release/", views.attention_release_view, name="release"),
]
