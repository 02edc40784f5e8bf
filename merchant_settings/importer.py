"""The history import: pages through the account's objects, type by type, through providers.apply.

- Resumable: each step keeps Stripe's `starting_after` cursor; a page's objects and the cursor after them
  are committed in ONE transaction, so a worker killed mid-page redoes that page and nothing is counted
  twice. A worker claims a run with a token and renews a heartbeat; a run whose heartbeat stopped is taken
  over (tasks.resume_stalled_imports) and goes on from its cursors.
- Idempotent: every apply is keyed by the Stripe id, so a second import changes no row's data.
- Ordered with webhooks: an object is applied as of the moment it was *fetched* (minus one second), the
  same ordering key the inbox uses for an event's `created`. A webhook about a later change wins over the
  listing; a listing fetched after an event's change wins over that (older) event, whichever arrives first.
  Events in the very second of the fetch win (the listing may or may not have seen their change).
- Rate limits: a 429 waits Stripe's Retry-After (or 1, 2, 4 ... 30 s with jitter) and asks again.
"""

import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import stripe
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from customers.models import Customer
from merchants.models import Merchant
from providers.apply import APPLIERS, apply_default_method, apply_object
from providers.apply.common import BatchMemory, inbox_scope
from providers.apply.prefetch import absent_keys

from . import stripe_api
from .models import ImportFailure, ImportRun, ImportStep, ObjectType

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # Stripe's maximum
CUSTOMERS_PER_PAYMENT_METHOD_PAGE = 100
# Stripe has no account-wide list of a customer's payment methods (GET /v1/payment_methods without a
# customer lists Treasury methods only), so the step asks once per customer: that many at a time, well
# within Stripe's read limit (100 requests/s live, 25 in test mode); a 429 is backed off per request.
PAYMENT_METHOD_FETCHERS = 8
HEARTBEAT_STALE = timedelta(seconds=90)
RATE_LIMIT_WAITS = 10
NETWORK_RETRIES = 5
MAX_BACKOFF_SECONDS = 30.0

LIST_SERVICE = {
    ObjectType.CUSTOMER: "customers",
    ObjectType.PRODUCT: "products",
    ObjectType.PRICE: "prices",
    ObjectType.SUBSCRIPTION: "subscriptions",
    ObjectType.INVOICE: "invoices",
    ObjectType.INVOICE_PAYMENT: "invoice_payments",
    ObjectType.CHARGE: "charges",
    ObjectType.REFUND: "refunds",
    ObjectType.DISPUTE: "disputes",
}
EXTRA_PARAMS = {ObjectType.SUBSCRIPTION: {"status": "all"}}  # Stripe lists only live ones by default


class _RedoCarefully(Exception):
    """An object of an optimistic page failed: roll the page back and apply it one savepoint per object."""


class ImportStopped(Exception):
    """Stripe kept refusing or could not be reached: the run stops with this message (data so far stays)."""


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


