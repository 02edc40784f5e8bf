"""Signals that decouple "a purchase's access ended" (sync, cancel, expiry) from revoking it (access app).

purchase_access_ended is sent with `purchase` and `now` once a purchase moves from a live status
(TRIALING, ACTIVE, PAST_DUE) to one without access (CANCELED, UNPAID, EXPIRED, INCOMPLETE_EXPIRED, PAUSED).
Senders send it inside their database transaction; receivers defer side effects with transaction.on_commit.
"""

from django.dispatch import Signal

purchase_access_ended = Signal()
