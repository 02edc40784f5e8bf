"""Locust users of the load benchmark (bench/load.py starts Locust with this file; see the top of load.py).

Staff: signs in through the login form (CSRF token from the form), then loops: customer searches (email
fragment, name, public id), the customer page and the tab / partial URLs its HTMX requests, a product's
transactions, the credit modal of a card charge and a partial credit POST (then the partials the page
reloads on "customer:changed"), and the transactions list with a filter.
Webhook: POSTs Stripe-signed events (bodies written by load.py) at a fixed pace per user.

Everything it needs comes from the JSON file in TELLER_LOAD_DATA (written by load.py).
"""

import json
import os
import random
import re
import sys
from pathlib import Path

from locust import FastHttpUser, HttpUser, constant, constant_pacing, task

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()  # only for the payload helpers' imports: this process never touches the database

from tests.providers import stripe_payloads as sp  # noqa: E402

DATA = json.loads(Path(os.environ["TELLER_LOAD_DATA"]).read_text())
BODIES = [line.encode() for line in Path(DATA["bodies_file"]).read_text().splitlines() if line]
HX = {"HX-Request": "true"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')
TXNS_URL = re.compile(r'hx-get="(/customers/[^"/]+/products/\d+/transactions/)"')
ROW = re.compile(r'<tr id="txn-\d+">(.*?)</tr>', re.S)
CREDIT_URL = re.compile(r'href="(/transactions/\d+/credit/)"')
TXN_FILTERS = ["status=FAILED", "method=sepa_debit", "type=CHARGEBACK", "status=SUCCEEDED", "method=card"]


class Staff(HttpUser):
    weight = 1
    wait_time = constant(float(DATA.get("think_seconds", 0.5)))

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={"username": DATA["email"], "password": DATA["password"], "csrfmiddlewaretoken": token},
            name="login POST",
            catch_response=True,
        ) as response:
            if "/accounts/login/" in response.url:
                response.failure("sign-in refused")

    @task
    def desk(self):
        customer = random.choice(DATA["customers"])
        fragment = customer["email"].split("@")[0][: max(4, len(customer["email"].split("@")[0]) - 3)]
        self.client.get("/customers/", params={"q": fragment}, name="search email fragment")
        self.client.get("/customers/", params={"q": customer["name"]}, name="search name")
        self.client.get("/customers/", params={"q": customer["public_id"]}, name="search public id")
        base = f"/customers/{customer['public_id']}/"
        page = self.client.get(base, name="customer page")
        for tab in ("stats", "info", "activity"):
            self.client.get(f"{base}?tab={tab}", headers=HX, name=f"customer tab {tab}")
        match = TXNS_URL.search(page.text)
        if match:
            rows = self.client.get(match.group(1), headers=HX, name="product transactions").text
            self._credit(base, rows)
        query = random.choice(TXN_FILTERS)
        self.client.get(f"/transactions/?{query}", name="transactions filtered")

    def _credit(self, base: str, rows: str) -> None:
        """The credit modal of the first card charge offering "Credit", then a partial credit of 1 unit."""
        for row in ROW.findall(rows):
            url = CREDIT_URL.search(row)
            if url and "SEPA" not in row and "Bank transfer" not in row:
                break
        else:
            return
        modal = self.client.get(url.group(1), headers=HX, name="credit modal").text
        csrf, key = CSRF.search(modal), IDEMPOTENCY.search(modal)
        if not (csrf and key):
            return
        form = {
            "csrfmiddlewaretoken": csrf.group(1),
            "idempotency_key": key.group(1),
            "mode": "PARTIAL",
            "amount": "1",
            "reason": "REQUESTED_BY_CUSTOMER",
        }
        with self.client.post(
            url.group(1), data=form, headers=HX, name="credit POST", catch_response=True
        ) as r:
            if r.status_code != 204:
                r.failure(f"credit not done: HTTP {r.status_code}")
                return
        # "customer:changed": the page reloads its partials.
        for suffix, name in (("header/", "header"), ("?tab=details", "customer tab details")):
            self.client.get(base + suffix, headers=HX, name=name)
        self.client.get(base + "products/", headers=HX, name="products")
        self.client.get(base + "payment-methods/", headers=HX, name="payment methods")


class Webhook(FastHttpUser):
    """One of DATA["webhook_users"] senders, each at rate / webhook_users events/s."""

    fixed_count = int(DATA["webhook_users"])
    wait_time = constant_pacing(DATA["webhook_users"] / max(1.0, float(DATA["rate"])))
    next_index = 0  # shared by the senders: every body is sent once

    @task
    def send(self):
        cls = type(self)
        if cls.next_index >= len(BODIES):
            return
        body = BODIES[cls.next_index]
        cls.next_index += 1
        headers = {"Stripe-Signature": sp.sign(body, DATA["secret"]), "Content-Type": "application/json"}
        self.client.post(DATA["webhook_path"], data=body, headers=headers, name="webhook")
