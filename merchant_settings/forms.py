import zoneinfo

from babel.numbers import list_currencies
from django import forms

from common.money import AmountError, parse_amount, to_major

from .stripe_api import KEY_PATTERN

TIME_ZONES = sorted(zoneinfo.available_timezones())
CURRENCIES = sorted(c.lower() for c in list_currencies() if len(c) == 3)


class StripeKeyForm(forms.Form):
    """Write-only: the field is never filled from the stored key (render_value=False)."""

    key = forms.CharField(
        label="Secret or restricted key",
        max_length=255,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "sk_live_… or rk_live_…"},
        ),
        help_text=(
            "From Stripe's Dashboard → Developers → API keys. "
            "Teller stores it encrypted and never shows it again."
        ),
    )

    def clean_key(self):
        key = self.cleaned_data["key"]
        if not KEY_PATTERN.match(key):
            if key.startswith("pk_"):
                raise forms.ValidationError(
                    "That is a publishable key (pk_…); Teller needs the secret key (sk_…) "
                    "or a restricted key (rk_…)."
                )
            raise forms.ValidationError(
                "Paste a secret key (sk_test_… / sk_live_…) or a restricted key (rk_…)."
            )
        return key


class BusinessSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    default_currency = forms.ChoiceField(choices=[(c, c.upper()) for c in CURRENCIES])
    time_zone = forms.ChoiceField(
        choices=[(z, z) for z in TIME_ZONES], help_text="Every date Teller shows your staff is in this zone."
    )
    support_credit_limit = forms.CharField(
        label="Support agents' credit limit",
        max_length=32,
        help_text="Per transaction, in the default currency. Managers and owners have no limit.",
    )

    @classmethod
    def for_merchant(cls, merchant, data=None):
        initial = {
            "name": merchant.name,
            "default_currency": merchant.default_currency,
            "time_zone": merchant.time_zone,
            "support_credit_limit": str(to_major(merchant.support_credit_limit, merchant.default_currency)),
        }
        return cls(data, initial=initial)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("A name is required.")
        return name

    def clean(self):
        data = super().clean()
        currency = data.get("default_currency")
        if currency and "support_credit_limit" in data:
            try:
                data["support_credit_limit"] = parse_amount(data["support_credit_limit"], currency)
            except AmountError as exc:
                self.add_error("support_credit_limit", str(exc))
        return data
