"""Forms for the cancel / recover modals and the access codes page. Rules live in purchases.services."""

from django import forms
from django.core.validators import RegexValidator

from common.params import BoundedModelMultipleChoiceField

from .models import AccessCode, Product, Purchase
from .services import BATCH_SIZES, CONFIRMATION_PHRASE, CancelWhen, purchase_cancel_options


class SubscriptionCancelForm(forms.Form):
    # Reference 000: ticked = cancel at the end of the period, unticked = cancel now.
    keep_active = forms.BooleanField(
        required=False, initial=True, label="Keep subscription active until the next expected rebill date"
    )


class ConfirmForm(forms.Form):
    """Cancel now / Recover: the confirmation is the POST itself."""


class PurchaseCancelForm(forms.Form):
    when = forms.ChoiceField(
        choices=CancelWhen.CHOICES, widget=forms.RadioSelect, initial=CancelWhen.IMMEDIATELY
    )
    confirmation = forms.CharField(
        label=f"Type {CONFIRMATION_PHRASE} to confirm",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, purchase: Purchase, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = purchase_cancel_options(purchase)
        self.fields["when"].choices = [c for c in CancelWhen.CHOICES if c[0] in allowed]


class AccessCodeGenerateForm(forms.Form):
    products = BoundedModelMultipleChoiceField(
        queryset=Product.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one product."},
    )
    quantity = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in BATCH_SIZES], coerce=int, initial=1, label="Codes in this batch"
    )
    duration = forms.ChoiceField(
        choices=AccessCode.Duration.choices, initial=AccessCode.Duration.LIFETIME, label="Access lasts"
    )
    duration_count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        label="How many",
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 30"}),
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.for_merchant(merchant).filter(
            allows_access_codes=True
        )

    def clean(self):
        data = super().clean()
        if (
            data.get("duration")
            and data["duration"] != AccessCode.Duration.LIFETIME
            and not data.get("duration_count")
        ):
            self.add_error("duration_count", "Enter how many days, months or years the access lasts.")
        return data


class AccessCodeFilterForm(forms.Form):
    STATUS_CHOICES = [("", "All"), ("UNUSED", "Unused"), ("REDEEMED", "Redeemed"), ("EXPIRED", "Expired")]

    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="All products"
    )
    # A batch name is "<yyyymmdd>-<hhmmss>-<hex>"; anything else (a "/" breaks the CSV link) is no batch.
    batch = forms.CharField(
        required=False,
        max_length=32,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", "Not a batch name.")],
    )
    q = forms.CharField(required=False, max_length=64, label="Code")

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_merchant(merchant).filter(
            allows_access_codes=True
        )
