"""Forms of the customers app: the "Manage customer details" modal and the reason of every block."""

from django import forms

from .models import BlockEvent


class BlockReasonForm(forms.Form):
    """The reason fields of every block: a listed reason (optional) and, for "Other", a description."""

    reason = forms.ChoiceField(
        choices=[("", "No reason given"), *BlockEvent.Reason.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    reason_text = forms.CharField(
        max_length=500,
        required=False,
        label="Describe the reason",
        widget=forms.TextInput(attrs={"placeholder": "Required for “Other”", "maxlength": 500}),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == BlockEvent.Reason.OTHER and not (data.get("reason_text") or "").strip():
            self.add_error("reason_text", "Describe the reason when you choose “Other”.")
        return data


class IdentifiersManageForm(BlockReasonForm):
    """The modal posts every listed detail id (`shown`), the ids blocked when it opened (`was_blocked`) and
    the ids whose toggle is on (`blocked`), so only the toggles this user moved are applied: another staff
    member's change made meanwhile is not silently reverted."""

    SAVE, BLOCK_ALL, UNBLOCK_ALL, RADAR_RETRY = "save", "block_all", "unblock_all", "radar_retry"

    action = forms.ChoiceField(
        choices=[
            (SAVE, "Save"),
            (BLOCK_ALL, "Block all"),
            (UNBLOCK_ALL, "Unblock all"),
            (RADAR_RETRY, "Retry"),
        ],
        initial=SAVE,
        required=False,
    )
    shown = forms.TypedMultipleChoiceField(coerce=int, required=False)
    was_blocked = forms.TypedMultipleChoiceField(coerce=int, required=False)
    blocked = forms.TypedMultipleChoiceField(coerce=int, required=False)
    radar_retry = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    cancel_subscriptions = forms.BooleanField(required=False, label="Also cancel live subscriptions now")

    def __init__(self, *args, identifiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only this customer's details are valid choices: another customer's or merchant's id is a form error.
        choices = [(i.pk, str(i.pk)) for i in identifiers]
        for name in ("shown", "was_blocked", "blocked", "radar_retry"):
            self.fields[name].choices = choices
        self.fields["radar_retry"].choices = [("", ""), *choices]

    def clean(self):
        data = super().clean()
        self._hidden_errors_to_message()
        if not data.get("action"):
            # A Retry button carries only the detail's id (radar_retry=<id>).
            data["action"] = self.RADAR_RETRY if data.get("radar_retry") else self.SAVE
        if data["action"] == self.RADAR_RETRY and not data.get("radar_retry"):
            self.add_error(None, "Choose the detail to send to Stripe Radar again.")
        return data

    def _hidden_errors_to_message(self):
        """Hidden fields cannot show their errors: say it once, at the top of the modal."""
        names = ("shown", "was_blocked", "blocked", "radar_retry", "action")
        hidden = [name for name in names if name in self._errors]
        for name in hidden:
            del self._errors[name]
        if hidden:
            self.add_error(None, "Some of these details do not belong to this customer. Reload, try again.")

    def changes(self) -> dict[int, bool]:
        """{identifier id: blocked?} for every toggle moved since the modal opened."""
        shown = set(self.cleaned_data["shown"])
        was = set(self.cleaned_data["was_blocked"]) & shown
        now = set(self.cleaned_data["blocked"]) & shown
        return {pk: pk in now for pk in shown if (pk in now) != (pk in was)}
