"""Changes made to a running fake Litmos, seen through every view."""

import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from fake_litmos import FakeLitmos, SiteSpec

SPEC = SiteSpec(
    users=300, teams=8, courses=5, big_team_members=150, big_course_users=120
)
AT = datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=timezone.utc)
WINDOW = {"since": "2026-03-01", "to": "2026-03-08"}


def get(server, path, **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {"apikey": server.api_key}
    response = requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )
    assert response.status_code == 200, (path, response.text)
    return response.json()


def every(server, path, **params):
    rows, start = [], 0
    while True:
        page = get(server, path, start=start, limit=1000, **params)
        rows += page
        start += len(page)
        if len(page) < 1000:
            return rows


def by_id(rows, key="Id"):
    return {row[key]: row for row in rows}


@pytest.fixture
def server():
    with FakeLitmos(SPEC, rate_limit=None) as fake:
        yield fake


def an_active_member(server):
    team = server._state.site.team_ids[4]
    return team, get(server, f"/teams/{team}/users")[0]["Id"]


def test_add_user_shows_in_lists_lookups_and_windows(server):
    user_id = server.mutations.add_user(first_name="Nia", last_name="O&#39;Hara", at=AT)
    users = by_id(every(server, "/users"))
    assert users[user_id]["FirstName"] == "Nia"
    assert users[user_id]["Active"] is True
    assert list(users)[-1] == user_id
    details = get(server, f"/users/{user_id}")
    assert details["FullName"] == "Nia O&#39;Hara"
    assert details["CreatedDate"] == "2026-03-04T05:06:07.890Z"
    assert details["LastLogin"] == ""
    org = by_id(get(server, "/org/users/details", **WINDOW))
    assert set(org) == {user_id}
    assert org[user_id]["UpdatedDate"] in {
        "2026-03-04T05:06:07.890",
        "2026-03-04T05:06:07.890+0000",
    }
    assert (user_id,) in server.expected_keys("users")


def test_rename_user_changes_names_and_updated_date(server):
    user_id = get(server, "/users")[10]["Id"]
    server.mutations.rename_user(user_id, last_name="Renamed", at=AT)
    row = by_id(get(server, "/users"))[user_id]
    assert row["LastName"] == "Renamed"
    assert get(server, f"/users/{user_id}")["FullName"].endswith(" Renamed")
    org = by_id(get(server, "/org/users/details", **WINDOW))
    assert org[user_id]["UpdatedDate"].startswith("2026-03-04T05:06:07.890")
    assert org[user_id]["CreatedDate"] < "2026"


def test_deactivated_user_stays_a_user_but_leaves_team_lists(server):
    team, user_id = an_active_member(server)
    server.mutations.deactivate_user(user_id, at=AT)
    assert by_id(every(server, "/users"))[user_id]["Active"] is False
    assert by_id(every(server, "/users/details"))[user_id]["Active"] is False
    assert user_id not in by_id(get(server, f"/teams/{team}/users"))
    assert user_id in by_id(get(server, "/org/users/details", **WINDOW))
    assert (team, user_id) not in server.expected_keys("team_members")
    assert (user_id,) in server.expected_keys("users")

    server.mutations.activate_user(user_id)
    assert user_id in by_id(get(server, f"/teams/{team}/users"))


def test_details_can_leave_inactive_users_out():
    with FakeLitmos(SPEC, rate_limit=None, details_include_inactive=False) as fake:
        details = every(fake, "/users/details")
        assert all(row["Active"] for row in details)
        everyone = every(fake, "/users")
        assert len(everyone) > len(details)
        assert len(fake.expected()["users"]) == len(everyone)


def test_show_inactive_false_hides_inactive_users(server):
    everyone = every(server, "/users")
    active = every(server, "/users", showInactive="false")
    assert len(active) == sum(row["Active"] for row in everyone) < len(everyone)
    assert every(server, "/users", showInactive="true") == everyone


def test_removed_member_leaves_the_team_and_shows_inactive_in_windows(server):
    team, user_id = an_active_member(server)
    server.mutations.remove_member(team, user_id, at=AT)
    assert user_id not in by_id(get(server, f"/teams/{team}/users"))
    rows = get(server, "/org/teams/users", **WINDOW)
    assert len(rows) == 1
    assert rows[0]["TeamId"] == team
    assert rows[0]["Id"] == user_id
    assert rows[0]["Active"] is False
    assert rows[0]["UpdatedDate"].startswith("2026-03-04T05:06:07.890")
    assert (team, user_id) not in server.expected_keys("team_members")
    with pytest.raises(KeyError):
        server.mutations.remove_member(team, user_id)


