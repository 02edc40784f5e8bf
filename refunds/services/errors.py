"""Domain exceptions of the credit and repayment flows. Views turn them into form errors.

`field` names the form field the message belongs to (None: a message for the whole form).
"""


class RefundsError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class CreditRefused(RefundsError):
    """The credit was not created: our own rules refused it (nothing was sent to the provider)."""


class RepaymentRefused(RefundsError):
    """The repayment was not recorded or the link not created; nothing changed."""
