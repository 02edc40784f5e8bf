"""The demo seed's configuration rows, created directly (not through the sandbox): merchants, staff users,
products and Telegram chats, access codes."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from access.models import TelegramChat
from merchants.models import Membership, Merchant, Role, User
from purchases.models import AccessCode, Product
from sandbox import stripe_objects as so

from .data import ADMIN, EXTRA_CODES, PASSWORD, SHOP_CODES, STAFF


def merchants() -> tuple[Merchant, Merchant]:
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


def users(northwind: Merchant, harbor: Merchant) -> list[User]:
    users = []
    for email, first, last, role in STAFF:
        user = _user(email, first, last)
        Membership.objects.get_or_create(user=user, merchant=northwind, defaults={"role": role})
        users.append(user)
    # The owner runs both merchants: the merchant switcher has something to switch.
    Membership.objects.get_or_create(user=users[0], merchant=harbor, defaults={"role": Role.OWNER})
    _user(*ADMIN, superuser=True)
    return users


def catalog(merchant: Merchant, products, chats) -> dict[str, Product]:
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


def access_codes(merchant: Merchant, catalog: dict[str, Product], creator: User) -> list[AccessCode]:
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