def test_added_member_joins_the_team_and_the_window(server):
    team = server._state.site.team_ids[1]
    assert get(server, f"/teams/{team}/users") == []
    user_id = get(server, "/users")[0]["Id"]
    server.mutations.add_member(team, user_id, at=AT)
    assert [row["Id"] for row in get(server, f"/teams/{team}/users")] == [user_id]
    rows = get(server, "/org/teams/users", **WINDOW)
    assert [(row["TeamId"], row["Id"], row["Active"]) for row in rows] == [
        (team, user_id, True)
    ]
    assert (team, user_id) in server.expected_keys("team_members")


def test_set_progress_updates_course_users_and_results(server):
    course = server._state.site.course_ids[3]
    user_id = get(server, f"/courses/{course}/users")[0]["Id"]
    server.mutations.set_progress(course, user_id, 100, completed=True, at=AT)
    row = by_id(get(server, f"/courses/{course}/users"))[user_id]
    assert row["Completed"] is True
    assert row["PercentageComplete"] == 100
    results = get(server, "/org/results/details", **WINDOW)
    assert [(r["Id"], r["UserId"], r["Completed"]) for r in results] == [
        (course, user_id, True)
    ]
    millis = int(AT.timestamp() * 1000)
    assert re.fullmatch(
        rf"/Date\({millis}([+-]\d{{4}})?\)/", results[0]["LastAttemptDate"]
    )


def test_set_progress_enrols_a_new_user(server):
    course = server._state.site.course_ids[1]
    assert get(server, f"/courses/{course}/users") == []
    user_id = get(server, "/users")[5]["Id"]
    server.mutations.set_progress(course, user_id, 40, completed=False, at=AT)
    rows = get(server, f"/courses/{course}/users")
    assert [(r["Id"], r["PercentageComplete"], r["Completed"]) for r in rows] == [
        (user_id, 40, False)
    ]
    assert (course, user_id) in server.expected_keys("course_users")


def test_add_course_lists_an_empty_course(server):
    course = server.mutations.add_course(name="Ladder Safety", at=AT)
    assert by_id(get(server, "/courses"))[course]["Name"] == "Ladder Safety"
    assert get(server, f"/courses/{course}")["Id"] == course
    assert get(server, f"/courses/{course}/users") == []
    assert [row["Id"] for row in get(server, "/org/courses", **WINDOW)] == [course]


def test_deleted_user_vanishes_without_a_tombstone(server):
    team, user_id = an_active_member(server)
    server.mutations.delete_user(user_id)
    assert user_id not in by_id(every(server, "/users"))
    assert user_id not in by_id(get(server, f"/teams/{team}/users"))
    response = requests.get(
        f"{server.base_url}/users/{user_id}",
        params={"source": "tests", "format": "json"},
        headers={"apikey": server.api_key},
        timeout=10,
    )
    assert response.status_code == 404
    assert (user_id,) not in server.expected_keys("users")


def test_mutations_default_to_the_fake_clock(server):
    server.clock.set_offset(86_400 * 400)
    user_id = server.mutations.add_user()
    created = get(server, f"/users/{user_id}")["CreatedDate"]
    stamped = datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert abs(stamped - datetime.now(timezone.utc) - timedelta(days=400)) < timedelta(
        seconds=30
    )


def test_unknown_ids_are_refused_by_mutations(server):
    with pytest.raises(KeyError):
        server.mutations.rename_user("nobody", first_name="X")
    with pytest.raises(KeyError):
        server.mutations.add_member("no-team", get(server, "/users")[0]["Id"])


def test_schedule_runs_a_change_after_n_requests(server):
    team, user_id = an_active_member(server)
    server.schedule(2, lambda: server.mutations.remove_member(team, user_id))
    seen = [user_id in by_id(get(server, f"/teams/{team}/users")) for _ in range(4)]
    assert seen == [True, True, False, False]


def test_schedule_can_change_data_mid_paging(server):
    first = get(server, "/users", limit=100)
    server.schedule(0, server.mutations.add_user)
    new_last = every(server, "/users")[-1]["Id"]
    assert new_last not in by_id(first)
    assert len(every(server, "/users")) == 301
