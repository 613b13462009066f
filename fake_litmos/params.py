"""Query parameters, read and checked the way Litmos checks them."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from fake_litmos.dates import MAX_WINDOW_MS, parse_query_date
from fake_litmos.messages import ApiError

MAX_SOURCE = 50

_DIGITS = re.compile(r"\d+")


class Params:
    """The query parameters of one request.

    Names are matched without regard to case, as ASP.NET does; when a name is
    repeated, the first value wins.
    """

    def __init__(self, query: str) -> None:
        """Parse a raw query string (`+` and percent escapes decoded)."""
        self.values: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            self.values.setdefault(name.lower(), value)

    def get(self, name: str) -> str | None:
        """Return a parameter's value, or None when absent."""
        return self.values.get(name.lower())

    @property
    def as_json(self) -> bool:
        """Whether the caller asked for JSON (`format=json`); XML otherwise."""
        return (self.get("format") or "").lower() == "json"

    def check_source(self, *, required: bool) -> None:
        """Check `source`: present (when required) and at most 50 characters.

        Raises:
            ApiError: 400 when the check fails.
        """
        source = self.get("source")
        if not source and required:
            raise ApiError(400, "The source parameter is required.")
        if source is not None and len(source) > MAX_SOURCE:
            detail = f"The source parameter must be at most {MAX_SOURCE} characters."
            raise ApiError(400, detail)

    def integer(self, name: str, default: int, *, bad_status: int) -> int:
        """Read a non-negative integer.

        Raises:
            ApiError: `bad_status` when the value is not a non-negative integer.
        """
        text = self.get(name)
        if text is None:
            return default
        if not _DIGITS.fullmatch(text):
            detail = f"The value '{text}' is not valid for {name}."
            raise ApiError(bad_status, detail)
        return int(text)

    def boolean(self, name: str, *, default: bool) -> bool:
        """Read `true`/`false` (or 1/0).

        Raises:
            ApiError: 400 for any other value.
        """
        text = self.get(name)
        if text is None:
            return default
        if text.lower() in {"true", "1"}:
            return True
        if text.lower() in {"false", "0"}:
            return False
        raise ApiError(400, f"The value '{text}' is not valid for {name}.")

    def date(self, name: str) -> int | None:
        """Read an optional query date as epoch milliseconds.

        Raises:
            ApiError: 406 when present but not in an accepted form.
        """
        text = self.get(name)
        if text is None:
            return None
        found = parse_query_date(text)
        if found is None:
            detail = (
                f"The value '{text}' of {name} is not a valid date: use yyyy-MM-dd, "
                "yyyy-MM-dd HH:mm or yyyy-MM-dd HH:mm:ss."
            )
            raise ApiError(406, detail)
        return found

    def window(self, max_window_ms: int = MAX_WINDOW_MS) -> tuple[int, int]:
        """Read the required [since, to) window of a date-range endpoint.

        Args:
            max_window_ms: The longest window accepted (7 days on Litmos).

        Raises:
            ApiError: 406 when either is missing or malformed, when since is not
                before to, or when the window is longer than 7 days.
        """
        if not self.get("since") or not self.get("to"):
            raise ApiError(406, "Both since and to are required.")
        since_ms, to_ms = self.date("since"), self.date("to")
        if since_ms is None or to_ms is None:  # pragma: no cover - checked above
            raise ApiError(406, "Both since and to are required.")
        if since_ms >= to_ms:
            raise ApiError(406, "since must be earlier than to.")
        if to_ms - since_ms > max_window_ms:
            detail = "The date range between since and to cannot exceed 7 days."
            raise ApiError(406, detail)
        return since_ms, to_ms
