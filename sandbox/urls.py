from django.urls import path

from .views import sandbox_pay

app_name = "sandbox"
urlpatterns = [
    path("pay/<str:session_id>/", sandbox_pay, name="pay"),
]
