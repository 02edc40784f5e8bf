import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.money import MAX_MAJOR_DIGITS, AmountError, format_money, parse_amount

CURRENCIES = ["eur", "usd", "gbp", "chf", "jpy", "krw", "kwd", "bhd"]


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.5", "eur", 1250),
        ("12,50", "eur", 1250),
        ("1 000.00", "eur", 100000),
        ("1\u00a0000,00", "eur", 100000),
        ("1,000.00", "usd", 100000),
        ("1.000,00", "eur", 100000),
        ("1'000.50", "chf", 100050),
        ("1,000,000", "eur", 100000000),
        ("0.01", "eur", 1),
        (".5", "eur", 50),
        ("€12.50", "eur", 1250),
        ("12.50 EUR", "eur", 1250),
        ("1000", "jpy", 1000),
        ("1,000", "jpy", 1000),
        ("¥1,000", "jpy", 1000),
        ("12.345", "kwd", 12345),
    ],
)
def test_amounts_are_read_by_the_currencys_decimal_places(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("0", "eur", "greater than zero"),
        ("0.00", "eur", "greater than zero"),
        ("-5", "eur", "greater than zero"),
        ("−5", "eur", "greater than zero"),
        ("12.5", "jpy", "no decimal places"),
        ("12.5000", "eur", "at most 2 decimal places"),
        ("12.505", "eur", "ambiguous"),
        ("1,000", "eur", "ambiguous"),
        ("abc", "eur", "Enter a number"),
        ("NaN", "eur", "Enter a number"),
        ("inf", "eur", "Enter a number"),
        ("1e5", "eur", "Enter a number"),
        ("１２", "eur", "Enter a number"),
        ("", "eur", "Enter an amount"),
        ("10 00", "eur", "grouped by three"),
        ("1,000.000.00", "eur", "one decimal separator"),
        ("99999999999", "eur", "too large"),
        ("1" * 200, "eur", "Enter an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(text, currency, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency)


def test_the_error_is_a_value_error_so_forms_can_catch_either():
    with pytest.raises(ValueError):
        parse_amount("twelve", "eur")


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=10**MAX_MAJOR_DIGITS - 1), currency=st.sampled_from(CURRENCIES)
)
def test_a_formatted_amount_reads_back_to_the_same_minor_units(amount, currency):
    assert parse_amount(format_money(amount, currency), currency) == amount


@settings(max_examples=300, deadline=None)
@given(major=st.integers(min_value=0, max_value=10**6), minor=st.integers(min_value=0, max_value=99))
def test_comma_and_dot_decimals_read_the_same(major, minor):
    amount = major * 100 + minor
    if amount == 0:
        return
    assert (
        parse_amount(f"{major},{minor:02d}", "eur") == parse_amount(f"{major}.{minor:02d}", "eur") == amount
    )


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=80), currency=st.sampled_from(CURRENCIES))
def test_hostile_text_never_crashes_and_never_gives_a_value_of_zero_or_less(text, currency):
    try:
        value = parse_amount(text, currency)
    except AmountError:
        return
    assert isinstance(value, int) and value > 0


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(alphabet="0123456789.,-+ eE€$'\u00a0", max_size=24),
    currency=st.sampled_from(CURRENCIES),
)
def test_number_like_text_is_either_refused_or_a_positive_bounded_amount(text, currency):
    try:
        value = parse_amount(text, currency)
    except AmountError:
        return
    assert 0 < value < 10 ** (MAX_MAJOR_DIGITS + 3)


@settings(max_examples=200, deadline=None)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_float_renderings_including_nan_and_infinity_are_never_accepted_as_non_positive(value):
    try:
        parsed = parse_amount(repr(value), "eur")
    except AmountError:
        return
    assert parsed > 0 and math.isfinite(value) and value > 0
