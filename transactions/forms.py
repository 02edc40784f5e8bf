"""The Disputes page's filters and the response form: which evidence fields each dispute reason asks for."""

import django_filters
from django import forms

from .disputes import ACCEPT_PHRASE, FILE_FIELDS, FILE_MAX_BYTES
from .models import Dispute

# Stripe's dispute reasons, as staff read them.
REASONS = {
    "bank_cannot_process": "Bank cannot process",
    "check_returned": "Check returned",
    "credit_not_processed": "Credit not processed",
    "customer_initiated": "Customer initiated",
    "debit_not_authorized": "Debit not authorized",
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
    "general": "General",
    "incorrect_account_details": "Incorrect account details",
    "insufficient_funds": "Insufficient funds",
    "noncompliant": "Noncompliant",
    "product_not_received": "Product not received",
    "product_unacceptable": "Product unacceptable",
    "subscription_canceled": "Subscription canceled",
    "unrecognized": "Unrecognized",
}

LABELS = {
    "product_description": (
        "Product description",
        "What was sold: the subscription, product or access, and its price.",
    ),
    "customer_name": ("Customer name", ""),
    "customer_email_address": ("Customer email", ""),
    "customer_purchase_ip": ("Purchase IP address", "The IP address the customer paid from."),
    "billing_address": ("Billing address", ""),
    "access_activity_log": (
        "Access and usage log",
        "Sign-ins, downloads or channel activity after the purchase, with dates and IP addresses.",
    ),
    "customer_communication": (
        "Customer communication (file)",
        "Emails or chats that show the customer got what they paid for.",
    ),
    "receipt": ("Receipt (file)", ""),
    "cancellation_policy": ("Cancellation policy (file)", ""),
    "cancellation_policy_disclosure": (
        "How the cancellation policy was shown",
        "Where and when the customer saw it before paying.",
    ),
    "cancellation_rebuttal": ("Why the subscription was not canceled", ""),
    "refund_policy": ("Refund policy (file)", ""),
    "refund_policy_disclosure": ("How the refund policy was shown", ""),
    "refund_refusal_explanation": ("Why no refund is owed", ""),
    "duplicate_charge_id": (
        "The other charge's id",
        "The ch_ id of the payment this one is said to duplicate.",
    ),
    "duplicate_charge_explanation": ("Why the charges are not duplicates", ""),
    "duplicate_charge_documentation": ("Documentation of both charges (file)", ""),
    "service_date": ("Service date", "When the service or access started (YYYY-MM-DD)."),
    "service_documentation": ("Proof of service (file)", ""),
    "shipping_carrier": ("Shipping carrier", ""),
    "shipping_tracking_number": ("Tracking number", ""),
    "shipping_date": ("Shipping date", ""),
    "shipping_address": ("Shipping address", ""),
    "shipping_documentation": ("Proof of delivery (file)", ""),
    "customer_signature": ("Customer signature (file)", ""),
    "uncategorized_text": ("Anything else", "Any other statement for the bank."),
    "uncategorized_file": ("Other evidence (file)", ""),
}

COMMON = (
    "product_description",
    "customer_name",
    "customer_email_address",
    "customer_communication",
    "receipt",
)
TAIL = ("uncategorized_text", "uncategorized_file")
FRAUD = ("customer_purchase_ip", "billing_address", "access_activity_log")
REFUND = ("refund_policy", "refund_policy_disclosure", "refund_refusal_explanation")
BY_REASON = {
    "fraudulent": FRAUD,
    "unrecognized": FRAUD,
    "subscription_canceled": (
        "cancellation_policy",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "access_activity_log",
    ),
    "credit_not_processed": REFUND,
    "product_unacceptable": (*REFUND, "service_documentation"),
    "duplicate": ("duplicate_charge_id", "duplicate_charge_explanation", "duplicate_charge_documentation"),
    "product_not_received": (
        "service_date",
        "service_documentation",
        "access_activity_log",
        "shipping_carrier",
        "shipping_tracking_number",
        "shipping_date",
        "shipping_documentation",
    ),
    "general": (*FRAUD, *REFUND, "cancellation_policy", "cancellation_policy_disclosure", "service_date"),
}


def fields_for_reason(reason: str) -> tuple[str, ...]:
    """The evidence a bank weighs for this reason: what everyone sends, the reason's own, then the rest."""
    return (*COMMON, *BY_REASON.get(reason, BY_REASON["general"]), *TAIL)


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " ").capitalize() or "—")


class DisputeFilter(django_filters.FilterSet):
    """Open disputes by default (the ones that need someone); a status or a reason narrows them."""

    status = django_filters.ChoiceFilter(
        choices=[("all", "Any status"), *Dispute.Status.choices],
        method="filter_status",
        label="Status",
        empty_label="Open",
    )
    reason = django_filters.ChoiceFilter(
        choices=list(REASONS.items()), label="Reason", empty_label="Any reason"
    )

    class Meta:
        model = Dispute
        fields = []

    @property
    def qs(self):
        qs = super().qs
        if not (self.form.is_valid() and self.form.cleaned_data.get("status")):
            qs = qs.filter(status__in=Dispute.OPEN_STATUSES)
        return qs

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    @property
    def is_filtered(self) -> bool:
        self.form.errors  # noqa: B018 - runs validation
        return any(getattr(self.form, "cleaned_data", {}).values())


class EvidenceForm(forms.Form):
    """The evidence fields for one dispute's reason; files are uploaded to the provider on save."""

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.dispute = dispute
        for name in fields_for_reason(dispute.reason):
            label, help_text = LABELS[name]
            if name in FILE_FIELDS:
                current = (dispute.evidence or {}).get(name)
                self.fields[name] = forms.FileField(
                    label=label,
                    required=False,
                    help_text=(f"Uploaded: {current}. Choose a file to replace it. " if current else "")
                    + "PDF, JPEG or PNG, up to 5 MB.",
                    widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
                )
            else:
                long = name not in (
                    "customer_name",
                    "customer_email_address",
                    "customer_purchase_ip",
                    "duplicate_charge_id",
                    "service_date",
                    "shipping_carrier",
                    "shipping_tracking_number",
                    "shipping_date",
                )
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=20_000,
                    help_text=help_text,
                    initial=(dispute.evidence or {}).get(name, ""),
                    widget=forms.Textarea(attrs={"rows": 3}) if long else forms.TextInput(),
                )

    def clean(self):
        cleaned = super().clean()
        for name in FILE_FIELDS & set(self.fields):
            upload = cleaned.get(name)
            if upload and upload.size > FILE_MAX_BYTES:
                self.add_error(name, "Evidence files must be 5 MB or smaller.")
        return cleaned

    def text_evidence(self) -> dict[str, str]:
        # Every text field shown, empty ones too: an emptied field clears what the draft held.
        return {n: v for n, v in self.cleaned_data.items() if n not in FILE_FIELDS and isinstance(v, str)}

    def text_fields(self):
        return [self[n] for n in self.fields if n not in FILE_FIELDS]

    def file_fields(self):
        return [self[n] for n in self.fields if n in FILE_FIELDS]


class AcceptForm(forms.Form):
    confirmation = forms.CharField(
        label=f"Type {ACCEPT_PHRASE} to accept",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": ACCEPT_PHRASE}),
    )
