"""Forms of the credit and repayment modals. They read and shape input; the rules live in refunds.services."""

import uuid

from django import forms
from django.utils import timezone

from common.money import AmountError, amount_example, parse_amount

from .models import Credit, Repayment


class AmountField(forms.CharField):
    """A money amount typed by staff ("12,50", "1 000.00"), cleaned to minor units of `currency`."""

    def __init__(self, *, currency: str = "eur", **kwargs):
        self.currency = currency
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "placeholder": amount_example(self.currency)}
        )
        return attrs

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value, self.currency)
        except AmountError as error:
            raise forms.ValidationError(error.message, code="amount") from error


class IdempotencyKeyField(forms.CharField):
    """The key generated when the modal is rendered: a double click sends it twice, one credit results."""

    widget = forms.HiddenInput
    EXPIRED = "This form has expired; close it and open it again."

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": self.EXPIRED})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return str(uuid.UUID(value))
        except (TypeError, ValueError, AttributeError) as error:
            raise forms.ValidationError(self.EXPIRED) from error


class CreditForm(forms.Form):
    FULL, PARTIAL = "FULL", "PARTIAL"

    mode = forms.ChoiceField(
        choices=[(FULL, "Full"), (PARTIAL, "Partial")], widget=forms.RadioSelect, initial=FULL
    )
    amount = AmountField(required=False, label="Amount")
    reason = forms.ChoiceField(
        choices=Credit.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason."},
    )
    reason_text = forms.CharField(
        required=False,
        max_length=500,
        label="Describe the reason",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    block_all = forms.BooleanField(required=False, label="Block all customer details")
    risk_acknowledged = forms.BooleanField(required=False, label="I understand the risk and want to proceed")
    chargeback_acknowledged = forms.BooleanField(
        required=False, label="I understand the money could be lost twice and want to credit anyway"
    )
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, charge, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", str(uuid.uuid4()))
        super().__init__(*args, **kwargs)
        self.charge = charge
        self.fields["amount"].currency = charge.currency
        self.fields["amount"].widget.attrs["placeholder"] = amount_example(charge.currency)
        self.fields["amount"].widget.attrs["data-preview-live"] = ""  # "What will happen" follows the typing

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.PARTIAL:
            if self.charge.is_wire:
                self.add_error("mode", "A partial credit is not possible for SEPA and wire payments.")
            elif data.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", "Enter the amount to credit.")
        else:
            data["amount"] = (
                None  # full: the service credits the whole remaining balance, read under the lock
            )
        return data

    def fresh_key(self) -> None:
        """After a refused credit the next submit is a new attempt: it needs a new key."""
        self.data = self.data.copy()
        self.data["idempotency_key"] = str(uuid.uuid4())


class RepaymentForm(forms.Form):
    LINK, MANUAL = "LINK", "MANUAL"

    option = forms.ChoiceField(
        choices=[(LINK, "Repayment link"), (MANUAL, "Manual repayment")],
        widget=forms.RadioSelect,
        initial=LINK,
    )
    link_amount = AmountField(required=False, label="Amount to ask for")
    amount = AmountField(required=False, label="Amount received")
    paid_on = forms.DateField(
        required=False,
        label="Date received",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    manual_method = forms.ChoiceField(
        choices=Repayment.ManualMethod.choices,
        required=False,
        label="Method",
        initial=Repayment.ManualMethod.BANK_TRANSFER,
    )
    reference = forms.CharField(
        required=False,
        max_length=255,
        label="Reference",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "Bank reference, receipt number…"}
        ),
    )
    note = forms.CharField(
        required=False, max_length=2000, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, chargeback, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("paid_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        for name in ("link_amount", "amount"):
            self.fields[name].currency = chargeback.currency
            self.fields[name].widget.attrs["placeholder"] = amount_example(chargeback.currency)
        self.fields["paid_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        if data.get("option") == self.MANUAL:
            for name, message in (
                ("amount", "Enter the amount the customer paid."),
                ("paid_on", "Enter the date the money arrived."),
                ("manual_method", "Choose how the customer paid."),
            ):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return data
