"""The endpoint Telegram POSTs the bot's updates to: /webhooks/telegram/<merchant slug>/."""

import hmac
import json

from django.db import transaction
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.machine_endpoints import machine_endpoint
from merchants.models import Merchant

from ..models import TelegramBot
from ..tasks import apply_update
from ..updates import BadUpdate, update_store


@machine_endpoint
@csrf_exempt
@require_POST
def telegram_webhook(request, merchant_slug: str):
    """Check the secret token, store the update, apply it on commit. Telegram retries anything but 2xx, so
    a duplicate is answered 200 and ignored, and a hostile body 400 (stored nothing)."""
    merchant = get_object_or_404(Merchant.objects.only("pk", "slug"), slug=merchant_slug)
    bot = TelegramBot.objects.filter(merchant=merchant).only("webhook_secret").first()
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    expected = bot.webhook_secret if bot else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return HttpResponseForbidden("Wrong or missing secret token.")
    try:
        body = json.loads(request.body)
        if "\\u0000" in request.body.decode():  # PostgreSQL cannot store NUL in JSON text
            raise BadUpdate("NUL character")
        with transaction.atomic():
            stored = update_store(merchant=merchant, body=body, now=timezone.now())
            if stored is not None:
                transaction.on_commit(lambda: apply_update.delay(stored.pk))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"ok": False, "error": "not a Telegram update"}, status=400)
    return JsonResponse({"ok": True, "duplicate": stored is None})
