"""The demo seed (`manage.py seed_demo`): what it creates, as data (merchants' products and chats, staff,
the customer scenarios, names) and the seed's clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from merchants.models import Role

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
