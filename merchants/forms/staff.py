from django import forms

from ..models import Role


class StaffInviteForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off", "autofocus": True})
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.SUPPORT)


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
