"""Change reads: what a run with state reads, emits and bookmarks, and its cost."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fake_litmos import FakeLitmos, FaultSpec
from tests.incremental_support import (
    CHANGE_ENDPOINTS,
    MS,
    PER_PARENT_ENDPOINTS,
    WEEK,
    Changes,
    active_user_ids,
    assert_no_repeats,
    assert_states_are_honest,
    bookmark_state,
    bookmarks,
    by_key,
    differences,
    latest_records,
    page_calls,
    parse_instant,
    rfc3339,
    run_until,
    small_spec,
    snapshot_problems,
    whole_second,
    window_count,
    window_order,
)
from tests.support import STREAMS, run_tap, tap_config

DAY = dt.timedelta(days=1)


def serve(spec=None, **options):
    options.setdefault("rate_limit", None)
    return FakeLitmos(spec or small_spec(), **options)


def sync(server, state=None, **settings):
    run = run_tap(tap_config(server, **settings), state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def one_change_per_stream(server, changes, at=None, n=0):
    """Change one record of every stream that can change (teams cannot).

    Different ``n`` change different records.
    """
    expected = server.expected()
    user = expected["users"][20 + n]["id"]
    member = expected["team_members"][30 + n]
    enrolment = expected["course_users"][12 + n]
    members = by_key("team_members", expected["team_members"])
    outsider = next(
        user_id
        for user_id in active_user_ids(server)[100 + n :]
        if (member["team_id"], user_id) not in members
    )
    changes.rename_user(user, f"Renamed{n}", at=at)
    changes.add_member(member["team_id"], outsider, at=at)
    changes.remove_member(member["team_id"], member["user_id"], at=at)
    changes.set_progress(enrolment["course_id"], enrolment["user_id"], 100, at=at)
    changes.add_course(f"Added course {n}", at=at)


def change_calls(per_stream):
    return {CHANGE_ENDPOINTS[stream]: per_stream for stream in STREAMS}


# What a run with state costs


def test_a_run_with_state_costs_one_call_per_stream_for_one_window():
    with serve() as server:
        changes = Changes(server)
        state = bookmark_state(server.clock.now() - dt.timedelta(hours=1))
        one_change_per_stream(server, changes)
        run = sync(server, state)
        assert server.counters()["by_endpoint"] == change_calls(1)
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream)


def test_the_cost_and_the_state_of_a_change_read_do_not_grow_with_the_site():
    sizes = [
        {},
        {"users": 3000, "teams": 150, "courses": 120, "big_team_members": 900},
    ]
    state_sizes = set()
    for size in sizes:
        with serve(small_spec(**size)) as server:
            changes = Changes(server)
            state = bookmark_state(server.clock.now() - 2 * DAY)
            one_change_per_stream(server, changes)
            run = sync(server, state)
            calls = server.counters()["by_endpoint"]
            assert calls == change_calls(1)
            assert not set(calls) & set(PER_PARENT_ENDPOINTS)
            for stream in STREAMS:
                assert set(run.keys(stream)) == changes.keys(stream)
            assert set(run.last_state["bookmarks"]) == set(STREAMS)
            for entry in run.last_state["bookmarks"].values():
                assert set(entry) == {"replication_key", "replication_key_value"}
            state_sizes.add(len(json.dumps(run.last_state)))
    # One entry per stream, nothing per team or course.
    assert len(state_sizes) == 1


@pytest.mark.parametrize("days", [1, 20, 50])
def test_the_cost_grows_with_the_windows(days):
    with serve() as server:
        since = whole_second(server.clock.now() - days * DAY)
        changes = Changes(server)
        one_change_per_stream(server, changes, at=since + DAY / 2)
        run = sync(server, bookmark_state(since))
        windows = window_count(since, server.clock.now())
        assert windows == days // 7 + 1
        assert server.counters()["by_endpoint"] == change_calls(windows)
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream)


def test_the_cost_grows_with_the_changes_page_by_page():
    with serve() as server:
        changes = Changes(server)
        state = bookmark_state(server.clock.now() - DAY)
        for row in server.expected()["users"][:47]:
            changes.rename_user(row["id"], "Paged")
        run = sync(server, state, page_size=10)
        calls = server.counters()["by_endpoint"]
        assert calls == {**change_calls(1), "/org/users/details": page_calls(47, 10)}
        assert calls["/org/users/details"] == 6
        assert set(run.keys("users")) == changes.keys("users")
        assert_no_repeats(run)


# First runs


def test_a_first_run_without_state_emits_the_current_snapshot():
    with serve(over_delivery=3) as server:
        run = sync(server, page_size=40)
        expected = server.expected()
        for stream in STREAMS:
            assert not snapshot_problems(stream, run.records(stream), expected[stream])
        calls = server.counters()["by_endpoint"]
        assert not [endpoint for endpoint in calls if endpoint.startswith("/org/")]
        assert calls["/teams/{id}/users"] >= len(expected["teams"])
        assert calls["/courses/{id}/users"] >= len(expected["courses"])
        for entry in run.last_state["bookmarks"].values():
            assert set(entry) == {"replication_key", "replication_key_value"}


def test_start_date_reads_children_through_date_ranges_when_that_costs_less():
    with serve(small_spec(teams=30, courses=25)) as server:
        start = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        one_change_per_stream(server, changes, at=start + 2 * DAY)
        old = server.expected()["team_members"][40]
        # Removed before start_date: not read at all.
        server.mutations.remove_member(old["team_id"], old["user_id"], at=start - DAY)
        run = sync(server, start_date=rfc3339(start))

        calls = server.counters()["by_endpoint"]
        assert calls == {
            "/users/details": 1,
            "/teams": 1,
            "/courses": 1,
            "/org/teams/users": 3,
            "/org/results/details": 3,
        }
        expected = server.expected()
        for stream in ("users", "teams", "courses"):
            assert not snapshot_problems(stream, run.records(stream), expected[stream])
        # Children: only what changed since start_date, and no removal of a
        # membership this first run never emitted.
        (added,) = changes.keys("team_members") - changes.removed
        assert set(run.keys("team_members")) == {added}
        assert run.records("team_members")[0]["active"] is True
        assert set(run.keys("course_users")) == changes.keys("course_users")
        changes.check_current("course_users", latest_records([run], "course_users"))


def test_start_date_reads_children_in_full_when_parents_are_fewer_than_windows():
    with serve(small_spec(teams=6, courses=5)) as server:
        start = server.clock.now() - 60 * DAY
        run = sync(server, start_date=rfc3339(start))
        calls = server.counters()["by_endpoint"]
        assert calls["/teams/{id}/users"] == 6
        assert calls["/courses/{id}/users"] == 5
        assert not [endpoint for endpoint in calls if endpoint.startswith("/org/")]
        expected = server.expected()
        for stream in STREAMS:
            assert not snapshot_problems(stream, run.records(stream), expected[stream])


def test_a_start_date_before_all_history_reads_the_whole_site_through_date_ranges():
    spec = small_spec(
        teams=120,
        courses=110,
        members_per_team=3,
        users_per_course=3,
        big_team_members=30,
        big_course_users=30,
    )
    with serve(spec) as server:
        start = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)
        run = sync(server, start_date=rfc3339(start))
        windows = window_count(start, server.clock.now())
        calls = server.counters()["by_endpoint"]
        assert calls["/org/teams/users"] == windows
        assert calls["/org/results/details"] == windows
        assert not set(calls) & set(PER_PARENT_ENDPOINTS)

        expected = server.expected()
        wanted = by_key("course_users", expected["course_users"])
        emitted = by_key("course_users", run.records("course_users"))
        assert set(emitted) == set(wanted)
        for key, record in emitted.items():
            assert not differences("course_users", record, wanted[key])
        # Member lists hide inactive users; the date-range rows do not, so the
        # memberships of inactive users come on top of the listed snapshot.
        members = set(run.keys("team_members"))
        listed = set(by_key("team_members", expected["team_members"]))
        assert listed <= members
        inactive = {row["id"] for row in expected["users"] if not row["active"]}
        assert {user for _, user in members - listed} <= inactive
        assert all(record["active"] for record in run.records("team_members"))


def test_start_date_bounds_an_older_bookmark():
    with serve() as server:
        now = server.clock.now()
        start = whole_second(now - 3 * DAY)
        changes = Changes(server)
        too_old = server.expected()["users"][5]["id"]
        server.mutations.rename_user(too_old, last_name="Old", at=now - 10 * DAY)
        one_change_per_stream(server, changes, at=now - DAY)
        run = sync(server, bookmark_state(now - 30 * DAY), start_date=rfc3339(start))
        assert server.counters()["by_endpoint"] == change_calls(1)
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream)


# What a run with state emits


def test_an_incremental_run_emits_exactly_what_changed():
    with serve() as server:
        full = sync(server)
        server.reset_counters()
        changes = Changes(server)
        expected = server.expected()
        users = active_user_ids(server)
        for user_id in users[10:15]:
            changes.rename_user(user_id, "Changed")
        changes.deactivate_user(users[16])
        new_user = changes.add_user("Newcomer")
        members = expected["team_members"]
        for member in members[3:6]:
            changes.remove_member(member["team_id"], member["user_id"])
        changes.add_member(members[0]["team_id"], new_user)
        for enrolment in expected["course_users"][7:10]:
            changes.set_progress(enrolment["course_id"], enrolment["user_id"], 55)
        course = changes.add_course("Brand new")
        changes.set_progress(course, new_user, 10)

        run = sync(server, full.last_state)
        assert server.counters()["by_endpoint"] == change_calls(1)
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream), stream
            changes.check_current(stream, by_key(stream, run.records(stream)))
        removed = [
            record
            for record in run.records("team_members")
            if (record["team_id"], record["user_id"]) in changes.removed
        ]
        assert len(removed) == 3
        assert all(record["active"] is False for record in removed)
        assert_no_repeats(run)

        assert set(run.last_state["bookmarks"]) == set(STREAMS)
        for entry in run.last_state["bookmarks"].values():
            assert set(entry) == {"replication_key", "replication_key_value"}
        before, after = bookmarks(full.last_state), bookmarks(run.last_state)
        assert all(after[stream] >= before[stream] for stream in STREAMS)


def test_a_run_right_after_another_emits_nothing_new():
    with serve() as server:
        full = sync(server)
        again = sync(server, full.last_state)
        # Only the overlap is read again, and nothing changed in it.
        assert again.messages
        assert not [m for m in again.messages if m["type"] == "RECORD"]


# Bookmarks never pass what was not emitted


@pytest.mark.parametrize("hours", [-1, 1], ids=["server-behind", "server-ahead"])
def test_a_server_clock_apart_from_the_taps_loses_no_change(hours):
    with serve() as server:
        server.clock.set_offset(hours * 3600)
        full = sync(server)
        for bookmark in bookmarks(full.last_state).values():
            assert bookmark < server.clock.now()
        changes = Changes(server)
        one_change_per_stream(server, changes)
        run = sync(server, full.last_state)
        assert server.counters()["by_endpoint"]["/org/users/details"] == 1
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream), stream
        for bookmark in bookmarks(run.last_state).values():
            assert bookmark < server.clock.now()


def edge_instants(since):
    first, second = since + WEEK, since + 2 * WEEK
    return [
        since,
        first - MS,
        first,
        first + MS,
        second - MS,
        second,
        second + MS,
    ]


def test_changes_on_window_edges_are_emitted():
    with serve() as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        expected = server.expected()
        users = active_user_ids(server)
        teams = [row["id"] for row in expected["teams"]]
        enrolments = expected["course_users"]
        for n, moment in enumerate(edge_instants(since)):
            changes.rename_user(users[40 + n], f"Edge{n}", at=moment)
            changes.add_member(teams[1], users[60 + n], at=moment)
            row = enrolments[n]
            changes.set_progress(row["course_id"], row["user_id"], 20 + n, at=moment)
            changes.add_course(f"Edge course {n}", at=moment)

        run = sync(server, bookmark_state(since))
        assert server.counters()["by_endpoint"] == change_calls(3)
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream), stream
            changes.check_current(stream, by_key(stream, run.records(stream)))
        assert_states_are_honest(run, changes)
        for bookmark in bookmarks(run.last_state).values():
            assert bookmark > server.clock.now() - dt.timedelta(minutes=10)


def test_a_bookmark_with_a_fraction_of_a_second_loses_no_change_in_that_second():
    with serve() as server:
        second = whole_second(server.clock.now() - 3 * DAY)
        changes = Changes(server)
        user = server.expected()["users"][9]["id"]
        changes.rename_user(user, "Fraction", at=second + 500 * MS)
        run = sync(server, bookmark_state(second + 400 * MS))
        assert set(run.keys("users")) == {(user,)}


@pytest.mark.parametrize("after_requests", [1, 4, 7, 10, 13])
def test_a_change_made_during_a_run_arrives_in_that_run_or_the_next(after_requests):
    with serve() as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        one_change_per_stream(server, changes, at=since + DAY)
        expected = server.expected()
        user = expected["users"][20]["id"]
        enrolment = expected["course_users"][12]

        def change_during_the_run():
            one_change_per_stream(server, changes, n=1)
            # Records changed before the run, changed again.
            changes.rename_user(user, "During the run")
            changes.set_progress(enrolment["course_id"], enrolment["user_id"], 77)

        server.schedule(after_requests, change_during_the_run)
        first = sync(server, bookmark_state(since))
        second = sync(server, first.last_state)
        assert_states_are_honest(first, changes)
        assert_states_are_honest(second, changes, earlier=(first,))
        for stream in STREAMS:
            changes.check_current(stream, latest_records([first, second], stream))


def test_a_record_changed_again_long_after_it_was_emitted_arrives_next_run():
    with serve() as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        user = server.expected()["users"][7]["id"]
        changes.rename_user(user, "Before", at=since + DAY)

        def change_then_let_time_pass():
            changes.rename_user(user, "After")
            # The rest of the run takes ten minutes, twice the overlap.
            server.clock.advance(600)

        # The first request is the first window of users, which emits "Before";
        # the last window then finds the key again, with "After".
        server.schedule(1, change_then_let_time_pass)
        first = sync(server, bookmark_state(since))
        assert [r["last_name"] for r in first.records("users")] == ["Before"]
        second = sync(server, first.last_state)
        held = latest_records([first, second], "users")
        assert held[user,]["last_name"] == "After"
        assert_no_repeats(first)


@pytest.mark.parametrize("how", ["updated", "deleted"])
def test_a_row_leaving_a_window_between_its_pages_costs_no_other_row(how):
    with serve() as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        users = [row["id"] for row in server.expected()["users"]]
        for n, user_id in enumerate(users[30:55]):
            changes.rename_user(user_id, f"Paged{n}", at=since + DAY + n * MS)
        order = window_order(server, "/org/users/details", since, since + WEEK)
        assert len(order) == 25
        leaving = order[0]["Id"]

        def leave():
            if how == "updated":
                changes.rename_user(leaving, "Moved")
            else:
                server.mutations.delete_user(leaving)
                del changes.made["users"][leaving,]

        # After the first page of the first window of users: the row leaves
        # that window, and every row after it moves up one place.
        server.schedule(1, leave)
        first = sync(server, bookmark_state(since), page_size=10)
        assert set(first.keys("users")) >= changes.keys("users") - {(leaving,)}
        assert_no_repeats(first)
        second = sync(server, first.last_state, page_size=10)
        changes.check_current("users", latest_records([first, second], "users"))


def test_rows_out_of_order_within_a_window_lose_nothing():
    with serve() as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        users = [row["id"] for row in server.expected()["users"]]
        for n, user_id in enumerate(users[100:160]):
            moment = since + n * dt.timedelta(hours=8)
            changes.rename_user(user_id, f"Scrambled{n}", at=moment)
        run = sync(server, bookmark_state(since), page_size=7)
        updated = [parse_instant(r["updated_date"]) for r in run.records("users")]
        assert updated != sorted(updated), "rows came in date order"
        assert set(run.keys("users")) == changes.keys("users")
        assert_states_are_honest(run, changes)
        assert_no_repeats(run)


def many_changes(server, changes, since):
    expected = server.expected()
    users = [row["id"] for row in expected["users"]]
    for n, user_id in enumerate(users[200:240]):
        changes.rename_user(user_id, f"Faulty{n}", at=since + (n % 3) * WEEK + DAY)
    for n, row in enumerate(expected["course_users"][:30]):
        moment = since + (n % 3) * WEEK + 2 * DAY
        changes.set_progress(row["course_id"], row["user_id"], 40, at=moment)
    for n, row in enumerate(expected["team_members"][:30]):
        moment = since + (n % 3) * WEEK + 3 * DAY
        changes.remove_member(row["team_id"], row["user_id"], at=moment)


def test_pages_that_fail_and_are_retried_lose_nothing():
    faults = FaultSpec(
        seed=3,
        rate=0.3,
        kinds=("500_html", "502", "504", "truncated_json", "html_200", "drop"),
    )
    with serve(faults=faults) as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        many_changes(server, changes, since)
        run = sync(server, bookmark_state(since), page_size=8, max_tries=10)
        assert server.counters()["faults_served"] > 0
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream), stream
            changes.check_current(stream, by_key(stream, run.records(stream)))
        assert_states_are_honest(run, changes)


def test_a_page_that_fails_for_good_loses_nothing_once_resumed():
    faults = FaultSpec(seed=5, rate=0.3, kinds=("500_html", "504"))
    with serve(faults=faults) as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        many_changes(server, changes, since)
        failed = run_until(
            tap_config(server, page_size=8, max_tries=1), state=bookmark_state(since)
        )
        assert failed.returncode != 0
        assert_states_are_honest(failed, changes)
        server.set_faults(None)
        state = failed.states[-1] if failed.states else bookmark_state(since)
        resumed = sync(server, state, page_size=8)
        for stream in STREAMS:
            changes.check_current(stream, latest_records([failed, resumed], stream))


# Repeats


def test_no_key_is_emitted_twice_in_a_run_even_across_windows():
    with serve(over_delivery=2) as server:
        since = whole_second(server.clock.now() - 20 * DAY)
        changes = Changes(server)
        team = server.expected()["teams"][4]["id"]
        # Created in the first window and changed in the last: both list them.
        for n in range(12):
            user_id = changes.add_user(f"Twice{n}", at=since + DAY + n * MS)
            changes.add_member(team, user_id, at=since + DAY + n * MS)
            changes.rename_user(user_id, f"Again{n}", at=since + 15 * DAY)
            if n % 2:
                changes.remove_member(team, user_id, at=since + 16 * DAY)
        run = sync(server, bookmark_state(since), page_size=5)
        assert_no_repeats(run)
        for stream in ("users", "team_members"):
            assert set(run.keys(stream)) == changes.keys(stream)
            changes.check_current(stream, by_key(stream, run.records(stream)))


# Cost on a site of realistic size


def test_after_one_percent_of_a_large_site_changed_a_run_costs_under_two_percent():
    spec = small_spec(
        users=10_000,
        teams=500,
        courses=300,
        members_per_team=20,
        users_per_course=50,
        big_team_members=2000,
        big_course_users=1500,
    )
    with serve(spec) as server:
        expected = server.expected()
        records = sum(len(rows) for rows in expected.values())
        full = sync(server, requests_per_minute=10_000)
        full_calls = server.counters()["requests_total"]
        assert full_calls >= 1 + 500 + 1 + 300
        server.reset_counters()

        changes = Changes(server)
        for user_id in active_user_ids(server)[::100]:
            changes.rename_user(user_id, "Changed")
        for row in expected["team_members"][::100]:
            changes.remove_member(row["team_id"], row["user_id"])
        for row in expected["course_users"][::100]:
            changes.set_progress(row["course_id"], row["user_id"], 60)
        for n in range(3):
            changes.add_course(f"New {n}")
        changed = sum(len(changes.keys(stream)) for stream in STREAMS)
        assert 0.009 < changed / records < 0.011

        run = sync(server, full.last_state, requests_per_minute=10_000)
        assert server.counters()["by_endpoint"] == change_calls(1)
        assert server.counters()["requests_total"] / full_calls < 0.02
        for stream in STREAMS:
            assert set(run.keys(stream)) == changes.keys(stream)
