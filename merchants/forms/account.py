import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from ..models import Membership


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. "
        "Both are case-sensitive for the password.",
    }


class MerchantSwitchForm(forms.Form):
    """POST /merchant/switch/: which merchant (an id the user is an active member of) and where they were."""

    merchant = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_merchant(self):
        membership = (
            Membership.objects.active()
            .filter(user=self.user, merchant_id=self.cleaned_data["merchant"])
            .select_related("merchant")
            .first()
        )
        if membership is None:
            raise forms.ValidationError("You are not a member of that merchant.", code="not_member")
        return membership

    def section(self) -> str:
        """The first path segment of `next` when it is a local path ("customers"), else ""."""
        target = self.cleaned_data.get("next") or ""
        if not target.startswith("/") or target.startswith("//"):
            return ""
        return target.split("/")[1].split("?")[0]


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        required=False,
        help_text="Every date Teller shows you is in this zone.",
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        follow = f"My merchant's ({merchant.time_zone or 'UTC'})"
        self.fields["time_zone"].choices = [("", follow)] + [
            (z, z) for z in sorted(zoneinfo.available_timezones())
        ]
