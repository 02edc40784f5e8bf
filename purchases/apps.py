from django.apps import AppConfig


class PurchasesConfig(AppConfig):
    name = "purchases"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the receivers (customers' block-all)
