"""`python manage.py seed_demo`: a demo installation with a realistic book of business.

Merchants, staff users, products, Telegram chats and access codes are created directly (they are
configuration). Every customer, payment method, subscription, payment, refund and chargeback comes
through the sandbox provider: Stripe-shaped events into the inbox, applied by the real pipeline.

Idempotent: every object has a stable key, so the sandbox's ids and event ids are the same on each run, a
simulation whose object already exists is skipped, and the inbox drops any event it already holds. The
seed's clock is today's midnight (UTC), so the dates are reproducible within a day.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from access.models import TelegramAccount, TelegramChat
from customers.models import Customer
from merchants.models import Membership, Merchant, Role, User
from purchases.models import AccessCode, Product
from purchases.services import access_code_redeem
from sandbox import provider as sandbox
from sandbox import simulate as sim
from sandbox import stripe_objects as so

PASSWORD = "teller-demo-2026"
DEFAULT_CUSTOMERS = 220
# Every 16th customer (an active monthly subscriber) also buys a one-time product and redeems an access code,
# so the customer page's grouping by subscriptions / one-time payments / access codes is visible.
SEVERAL_PRODUCTS_EVERY = 16
EXTRA_PRODUCT = "starter-pack"
# Codes 0..39 are for the access-code customers (and stay partly unused); 40.. for the several-products ones.
SHOP_CODES = 40
EXTRA_CODES = 20

STAFF = [
    ("owner@demo.teller", "Olivia", "Owens", Role.OWNER),
    ("manager@demo.teller", "Marcus", "Meyer", Role.MANAGER),
    ("support@demo.teller", "Sofia", "Silva", Role.SUPPORT),
]
ADMIN = ("admin@demo.teller", "Ada", "Admin")

# key, name, kind, amount (minor units), currency, interval, allows access codes, chat keys
NORTHWIND_PRODUCTS = [
    (
        "signals-monthly",
        "Signals Club (monthly)",
        "SUBSCRIPTION",
        2900,
        "eur",
        "month",
        True,
        ["signals", "lounge"],
    ),
    (
        "signals-yearly",
        "Signals Club (yearly)",
        "SUBSCRIPTION",
        29000,
        "eur",
        "year",
        True,
        ["signals", "lounge"],
    ),
    ("trading-room", "Pro Trading Room", "SUBSCRIPTION", 4900, "usd", "month", False, ["trading"]),
    ("uk-digest", "UK Markets Digest", "SUBSCRIPTION", 1500, "gbp", "month", False, ["uk"]),
    ("tokyo-alerts", "Tokyo Session Alerts", "SUBSCRIPTION", 3000, "jpy", "month", False, ["tokyo"]),
    ("options-course", "Options Masterclass", "ONE_TIME", 14900, "eur", "", True, ["course"]),
    ("vip-lifetime", "Lifetime VIP Access", "ONE_TIME", 39900, "usd", "", True, ["signals", "vip"]),
    ("starter-pack", "Crypto Starter Pack", "ONE_TIME", 4900, "eur", "", False, []),
]
NORTHWIND_CHATS = [
    ("signals", "Northwind Signals", "CHANNEL"),
    ("lounge", "Northwind Members Lounge", "GROUP"),
    ("trading", "Pro Trading Room", "GROUP"),
    ("uk", "UK Markets Digest", "CHANNEL"),
    ("tokyo", "Tokyo Session Alerts", "CHANNEL"),
    ("course", "Options Masterclass Q&A", "GROUP"),
    ("vip", "VIP Desk", "GROUP"),
]
HARBOR_PRODUCTS = [
    ("harbor-monthly", "Sailing Club (monthly)", "SUBSCRIPTION", 1900, "usd", "month", False, ["harbor"]),
    ("harbor-ebook", "Sailing Basics e-book", "ONE_TIME", 2500, "usd", "", False, []),
]
HARBOR_CHATS = [("harbor", "Seaside Sailing Crew", "GROUP")]

# What each customer did, cycling so every status and method appears many times:
# (product key, final status or "one_time" / "access_code", payment method type, card brand)
SCENARIOS = [
    ("signals-monthly", "active", "card", "visa"),
    ("signals-yearly", "active", "sepa_debit", ""),
    ("trading-room", "trialing", "card", "mastercard"),
    ("signals-monthly", "past_due", "card", "visa"),
    ("uk-digest", "unpaid", "card", "mastercard"),
    ("signals-monthly", "canceled", "sepa_debit", ""),
    ("trading-room", "scheduled", "card", "amex"),
    ("options-course", "one_time", "card", "visa"),
    ("vip-lifetime", "one_time", "card", "mastercard"),
    ("signals-monthly", "access_code", "", ""),
    ("tokyo-alerts", "active", "card", "jcb"),
    ("starter-pack", "one_time", "sepa_debit", ""),
    ("uk-digest", "active", "card", "visa"),
    ("signals-yearly", "canceled", "card", "visa"),
    ("options-course", "access_code", "", ""),
    ("trading-room", "active", "card", "visa"),
]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Elif",
    "Finn",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kenji",
    "Lena",
    "Mateo",
    "Nora",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "William",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Carla",
    "Dmitri",
    "Emma",
    "Felix",
    "Hana",
    "Ivan",
]
LAST_NAMES = [
    "Novak",
    "Schmidt",
    "Rossi",
    "García",
    "Dubois",
    "Jansen",
    "Kowalski",
    "Nielsen",
    "Yamamoto",
    "Smith",
    "Brown",
    "Müller",
    "Silva",
    "Ferreira",
    "Horvat",
    "Lindqvist",
    "O'Brien",
    "Papadopoulos",
    "Weber",
    "Tanaka",
    "Moreau",
    "Costa",
    "Fischer",
    "Ivanova",
    "Murphy",
    "Bianchi",
    "Keller",
    "Sato",
]
COUNTRIES = {
    "eur": ["DE", "FR", "NL", "ES", "IT", "AT", "BE"],
    "usd": ["US", "CA"],
    "gbp": ["GB"],
    "jpy": ["JP"],
}


@dataclass
class Counts:
    customers: int = 0
    events_before: int = 0


def seed_clock() -> datetime:
    """Today's midnight UTC: the same all day, so same-day re-runs produce identical events."""
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


