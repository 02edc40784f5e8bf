from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("exports/", views.export_list, name="list"),
    path("exports/<int:pk>/download/", views.export_download, name="download"),
    path("exports/<slug:kind>/", views.export_start, name="start"),
]
