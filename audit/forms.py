from django import forms
from django.contrib.auth import get_user_model


class AuditFilterForm(forms.Form):
    """The Audit page's filters. An invalid value is ignored (with a note), never a 500."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Target or customer",
        widget=forms.SearchInput(attrs={"placeholder": "Customer, email, id, target…"}),
    )
    actor = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Anyone"
    )
    action = forms.ChoiceField(required=False)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, merchant, actions, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this merchant's staff: another merchant's user id is "not a valid choice", not a filter.
        self.fields["actor"].queryset = (
            get_user_model().objects.filter(memberships__merchant=merchant).order_by("email")
        )
        self.fields["action"].choices = [("", "Any action"), *actions]

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "").strip()

    def filters(self) -> dict:
        """The valid filters only; a field with an error is dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: data[name]
            for name in ("q", "actor", "action", "date_from", "date_to")
            if name in data and data[name] not in (None, "")
        }
