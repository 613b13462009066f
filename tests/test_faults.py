"""Transient failures are retried; refusals stop the sync with a clear message."""

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from fake_litmos import FAULT_KINDS, FakeLitmos, FaultSpec, SiteSpec
from tests.support import STREAMS, run_tap, tap_config

SPEC = SiteSpec(
    users=40,
    teams=6,
    courses=5,
    members_per_team=6,
    users_per_course=6,
    big_team_members=18,
    big_course_users=18,
)
TINY = SiteSpec(
    users=8,
    teams=2,
    courses=2,
    members_per_team=3,
    users_per_course=3,
    big_team_members=4,
    big_course_users=4,
)

RETRY_LINE = re.compile(r"Retrying (/v1\.svc/\S+) in \d+\.\d s after try \d+ failed")


def record_set(run, stream):
    """Return a stream's records in a canonical, order-free form."""
    return sorted(json.dumps(record, sort_keys=True) for record in run.records(stream))


def by_key(run, stream):
    """Return a stream's records by primary key."""
    return dict(zip(run.keys(stream), run.records(stream), strict=True))


def error_lines(run):
    """Return the lines in which the tap explains why it stopped."""
    return [line for line in run.stderr.splitlines() if line.startswith("tap-litmos:")]


def assert_same_records(run, reference):
    assert run.returncode == 0, run.stderr[-3000:]
    assert reference.returncode == 0, reference.stderr[-3000:]
    for stream in STREAMS:
        keys = run.keys(stream)
        assert len(keys) == len(set(keys)), f"{stream} repeats a key"
        assert record_set(run, stream) == record_set(reference, stream), stream


def mutate(server, at):
    """Change a user, a membership, an enrolment and add a user and a course."""
    expected = server.expected()
    user_id = expected["users"][5]["id"]
    member = expected["team_members"][3]
    enrolment = expected["course_users"][2]
    server.mutations.rename_user(user_id, first_name="Renamed", at=at)
    server.mutations.remove_member(member["team_id"], member["user_id"], at=at)
    server.mutations.set_progress(
        enrolment["course_id"], enrolment["user_id"], 100, completed=True, at=at
    )
    added_user = server.mutations.add_user(first_name="New", last_name="User", at=at)
    added_course = server.mutations.add_course(name="New course", at=at)
    return {
        "renamed": user_id,
        "removed": (member["team_id"], member["user_id"]),
        "progressed": (enrolment["course_id"], enrolment["user_id"]),
        "added_user": added_user,
        "added_course": added_course,
    }


def storm(server, *, after, refusals):
    """Refuse every call for the rate limit from `after` calls on, for a while."""
    server.schedule(after, lambda: server.set_rate_limit(1, 60.0))
    server.schedule(after + refusals, lambda: server.set_rate_limit(None))


def force_faults(server, kinds, *, then):
    """Fault the next calls, one kind each, then go back to the `then` faults.

    The date-range URLs of an incremental run hold instants of this run, so
    which of them seeded faults hit differs from run to run; these do not.
    """
    for number, kind in enumerate(kinds):
        spec = FaultSpec(rate=1.0, kinds=(kind,))
        server.schedule(number, lambda spec=spec: server.set_faults(spec))
    server.schedule(len(kinds), lambda: server.set_faults(then))


def fault_share(counters):
    """Return the share of admitted calls that got a fault."""
    admitted = counters["requests_total"] - counters["rate_limited"]
    return counters["faults_served"] / admitted


