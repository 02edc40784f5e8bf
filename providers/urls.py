from django.urls import path

from . import views

app_name = "providers"
urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
    path("events/<int:pk>/replay/", views.event_replay_view, name="event-replay"),
]
