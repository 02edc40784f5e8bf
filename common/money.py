"""Money is an integer amount in minor units plus an ISO currency; babel knows each currency's exponent."""

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision, get_currency_symbol


def currency_exponent(currency: str) -> int:
    return get_currency_precision(currency.upper())


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-currency_exponent(currency))


def format_money(amount: int | None, currency: str, locale: str = "en_US") -> str:
    if amount is None or not currency:
        return "—"
    return format_currency(to_major(amount, currency), currency.upper(), locale=locale)


# --- Reading amounts typed by staff ---------------------------------------------------------------------
#
# parse_amount("1 000,50", "eur") == 100050. The rules, in order:
# - an optional currency symbol or code around the number is ignored ("€12.50", "12.50 EUR");
# - ASCII digits only, with "." and "," as separators and space / no-break space / apostrophe as grouping;
# - both "." and "," present: the last one is the decimal separator ("1,000.00", "1.000,00");
# - one of them several times: it groups thousands ("1,000,000");
# - one of them once: it is the decimal separator ("12.5", "12,50"), except when exactly three digits
#   follow it: for a currency without decimals (JPY) that is grouping ("1,000"), for a three-decimal
#   currency (KWD) it is the decimal separator ("12.345"), and otherwise ("1,000" in EUR: one thousand,
#   or a typo?) it is refused as ambiguous rather than guessed;
# - grouping must be real thousands groups; more decimals than the currency has, zero, negatives, words,
#   NaN / infinity and absurd sizes are refused with a message staff can act on.

import re  # noqa: E402

_GROUPING_SPACES = " \u00a0\u202f\u2009'\u2019"
_ALLOWED = re.compile(rf"[0-9.,{re.escape(_GROUPING_SPACES)}]+")
_MAX_TEXT_LENGTH = 64
MAX_MAJOR_DIGITS = 10  # up to 9,999,999,999 major units: beyond that it is a typo, not a payment


class AmountError(ValueError):
    """The text is not a usable amount; `message` says why, in words for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def amount_example(currency: str) -> str:
    """How an amount is written in this currency, for messages and placeholders: "12.50", "1250", "12.345"."""
    exponent = currency_exponent(currency)
    return "1250" if exponent == 0 else "12." + "50"[:exponent].ljust(exponent, "0")


def _strip_currency(text: str, currency: str) -> str:

    for mark in {currency.upper(), get_currency_symbol(currency.upper(), locale="en_US")}:
        if text.upper().startswith(mark.upper()):
            text = text[len(mark) :].strip()
        if text.upper().endswith(mark.upper()):
            text = text[: len(text) - len(mark)].strip()
    return text


def _split(text: str, exponent: int) -> tuple[str, str | None]:
    """(integer part with its grouping, decimal digits or None) following the rules above."""
    dot, comma = text.rfind("."), text.rfind(",")
    if dot >= 0 and comma >= 0:
        decimal_at = max(dot, comma)
        if text.count(text[decimal_at]) > 1:
            raise AmountError("Use one decimal separator, like 1,000.00 or 1.000,00.")
        return text[:decimal_at], text[decimal_at + 1 :]
    separator = "." if dot >= 0 else "," if comma >= 0 else ""
    if not separator or text.count(separator) > 1:
        return text, None
    integer, decimals = text.split(separator)
    if len(decimals) == 3 and exponent != 3:
        if exponent == 0:
            return text, None
        raise AmountError(
            f"“{text}” is ambiguous: write {integer}{decimals} for thousands, or at most {exponent} decimals."
        )
    return integer, decimals


def _integer_digits(integer: str) -> str:
    """The digits of the integer part, after checking that any grouping splits it into thousands."""
    for space in _GROUPING_SPACES:
        integer = integer.replace(space, " ")
    groupings = {char for char in integer if not char.isdigit()}
    if len(groupings) > 1:
        raise AmountError("Group thousands one way only, like 1 000 or 1,000.")
    if groupings:
        groups = integer.split(groupings.pop())
        if not (1 <= len(groups[0]) <= 3) or any(len(group) != 3 for group in groups[1:]):
            raise AmountError("Thousands are grouped by three digits, like 1,000,000.")
    return "".join(char for char in integer if char.isdigit())


def parse_amount(text: str, currency: str) -> int:
    """Read an amount typed by staff into minor units of `currency`. Raises AmountError with the reason."""
    exponent = currency_exponent(currency)
    example = amount_example(currency)
    if not isinstance(text, str) or len(text) > _MAX_TEXT_LENGTH:
        raise AmountError(f"Enter an amount, like {example}.")
    text = _strip_currency(text.strip(), currency)
    if not text:
        raise AmountError("Enter an amount.")
    if text[0] in "-−–‐﹣－":
        raise AmountError("Enter an amount greater than zero.")
    if not _ALLOWED.fullmatch(text):
        raise AmountError(f"Enter a number, like {example}.")
    integer, decimals = _split(text, exponent)
    if decimals is not None:
        if not decimals.isascii() or not decimals.isdigit():
            raise AmountError(f"Enter digits after the decimal separator, like {example}.")
        if len(decimals) > exponent:
            raise AmountError(
                f"{currency.upper()} has no decimal places."
                if exponent == 0
                else f"{currency.upper()} has at most {exponent} decimal places."
            )
    digits = _integer_digits(integer)
    if not digits and decimals is None:
        raise AmountError(f"Enter a number, like {example}.")
    if len(digits.lstrip("0")) > MAX_MAJOR_DIGITS:
        raise AmountError("That amount is too large.")
    value = int(digits or "0") * 10**exponent + int((decimals or "").ljust(exponent, "0") or "0")
    if value <= 0:
        raise AmountError("Enter an amount greater than zero.")
    return value
