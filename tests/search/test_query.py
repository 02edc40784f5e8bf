"""The query language parser: each form, each error; hostile input only ever raises QueryError."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.query import MAX_LENGTH, MAX_TERMS, QueryError, parse
from transactions.models import Transaction

STATUSES = dict(Transaction.Status.choices)


def one(raw):
    query = parse(raw, statuses=STATUSES)
    assert len(query.terms) == 1, query
    return query.terms[0]


@pytest.mark.parametrize("word", ["cus_Abc123", "ch_3Nx", "pi_1", "in_9", "re_X", "dp_Y", "sub_Z9"])
def test_provider_ids_keep_their_prefix(word):
    term = one(word)
    assert (term.kind, term.value, term.id_prefix) == ("id", word, word.split("_")[0] + "_")
    assert parse(word, statuses=STATUSES).exact_id == term


def test_public_id_is_upper_cased_and_exact():
    term = one("ab12cd34ef56")
    assert (term.kind, term.value) == ("public_id", "AB12CD34EF56")
    assert one("ABCDEFGHIJKL").kind == "public_id"  # no digit, typed in capitals as staff read it out
    assert one("abcdefghijkl").kind == "text"  # no digit, lower case: a word


def test_email_free_and_operator():
    assert (one("ada@example.com").kind, one("email:ada@example.com").kind) == ("email", "email")
    assert one("EMAIL:ada@example.com").value == "ada@example.com"


def test_four_digits_are_last4_or_amount():
    term = one("4242")
    assert (term.kind, term.value, term.also_amount) == ("last4", "4242", True)
    strict = one("last4:4242")
    assert (strict.kind, strict.also_amount) == ("last4", False)


@pytest.mark.parametrize(
    "raw,op,value",
    [
        ("49", "=", "49"),
        ("49.00", "=", "49.00"),
        ("amount:49", "=", "49"),
        ("amount:>100", ">", "100"),
        ("amount:<100", "<", "100"),
        ("amount:>=10.5", ">=", "10.5"),
        ("amount:<=7", "<=", "7"),
        ("amount:=3", "=", "3"),
    ],
)
def test_amounts(raw, op, value):
    term = one(raw)
    assert (term.kind, term.op, term.value) == ("amount", op, Decimal(value))


def test_status_by_code_or_label():
    assert one("status:refunded").value == "REFUNDED"
    assert one("status:partially-refunded").value == "PARTIALLY_REFUNDED"
    assert one("status:inquiry").value == "WARNING"  # the label staff see


def test_dates_month_and_day_end_exclusive():
    month = one("date:2026-11")
    assert (month.value, month.end) == (date(2026, 11, 1), date(2026, 12, 1))
    december = one("date:2026-12")
    assert december.end == date(2027, 1, 1)
    day = one("date:2026-11-05")
    assert (day.value, day.end) == (date(2026, 11, 5), date(2026, 11, 6))


def test_terms_and_together_and_quotes_keep_a_phrase():
    query = parse('"Ada Lovelace" status:refunded date:2026-11', statuses=STATUSES)
    assert [t.kind for t in query.terms] == ["text", "status", "date"]
    assert query.terms[0].value == "Ada Lovelace"
    assert query.exact_id is None


@pytest.mark.parametrize(
    "raw,message",
    [
        ("colour:red", "Unknown operator “colour:”"),
        ("amount:lots", "write an amount like"),
        ("amount:>", "write an amount like"),
        ("amount:-5", "write an amount like"),
        ("last4:12", "last four digits"),
        ("status:nope", "Unknown status “nope”"),
        ("date:2026-13", "write a month or a day"),
        ("date:2026-02-30", "write a month or a day"),
        ("date:0000-01", "write a month or a day"),
        ("date:yesterday", "write a month or a day"),
        ("email:nobody", "full email address"),
        ("email:", "needs a value"),
        ('"unclosed', "quote is not closed"),
        ("x" * (MAX_LENGTH + 1), "too long"),
        ("ada\x00", "control character"),
        (" ".join(["a"] * (MAX_TERMS + 1)), "Too many terms"),
    ],
)
def test_bad_input_is_a_clear_error(raw, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(")):
        parse(raw, statuses=STATUSES)


def test_unicode_is_text():
    assert one("Zoë").value == "Zoë"
    assert one("日本").kind == "text"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=250))
def test_any_text_parses_or_raises_query_error(raw):
    try:
        query = parse(raw, statuses=STATUSES)
    except QueryError as error:
        assert str(error)
        return
    assert len(query.terms) <= MAX_TERMS
    for term in query.terms:
        assert term.kind in {"id", "public_id", "email", "last4", "amount", "status", "date", "text"}
