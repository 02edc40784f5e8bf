"""`python manage.py seed_demo`: a demo installation with a realistic book of business.

Merchants, staff users, products, Telegram chats and access codes are created directly (they are
configuration). Every customer, payment method, subscription, payment, refund and chargeback comes
through the sandbox provider: Stripe-shaped events into the inbox, applied by the real pipeline.

Idempotent: every object has a stable key, so the sandbox's ids and event ids are the same on each run, a
simulation whose object already exists is skipped, and the inbox drops any event it already holds. The
seed's clock is today's midnight (UTC), so the dates are reproducible within a day.

The data and the builders are in sandbox/demo/ (`data`, `config_rows`, `seeder`); this is the command.
"""

from __future__ import annotations

import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand

from customers.models import Customer
from merchants.models import Merchant
from sandbox import provider as sandbox
from sandbox.demo import config_rows
from sandbox.demo.data import (
    ADMIN,
    DEFAULT_CUSTOMERS,
    HARBOR_CHATS,
    HARBOR_PRODUCTS,
    NORTHWIND_CHATS,
    NORTHWIND_PRODUCTS,
    PASSWORD,
    STAFF,
    seed_clock,
)
from sandbox.demo.seeder import Seeder


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
        northwind, harbor = config_rows.merchants()
        users = config_rows.users(northwind, harbor)
        catalog = {
            northwind.pk: config_rows.catalog(northwind, NORTHWIND_PRODUCTS, NORTHWIND_CHATS),
            harbor.pk: config_rows.catalog(harbor, HARBOR_PRODUCTS, HARBOR_CHATS),
        }
        codes = config_rows.access_codes(northwind, catalog[northwind.pk], users[0])
        seeder = Seeder(northwind, catalog[northwind.pk], codes, now)
        for index in range(customers):
            seeder.customer(index)
        harbor_seeder = Seeder(harbor, catalog[harbor.pk], [], now)
        for index in range(12):
            harbor_seeder.customer(index, harbor=True)
        self._print_box(northwind, harbor, time.monotonic() - started)

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
