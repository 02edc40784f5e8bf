"""Display labels every page shares: card brands as the networks spell them, durations with their plural."""

# Stripe's card.brand values (lowercase ids) -> the network's own spelling; `str.title()` gave "Jcb", "Amex".
CARD_BRANDS = {
    "amex": "American Express",
    "american_express": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "eftpos Australia",
    "interac": "Interac",
    "jcb": "JCB",
    "link": "Link",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
    "unknown": "Card",
}

_UNITS = {"DAYS": "day", "MONTHS": "month", "YEARS": "year", "day": "day", "month": "month", "year": "year"}


def card_brand(brand: str) -> str:
    """ "jcb" -> "JCB"; an unknown brand is shown readably rather than hidden."""
    brand = str(brand or "")
    return CARD_BRANDS.get(brand.lower(), brand.replace("_", " ").title())


def duration_label(count: int | None, unit: str) -> str:
    """(1, "YEARS") -> "1 year", (3, "MONTHS") -> "3 months"; a unit it does not know is returned as given."""
    singular = _UNITS.get(unit)
    if singular is None or count is None:
        return str(unit or "").lower()
    return f"{count} {singular}" if count == 1 else f"{count} {singular}s"
