from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"

    def ready(self):
        # Imported here, not at module level: the provider and apply code import models, loaded only now.
        from merchants.models import Merchant
        from payments import registry

        from .apply import apply_object
        from .stripe import StripeProvider

        # The domain reaches Stripe and the apply code only through payments.registry (imports point one way).
        registry.register(Merchant.Provider.STRIPE, StripeProvider)
        registry.set_recorder(apply_object)
