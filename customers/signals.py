"""What the customers app announces, so the apps above it can react without customers importing them.

subscriptions_cancel_requested is sent with `customer`, `actor` and `now` once a block-all that asked to
"cancel the customer's subscriptions" has committed (never inside its transaction: the receiver calls the
payment provider). `purchases/receivers.py` cancels the customer's live subscriptions at once.
"""

from django.dispatch import Signal

subscriptions_cancel_requested = Signal()
