"""A Stripe-compatible HTTP server on loopback, for what localstripe lacks (threaded, like botapi_stub).

It speaks Stripe's wire format for the calls Settings and the history import make:
- GET /v1/account; POST/GET /v1/webhook_endpoints, GET/DELETE /v1/webhook_endpoints/<id> (the signing
  `secret` is returned by create only, as at Stripe);
- list endpoints with Stripe's pagination (`object: "list"`, `data`, `has_more`, `url`; `limit` 1-100,
  default 10; `starting_after`), newest first, for every type the import reads, in current API shapes
  (invoices with `parent.subscription_details`, `invoice_payment` objects, charges without `invoice`,
  subscription periods on their items); `GET /v1/customers/<id>/payment_methods`;
- key checks: `Authorization: Bearer <key>`; an unknown key is 401, a restricted key (rk_) lacking the
  permission of the resource is 403, both with Stripe's error JSON;
- POST /v1/disputes/<id> (evidence merged, `submit=true` moves it under review, a closed or past-due
  dispute is refused as Stripe refuses it), POST /v1/disputes/<id>/close (lost), POST /v1/files
  (multipart, purpose dispute_evidence; the SDK posts uploads to the files base, the same server here);
- injectable 429s (`rate_limit(n, retry_after=...)`) with Stripe's rate-limit error and a Retry-After header.

`history(n)` builds a consistent account history (customers, cards, products, prices, subscriptions,
invoices, invoice payments, charges, refunds, disputes); tests and bench/import_stripe.py share it.
"""

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Path collection -> (object type, the restricted-key permission that reads it).
COLLECTIONS = {
    "customers": ("customer", "rak_customer_read"),
    "payment_methods": ("payment_method", "rak_payment_method_read"),
    "products": ("product", "rak_product_read"),
    "prices": ("price", "rak_price_read"),
    "subscriptions": ("subscription", "rak_subscription_read"),
    "invoices": ("invoice", "rak_invoice_read"),
    "invoice_payments": ("invoice_payment", "rak_invoice_read"),
    "charges": ("charge", "rak_charge_read"),
    "refunds": ("refund", "rak_refund_read"),
    "disputes": ("dispute", "rak_dispute_read"),
}
WEBHOOK_PERMISSION = "rak_webhook_write"
DISPUTE_WRITE_PERMISSION = "rak_dispute_write"
FILE_WRITE_PERMISSION = "rak_file_write"
ACCOUNT_PERMISSION = "rak_account_read"
ALL_PERMISSIONS = frozenset(
    {p for _, p in COLLECTIONS.values()}
    | {WEBHOOK_PERMISSION, ACCOUNT_PERMISSION, DISPUTE_WRITE_PERMISSION, FILE_WRITE_PERMISSION}
)


@dataclass
class StripeState:
    account: dict
    keys: dict[str, frozenset] = field(default_factory=dict)  # key -> permissions it has
    objects: dict[str, list[dict]] = field(default_factory=dict)  # type -> newest first
    webhook_endpoints: dict[str, dict] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Lookups that keep paging O(page): position of each id per collection, payment methods per customer.
    positions: dict[str, dict[str, int]] = field(default_factory=dict)
    methods_of: dict[str, list[dict]] | None = None
    rate_limits: int = 0
    delay: float = 0.0  # seconds added to each list request
    retry_after: float | None = 1
    lock: threading.Lock = field(default_factory=threading.Lock)


def _decode(text: str) -> dict:
    """Stripe's form encoding: `a[0]=x&a[1]=y` is a list, `m[k]=v` a dict (one level is all Teller sends)."""
    out: dict = {}
    for name, values in parse_qs(text, keep_blank_values=True).items():
        value = values[-1]
        if "[" in name and name.endswith("]"):
            base, sub = name[:-1].split("[", 1)
            if sub.isdigit() or sub == "":
                out.setdefault(base, []).append(value)
            else:
                out.setdefault(base, {})[sub] = value
        else:
            out[name] = value
    return out


FILE_EVIDENCE = (
    "cancellation_policy",
    "customer_communication",
    "customer_signature",
    "duplicate_charge_documentation",
    "receipt",
    "refund_policy",
    "service_documentation",
    "shipping_documentation",
    "uncategorized_file",
)


