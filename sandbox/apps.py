from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Installed only when settings.TELLER_SANDBOX is on (embedded default, tests), never in production."""

    name = "sandbox"

    def ready(self):
        # Imported here, not at module level: the provider imports models, which are not loaded until now.
        from merchants.models import Merchant
        from payments import registry
        from sandbox.provider import SandboxProvider

        # The provider registry never imports the sandbox; the sandbox offers itself where it is installed.
        registry.register(Merchant.Provider.SANDBOX, SandboxProvider)
