"""The customers list's filters and the customer page's Transactions tab filters (django-filter). Every value
arrives from the URL, so a bad one is ignored (the form error becomes a visible note), never an error page."""

import django_filters
from django.db import connections
from django.db.models import Exists, OuterRef

from customers.filters import MIN_SUBSTRING_LENGTH, search_filter, search_q
from customers.models import Customer, ProviderKind
from purchases.models import Product, Purchase
from transactions.filters import TransactionFilter

YES_NO = [("yes", "Yes"), ("no", "No")]
SORT_CHOICES = [("newest", "Newest first"), ("oldest", "Oldest first")]


def merchant_products(request):
    merchant = getattr(request, "merchant", None)
    return Product.objects.for_merchant(merchant).order_by("name") if merchant else Product.objects.none()


class CustomerFilter(django_filters.FilterSet):
    q = search_filter(placeholder="Name, email, customer ID or cus_…", aria_label="Search customers")
    product = django_filters.ModelChoiceFilter(
        queryset=merchant_products,
        method="filter_product",
        label="Product",
        empty_label="All products",
    )
    provider = django_filters.ChoiceFilter(
        choices=ProviderKind.choices,
        method="filter_provider",
        label="Payment provider",
        empty_label="All providers",
    )
    access_code = django_filters.ChoiceFilter(
        choices=[("yes", "Used an access code"), ("no", "No access code")],
        method="filter_access_code",
        label="Access code",
        empty_label="Any",
    )
    blocked = django_filters.ChoiceFilter(
        choices=[("yes", "Blocked"), ("no", "Not blocked")],
        method="filter_blocked",
        label="Blocked",
        empty_label="Any",
    )
    # Applied by the keyset paginator (it needs the sort column); here only validated and shown.
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="keep", label="Sort", empty_label=None)

    class Meta:
        model = Customer
        fields = []

    def filter_search(self, queryset, name, value):
        merchant = getattr(self.request, "merchant", None)
        return queryset.filter(search_q(value, merchant)) if value.strip() else queryset

    def filter_product(self, queryset, name, value):
        bought = Purchase.objects.filter(customer=OuterRef("pk"), product=value)
        return queryset.filter(Exists(bought))

    def filter_provider(self, queryset, name, value):
        if connections[queryset.db].vendor == "postgresql":
            # jsonb containment: the planner knows from its statistics how common each provider is (a text
            # LIKE on the cast column gets a blind guess, and a needless parallel plan).
            return queryset.filter(providers_used__contains=[value])
        # JSON list stored as text on SQLite: a quoted element matches.
        return queryset.filter(providers_used__icontains=f'"{value}"')

    def filter_access_code(self, queryset, name, value):
        return queryset.filter(used_access_code=(value == "yes"))

    def filter_blocked(self, queryset, name, value):
        return queryset.filter(is_blocked=(value == "yes"))

    def keep(self, queryset, name, value):
        return queryset

    def valid_data(self) -> dict:
        """The values that passed validation (invalid ones are left out, as filter_queryset leaves them)."""
        self.form.errors  # noqa: B018 - runs validation
        return getattr(self.form, "cleaned_data", {})

    @property
    def is_oldest_first(self) -> bool:
        return self.valid_data().get("sort") == "oldest"

    @property
    def search_notes(self) -> list[str]:
        """Tells the user when a short search matched by prefix only."""
        term = (self.valid_data().get("q") or "").strip()
        if term and len(term) < MIN_SUBSTRING_LENGTH:  # no exact id or email is that short
            return [
                f"Showing names and emails starting with “{term}”; type at least "
                f"{MIN_SUBSTRING_LENGTH} characters to search within them."
            ]
        return []

    @property
    def is_filtered(self) -> bool:
        data = self.valid_data()
        return any(data.get(name) for name in ("q", "product", "provider", "access_code", "blocked"))


class CustomerTransactionFilter(TransactionFilter):
    """The customer page's Transactions tab: the transactions list's filters (type, status, method, date
    range, blocked detail) without its search, which finds customers, not rows of one customer."""

    q = None
