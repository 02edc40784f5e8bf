"""The demo seed's customers: each one a scenario (payment method, purchase, what happened next) played
through the sandbox provider, so the real webhook pipeline creates every row."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import transaction

from access.models import TelegramAccount
from customers.models import Customer
from merchants.models import Merchant
from purchases.models import AccessCode, Product
from purchases.services import access_code_redeem
from sandbox import simulate as sim
from sandbox import stripe_objects as so
from sandbox.provider import latest_object

from .data import (
    COUNTRIES,
    EXTRA_CODES,
    EXTRA_PRODUCT,
    FIRST_NAMES,
    LAST_NAMES,
    SCENARIOS,
    SEVERAL_PRODUCTS_EVERY,
    SHOP_CODES,
)


class Seeder:
    """One merchant's customers, each through the sandbox with a stable key."""

    def __init__(
        self, merchant: Merchant, catalog: dict[str, Product], codes: list[AccessCode], now: datetime
    ):
        self.merchant, self.catalog, self.codes, self.now = merchant, catalog, codes, now

    def customer(self, index: int, *, harbor: bool = False) -> None:
        rng = random.Random(f"{self.merchant.slug}:{index}")
        if harbor:
            product_key = "harbor-monthly" if index % 3 else "harbor-ebook"
            scenario = (product_key, "active" if index % 3 else "one_time", "card", "visa")
        else:
            scenario = SCENARIOS[index % len(SCENARIOS)]
        product_key, status, method, brand = scenario
        product = self.catalog[product_key]
        start = self._start(rng, status, product)
        key = f"c{index}"
        with transaction.atomic():
            customer = self._customer(rng, index, key, product.currency, start)
        # Telegram accounts before the purchase, so the purchase grants the chats' access. Not for purchases
        # that end: the demo has no bot token, so their revocation could only stay pending.
        if index % 4 == 0 and status not in ("canceled", "unpaid"):
            self._telegram(index, customer)
        if status == "access_code":
            self._redeem(index, customer, start)
            return
        pm = self._payment_method(rng, index, key, customer, method, brand, start)
        with transaction.atomic():
            charges = self._buy(rng, index, key, customer, product, pm, status, start)
        with transaction.atomic():
            self._aftermath(rng, index, key, charges)
        if not harbor and index % SEVERAL_PRODUCTS_EVERY == 0:
            self._more_products(index, key, customer, pm, start)

    def _more_products(self, index: int, key: str, customer: dict, pm: dict, start: datetime) -> None:
        """A one-time purchase and a redeemed access code besides the subscription."""

        bought = (start + (self.now - start) / 2).replace(microsecond=0)
        with transaction.atomic():
            sim.simulate_one_time_purchase(
                self.merchant,
                key=f"{key}:extra",
                customer=customer["id"],
                product=self.catalog[EXTRA_PRODUCT],
                pm=pm,
                at=bought,
            )
        row = Customer.objects.get(merchant=self.merchant, provider_customer_id=customer["id"])
        if AccessCode.objects.filter(redeemed_by=row).exists():
            return
        code = self.codes[SHOP_CODES + (index // SEVERAL_PRODUCTS_EVERY) % EXTRA_CODES]
        code.refresh_from_db()
        if code.redeemed_at is None:
            access_code_redeem(code=code.code, customer=row, now=bought + timedelta(hours=1))

    def _start(self, rng: random.Random, status: str, product: Product) -> datetime:
        """When the customer first bought: spread over 18 months, within what each status needs."""
        # Monthly subscriptions that are still running started within the last few months, so the seed stays
        # fast (one charge per month); the long history comes from yearly, one-time and canceled ones.
        if status == "trialing":
            days = rng.uniform(1, 10)
        elif status in ("past_due", "unpaid") and product.interval == "month":
            days = rng.uniform(40, 110)
        elif product.interval == "month" and status != "canceled":
            days = rng.uniform(3, 120)
        elif product.interval == "year":
            days = rng.uniform(30, 540)
        else:
            days = rng.uniform(60, 545)
        moment = self.now - timedelta(days=days)
        return moment.replace(microsecond=0)

    def _customer(self, rng, index: int, key: str, currency: str, start: datetime) -> dict:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        plain = f"{first}.{last}".lower().replace("'", "")
        plain = plain.translate(str.maketrans("éüöäíç", "euoaic"))
        email = f"{plain}{index}@{rng.choice(['example.com', 'mail.test', 'inbox.example'])}"
        return sim.simulate_customer(
            self.merchant,
            key=key,
            email=email,
            name=f"{first} {last}",
            at=start - timedelta(hours=1),
            country=rng.choice(COUNTRIES.get(currency, ["DE"])),
            description="VIP, prefers email contact" if index % 25 == 0 else "",
        )

    def _payment_method(
        self, rng, index: int, key: str, customer: dict, method: str, brand: str, start: datetime
    ) -> dict:
        # Every 20th customer pays with one of three family cards shared by several customers.
        shared = f"shared-card-{index % 3}" if index % 20 == 7 else None
        if shared:
            method, brand = "card", "visa"
        with transaction.atomic():
            return sim.simulate_payment_method(
                self.merchant,
                key=key,
                customer=customer["id"],
                at=start - timedelta(minutes=30),
                type=method,
                brand=brand or "visa",
                exp_month=rng.randint(1, 12),
                exp_year=rng.randint(2026, 2031),
                last4=None
                if method == "card" and not shared
                else ("3000" if method == "sepa_debit" else "4242"),
                country=customer["address"]["country"] or "DE",
                fingerprint_key=shared,
                make_default=False,
            )

    def _buy(
        self,
        rng,
        index: int,
        key: str,
        customer: dict,
        product: Product,
        pm: dict,
        status: str,
        start: datetime,
    ) -> list[dict]:
        """The purchase itself; returns the successful charges (for refunds and disputes)."""
        if status == "one_time":
            if index % 11 == 4:  # a declined first attempt, paid on the second
                sim.simulate_charge(
                    self.merchant,
                    key=f"{key}:declined",
                    customer=customer["id"],
                    pm=pm,
                    amount=product.amount,
                    currency=product.currency,
                    at=start - timedelta(minutes=5),
                    succeeded=False,
                    description=product.name,
                )
            return [
                sim.simulate_one_time_purchase(
                    self.merchant, key=key, customer=customer["id"], product=product, pm=pm, at=start
                )
            ]
        sim.simulate_subscription(
            self.merchant,
            key=key,
            customer=customer["id"],
            product=product,
            pm=pm,
            at=start,
            status="active" if status == "scheduled" else status,
            trial_days=14 if status == "trialing" else 0,
            cancel_at_period_end=status == "scheduled",
            now=self.now,
            canceled_after=1 + index % 4 if status == "canceled" else None,
        )
        charges = []
        for number in range(1, 40):
            charge = latest_object(
                self.merchant, so.stripe_id("ch", f"{self.merchant.slug}:{key}:inv{number}")
            )
            if charge is None:
                break
            if charge["status"] == "succeeded":
                charges.append(charge)
        return charges

    def _aftermath(self, rng, index: int, key: str, charges: list[dict]) -> None:
        """Refunds and chargebacks on some customers' payments, every outcome represented."""
        if not charges:
            return
        charge = charges[0]
        at = datetime.fromtimestamp(charge["created"], tz=UTC) + timedelta(days=2)
        at = min(at, self.now - timedelta(hours=2))
        if index % 17 == 7:
            sim.simulate_refund(self.merchant, key=f"{key}:refund-full", charge_id=charge["id"], at=at)
        elif index % 13 == 0:
            partial = max(1, charge["amount"] // 3)
            sim.simulate_refund(
                self.merchant,
                key=f"{key}:refund-part",
                charge_id=charge["id"],
                at=at,
                amount=partial,
                reason="duplicate",
            )
            if index % 26 == 0:  # a second partial refund on the same charge
                sim.simulate_refund(
                    self.merchant,
                    key=f"{key}:refund-part2",
                    charge_id=charge["id"],
                    at=at + timedelta(days=1),
                    amount=partial,
                )
        dispute_status = {
            3: "needs_response",
            8: "won",
            12: "lost",
            15: "under_review",
            17: "warning_needs_response",
        }
        status = dispute_status.get(index % 19)
        target = charges[-1] if len(charges) > 1 else charge
        if status and not (target is charge and index % 17 == 7):
            opened = datetime.fromtimestamp(target["created"], tz=UTC) + timedelta(days=5)
            if status in ("won", "lost"):
                opened = min(opened, self.now - timedelta(days=45))
            opened = min(opened, self.now - timedelta(days=4))
            if status == "under_review":  # the bank decides within weeks: a recent one, still waiting
                opened = max(
                    datetime.fromtimestamp(target["created"], tz=UTC) + timedelta(hours=1),
                    self.now - timedelta(days=20 + index % 10),
                )
            if status in ("needs_response", "warning_needs_response"):
                # Open ones were opened 10-13 days ago: the evidence is due in the next days (Stripe: 14).
                opened = max(
                    datetime.fromtimestamp(target["created"], tz=UTC) + timedelta(hours=1),
                    self.now - timedelta(days=10 + index % 4, hours=index % 7),
                )
            if opened > datetime.fromtimestamp(target["created"], tz=UTC):
                sim.simulate_dispute(
                    self.merchant,
                    key=f"{key}:dispute",
                    charge_id=target["id"],
                    at=opened,
                    status=status,
                    reason=rng.choice(["fraudulent", "product_not_received", "subscription_canceled"]),
                )

    def _redeem(self, index: int, customer: dict, start: datetime) -> None:
        """Access-code customers: the code is redeemed for the customer the pipeline created."""

        row = Customer.objects.get(merchant=self.merchant, provider_customer_id=customer["id"])
        if AccessCode.objects.filter(redeemed_by=row).exists():
            return
        ordinal = sum(1 for i in range(index) if SCENARIOS[i % len(SCENARIOS)][1] == "access_code")
        code = self.codes[ordinal % SHOP_CODES]
        code.refresh_from_db()
        if code.redeemed_at is None:
            access_code_redeem(code=code.code, customer=row, now=start)

    def _telegram(self, index: int, customer: dict) -> None:
        row = Customer.objects.filter(merchant=self.merchant, provider_customer_id=customer["id"]).first()
        if row is None:
            return
        TelegramAccount.objects.get_or_create(
            merchant=self.merchant,
            telegram_user_id=700_000_000 + self.merchant.pk * 100_000 + index,
            defaults={"customer": row, "username": (row.name.split(" ")[0].lower() + str(index))[:32]},
        )
