"""The buyer's way from the storefront to the bot: /telegram/join/<merchant slug>/<subscription id>/.

A storefront sets Stripe Checkout's success_url to this address (`{CHECKOUT_SESSION_ID}` is not needed: the
subscription id is in the session it gets back) and the buyer lands on t.me/<bot>?start=<token>. Public by
design, like the deep link itself: the Stripe subscription id is only known to the buyer, the storefront and
Stripe. Until the subscription's webhook is applied the page asks to wait and refreshes itself.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from merchants.models import Merchant
from purchases.models import Purchase

from ..linking import deep_link
from ..models import LinkToken, TelegramBot


@require_GET
def telegram_join(request, merchant_slug: str, provider_id: str):
    merchant = get_object_or_404(Merchant.objects.only("pk", "name", "slug"), slug=merchant_slug)
    bot = TelegramBot.objects.filter(merchant=merchant).first()
    if bot is None or not bot.username or not provider_id.startswith("sub_") or len(provider_id) > 255:
        raise Http404("No Telegram access for this purchase.")
    purchase = Purchase.objects.filter(merchant=merchant, provider_subscription_id=provider_id).first()
    link = LinkToken.objects.filter(purchase=purchase).first() if purchase and purchase.is_live else None
    if link is None:
        if purchase is not None and not purchase.is_live:
            raise Http404("This purchase gives no access any more.")
        return render(request, "access/telegram_join_wait.html", {"merchant": merchant}, status=202)
    return redirect(deep_link(bot_username=bot.username, token=link.token))
