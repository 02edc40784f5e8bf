from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the signal receivers)
