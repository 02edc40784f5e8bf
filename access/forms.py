from django import forms

from common.params import MAX_PK, BoundedModelMultipleChoiceField
from customers.models import Customer
from purchases.models import Product

from .bot_settings import SettingsError, parse_chat_ref


class BotTokenForm(forms.Form):
    token = forms.CharField(
        label="Bot token",
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From @BotFather. Checked with Telegram, stored encrypted, never shown again.",
    )


class RemovalMessageForm(forms.Form):
    removal_message = forms.CharField(
        label="Message to a member removed when access ends",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional. {chat} is replaced by the chat's title. Empty: no message.",
    )


class ChatAddForm(forms.Form):
    chat = forms.CharField(
        label="Channel or group", max_length=64, help_text="@username, t.me link or numeric id"
    )

    def clean_chat(self):
        try:
            parse_chat_ref(self.cleaned_data["chat"])
        except SettingsError as error:
            raise forms.ValidationError(error.message) from None
        return self.cleaned_data["chat"]


class ChatProductsForm(forms.Form):
    products = BoundedModelMultipleChoiceField(
        queryset=Product.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.for_merchant(merchant).order_by("name")


class TelegramUserForm(forms.Form):
    telegram_user_id = forms.IntegerField(min_value=1, max_value=2**52)


class LinkToCustomerForm(TelegramUserForm):
    customer = forms.CharField(
        label="Customer", max_length=320, help_text="The customer's email or public id"
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant

    def clean_customer(self):
        value = self.cleaned_data["customer"].strip().replace("\x00", "")
        customers = Customer.objects.for_merchant(self.merchant)
        found = customers.filter(public_id=value).first() or customers.filter(email__iexact=value).first()
        if found is None:
            raise forms.ValidationError("No customer with that email or public id.")
        return found


class AccountAddForm(TelegramUserForm):
    username = forms.RegexField(regex=r"^@?[A-Za-z0-9_]{0,32}$", required=False, max_length=33)


class ChatChoiceForm(forms.Form):
    chat = forms.IntegerField(required=False, min_value=1, max_value=MAX_PK)
