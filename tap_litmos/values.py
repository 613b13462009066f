"""Converters that turn Litmos values into the types the stream schemas declare.

Litmos is loose with types: booleans arrive as ``"true"``, numbers as strings,
empty strings stand for "no value", and names carry HTML entities. Each converter
accepts anything, returns a value of its schema type or None, and never raises:
one odd value must not stop a sync.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from tap_litmos.dates import UnparseableDateError, normalize_date

if TYPE_CHECKING:
    from collections.abc import Callable

    Converter = Callable[[Any], Any]

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})


def to_text(value: Any) -> str | None:  # noqa: ANN401
    """Return a string, or None for null, "" and values that are not scalars."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def to_name(value: Any) -> str | None:  # noqa: ANN401
    """Return a display name with its HTML entities (``&amp;``) decoded."""
    text = to_text(value)
    if text is None or "&" not in text:
        return text
    return html.unescape(text) or None


def to_boolean(value: Any) -> bool | None:  # noqa: ANN401
    """Return a boolean from a boolean, 0 or 1, or a word such as "true"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in {0, 1}:
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def to_integer(value: Any) -> int | None:  # noqa: ANN401
    """Return an integer from an integer, a whole float or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            number = _parse_float(value)
            return int(number) if number is not None and number.is_integer() else None
    return None


def to_number(value: Any) -> int | float | None:  # noqa: ANN401
    """Return a finite number from a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _parse_float(value)
    return None


def to_text_list(value: Any) -> list[str] | None:  # noqa: ANN401
    """Return a list of strings from a list or a comma-separated string.

    Tags and categories have been seen both as arrays (of strings, or of objects
    with a ``Name``) and as one comma-separated string.
    """
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        return [to_name(part) or part for part in parts if part] or None
    if not isinstance(value, list):
        return None

    items: list[str] = []
    for item in value:
        text = to_name(item.get("Name")) if isinstance(item, dict) else to_name(item)
        if text is not None:
            items.append(text)
    return items


class DateConverter:
    """Converts dates to RFC 3339, turning unparseable ones into null.

    An unparseable date is reported once per field and stream, not once per
    record, so a systematic format change does not flood the log.
    """

    def __init__(self, field: str, report: Callable[[str, Any], None]) -> None:
        """Create a converter for one field.

        Args:
            field: The property name, for the report.
            report: Called once with the field and a sample of the bad value.
        """
        self._field = field
        self._report = report
        self._reported = False

    def __call__(self, value: Any) -> str | None:  # noqa: ANN401
        """Return the value as an RFC 3339 UTC string, or None."""
        try:
            return normalize_date(value)
        except UnparseableDateError:
            if not self._reported:
                self._reported = True
                self._report(self._field, value)
            return None


def _parse_float(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
