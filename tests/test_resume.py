"""Runs stopped part-way (SIGTERM, or SIGKILL outright) and resumed from their state.

The tap runs as a subprocess whose output is read line by line; once it has
printed a chosen number of records it is stopped, and a second run starts from
the last STATE message the first one printed. Between the two runs stands
whatever a target would hold after loading both: it must hold every record of
the site, with current values.
"""

from __future__ import annotations

import datetime as dt
import random
import signal

import pytest

from fake_litmos import FakeLitmos
from tests.incremental_support import (
    WEEK,
    Changes,
    active_user_ids,
    assert_no_repeats,
    assert_states_are_honest,
    bookmark_state,
    by_key,
    latest_records,
    rfc3339,
    run_until,
    small_spec,
    whole_second,
)
from tests.support import STREAMS, tap_config

DAY = dt.timedelta(days=1)
SIGNALS = [signal.SIGTERM, signal.SIGKILL]
# Small pages and slow answers keep the tap from running far ahead of the
# reader, so that it stops close to the record chosen.
PAGE_SIZE = 20
LATENCY = 0.01


def serve(spec=None):
    return FakeLitmos(spec or small_spec(), rate_limit=None, latency=LATENCY)


def config(server, **settings):
    return tap_config(server, page_size=PAGE_SIZE, **settings)


