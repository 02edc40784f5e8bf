"""The one CSV writer every export uses: spreadsheet formula cells are defused (CSV injection).

Spreadsheet apps run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
(OWASP "CSV Injection"); emails and names from the provider can start with any of them, so such a cell is
prefixed with a single quote, which the apps show as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer wants a file; this one hands each formatted line straight back."""

    def write(self, value):
        return value


def csv_stream(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header line then one line per row, every cell defused; lazy, for StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])
