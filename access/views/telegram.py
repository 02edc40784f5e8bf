"""Settings > Telegram, the Chats pages and the customer page's Telegram panel.

Forms POST and redirect back with a message (they work without JavaScript); the panel is loaded with hx-get
from the customer page, so `customers` never imports `access`.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.htmx import hx_trigger_response
from customers.models import Customer
from merchants.guards import get_for_merchant, merchant_required
from purchases.models import Purchase

from .. import selectors
from ..bot_settings import (
    SettingsError,
    telegram_bot_connect,
    telegram_chat_check,
    telegram_chat_products_set,
    telegram_removal_message_set,
    webhook_url,
)
from ..forms import (
    AccountAddForm,
    BotTokenForm,
    ChatAddForm,
    ChatChoiceForm,
    ChatProductsForm,
    LinkToCustomerForm,
    RemovalMessageForm,
    TelegramUserForm,
)
from ..linking import LinkError, account_link_set
from ..members import invite_resend, member_remove
from ..models import AccessGrant, TelegramAccount, TelegramBot, TelegramChat
from ..services import access_retry
from ..telegram import TelegramError


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


# -- Settings > Telegram ------------------------------------------------------------------------------------


@merchant_required("telegram.settings")
def telegram_settings(request):
    merchant = request.merchant
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {
        "token": BotTokenForm(request.POST if action == "token" else None),
        "removal": RemovalMessageForm(
            request.POST if action == "removal" else None,
            initial={
                "removal_message": getattr(
                    TelegramBot.objects.filter(merchant=merchant).first(), "removal_message", ""
                )
            },
        ),
        "chat": ChatAddForm(request.POST if action == "chat_add" else None),
    }
    if request.method == "POST":
        done = _settings_post(request, action, forms)
        if done:
            return redirect("access:settings")
    chats = TelegramChat.objects.for_merchant(merchant).prefetch_related("products")
    context = {
        "bot": TelegramBot.objects.filter(merchant=merchant).first(),
        "has_token": bool(merchant.telegram_bot_token),
        "webhook_url": webhook_url(merchant),
        "forms": forms,
        "chats": [
            (chat, ChatProductsForm(merchant=merchant, initial={"products": list(chat.products.all())}))
            for chat in chats
        ],
    }
    return render(request, "access/telegram_settings.html", context)


def _settings_post(request, action: str, forms: dict) -> bool:
    merchant, now = request.merchant, timezone.now()
    try:
        if action == "token" and forms["token"].is_valid():
            bot = telegram_bot_connect(
                actor=request.user, now=now, merchant=merchant, token=forms["token"].cleaned_data["token"]
            )
            messages.success(request, f"Connected @{bot.username}; Telegram will send its updates to Teller.")
            return True
        if action == "removal" and forms["removal"].is_valid():
            telegram_removal_message_set(
                actor=request.user,
                now=now,
                merchant=merchant,
                text=forms["removal"].cleaned_data["removal_message"],
            )
            messages.success(request, "Removal message saved.")
            return True
        if action in ("chat_add", "chat_check"):
            ref = request.POST.get("chat", "")
            if action == "chat_add" and not forms["chat"].is_valid():
                return False
            chat = telegram_chat_check(actor=request.user, now=now, merchant=merchant, ref=ref)
            if chat.bot_missing_rights:
                messages.warning(
                    request, f"{chat.title}: the bot still needs " + ", ".join(chat.bot_missing_rights) + "."
                )
            else:
                messages.success(
                    request, f"{chat.title}: the bot is an administrator with the rights Teller needs."
                )
            return True
        if action == "chat_products":
            choice = ChatChoiceForm(request.POST)
            chat = (
                choice.is_valid()
                and TelegramChat.objects.for_merchant(merchant).filter(pk=choice.cleaned_data["chat"]).first()
            )
            form = ChatProductsForm(request.POST, merchant=merchant)
            if not chat or not form.is_valid():
                messages.error(request, "Choose products of this merchant for an existing chat.")
                return True
            telegram_chat_products_set(
                actor=request.user, now=now, chat=chat, products=list(form.cleaned_data["products"])
            )
            messages.success(request, f"Products giving access to {chat.title} saved.")
            return True
    except SettingsError as error:
        messages.error(request, error.message)
        return True
    if action not in ("token", "removal", "chat_add"):
        messages.error(request, "Unknown action.")
        return True
    return False


# -- Chats --------------------------------------------------------------------------------------------------


@merchant_required("view")
def chat_list(request):
    chats = TelegramChat.objects.for_merchant(request.merchant).prefetch_related("products")
    return render(request, "access/telegramchat_list.html", {"chats": chats})


@merchant_required("view")
def chat_detail(request, chat_pk: int):
    chat = get_for_merchant(TelegramChat, request, pk=chat_pk)
    context = {
        "chat": chat,
        **selectors.chat_overview(chat),
        "link_form": LinkToCustomerForm(merchant=request.merchant),
    }
    return render(request, "access/telegramchat_detail.html", context)


@require_POST
@merchant_required("telegram.members")
def chat_member_remove(request, chat_pk: int):
    chat = get_for_merchant(TelegramChat, request, pk=chat_pk)
    form = TelegramUserForm(request.POST)
    back = reverse("access:chat-detail", args=[chat.pk])
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    _remove(request, chat, form.cleaned_data["telegram_user_id"])
    return redirect(back)


def _remove(request, chat, user_id: int) -> None:
    try:
        member_remove(actor=request.user, now=timezone.now(), chat=chat, telegram_user_id=user_id)
    except TelegramError as error:
        messages.error(request, f"Telegram refused the removal: {error.message}")
    else:
        messages.success(request, f"Removed {user_id} from {chat.title}.")


@require_POST
@merchant_required("telegram.members")
def chat_member_link(request, chat_pk: int):
    chat = get_for_merchant(TelegramChat, request, pk=chat_pk)
    form = LinkToCustomerForm(request.POST, merchant=request.merchant)
    if form.is_valid():
        _link(request, form.cleaned_data["customer"], form.cleaned_data["telegram_user_id"])
    else:
        _form_errors(request, form)
    return redirect("access:chat-detail", chat.pk)


def _link(request, customer, user_id: int, username: str = "") -> None:
    try:
        account_link_set(
            actor=request.user,
            now=timezone.now(),
            merchant=request.merchant,
            customer=customer,
            telegram_user_id=user_id,
            username=username,
        )
    except LinkError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Telegram account {user_id} linked to {customer.name or customer.email or customer.public_id}.",
        )


# -- Customer page panel ------------------------------------------------------------------------------------


@merchant_required("view")
def customer_panel(request, public_id: str):
    customer = get_for_merchant(Customer, request, public_id=public_id)
    context = {"customer": customer, **selectors.customer_panel(customer), "add_form": AccountAddForm()}
    template = "access/customer_telegram.html" + ("#panel" if request.htmx else "")
    return render(request, template, context)


def _customer_url(customer) -> str:
    return reverse("customers:detail", args=[customer.public_id])


@require_POST
@merchant_required("telegram.members")
def account_add(request, public_id: str):
    customer = get_for_merchant(Customer, request, public_id=public_id)
    form = AccountAddForm(request.POST)
    if form.is_valid():
        _link(
            request,
            customer,
            form.cleaned_data["telegram_user_id"],
            form.cleaned_data["username"].lstrip("@"),
        )
    else:
        _form_errors(request, form)
    return redirect(_customer_url(customer))


def _account_and_chat(request, account_pk: int):
    account = get_for_merchant(TelegramAccount.objects.select_related("customer"), request, pk=account_pk)
    choice = ChatChoiceForm(request.POST)
    chat = None
    if choice.is_valid() and choice.cleaned_data["chat"]:
        chat = get_for_merchant(TelegramChat, request, pk=choice.cleaned_data["chat"])
    return account, chat


@require_POST
@merchant_required("telegram.members")
def account_invite_resend(request, account_pk: int):
    account, chat = _account_and_chat(request, account_pk)
    try:
        sent = invite_resend(actor=request.user, now=timezone.now(), account=account, chat=chat)
    except TelegramError as error:
        messages.error(request, f"Telegram refused: {error.message}")
    else:
        if sent:
            messages.success(request, f"Sent {sent} new invite link(s) to {account}.")
        else:
            messages.warning(
                request,
                "No invite sent: no live purchase gives a chat they are not in, "
                "or Telegram refused (see the panel).",
            )
    return redirect(_customer_url(account.customer))


@require_POST
@merchant_required("telegram.members")
def account_remove_now(request, account_pk: int):
    account, chat = _account_and_chat(request, account_pk)
    if chat is None:
        messages.error(request, "Choose the chat to remove them from.")
    else:
        _remove(request, chat, account.telegram_user_id)
    return redirect(_customer_url(account.customer))


@merchant_required("purchase.cancel")
@require_POST
def access_retry_view(request, pk):
    """The customer page's "Retry" on a purchase whose member removal is pending or failed."""
    purchase = get_for_merchant(Purchase.objects.select_related("customer"), request, pk=pk)
    count = access_retry(actor=request.user, now=timezone.now(), purchase=purchase)
    still = purchase.access_grants.filter(status=AccessGrant.Status.REVOKE_PENDING).count()
    if not count:
        message = "No removal is pending for this purchase."
    elif still:
        message = f"Retried {count} removal(s); {still} still pending."
    else:
        message = f"Retried {count} removal(s); the member was removed."
    if request.htmx:
        return hx_trigger_response("customer:changed", message=message)
    messages.success(request, message)
    return redirect(_customer_url(purchase.customer))