def stop_point(counts, stream, seed):
    """A seeded record number inside a stream's share of a run's output."""
    before = sum(counts[name] for name in STREAMS[: STREAMS.index(stream)])
    # Within the first two thirds, so that the stop lands before the end.
    share = max(1, counts[stream] * 2 // 3)
    return before + random.Random(seed).randrange(share) + 1  # noqa: S311


def stop_in_place(server):
    """Hold the site's answers once the stop is decided, so the tap stops there.

    Records already received still come out; the tap cannot get further.
    """
    return lambda: server.set_latency(3.0)


def hold_after(server, endpoint, calls):
    """Slow every answer once ``endpoint`` was called ``calls`` times."""

    def check():
        if server.counters()["by_endpoint"].get(endpoint, 0) >= calls:
            server.set_latency(3.0)
        else:
            server.schedule(1, check)

    server.schedule(1, check)


def resume(server, stopped, **settings):
    """Run again from the last STATE the stopped run printed (none: no state)."""
    server.set_latency(LATENCY)
    state = stopped.last_state
    run = run_until(config(server, **settings), state=state)
    assert run.returncode == 0
    return run


def assert_site_held(server, runs, changes):
    """Assert loading the runs in order leaves every record of the site, current."""
    for stream in STREAMS:
        held = latest_records(runs, stream)
        expected = server.expected_keys(stream)
        assert expected <= set(held), f"{stream}: {len(expected - set(held))} lost"
        # Nothing beyond the site but memberships that were taken away.
        assert set(held) - expected <= changes.removed
        changes.check_current(stream, held, removed_may_be_missing=True)


def change_between_runs(server, changes, n):
    expected = server.expected()
    users = active_user_ids(server)
    changes.rename_user(users[50 + n], f"Between{n}")
    member = expected["team_members"][10 + n]
    changes.remove_member(member["team_id"], member["user_id"])
    enrolment = expected["course_users"][5 + n]
    changes.set_progress(enrolment["course_id"], enrolment["user_id"], 88)
    changes.add_course(f"Between {n}")


@pytest.mark.parametrize("stop_with", SIGNALS, ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("stream", STREAMS)
def test_a_full_run_stopped_in_any_stream_resumes_to_every_record(stream, stop_with):
    with serve() as server:
        counts = {name: len(rows) for name, rows in server.expected().items()}
        stop = stop_point(counts, stream, f"full-{stream}-{stop_with}")
        stopped = run_until(
            config(server),
            stop_after=stop,
            stop_with=stop_with,
            on_stop=stop_in_place(server),
        )
        # The tap may have printed more before the signal landed, seldom all.
        assert stop <= sum(len(stopped.keys(name)) for name in STREAMS)
        changes = Changes(server)
        change_between_runs(server, changes, 0)
        resumed = resume(server, stopped)
        assert_site_held(server, [stopped, resumed], changes)
        assert_no_repeats(resumed)


def test_a_full_read_stopped_then_replaced_still_emits_what_it_emitted_was_removed():
    with serve() as server:
        counts = {name: len(rows) for name, rows in server.expected().items()}
        stop = counts["users"] + counts["teams"] + 25
        # Team 0, read first, fills three pages; the run stops in its second.
        hold_after(server, "/teams/{id}/users", 2)
        stopped = run_until(
            config(server, max_concurrency=1), stop_after=stop, stop_with=signal.SIGKILL
        )
        emitted = stopped.records("team_members")
        assert 25 <= len(emitted) < counts["team_members"]
        changes = Changes(server)
        # Memberships the target now holds, removed before the next run: the
        # next full read no longer lists them at all.
        for record in emitted[:5]:
            changes.remove_member(record["team_id"], record["user_id"])
        resumed = resume(server, stopped)
        assert_site_held(server, [stopped, resumed], changes)
        held = latest_records([stopped, resumed], "team_members")
        assert all(held[key]["active"] is False for key in changes.removed)
        # Once caught up, the state is one bookmark per stream again.
        for entry in resumed.last_state["bookmarks"].values():
            assert set(entry) == {"replication_key", "replication_key_value"}


def spread_changes(server, changes, since):
    """Changes over three windows for every stream that can change."""
    expected = server.expected()
    users = active_user_ids(server)
    for n, user_id in enumerate(users[120:170]):
        changes.rename_user(user_id, f"Spread{n}", at=since + (n % 3) * WEEK + DAY)
    team = expected["teams"][1]["id"]
    for n, user_id in enumerate(users[200:230]):
        moment = since + (n % 3) * WEEK + 2 * DAY
        changes.add_member(team, user_id, at=moment)
    for n, row in enumerate(expected["team_members"][:20]):
        moment = since + (n % 3) * WEEK + 3 * DAY
        changes.remove_member(row["team_id"], row["user_id"], at=moment)
    for n in range(25):
        changes.add_course(f"Spread {n}", at=since + (n % 3) * WEEK + 4 * DAY)
    for n, row in enumerate(expected["course_users"][:40]):
        moment = since + (n % 3) * WEEK + 5 * DAY
        changes.set_progress(row["course_id"], row["user_id"], 30 + n, at=moment)


@pytest.mark.parametrize("stop_with", SIGNALS, ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("stream", ["users", "team_members", "courses", "course_users"])
def test_an_incremental_run_stopped_in_any_stream_resumes_to_every_change(
    stream, stop_with
):
    with serve() as server:
        full = run_until(config(server))
        assert full.returncode == 0
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        spread_changes(server, changes, since)
        counts = {name: len(changes.keys(name)) for name in STREAMS}
        stop = stop_point(counts, stream, f"changes-{stream}-{stop_with}")
        stopped = run_until(
            config(server),
            state=bookmark_state(since),
            stop_after=stop,
            stop_with=stop_with,
            on_stop=stop_in_place(server),
        )
        assert sum(len(stopped.keys(name)) for name in STREAMS) >= stop
        assert_states_are_honest(stopped, changes)
        change_between_runs(server, changes, 1)
        resumed = resume(server, stopped)
        assert_no_repeats(resumed)
        assert_site_held(server, [full, stopped, resumed], changes)


def test_a_first_run_through_date_ranges_stopped_early_resumes_with_removals():
    with serve(small_spec(teams=30, courses=25)) as server:
        start = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        team = server.expected()["teams"][1]["id"]
        added = active_user_ids(server)[100:108]
        for n, user_id in enumerate(added):
            changes.add_member(team, user_id, at=start + DAY + n * DAY / 10)
        counts = {name: len(rows) for name, rows in server.expected().items()}
        # Stopped in the first page of the first window of team members.
        stop = counts["users"] + counts["teams"] + 1
        settings = {"start_date": rfc3339(start), "page_size": 5}
        hold_after(server, "/org/teams/users", 1)
        stopped = run_until(
            tap_config(server, **settings), stop_after=stop, stop_with=signal.SIGKILL
        )
        assert 1 <= len(stopped.keys("team_members")) < len(added)
        # The target holds memberships that end before the run resumes.
        for user_id in added:
            changes.remove_member(team, user_id)
        server.set_latency(LATENCY)
        resumed = run_until(tap_config(server, **settings), state=stopped.last_state)
        assert resumed.returncode == 0
        held = latest_records([stopped, resumed], "team_members")
        for key in by_key("team_members", stopped.records("team_members")):
            assert held[key]["active"] is False, f"{key} still active"
