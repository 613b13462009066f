"""The tap copes with each reading of what the Litmos documentation leaves open.

The documentation of the API was written without access to a live site, so
where it is vague the fake can serve each plausible reading, and the tap must
produce the same records under all of them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from fake_litmos import FakeLitmos, SiteSpec
from tests.support import STREAMS, run_tap, tap_config

SPEC = SiteSpec(
    seed=11, users=400, teams=8, courses=6, big_team_members=0, big_course_users=0
)

READINGS = {
    "lists wrapped in an object": {"wrap_lists": True},
    "pages holding more than asked": {"over_delivery": 7},
    "details without inactive users": {"details_include_inactive": False},
    "course users without inactive users": {"course_users_include_inactive": False},
    "limit over 1000 clamped": {"clamp_limit": True},
}


def _snapshot(run):
    return {stream: sorted(run.keys(stream)) for stream in STREAMS}


@pytest.fixture(scope="module")
def plain_snapshot():
    with FakeLitmos(SPEC) as server:
        run = run_tap(tap_config(server))
        assert run.returncode == 0, run.stderr
        return _snapshot(run), run.records("users")


@pytest.mark.parametrize("options", READINGS.values(), ids=READINGS.keys())
def test_every_reading_yields_the_same_records(options, plain_snapshot):
    keys, users = plain_snapshot
    with FakeLitmos(SPEC, **options) as server:
        run = run_tap(tap_config(server))
        expected_users = {user["id"] for user in server.expected()["users"]}
    assert run.returncode == 0, run.stderr
    snapshot = _snapshot(run)
    for stream in STREAMS:
        assert len(snapshot[stream]) == len(set(snapshot[stream])), stream
    assert {key[0] for key in snapshot["users"]} == expected_users
    assert snapshot["teams"] == keys["teams"]
    assert snapshot["courses"] == keys["courses"]
    assert snapshot["team_members"] == keys["team_members"]
    if "course_users_include_inactive" not in options:
        assert snapshot["course_users"] == keys["course_users"]
        assert sorted(run.records("users"), key=_id) == sorted(users, key=_id)


def test_inactive_users_missing_from_the_details_are_read_one_by_one():
    with FakeLitmos(SPEC, details_include_inactive=False) as server:
        run = run_tap(tap_config(server))
        counters = server.counters()["by_endpoint"]
        expected = {user["id"]: user for user in server.expected()["users"]}
    assert run.returncode == 0, run.stderr
    inactive = [user for user in expected.values() if user["active"] is False]
    assert inactive
    assert counters["/users/{id}"] == len(inactive)
    emitted = {user["id"]: user for user in run.records("users")}
    for user in inactive:
        assert {name: emitted[user["id"]][name] for name in user} == user


def test_a_site_listing_inactive_users_in_the_details_costs_no_extra_call():
    with FakeLitmos(SPEC) as server:
        run = run_tap(tap_config(server))
        counters = server.counters()["by_endpoint"]
    assert run.returncode == 0, run.stderr
    assert "/users" not in counters
    assert "/users/{id}" not in counters


def test_a_site_refusing_seven_day_windows_is_read_in_shorter_ones():
    with FakeLitmos(SPEC, max_window_days=3) as server:
        first = run_tap(tap_config(server))
        assert first.returncode == 0, first.stderr
        user = server.expected()["users"][5]["id"]
        server.mutations.rename_user(user, first_name="Renamed")
        month_ago = server.clock.now() - dt.timedelta(days=30)
        state = _state_with_bookmark(first.last_state, month_ago)
        server.reset_counters()
        second = run_tap(tap_config(server), state=state)
        by_status = server.counters()["by_status"]
    assert second.returncode == 0, second.stderr
    assert [r["first_name"] for r in second.records("users") if r["id"] == user] == [
        "Renamed"
    ]
    assert "using windows of" in second.stderr
    # One refusal per halving, then only accepted windows.
    assert by_status.get(406, 0) == 2
    bookmark = second.last_state["bookmarks"]["users"]["replication_key_value"]
    assert bookmark > first.last_state["bookmarks"]["users"]["replication_key_value"]


def _state_with_bookmark(state, instant):
    value = instant.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    bookmarks = {
        stream: {**entry, "replication_key_value": value}
        for stream, entry in state["bookmarks"].items()
    }
    return {"bookmarks": bookmarks}


def _id(record):
    return record["id"]
