"""What Teller may ask of a payment provider, and nothing else: the port between the domain and Stripe.

- `base.py`: the `Provider` protocol (refund, cancel a subscription, Radar lists, disputes, ...) and its
  errors (`ProviderError` and kin), plain Python with no Django models.
- `registry.py`: which provider serves a merchant (`get_provider`), and `record`, which applies an object a
  provider just returned through the same code path its webhook will take.
- `stripe_shapes.py`: how to read Stripe's objects as Stripe sends them today (fields that moved between
  API versions).

Domain apps (`customers`, `purchases`, `transactions`, `refunds`, `access`) import this package and never
`providers/`: the Stripe client and the apply code register themselves here when the `providers` app is
ready (`providers/apps.py`), the sandbox when it is installed (`sandbox/apps.py`). That is what keeps the
imports one way (`.importlinter` checks it in CI).
"""
