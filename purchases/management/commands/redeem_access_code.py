"""Redeem an access code for a customer (the buyers' storefront is outside Teller; support can do it here).

manage.py redeem_access_code ABCD2345EFGH --customer K3J9... --merchant acme
manage.py redeem_access_code ABCD2345EFGH --customer buyer@example.org --merchant acme
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers.models import Customer
from merchants.models import Merchant
from purchases.services import AccessCodeError, access_code_redeem


class Command(BaseCommand):
    help = "Redeem an access code for a customer (by public id or email) of a merchant."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--customer", required=True, help="Customer public id or email")
        parser.add_argument("--merchant", required=True, help="Merchant slug")

    def handle(self, *args, code, customer, merchant, **options):
        merchant_obj = Merchant.objects.filter(slug=merchant).first()
        if merchant_obj is None:
            raise CommandError(f"No merchant with slug {merchant!r}.")
        buyer = self._customer(merchant_obj, customer)
        try:
            purchases = access_code_redeem(code=code, customer=buyer, now=timezone.now())
        except AccessCodeError as error:
            raise CommandError(error.message) from error
        for purchase in purchases:
            until = purchase.access_expires_at.isoformat() if purchase.access_expires_at else "lifetime"
            self.stdout.write(f"{buyer.public_id}: {purchase.product.name} (access: {until})")
        self.stdout.write(self.style.SUCCESS(f"Redeemed {code} for {buyer.display_name}."))

    def _customer(self, merchant, ref: str) -> Customer:
        customers = Customer.objects.for_merchant(merchant)
        found = customers.filter(public_id=ref.strip().upper()).first()
        if found is None and "@" in ref:
            matches = list(customers.filter(email__iexact=ref.strip())[:2])
            if len(matches) > 1:
                raise CommandError(f"Several customers use {ref}; pass the public id instead.")
            found = matches[0] if matches else None
        if found is None:
            raise CommandError(f"No customer {ref!r} at {merchant.slug}.")
        return found