def test_full_and_incremental_syncs_through_faults_match_a_clean_run():
    # Seed 40 hits every kind in the full run. "latency" (a late answer) and
    # "slow" (a body trickling out) outlast request_timeout: both time out.
    faults = FaultSpec(seed=40, rate=0.12, kinds=FAULT_KINDS, delay=3.0, trickle=25.0)
    settings = {"page_size": 5, "request_timeout": 2, "max_tries": 10}
    with (
        FakeLitmos(SPEC, rate_limit=None) as clean,
        FakeLitmos(SPEC, rate_limit=None, over_delivery=2, faults=faults) as faulty,
    ):
        storm(faulty, after=10, refusals=4)
        full = run_tap(tap_config(faulty, **settings))
        full_counters = faulty.counters()
        clean_full = run_tap(tap_config(clean, **settings))
        assert_same_records(full, clean_full)
        for stream in STREAMS:
            assert set(full.keys(stream)) == faulty.expected_keys(stream), stream

        at = datetime.now(timezone.utc) - timedelta(seconds=30)
        changed = mutate(faulty, at)
        assert mutate(clean, at) == changed
        faulty.reset_counters()
        force_faults(faulty, ("drop", "html_200"), then=faults)
        # Its calls come one after another: each refusal waits longer than
        # the last, so a single one keeps the test short.
        storm(faulty, after=4, refusals=1)
        changes = run_tap(tap_config(faulty, **settings), state=full.last_state)
        changes_counters = faulty.counters()
        clean_changes = run_tap(tap_config(clean, **settings), state=full.last_state)

    assert_same_records(changes, clean_changes)
    for counters in (full_counters, changes_counters):
        assert fault_share(counters) >= 0.08
    assert full_counters["rate_limited"] >= 2
    assert changes_counters["rate_limited"] == 1
    assert set(full_counters["faults_by_kind"]) == set(FAULT_KINDS)
    for run in (full, changes):
        assert RETRY_LINE.search(run.stderr)
        assert "Litmos rate limit reached (503" in run.stderr

    users = {record["id"]: record for record in changes.records("users")}
    assert users[changed["renamed"]]["first_name"] == "Renamed"
    assert changed["added_user"] in users
    assert by_key(changes, "team_members")[changed["removed"]]["active"] is False
    assert by_key(changes, "course_users")[changed["progressed"]]["completed"]
    assert (changed["added_course"],) in set(changes.keys("courses"))


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_a_call_that_keeps_failing_ends_in_one_clear_error(kind):
    # "latency" and "slow" outlast the 1 s request_timeout.
    faults = FaultSpec(seed=1, rate=1.0, kinds=(kind,), delay=2.0, trickle=15.0)
    with FakeLitmos(TINY, rate_limit=None, faults=faults) as server:
        run = run_tap(tap_config(server, max_tries=2, request_timeout=1))
        counters = server.counters()

    assert run.returncode != 0
    # Two tries of the first call, then nothing more.
    assert counters["requests_total"] == 2
    errors = error_lines(run)
    assert len(errors) == 1
    assert "Litmos kept failing on /v1.svc/users/details" in errors[0]
    assert "max_tries" in errors[0]
    assert "max_retry_seconds" in errors[0]
    assert "Traceback" not in run.stderr


def test_max_retry_seconds_bounds_the_time_spent_retrying_one_call():
    faults = FaultSpec(seed=1, rate=1.0, kinds=("502",))
    with FakeLitmos(TINY, rate_limit=None, faults=faults) as server:
        run = run_tap(tap_config(server, max_tries=100, max_retry_seconds=3))
        counters = server.counters()

    assert run.returncode != 0
    assert 1 < counters["requests_total"] < 100
    errors = error_lines(run)
    assert len(errors) == 1
    assert "/v1.svc/users/details" in errors[0]
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("status", "setting"),
    [(400, "source"), (401, "api_key"), (403, "api_key"), (406, "page_size")],
)
def test_a_refusal_stops_the_sync_at_once_naming_the_setting_to_check(status, setting):
    with FakeLitmos(TINY, rate_limit=None, api_key="the-right-key") as server:
        if status == 401:
            config = tap_config(server, api_key="a-wrong-key")
        else:
            server.set_refusal(status, "Refused by the fake.")
            config = tap_config(server)
        run = run_tap(config)
        counters = server.counters()

    assert run.returncode != 0
    assert counters["requests_total"] == 1
    errors = error_lines(run)
    assert len(errors) == 1
    assert str(status) in errors[0]
    assert "/v1.svc/users/details" in errors[0]
    assert setting in errors[0]
    assert "Traceback" not in run.stderr


def test_a_406_reports_the_parameters_sent():
    with FakeLitmos(TINY, rate_limit=None) as server:
        server.set_refusal(406, "The limit must be between 1 and 1000.")
        run = run_tap(tap_config(server, page_size=7))

    (error,) = error_lines(run)
    assert "The limit must be between 1 and 1000." in error
    assert "start=0" in error
    assert "limit=7" in error
    assert "source=tap-litmos-tests" in error


def test_a_team_or_course_deleted_mid_sync_is_skipped_with_a_warning():
    with FakeLitmos(TINY, rate_limit=None) as server:
        before = server.expected()
        team_id = before["teams"][0]["id"]
        course_id = before["courses"][0]["id"]
        # With the largest page, the calls come in a fixed order: users, teams,
        # one per team, courses, one per course. Each id goes right after the
        # list that named it was served.
        server.schedule(2, lambda: server.mutations.delete_team(team_id))
        lists_before_courses = 2 + len(before["teams"]) + 1
        server.schedule(
            lists_before_courses, lambda: server.mutations.delete_course(course_id)
        )
        run = run_tap(tap_config(server))
        counters = server.counters()

    assert run.returncode == 0, run.stderr[-3000:]
    assert counters["by_status"][404] == 2
    assert set(run.keys("teams")) == {(row["id"],) for row in before["teams"]}
    assert set(run.keys("team_members")) == server.expected_keys("team_members")
    assert set(run.keys("course_users")) == server.expected_keys("course_users")
    assert {key[0] for key in run.keys("team_members")} <= {
        row["id"] for row in before["teams"][1:]
    }
    warnings = [line for line in run.stderr.splitlines() if "no longer exists" in line]
    assert len(warnings) == 2
    assert any(team_id in line for line in warnings)
    assert any(course_id in line for line in warnings)
