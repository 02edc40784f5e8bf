from django.urls import path

from . import views

app_name = "access"
urlpatterns = [
    path("settings/telegram/", views.telegram_settings, name="settings"),
    path("telegram/chats/", views.chat_list, name="chats"),
    path("telegram/chats/<int:chat_pk>/", views.chat_detail, name="chat-detail"),
    path("telegram/chats/<int:chat_pk>/remove/", views.chat_member_remove, name="chat-member-remove"),
    path("telegram/chats/<int:chat_pk>/link/", views.chat_member_link, name="chat-member-link"),
    path("telegram/customers/<str:public_id>/panel/", views.customer_panel, name="customer-panel"),
    path("telegram/customers/<str:public_id>/accounts/", views.account_add, name="account-add"),
    path("telegram/accounts/<int:account_pk>/resend/", views.account_invite_resend, name="invite-resend"),
    path("telegram/accounts/<int:account_pk>/remove/", views.account_remove_now, name="account-remove"),
    path("purchases/<int:pk>/access/retry/", views.access_retry_view, name="access-retry"),
]
