"""Date windows tile the range and bookmarks never pass unread data."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from tap_litmos.windows import (
    OVERLAP,
    WINDOW_LENGTH,
    Window,
    bookmark_after,
    count_windows,
    plan_windows,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
INSTANTS = st.datetimes(
    # Hypothesis takes naive bounds and adds the zone itself.
    min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2026, 12, 3, 9, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(INSTANTS)
def test_windows_tile_the_range_and_the_last_reaches_past_now(since):
    windows = list(plan_windows(since, NOW))
    assert windows[0].since == since.replace(microsecond=0)
    for earlier, later in itertools.pairwise(windows):
        assert earlier.to == later.since
    assert all(w.to - w.since <= WINDOW_LENGTH for w in windows)
    assert windows[-1].to > NOW
    assert len(windows) == count_windows(since, NOW)


def test_a_window_in_the_past_moves_the_bookmark_to_its_end():
    window = Window(NOW - dt.timedelta(days=20), NOW - dt.timedelta(days=13))
    assert bookmark_after(window, NOW, None) == window.to


def test_a_window_reaching_now_moves_the_bookmark_only_to_the_read_less_overlap():
    window = Window(NOW - dt.timedelta(days=2), NOW + dt.timedelta(days=5))
    assert bookmark_after(window, NOW, None) == NOW - OVERLAP


def test_bookmarks_never_move_back():
    window = Window(NOW - dt.timedelta(minutes=1), NOW + dt.timedelta(days=7))
    previous = NOW - dt.timedelta(minutes=1)
    assert bookmark_after(window, NOW, previous) == previous


def test_query_parameters_use_the_accepted_format():
    window = Window(
        dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 8, tzinfo=UTC)
    )
    assert window.query() == {
        "since": "2026-01-01 00:00:00",
        "to": "2026-01-08 00:00:00",
    }
