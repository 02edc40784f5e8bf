"""Forms of the composed screens: the "Block all linked" confirmation."""

from django import forms

from customers.forms import BlockReasonForm


class BlockLinkedForm(BlockReasonForm):
    """`customers`: the ids of the linked customers left ticked (all of them when the modal opens). Only the
    customers the modal listed are valid choices: any other id is an error shown at the top."""

    customers = forms.TypedMultipleChoiceField(coerce=int, required=True)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].choices = [(pk, str(pk)) for pk in choices]
        self.fields["customers"].error_messages = {
            "required": "Tick at least one customer to block.",
            "invalid_choice": (
                "Some of these customers are no longer linked or already blocked. Reload, try again."
            ),
            "invalid_list": "Tick at least one customer to block.",
        }
