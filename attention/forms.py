from django import forms

from common.params import QueryForm

from .models import AttentionKind


class AttentionFilterForm(QueryForm):
    kind = forms.ChoiceField(
        required=False, choices=[("", "All kinds"), *AttentionKind.choices], label="Kind"
    )
    mine = forms.BooleanField(required=False, label="Assigned to me")


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(choices=AttentionKind.choices)
    key = forms.RegexField(
        regex=r"^[0-9]{1,18}$", max_length=18, error_messages={"invalid": "Not a queue row."}
    )