def _multipart(raw: bytes, content_type: str) -> dict:
    """multipart/form-data as the SDK sends an upload: text fields as strings, a file as (filename, bytes)."""
    boundary = content_type.split("boundary=", 1)[-1].strip().strip('"').encode()
    out: dict = {}
    for part in raw.split(b"--" + boundary):
        head, sep, body = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        body = body.removesuffix(b"\r\n")
        disposition = head.decode("utf-8", "replace")
        name = disposition.split('name="', 1)[-1].split('"', 1)[0]
        if 'filename="' in disposition:
            out[name] = (disposition.split('filename="', 1)[-1].split('"', 1)[0], body)
        else:
            out[name] = body.decode("utf-8", "replace")
    return out


def _error(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None):
    body = {"error": {"message": message, "type": type_}}
    if code:
        body["error"]["code"] = code
    return status, body


class StripeServer:
    """Start with `with StripeServer() as server:`; `server.url` is the API base for STRIPE_API_BASE."""

    def __init__(self, *, account_name: str = "Test Shop", account_id: str = "acct_1TellerTest00001"):
        self.state = StripeState(
            account={
                "id": account_id,
                "object": "account",
                "business_profile": {"name": account_name, "url": None},
                "settings": {"dashboard": {"display_name": account_name}},
                "email": "owner@example.org",
                "country": "DE",
                "default_currency": "eur",
                "charges_enabled": True,
                "type": "standard",
            }
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # Arranging -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_key(self, key: str, permissions=ALL_PERMISSIONS) -> str:
        self.state.keys[key] = frozenset(permissions)
        return key

    def load(self, objects: list[dict]) -> None:
        """Add objects; each collection is kept newest first, as Stripe lists them."""
        for obj in objects:
            self.state.objects.setdefault(obj["object"], []).append(obj)
        oldest = min((o.get("created") or 0 for o in objects), default=0)
        if oldest and (self.state.account.get("created") or oldest) >= oldest:
            self.state.account["created"] = oldest - 60  # an account is older than its first object
        for items in self.state.objects.values():
            items.sort(key=lambda o: (o.get("created") or 0, o["id"]), reverse=True)
        self.state.positions.clear()
        self.state.methods_of = None

    def rate_limit(self, times: int, *, retry_after: float | None = 1) -> None:
        self.state.rate_limits, self.state.retry_after = times, retry_after

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # Serving ---------------------------------------------------------------------------------------------
    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args):  # keep test output clean
                pass

            def _answer(self, status: int, body: dict, headers: dict | None = None):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def _serve(self, method: str):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                params = _decode(parts.query)
                content_type = self.headers.get("Content-Type") or ""
                if content_type.startswith("multipart/form-data"):
                    params.update(_multipart(raw, content_type))
                else:
                    params.update(_decode(raw.decode()))
                key = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
                if server.state.delay and parts.path.rstrip("/").split("/")[-1] in COLLECTIONS:
                    time.sleep(server.state.delay)  # a slower Stripe, so a browser can watch the progress
                with server.state.lock:
                    server.state.requests.append((method, parts.path))
                    answer = server._route(method, parts.path, params, key)
                self._answer(*answer)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler

    def _route(self, method: str, path: str, params: dict, key: str):
        state = self.state
        if key not in state.keys:
            masked = f"{key[:8]}{'*' * 8}{key[-4:]}" if key else ""
            return _error(401, f"Invalid API Key provided: {masked}")
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        permission = self._permission(parts)
        if permission not in state.keys[key]:
            return _error(
                403,
                f"The provided key '{key[:8]}***{key[-4:]}' does not have the required permissions for this "
                f"endpoint on account '{state.account['id']}'. Having the '{permission}' permission would "
                "allow this request to continue.",
            )
        if state.rate_limits and method == "GET" and parts[0] in COLLECTIONS:
            state.rate_limits -= 1
            headers = {"Retry-After": str(state.retry_after)} if state.retry_after is not None else {}
            status, body = _error(
                429,
                "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
            return status, body, headers
        if parts == ["account"] and method == "GET":
            return 200, state.account
        if parts[0] == "webhook_endpoints":
            return self._webhook_endpoints(method, parts[1:], params)
        if parts[0] == "files" and method == "POST":
            return self._file_create(params)
        if parts[0] == "disputes" and method == "POST" and len(parts) in (2, 3):
            return self._dispute_post(parts[1], parts[2:], params)
        if parts[0] == "disputes" and method == "GET" and len(parts) == 2:
            found = [d for d in state.objects.get("dispute", []) if d["id"] == parts[1]]
            if found:
                return 200, found[0]
            return _error(404, f"No such dispute: '{parts[1]}'", code="resource_missing")
        if len(parts) == 3 and parts[0] == "customers" and parts[2] == "payment_methods":
            if state.methods_of is None:
                state.methods_of = {}
                for pm in state.objects.get("payment_method", []):
                    state.methods_of.setdefault(pm.get("customer"), []).append(pm)
            return self._page(state.methods_of.get(parts[1], []), params, path, cache=f"pm:{parts[1]}")
        if len(parts) == 1 and parts[0] in COLLECTIONS and method == "GET":
            object_type = COLLECTIONS[parts[0]][0]
            items = state.objects.get(object_type, [])
            cache = object_type
            if object_type == "subscription" and params.get("status") != "all":
                items = [s for s in items if s["status"] != "canceled"]  # Stripe's default listing
                cache = None
            return self._page(items, params, path, cache=cache)
        return _error(404, f"Unrecognized request URL ({method}: {path}).")

    def _file_create(self, params: dict):
        if params.get("purpose") != "dispute_evidence":
            return _error(
                400, "Invalid purpose: must be one of dispute_evidence, ...", code="parameter_invalid"
            )
        if not params.get("file"):
            return _error(400, "Missing required param: file.", code="parameter_missing")
        filename, content = params["file"]
        upload = {
            "id": f"file_{secrets.token_hex(12)}",
            "object": "file",
            "purpose": "dispute_evidence",
            "filename": filename,
            "size": len(content),
            "created": int(time.time()),
            "type": filename.rsplit(".", 1)[-1].lower() if "." in filename else None,
        }
        self.state.objects.setdefault("file", []).insert(0, upload)
        return 200, upload

    def _dispute_post(self, dispute_id: str, rest: list[str], params: dict):
        found = [d for d in self.state.objects.get("dispute", []) if d["id"] == dispute_id]
        if not found:
            return _error(404, f"No such dispute: '{dispute_id}'", code="resource_missing")
        dispute = found[0]
        if dispute["status"] not in ("needs_response", "warning_needs_response"):
            return _error(400, f"This dispute is already {dispute['status']}.", code="dispute_already_closed")
        details = dispute.setdefault("evidence_details", {})
        if details.get("past_due") or (details.get("due_by") or 0) <= time.time():
            return _error(400, "The deadline for submitting evidence has passed.", code="dispute_past_due")
        if rest == ["close"]:
            dispute["status"] = "warning_closed" if dispute["status"].startswith("warning") else "lost"
            return 200, dispute
        if rest:
            return _error(404, "Unrecognized request URL.")
        evidence = params.get("evidence") or {}
        files = {f["id"] for f in self.state.objects.get("file", [])}
        for name, value in evidence.items():
            if name in FILE_EVIDENCE and value and value not in files:
                return _error(400, f"No such file upload: '{value}'", code="resource_missing")
        dispute["evidence"] = {
            **(dispute.get("evidence") or {}),
            **{k: v or None for k, v in evidence.items()},
        }
        details["has_evidence"] = any(dispute["evidence"].values())
        if params.get("submit") == "true":
            dispute["status"] = (
                "warning_under_review" if dispute["status"].startswith("warning") else "under_review"
            )
            details["submission_count"] = int(details.get("submission_count") or 0) + 1
        return 200, dispute

    @staticmethod
    def _permission(parts: list[str]) -> str:
        if parts[0] == "files":
            return FILE_WRITE_PERMISSION
        if parts[0] == "disputes" and len(parts) > 1:
            return DISPUTE_WRITE_PERMISSION
        if parts[0] == "account":
            return ACCOUNT_PERMISSION
        if parts[0] == "webhook_endpoints":
            return WEBHOOK_PERMISSION
        if parts[0] == "customers" and len(parts) == 3:
            return COLLECTIONS["payment_methods"][1]
        return COLLECTIONS.get(parts[0], ("", "rak_unknown"))[1]

    def _page(self, items: list[dict], params: dict, path: str, cache: str | None = None):
        try:
            limit = int(params.get("limit", 10))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            return _error(
                400, "This value must be greater than or equal to 1.", code="parameter_invalid_integer"
            )
        start = 0
        if after := params.get("starting_after"):
            # Loaded collections keep their id -> position map (load() clears it), so a page costs O(limit).
            positions = self.state.positions.get(cache) if cache else None
            if positions is None:
                positions = {o["id"]: i for i, o in enumerate(items)}
                if cache:
                    self.state.positions[cache] = positions
            if after not in positions:
                return _error(400, f"No such object: '{after}'", code="resource_missing")
            start = positions[after] + 1
        data = items[start : start + limit]
        return 200, {"object": "list", "data": data, "has_more": start + limit < len(items), "url": path}

    def _webhook_endpoints(self, method: str, rest: list[str], params: dict):
        endpoints = self.state.webhook_endpoints
        if method == "POST" and not rest:
            if not params.get("url") or not params.get("enabled_events"):
                return _error(400, "Missing required param: url or enabled_events.", code="parameter_missing")
            endpoint = {
                "id": f"we_{secrets.token_hex(12)}",
                "object": "webhook_endpoint",
                "url": params["url"],
                "enabled_events": list(params["enabled_events"]),
                "api_version": params.get("api_version"),
                "status": "enabled",
                "livemode": False,
                "created": int(time.time()),
                "metadata": {},
                "description": params.get("description"),
            }
            endpoints[endpoint["id"]] = endpoint
            return 200, {**endpoint, "secret": f"whsec_{secrets.token_hex(16)}"}
        if method == "GET" and not rest:
            return self._page(
                sorted(endpoints.values(), key=lambda e: e["created"], reverse=True),
                params,
                "/v1/webhook_endpoints",
            )
        if rest and rest[0] not in endpoints:
            return _error(404, f"No such webhook endpoint: '{rest[0]}'", code="resource_missing")
        if method == "GET":
            return 200, endpoints[rest[0]]
        if method == "DELETE":
            endpoints.pop(rest[0])
            return 200, {"id": rest[0], "object": "webhook_endpoint", "deleted": True}
        return _error(404, "Unrecognized request URL.")


# An account's history, in current API shapes ---------------------------------------------------------------
def history(n_customers: int, *, start: int = 1_760_000_000, prefix: str = "T") -> list[dict]:
    """Per customer: a card, a monthly subscription with one paid invoice, its invoice payment and charge;
    every 5th customer a one-time charge with a partial refund; every 10th a dispute. Two products, two
    prices. About 7.3 objects per customer."""
    seq = itertools.count(1)
    out: list[dict] = []

    def ident(kind: str) -> str:
        return f"{kind}_{prefix}{next(seq):010d}"

    products = [
        {"id": f"prod_{prefix}Gold", "object": "product", "name": "Gold channel", "active": True,
         "created": start, "default_price": f"price_{prefix}Gold", "metadata": {}, "livemode": False},
        {"id": f"prod_{prefix}Book", "object": "product", "name": "E-book", "active": True,
         "created": start, "default_price": f"price_{prefix}Book", "metadata": {}, "livemode": False},
    ]  # fmt: skip
    prices = [
        {"id": f"price_{prefix}Gold", "object": "price", "product": products[0]["id"], "unit_amount": 1500,
         "currency": "eur", "type": "recurring", "active": True, "created": start, "nickname": None,
         "recurring": {"interval": "month", "interval_count": 1}, "livemode": False, "metadata": {}},
        {"id": f"price_{prefix}Book", "object": "price", "product": products[1]["id"], "unit_amount": 900,
         "currency": "eur", "type": "one_time", "active": True, "created": start, "nickname": None,
         "recurring": None, "livemode": False, "metadata": {}},
    ]  # fmt: skip
    out += products + prices
    for i in range(n_customers):
        at = start + i * 60
        email = f"buyer{prefix.lower()}{i}@example.org"
        cus = {"id": ident("cus"), "object": "customer", "email": email, "name": f"Buyer {prefix}{i}",
               "created": at, "address": {"country": "DE"}, "description": None, "metadata": {},
               "invoice_settings": {"default_payment_method": None}, "shipping": None,
               "livemode": False}  # fmt: skip
        card = {"brand": "visa", "last4": f"{i % 10000:04d}", "exp_month": 4, "exp_year": 2030,
                "fingerprint": f"fp{prefix}{i:010d}", "country": "DE", "funding": "credit"}  # fmt: skip
        pm = {"id": ident("pm"), "object": "payment_method", "type": "card", "customer": cus["id"],
              "card": card, "billing_details": {"email": email, "name": cus["name"]}, "created": at,
              "livemode": False, "metadata": {}}  # fmt: skip
        cus["invoice_settings"]["default_payment_method"] = pm["id"]
        sub_id, inv_id, pi_id = ident("sub"), ident("in"), ident("pi")
        period = {"current_period_start": at + 10, "current_period_end": at + 10 + 30 * 86400}
        sub = {"id": sub_id, "object": "subscription", "customer": cus["id"], "status": "active",
               "created": at + 10, "start_date": at + 10, "cancel_at": None, "canceled_at": None,
               "cancel_at_period_end": False, "ended_at": None, "trial_end": None, "currency": "eur",
               "items": {"object": "list", "data": [{"id": ident("si"), "object": "subscription_item",
                         "price": prices[0], "quantity": 1, **period}], "has_more": False},
               "latest_invoice": inv_id, "metadata": {}, "livemode": False}  # fmt: skip
        charge = _charge(ident("ch"), cus, pm, card, 1500, at + 12, payment_intent=pi_id)
        invoice = {"id": inv_id, "object": "invoice", "customer": cus["id"], "status": "paid",
                   "amount_due": 1500, "amount_paid": 1500, "currency": "eur", "created": at + 11,
                   "billing_reason": "subscription_create", "customer_email": email,
                   "parent": {"type": "subscription_details", "quote_details": None,
                              "subscription_details": {"subscription": sub_id, "metadata": {}}},
                   "lines": {"object": "list", "data": [], "has_more": False},
                   "status_transitions": {"paid_at": at + 12}, "period_start": period["current_period_start"],
                   "period_end": period["current_period_end"], "livemode": False, "metadata": {}}  # fmt: skip
        payment = {"id": ident("inpay"), "object": "invoice_payment", "invoice": inv_id, "amount_paid": 1500,
                   "amount_requested": 1500, "currency": "eur", "is_default": True, "status": "paid",
                   "payment": {"type": "payment_intent", "payment_intent": pi_id}, "created": at + 12,
                   "status_transitions": {"paid_at": at + 12, "canceled_at": None},
                   "livemode": False}  # fmt: skip
        out += [cus, pm, sub, invoice, payment, charge]
        if i % 5 == 0:
            one_time = _charge(
                ident("ch"), cus, pm, card, 900, at + 20, metadata={"product_id": products[1]["id"]}
            )
            refund = {"id": ident("re"), "object": "refund", "charge": one_time["id"], "amount": 300,
                      "currency": "eur", "status": "succeeded", "reason": "requested_by_customer",
                      "created": at + 30, "payment_intent": None, "metadata": {}}  # fmt: skip
            one_time["amount_refunded"] = 300
            out += [one_time, refund]
        if i % 10 == 0:
            out.append(
                {"id": ident("dp"), "object": "dispute", "charge": charge["id"], "amount": 1500,
                 "currency": "eur",
                 "status": "needs_response", "reason": "fraudulent", "created": at + 40,
                 "evidence_details": {"due_by": at + 40 + 7 * 86400}, "balance_transactions": [],
                 "payment_intent": pi_id, "is_charge_refundable": False, "livemode": False, "metadata": {}}
            )  # fmt: skip
    return out


def _charge(id_, cus, pm, card, amount, at, *, payment_intent=None, metadata=None) -> dict:
    """A charge as today's API shows it: no `invoice`, refunds not embedded."""
    return {
        "id": id_, "object": "charge", "customer": cus["id"], "amount": amount, "amount_captured": amount,
        "amount_refunded": 0, "currency": "eur", "status": "succeeded", "paid": True, "captured": True,
        "refunded": False, "disputed": False, "created": at, "payment_intent": payment_intent,
        "payment_method": pm["id"], "payment_method_details": {"type": "card", "card": card},
        "billing_details": {"email": cus["email"], "name": cus["name"]}, "receipt_email": cus["email"],
        "description": None, "statement_descriptor": None, "calculated_statement_descriptor": "TELLER",
        "failure_code": None, "failure_message": None, "metadata": metadata or {}, "livemode": False,
        "balance_transaction": None,
        "outcome": {"type": "authorized", "network_status": "approved_by_network"},
    }  # fmt: skip
