"""The refusals of the purchase services (a domain rule said no; `message` is safe to show to staff) and the
"when" choices of a cancellation. Shared by the services and the plans that preview them."""


class PurchaseError(Exception):
    """A domain rule refused the action; `message` is safe to show to staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PurchaseNotLive(PurchaseError):
    pass


class NotASubscription(PurchaseError):
    pass


class NotScheduledToCancel(PurchaseError):
    pass


class WrongConfirmationPhrase(PurchaseError):
    pass


class CancelOptionNotAllowed(PurchaseError):
    pass


class AccessCodeError(PurchaseError):
    pass


class CancelWhen:
    IMMEDIATELY = "IMMEDIATELY"
    PERIOD_END = "PERIOD_END"
    CHOICES = [(IMMEDIATELY, "Immediately"), (PERIOD_END, "At the end of the period")]
