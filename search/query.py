"""The global search's query language, parsed into terms (no database, no domain models).

    ada@example.com  cus_123  ch_3Nx  4242  49.00  "Ada Lovelace"
    email:ada@example.com  last4:4242  amount:>100  amount:<=49.99  status:refunded
    date:2026-11  date:2026-11-05

Words are separated by spaces ("double quotes" keep a phrase together); every term must match (AND). A word
that is not an operator is free text: an id with a known prefix, a customer public id, an email, four digits
(a card's last 4 or an amount), an amount, or a name / email fragment. A bad operator or value raises
`QueryError` with a message meant for the user; nothing is searched then.
"""

import re
import shlex
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_LENGTH = 200
MAX_TERMS = 8
OPERATORS = ("email", "last4", "amount", "status", "date")
ID_PREFIXES = ("cus_", "ch_", "pi_", "in_", "re_", "dp_", "sub_")
ID_RE = re.compile(r"^(cus|ch|pi|in|re|dp|sub)_[A-Za-z0-9_]+$")
PUBLIC_ID_RE = re.compile(r"^(?=.*\d)[A-Z0-9]{12}$")
# A public id may have no digit (one in fifty): typed in capitals, twelve letters are read as one.
PUBLIC_ID_LETTERS_RE = re.compile(r"^[A-Z]{12}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LAST4_RE = re.compile(r"^\d{4}$")
AMOUNT_RE = re.compile(r"^\d{1,12}(\.\d{1,3})?$")
AMOUNT_OP_RE = re.compile(r"^(>=|<=|>|<|=)?(.*)$")
OPERATOR_RE = re.compile(r"^([A-Za-z][A-Za-z0-9]*):(.*)$", re.DOTALL)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class QueryError(ValueError):
    """The query cannot be searched; str() is shown to the user."""


@dataclass(frozen=True)
class Term:
    """kind: "id" (value keeps its prefix), "public_id", "email", "last4", "amount", "status", "date", "text".

    For "amount" `value` is a Decimal in major units and `op` one of = > < >= <=; a bare four-digit word is
    kind "last4" with `also_amount` set (it may be either). For "date" `start` / `end` are dates, end
    exclusive."""

    kind: str
    value: object
    op: str = "="
    end: object = None
    also_amount: bool = False

    @property
    def id_prefix(self) -> str:
        return str(self.value).split("_", 1)[0] + "_" if self.kind == "id" else ""


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @property
    def exact_id(self) -> Term | None:
        """The one id or public id the whole query is, if it is just that (it may redirect)."""
        if len(self.terms) == 1 and self.terms[0].kind in ("id", "public_id"):
            return self.terms[0]
        return None

    def of_kind(self, *kinds: str) -> list[Term]:
        return [term for term in self.terms if term.kind in kinds]

    @property
    def text(self) -> str:
        return " ".join(str(term.value) for term in self.terms)


def _words(raw: str) -> list[str]:
    lexer = shlex.shlex(raw, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""  # a backslash is a plain character
    try:
        return list(lexer)
    except ValueError:
        raise QueryError('A quote is not closed: add the closing " or remove it.') from None


def _amount(text: str, original: str) -> tuple[str, Decimal]:
    op, number = AMOUNT_OP_RE.match(text).groups()
    number = number.strip()
    if not AMOUNT_RE.match(number):
        raise QueryError(
            f"“{original}”: write an amount like amount:49, amount:49.00 or amount:>100 (also <, >=, <=, =)."
        )
    try:
        return op or "=", Decimal(number)
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise QueryError(f"“{original}” is not an amount.") from None


def _date(text: str, original: str) -> tuple[date, date]:
    try:
        if match := DAY_RE.match(text):
            year, month, day = map(int, match.groups())
            start = date(year, month, day)
            return start, date.fromordinal(start.toordinal() + 1)
        if match := MONTH_RE.match(text):
            year, month = map(int, match.groups())
            start = date(year, month, 1)
            return start, date(year + month // 12, month % 12 + 1, 1)
    except (ValueError, OverflowError):
        pass
    raise QueryError(f"“{original}”: write a month or a day, like date:2026-11 or date:2026-11-05.")


def _operator(name: str, value: str, word: str, statuses: dict[str, str]) -> Term:
    key = name.lower()
    if key not in OPERATORS:
        known = ", ".join(f"{op}:" for op in OPERATORS)
        raise QueryError(f"Unknown operator “{name}:”. Use one of {known} or search without an operator.")
    if not value:
        raise QueryError(f"“{word}” needs a value after the colon.")
    if key == "email":
        if not EMAIL_RE.match(value):
            raise QueryError(f"“{word}”: write a full email address, like email:ada@example.com.")
        return Term("email", value)
    if key == "last4":
        if not LAST4_RE.match(value):
            raise QueryError(f"“{word}”: write the card's last four digits, like last4:4242.")
        return Term("last4", value)
    if key == "amount":
        op, amount = _amount(value, word)
        return Term("amount", amount, op=op)
    if key == "status":
        wanted = value.upper().replace("-", "_").replace(" ", "_")
        by_label = {label.upper().replace(" ", "_"): code for code, label in statuses.items()}
        code = wanted if wanted in statuses else by_label.get(wanted)
        if code is None:
            names = ", ".join(sorted(code.lower() for code in statuses))
            raise QueryError(f"Unknown status “{value}”. Use one of: {names}.")
        return Term("status", code)
    start, end = _date(value, word)
    return Term("date", start, end=end)


def _free(word: str) -> Term:
    if ID_RE.match(word):
        return Term("id", word)
    if PUBLIC_ID_RE.match(word.upper()) or PUBLIC_ID_LETTERS_RE.match(word):
        return Term("public_id", word.upper())
    if EMAIL_RE.match(word):
        return Term("email", word)
    if LAST4_RE.match(word):
        return Term("last4", word, also_amount=True)
    if AMOUNT_RE.match(word):
        return Term("amount", Decimal(word))
    return Term("text", word)


def parse(raw: str, *, statuses: dict[str, str]) -> Query:
    """The query `raw` asks for; `statuses` maps the status codes status: accepts to their labels."""
    if not isinstance(raw, str):
        raise QueryError("Enter something to search for.")
    if len(raw) > MAX_LENGTH:
        raise QueryError(f"The search is too long: at most {MAX_LENGTH} characters.")
    if "\x00" in raw or any(ord(ch) < 32 and ch not in "\t\n\r" for ch in raw):
        raise QueryError("The search contains a control character: remove it and try again.")
    words = [word for word in _words(raw.strip()) if word.strip()]
    if len(words) > MAX_TERMS:
        raise QueryError(f"Too many terms: at most {MAX_TERMS}.")
    terms = []
    for word in words:
        word = word.strip()
        match = OPERATOR_RE.match(word)
        if match and (match.group(1).lower() in OPERATORS or not EMAIL_RE.match(word)):
            terms.append(_operator(match.group(1), match.group(2).strip(), word, statuses))
        else:
            terms.append(_free(word))
    return Query(tuple(terms))