class Command(BaseCommand):
    help = "Create the demo merchants, staff and >200 customers through the sandbox provider (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"Customers of the main demo merchant (default {DEFAULT_CUSTOMERS}).",
        )

    def handle(self, *args, customers: int, **options):
        app = current_app  # the project's Celery app (config/celery.py makes it current)
        # Apply inline even when a broker is configured: the seed reads back what it created (a redeemed
        # access code needs its customer row), and a demo should be complete when the command returns.
        previous = app.conf.task_always_eager, settings.DEBUG
        # DEBUG would keep every one of the ~30 000 queries in memory.
        app.conf.task_always_eager, settings.DEBUG = True, False
        try:
            with sandbox.inline_apply():
                self._seed(customers)
        finally:
            app.conf.task_always_eager, settings.DEBUG = previous

    def _seed(self, customers: int) -> None:
        started = time.monotonic()
        now = seed_clock()
        northwind, harbor = self._merchants()
        users = self._users(northwind, harbor)
        catalog = {
            northwind.pk: self._catalog(northwind, NORTHWIND_PRODUCTS, NORTHWIND_CHATS),
            harbor.pk: self._catalog(harbor, HARBOR_PRODUCTS, HARBOR_CHATS),
        }
        codes = self._access_codes(northwind, catalog[northwind.pk], users[0])
        seeder = Seeder(northwind, catalog[northwind.pk], codes, now)
        for index in range(customers):
            seeder.customer(index)
        harbor_seeder = Seeder(harbor, catalog[harbor.pk], [], now)
        for index in range(12):
            harbor_seeder.customer(index, harbor=True)
        self._print_box(northwind, harbor, time.monotonic() - started)

    # --- configuration rows (created directly) -----------------------------------------------------------
    def _merchants(self) -> tuple[Merchant, Merchant]:
        northwind, _ = Merchant.objects.get_or_create(
            slug="northwind",
            defaults={
                "name": "Northwind Channels",
                "provider": Merchant.Provider.SANDBOX,
                "default_currency": "eur",
                "support_credit_limit": 10_000,
            },
        )
        harbor, _ = Merchant.objects.get_or_create(
            slug="seaside",
            defaults={
                "name": "Seaside Sailing Academy",
                "provider": Merchant.Provider.SANDBOX,
                "default_currency": "usd",
                "support_credit_limit": 5_000,
            },
        )
        return northwind, harbor

    def _users(self, northwind: Merchant, harbor: Merchant) -> list[User]:
        users = []
        for email, first, last, role in STAFF:
            user = _user(email, first, last)
            Membership.objects.get_or_create(user=user, merchant=northwind, defaults={"role": role})
            users.append(user)
        # The owner runs both merchants: the merchant switcher has something to switch.
        Membership.objects.get_or_create(user=users[0], merchant=harbor, defaults={"role": Role.OWNER})
        _user(*ADMIN, superuser=True)
        return users

    def _catalog(self, merchant: Merchant, products, chats) -> dict[str, Product]:
        chat_rows = {}
        for number, (key, title, kind) in enumerate(chats):
            chat_id = -1002000000000 - (merchant.pk * 1000) - number
            chat_rows[key], _ = TelegramChat.objects.get_or_create(
                merchant=merchant, chat_id=chat_id, defaults={"title": title, "kind": kind}
            )
        catalog = {}
        for key, name, kind, amount, currency, interval, codes, chat_keys in products:
            product, _ = Product.objects.get_or_create(
                merchant=merchant,
                provider_product_id=so.stripe_id("prod", f"{merchant.slug}:{key}", 14),
                defaults={
                    "name": name,
                    "kind": kind,
                    "amount": amount,
                    "currency": currency,
                    "interval": interval,
                    "allows_access_codes": codes,
                    "provider_price_id": so.stripe_id("price", f"{merchant.slug}:{key}"),
                },
            )
            for chat_key in chat_keys:
                chat_rows[chat_key].products.add(product)
            catalog[key] = product
        return catalog

    def _access_codes(
        self, merchant: Merchant, catalog: dict[str, Product], creator: User
    ) -> list[AccessCode]:
        """Codes with stable values: the seed redeems some, the rest stay available."""
        codes = []
        specs = [
            ("signals-monthly", "MONTHS", 3),
            ("options-course", "LIFETIME", None),
            ("vip-lifetime", "YEARS", 1),
        ]
        for number in range(SHOP_CODES + EXTRA_CODES):
            product_key, duration, count = specs[number % len(specs)]
            if number >= SHOP_CODES:  # lifetime: their Telegram access never ends (the demo has no bot token)
                product_key, duration, count = specs[1]
            value = "DEMO" + so.stripe_id("x", f"{merchant.slug}:code:{number}", 8)[2:].upper()
            value = "".join(c if c not in "O0I1" else "X" for c in value)
            code, created = AccessCode.objects.get_or_create(
                code=value,
                defaults={
                    "merchant": merchant,
                    "duration": duration,
                    "duration_count": count,
                    "batch": "demo-seed",
                    "created_by": creator,
                },
            )
            if created:
                code.products.set([catalog[product_key]])
            codes.append(code)
        return codes

    def _print_box(self, northwind: Merchant, harbor: Merchant, seconds: float) -> None:
        lines = [
            "Teller demo is ready",
            "",
            f"URL:       {settings.TELLER_PUBLIC_URL.rstrip('/')}/",
            f"Merchants: {northwind.name} ({Customer.objects.filter(merchant=northwind).count()} customers), "
            f"{harbor.name} ({Customer.objects.filter(merchant=harbor).count()} customers)",
            "",
            *(f"{role.label:<9}  {email:<22} password: {PASSWORD}" for email, _, _, role in STAFF),
            f"{'Admin':<9}  {ADMIN[0]:<22} password: {PASSWORD}  (/admin/)",
            "",
            f"The owner also runs {harbor.name} (merchant switcher).",
            f"Seeded in {seconds:.1f} s.",
        ]
        width = max(len(line) for line in lines) + 2
        self.stdout.write("┌" + "─" * width + "┐")
        for line in lines:
            self.stdout.write("│ " + line.ljust(width - 1) + "│")
        self.stdout.write("└" + "─" * width + "┘")


_password_hash: list[str] = []


def _user(email: str, first: str, last: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    # One hash for the four demo accounts (they share the printed password): hashing is the slowest step.
    if not _password_hash:
        _password_hash.append(make_password(PASSWORD))
    user = User(
        email=email,
        first_name=first,
        last_name=last,
        is_staff=superuser,
        is_superuser=superuser,
        password=_password_hash[0],
    )
    user.save()
    return user


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
            charge = sim.latest_object(
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
