"""Instants and the several ways Litmos writes them.

Every instant inside the fake is an integer count of milliseconds since the Unix
epoch (UTC), rendered per field in the style Litmos uses there: .NET
`/Date(ms±hhmm)/` for enrolment and result dates, ISO 8601 with `Z` for user
profile dates, ISO without a zone (or with `+0000`) on date-range rows.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Self

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

HISTORY_START_MS = 1_735_689_600_000
"""2025-01-01T00:00:00Z: the earliest creation instant in a generated site."""

HISTORY_END_MS = 1_767_225_600_000
"""2026-01-01T00:00:00Z: every generated created/updated instant is before it."""

DAY_MS = 86_400_000
MAX_WINDOW_MS = 7 * DAY_MS

DOTNET_OFFSETS = ("-0700", "+0000", "", "-0500", "+0100", "+0530")
"""Display offsets seen after the milliseconds in `/Date(...)/` values."""

_QUERY_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?",
)


def render(ms: int, style: str, offset: str = "") -> str:
    """Write an instant in one of the styles Litmos uses.

    Args:
        ms: Milliseconds since the epoch, UTC.
        style: "dotnet" (`/Date(ms±hhmm)/`), "iso_z", "iso_naive" or
            "iso_0000" (ISO 8601 with `+0000`).
        offset: Display offset written after the milliseconds of a .NET date
            ("" for none); it never shifts the instant.

    Returns:
        The text as it appears in a response.
    """
    if style == "dotnet":
        return f"/Date({ms}{offset})/"
    if style == "iso_z":
        return iso_z(ms)
    if style == "iso_0000":
        return iso_naive(ms) + "+0000"
    return iso_naive(ms)


class WireDate(str):  # noqa: SLOT000 - str subtypes cannot have named slots
    """A date string as Litmos sends it, which also remembers its instant.

    Being a `str`, it renders as the wire text; `ms` keeps the instant so the
    expected tap output can be computed without parsing.

    Attributes:
        ms: Milliseconds since the epoch, UTC.
    """

    ms: int

    def __new__(cls, ms: int, style: str, offset: str = "") -> Self:
        """Render the instant like `render` and keep it."""
        self = str.__new__(cls, render(ms, style, offset))
        self.ms = ms
        return self

    def rfc3339(self) -> str:
        """Return the instant as the tap emits it (RFC 3339, UTC, `Z`)."""
        return rfc3339(self.ms)


def to_datetime(ms: int) -> datetime:
    """Convert epoch milliseconds to an aware UTC datetime, exactly."""
    return EPOCH + timedelta(milliseconds=ms)


def to_ms(moment: datetime) -> int:
    """Convert an aware datetime to epoch milliseconds (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(milliseconds=1)


def rfc3339(ms: int) -> str:
    """Format epoch milliseconds the way the tap normalizes every date."""
    return to_datetime(ms).isoformat().replace("+00:00", "Z")


_TWO = tuple(f"{n:02d}" for n in range(100))
_THREE = tuple(f"{n:03d}" for n in range(1000))


@functools.lru_cache(maxsize=8192)
def _day_text(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def _clock_text(ms: int) -> tuple[str, int]:
    # Formatting by hand, with the calendar day cached and two-digit numbers
    # from a table, is several times faster than strftime or format specs;
    # rendering dates is a large part of the cost of a page of users.
    day, rest = divmod(ms, DAY_MS)
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_day_text(day)}T{_TWO[hour]}:{_TWO[minute]}:{_TWO[second]}", millis


def iso_naive(ms: int) -> str:
    """Format as ISO 8601 without a zone, with milliseconds (meaning UTC)."""
    text, millis = _clock_text(ms)
    return f"{text}.{_THREE[millis]}"


def iso_z(ms: int) -> str:
    """Format as ISO 8601 with `Z`; whole seconds unless milliseconds are set."""
    text, millis = _clock_text(ms)
    return f"{text}.{_THREE[millis]}Z" if millis else f"{text}Z"


def http_date(moment: datetime) -> str:
    """Format an instant for the HTTP `Date` header (IMF-fixdate, GMT)."""
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def parse_query_date(text: str) -> int | None:
    """Parse a `since`/`to` query value the way Litmos accepts them.

    Accepted: `yyyy-MM-dd`, `yyyy-MM-dd HH:mm`, `yyyy-MM-dd HH:mm:ss`, each also
    with a `T` separator; all read as UTC.

    Args:
        text: The decoded query parameter value.

    Returns:
        Epoch milliseconds, or None when the text is not one of those forms.
    """
    match = _QUERY_DATE.fullmatch(text)
    if match is None:
        return None

    year, month, day, hour, minute, second = (
        int(part) if part is not None else 0 for part in match.groups()
    )
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    return to_ms(moment)
