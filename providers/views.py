"""Webhook endpoint (Stripe -> inbox) and the staff pages of the inbox (list, detail, replay)."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.machine_endpoints import machine_endpoint
from common.params import IdAfterField, QueryForm, query_params
from merchants.guards import get_for_merchant, merchant_required
from merchants.permissions import has_permission
from merchants.selectors import stripe_webhook_endpoint

from .inbox import event_ingest
from .inbox_apply import event_replay
from .models import ProviderEvent
from .stripe import STRIPE_API_VERSION
from .webhooks import MAX_BODY_BYTES, BadWebhook, storable_text, webhook_verify

PAGE_SIZE = 50
REPLAYABLE = (ProviderEvent.Status.FAILED, ProviderEvent.Status.IGNORED)


@machine_endpoint
@csrf_exempt
@require_POST
def stripe_webhook(request, merchant_slug: str):
    """Verify, store raw, wake the applier after commit, answer at once. Nothing is applied in the request."""
    endpoint = stripe_webhook_endpoint(merchant_slug)  # the secret only: not the merchant's other secrets
    if endpoint is None:
        raise Http404("No such merchant.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:  # refused before the body is read
        return JsonResponse(
            {"error": f"The body is {declared} bytes; Teller accepts events up to {MAX_BODY_BYTES}."},
            status=400,
        )
    try:
        event = webhook_verify(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            secret=endpoint.secret,
        )
    except (BadWebhook, RequestDataTooBig) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    created = event_ingest(
        merchant_id=endpoint.merchant_id, event=event, now=timezone.now(), text=storable_text(request.body)
    )
    return JsonResponse({"received": True, "duplicate": not created})


class EventListForm(QueryForm):
    """The Webhooks page's filters and its `after` id cursor (ASCII digits: "²".isdigit() is True)."""

    status = forms.ChoiceField(choices=[("", "Any"), *ProviderEvent.Status.choices], required=False)
    type = forms.CharField(required=False, max_length=128)
    after = IdAfterField()

    def clean_type(self):
        return self.cleaned_data["type"].replace("\x00", "").strip()  # PostgreSQL refuses NUL in text


def _filtered_events(request):
    events = ProviderEvent.objects.for_merchant(request.merchant).defer("payload")
    status = request.query["status"] or ""
    if status:
        events = events.filter(status=status)
    event_type = request.query["type"] or ""
    if event_type:
        events = events.filter(type__startswith=event_type)
    return events, status, event_type


@merchant_required("view")
@query_params(EventListForm)
def event_list(request):
    """The inbox, newest first, keyset-paginated on id (no COUNT, no OFFSET)."""
    events, status, event_type = _filtered_events(request)
    after = request.query["after"]
    if after is not None:
        events = events.filter(pk__lt=after)
    rows = list(events.order_by("-pk")[: PAGE_SIZE + 1])
    page_items, has_next = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    query = request.GET.copy()
    query.pop("after", None)
    if has_next:
        query["after"] = page_items[-1].pk
    context = {
        "events": page_items,
        "pinned_api_version": STRIPE_API_VERSION,
        "unexpected_versions": sorted(
            {e.api_version for e in page_items if e.api_version and e.api_version != STRIPE_API_VERSION}
        ),
        "statuses": ProviderEvent.Status.choices,
        "status": status,
        "event_type": event_type,
        "next_url": f"?{query.urlencode()}" if has_next else "",
        "is_later_page": after is not None,
        "notes": request.query_notes,
        "can_replay": has_permission(request.membership, "event.replay"),
        "section": "providers",
    }
    return render(request, "providers/providerevent_list.html", context)


@merchant_required("view")
def event_detail(request, pk: int):
    event = get_for_merchant(ProviderEvent, request, pk=pk)
    context = {
        "event": event,
        "pinned_api_version": STRIPE_API_VERSION,
        "payload_json": json.dumps(event.payload, indent=2, sort_keys=True),
        "transactions": event.transactions.all(),
        "can_replay": has_permission(request.membership, "event.replay") and event.status in REPLAYABLE,
        "section": "providers",
    }
    return render(request, "providers/providerevent_detail.html", context)


@require_POST
@merchant_required("event.replay")
def event_replay_view(request, pk: int):
    event = get_for_merchant(ProviderEvent, request, pk=pk)
    if event.status not in REPLAYABLE:
        messages.error(request, "Only failed or ignored events can be replayed.")
    else:
        event_replay(event=event, actor=request.user, now=timezone.now())
        messages.success(request, f"Event {event.provider_event_id} was queued again.")
    return redirect("providers:event-detail", pk=event.pk)
