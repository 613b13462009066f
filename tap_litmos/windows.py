"""Date windows for the Litmos date-range endpoints, and the bookmarks they allow.

The ``/org/...`` endpoints return what was created or updated in ``[since, to)``,
for windows of at most 7 days; to include today, ``to`` must lie in the future.
Rows inside a window come in no particular order, so a bookmark can only move
once a whole window has been read, and never past the moment that read began:
a change made while the window was being read may have been missed, and must
be read again next time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_litmos.dates import format_query_date

if TYPE_CHECKING:
    from collections.abc import Iterator

WINDOW_LENGTH = dt.timedelta(days=7)

# The shortest window the tap falls back to when a site refuses longer ones.
MIN_WINDOW_LENGTH = dt.timedelta(hours=6)

# Re-read this much before each bookmark: it absorbs clock drift between the
# tap and Litmos and rows committed late. Duplicates it causes collapse on the
# primary keys in the target.
OVERLAP = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    """One ``[since, to)`` range of a date-range endpoint."""

    since: dt.datetime
    to: dt.datetime

    def query(self) -> dict[str, str]:
        """Return the ``since`` and ``to`` parameters for this window."""
        return {
            "since": format_query_date(self.since),
            "to": format_query_date(self.to),
        }


def plan_windows(since: dt.datetime, now: dt.datetime) -> Iterator[Window]:
    """Cover ``[since, now]`` with windows of the longest length Litmos allows.

    Args:
        since: The first instant to read.
        now: The current time on the server's clock.

    Yields:
        Consecutive windows; the last one ends in the future, as Litmos
        requires for a window that includes today.
    """
    start = since.replace(microsecond=0)
    while start <= now:
        yield Window(start, start + WINDOW_LENGTH)
        start += WINDOW_LENGTH


def count_windows(since: dt.datetime, now: dt.datetime) -> int:
    """Return how many windows ``plan_windows`` yields for the same range."""
    if since > now:
        return 0
    return (now - since.replace(microsecond=0)) // WINDOW_LENGTH + 1


def bookmark_after(
    window: Window, read_started: dt.datetime, previous: dt.datetime | None
) -> dt.datetime:
    """Return the bookmark once every page of a window has been emitted.

    Args:
        window: The window just read in full.
        read_started: When its first page was requested, on the server's clock.
        previous: The bookmark before the window, if any.

    Returns:
        The window's end when it lies safely in the past, otherwise the start
        of the read less the overlap; never earlier than ``previous``.
    """
    safe = min(window.to, read_started - OVERLAP)
    return safe if previous is None else max(previous, safe)
