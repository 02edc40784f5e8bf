from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_staff

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("merchant/switch/", views.switch_merchant, name="merchant-switch"),
    path("", views.home, name="home"),
    # Staff management (owners) and the invitation's set-password link.
    path("staff/", views_staff.staff_list, name="staff"),
    path("staff/invite/", views_staff.staff_invite, name="staff-invite"),
    path("staff/<int:pk>/role/", views_staff.staff_role, name="staff-role"),
    path("staff/<int:pk>/deactivate/", views_staff.staff_deactivate, name="staff-deactivate"),
    path("staff/<int:pk>/reactivate/", views_staff.staff_reactivate, name="staff-reactivate"),
    path(
        "accounts/set-password/<uidb64>/<token>/", views_staff.SetPasswordView.as_view(), name="set-password"
    ),
]
