from django.apps import AppConfig


class MerchantSettingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "merchant_settings"
    verbose_name = "Settings"
