"""CSV cells that a spreadsheet will not run: exported text that starts like a formula gets a leading `'`.

Venues type names and notes on a public form; opened in Excel or LibreOffice, `=HYPERLINK(...)` or
`@SUM(...)` in a cell would run. The import strips the mark again, so export then import changes nothing."""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")  # -112.1 is a longitude, not a formula


def _looks_like_formula(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text)


def to_cell(value) -> str:
    """A value as a safe CSV cell."""
    text = "" if value is None else str(value)
    return "'" + text if _looks_like_formula(text) else text


def from_cell(text: str) -> str:
    """A cell as the value exported (the inverse of to_cell)."""
    return text[1:] if text.startswith("'") and _looks_like_formula(text[1:]) else text


def safe_row(values) -> list[str]:
    return [to_cell(v) for v in values]