class Importer:
    def __init__(self, run: ImportRun, *, token: str | None = None, sleep=time.sleep, clock=timezone.now):
        self.run, self.token, self.sleep, self.clock = run, token or uuid.uuid4().hex, sleep, clock
        self.merchant: Merchant = run.merchant
        self.client = stripe_api.client_for(self.merchant.stripe_secret_key)

    # Claiming and heartbeat --------------------------------------------------------------------------
    def claim(self) -> bool:
        """Take the run unless a live worker holds it (its heartbeat is fresh)."""
        now = self.clock()
        free = Q(worker_token="") | Q(worker_token=self.token) | Q(heartbeat_at__lt=now - HEARTBEAT_STALE)
        claimed = ImportRun.objects.filter(free, pk=self.run.pk, state__in=ImportRun.ACTIVE_STATES).update(
            worker_token=self.token, heartbeat_at=now, state=ImportRun.State.RUNNING
        )
        if claimed:
            ImportRun.objects.filter(pk=self.run.pk, started_at__isnull=True).update(started_at=now)
            self.run.refresh_from_db()
        return bool(claimed)

    def still_mine(self) -> bool:
        """Renew the heartbeat; False when another worker took over or the run was stopped (disconnect)."""
        return bool(
            ImportRun.objects.filter(
                pk=self.run.pk, worker_token=self.token, state=ImportRun.State.RUNNING
            ).update(heartbeat_at=self.clock())
        )

    # The run -----------------------------------------------------------------------------------------
    def execute(self) -> None:
        if not self.claim():
            return
        try:
            if self.run.history_start_at is None:
                self._history_start()
            for step in self.run.steps.exclude(state=ImportStep.State.DONE).order_by("position"):
                while self.still_mine():
                    if not self.page(step):
                        break
                else:
                    return  # lost the run: whoever holds it now finishes it
        except ImportStopped as exc:
            self._finish(ImportRun.State.FAILED, str(exc))
            return
        self._finish(ImportRun.State.SUCCEEDED, "")

    def _finish(self, state: str, error: str) -> None:
        ImportRun.objects.filter(
            pk=self.run.pk, worker_token=self.token, state=ImportRun.State.RUNNING
        ).update(state=state, last_error=error, finished_at=self.clock(), worker_token="")

    def _history_start(self) -> None:
        account = self._fetch(self.client.v1.accounts.retrieve_current)
        start = _ts(account.get("created"))
        if start:
            ImportRun.objects.filter(pk=self.run.pk).update(history_start_at=start)
            self.run.history_start_at = start

    # One page ------------------------------------------------------------------------------------------
    def page(self, step: ImportStep) -> bool:
        """Fetch and apply the next page of `step`; False when the step is done."""
        if step.started_at is None:  # the rate counts from the first request, not the first commit
            step.started_at = self.clock()
            ImportStep.objects.filter(pk=step.pk, started_at__isnull=True).update(started_at=step.started_at)
        if step.object_type == ObjectType.PAYMENT_METHOD:
            return self._payment_method_page(step)
        params = {"limit": PAGE_SIZE, **EXTRA_PARAMS.get(step.object_type, {})}
        if step.cursor:
            params["starting_after"] = step.cursor
        service = getattr(self.client.v1, LIST_SERVICE[step.object_type])
        fetched_at = self.clock()
        listing = self._fetch(service.list, params, step=step)
        objects = listing.get("data") or []
        has_more = bool(listing.get("has_more")) and bool(objects)
        next_cursor = objects[-1]["id"] if objects else step.cursor
        return self._commit(step, objects, cursor_before=step.cursor, cursor=next_cursor, has_more=has_more,
                            fetched_at=fetched_at)  # fmt: skip

    def _payment_method_page(self, step: ImportStep) -> bool:
        """Stripe lists payment methods per customer: a page is the cards of one page of customers (100).

        The customers are listed again (one call per 100) because the customer object names its default
        method, which can only be marked once the methods exist: it is marked after the cards.
        """
        if step.expected is None:
            step.expected = Customer.objects.filter(
                merchant=self.merchant, provider_customer_id__isnull=False
            ).count()
            ImportStep.objects.filter(pk=step.pk).update(expected=step.expected)
        params = {"limit": CUSTOMERS_PER_PAYMENT_METHOD_PAGE}
        if step.cursor:
            params["starting_after"] = step.cursor
        fetched_at = self.clock()
        listing = self._fetch(self.client.v1.customers.list, params, step=step)
        customers = listing.get("data") or []
        objects, defaults = [], []
        for cards in self._cards_of([c["id"] for c in customers], step):
            objects += cards
        for customer in customers:
            if (customer.get("invoice_settings") or {}).get("default_payment_method"):
                defaults.append(customer)
        has_more = bool(listing.get("has_more")) and bool(customers)
        cursor = customers[-1]["id"] if customers else step.cursor
        return self._commit(step, objects, cursor_before=step.cursor, cursor=cursor, has_more=has_more,
                            fetched_at=fetched_at, parents=len(customers), after=defaults)  # fmt: skip

    def _commit(self, step, objects, **page) -> bool:
        """Apply the page and move the cursor in one transaction; a page someone else applied is skipped.

        First optimistically, as the webhook drain does (no savepoint per object, the missing rows looked up
        once for the page); if anything fails the page is rolled back and applied again one savepoint per
        object, so the failing object is listed with its reason and the others are applied.
        """
        try:
            return self._commit_once(step, objects, optimistic=True, **page)
        except _RedoCarefully:
            return self._commit_once(step, objects, optimistic=False, **page)

    def _commit_once(
        self,
        step,
        objects,
        *,
        optimistic,
        cursor_before,
        cursor,
        has_more,
        fetched_at,
        parents=None,
        after=(),
    ) -> bool:
        """`after` are customers whose default payment method is marked last (not counted as objects)."""
        stamp = fetched_at - timedelta(seconds=1)
        now = self.clock()
        with transaction.atomic():
            locked = ImportStep.objects.select_for_update().get(pk=step.pk)
            if locked.cursor != cursor_before or locked.state == ImportStep.State.DONE:
                step.refresh_from_db()
                return step.state != ImportStep.State.DONE
            if optimistic:
                self._apply_optimistic(objects, stamp, after=after)
                skipped = sum(1 for o in objects if o.get("object") not in APPLIERS)
                applied, failures = len(objects) - skipped, []
            else:
                applied, skipped, failures = self._apply_carefully(objects, after, stamp, locked, now)
            ImportFailure.objects.bulk_create(failures)
            now = self.clock()  # the page is applied: the step's rate and finish count to here
            if objects and locked.newest_created_at is None:
                locked.newest_created_at = _ts(objects[0].get("created"))
            if objects and step.object_type != ObjectType.PAYMENT_METHOD:
                locked.cursor_created_at = _ts(objects[-1].get("created")) or locked.cursor_created_at
            locked.cursor = cursor or ""
            locked.done += parents if parents is not None else len(objects)
            locked.applied += applied
            locked.skipped += skipped
            locked.failed += len(failures)
            locked.started_at = locked.started_at or now
            locked.updated_at = now
            locked.state = ImportStep.State.RUNNING if has_more else ImportStep.State.DONE
            locked.finished_at = None if has_more else now
            locked.save()
            if not has_more and step.object_type == ObjectType.CUSTOMER and self.run.history_start_at is None:
                # Nothing is older than the oldest customer's first object: the estimate's floor for the rest.
                oldest = locked.cursor_created_at
                ImportRun.objects.filter(pk=self.run.pk).update(history_start_at=oldest)
                self.run.history_start_at = oldest
        for name in (
            "cursor",
            "state",
            "done",
            "expected",
            "newest_created_at",
            "cursor_created_at",
            "started_at",
        ):
            setattr(step, name, getattr(locked, name))
        return has_more

    def _apply_optimistic(self, objects: list[dict], stamp: datetime, *, after=()) -> None:
        applicable = [o for o in objects if o.get("object") in APPLIERS]
        try:
            with inbox_scope(optimistic=True, batch=BatchMemory(absent_keys(self.merchant, applicable))):
                for obj in applicable:
                    apply_object(merchant=self.merchant, obj=obj, now=stamp)
                for customer in after:
                    apply_default_method(merchant=self.merchant, obj=customer, now=stamp)
        except Exception as exc:
            raise _RedoCarefully from exc  # leaving the atomic block rolls the page back

    def _apply_carefully(self, objects, after, stamp, locked, now):
        applied = skipped = 0
        failures = []
        for index, obj in enumerate([*objects, *after]):
            counted = index < len(objects)
            outcome = self._apply(obj, stamp, default_only=not counted)
            if outcome is True:
                applied += counted
            elif outcome is None:
                skipped += counted
            else:
                object_id = str(obj.get("id"))[:255]
                failures.append(
                    ImportFailure(step=locked, object_id=object_id, message=outcome, created_at=now)
                )
        return applied, skipped, failures

    def _apply(self, obj: dict, stamp: datetime, *, default_only: bool = False):
        """True applied, None skipped (a type Teller does not keep), or the error message."""
        kind = obj.get("object")
        if kind not in APPLIERS and kind != "deleted_customer":
            return None  # products and prices: Teller's products are its own configuration
        apply = apply_default_method if default_only else apply_object
        try:
            with transaction.atomic(), inbox_scope(optimistic=False):  # our savepoint is the apply's own
                apply(merchant=self.merchant, obj=obj, now=stamp)
        except Exception as exc:  # one bad object must not stop the import: it is listed with its reason
            logger.info("import: %s %s not applied: %s", kind, obj.get("id"), exc)
            return f"{type(exc).__name__}: {exc}"[:2000]
        return True

    # Talking to Stripe ---------------------------------------------------------------------------------
    def _cards_of(self, customer_ids: list[str], step: ImportStep) -> list[list[dict]]:
        """Each customer's payment methods (all pages), a few customers at a time; in the order given.

        The threads only talk HTTP (no database: each would open a connection of its own); the 429s they
        waited out are counted on the step afterwards, and the heartbeat is renewed once they are done.
        """
        waited = []

        def cards(customer_id: str) -> list[dict]:
            out, params = [], {"limit": PAGE_SIZE}
            while True:
                page = self._request(
                    self.client.v1.customers.payment_methods.list, customer_id, params, waited=waited
                )
                out += page.get("data") or []
                if not page.get("has_more") or not page.get("data"):
                    return out
                params = {"limit": PAGE_SIZE, "starting_after": page["data"][-1]["id"]}

        if not customer_ids:
            return []
        with ThreadPoolExecutor(max_workers=min(PAYMENT_METHOD_FETCHERS, len(customer_ids))) as pool:
            results = list(pool.map(cards, customer_ids))
        if waited:
            ImportStep.objects.filter(pk=step.pk).update(rate_limited=F("rate_limited") + len(waited))
        if not self.still_mine():
            raise ImportStopped("The import was stopped.")
        return results

    def _request(self, fn, *args, waited: list, between=None) -> dict:
        """One request, waiting out 429s (Retry-After, else exponential) and network errors.

        Each 429 is appended to `waited`; `between()` runs after every failed attempt (the sequential path
        renews the heartbeat there). Without it nothing here touches the database (fetcher threads).
        """
        waits = failures = 0
        while True:
            try:
                result = fn(*args)
                return result.to_dict() if hasattr(result, "to_dict") else dict(result)
            except stripe.RateLimitError as exc:
                waits += 1
                if waits > RATE_LIMIT_WAITS:
                    raise ImportStopped("Stripe kept answering 429 (rate limit); Resync to go on.") from exc
                waited.append(1)
                self.sleep(self._backoff(exc, waits))
            except (stripe.APIConnectionError, stripe.APIError) as exc:
                failures += 1
                if failures > NETWORK_RETRIES:
                    raise ImportStopped("Stripe could not be reached; Resync to go on.") from exc
                self.sleep(self._backoff(None, failures))
            except stripe.StripeError as exc:
                raise ImportStopped(f"Stripe refused: {exc.user_message or exc}") from exc
            if between is not None:
                between()

    def _fetch(self, fn, *args, step: ImportStep | None = None) -> dict:
        waited = []

        def between():
            if waited and step is not None:
                ImportStep.objects.filter(pk=step.pk).update(rate_limited=F("rate_limited") + len(waited))
            waited.clear()
            if not self.still_mine():
                raise ImportStopped("The import was stopped.")

        return self._request(fn, *args, waited=waited, between=between)

    @staticmethod
    def _backoff(exc, attempt: int) -> float:
        headers = getattr(exc, "headers", None) or {}
        retry_after = headers.get("retry-after") or headers.get("Retry-After")
        try:
            if retry_after is not None:
                return min(float(retry_after), MAX_BACKOFF_SECONDS)
        except ValueError:
            pass
        return min(MAX_BACKOFF_SECONDS, 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
