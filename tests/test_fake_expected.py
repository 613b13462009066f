"""`expected()` agrees with what the fake Litmos endpoints serve."""

import html
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from fake_litmos import FakeLitmos, SiteSpec
from fake_litmos.expected import snake_case

SPEC = SiteSpec(users=1300, teams=7, courses=6)
DOTNET = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+0000)?")
DECODED = {"first_name", "last_name", "full_name", "name", "company_name", "job_title"}
DECODED |= {"manager_name"}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def tap_value(key, value):
    """Normalize one value the way the tap is specified to, independently."""
    if value == "":
        return None
    if isinstance(value, str):
        dotnet = DOTNET.fullmatch(value)
        if dotnet:
            moment = EPOCH + timedelta(milliseconds=int(dotnet.group(1)))
            return moment.isoformat().replace("+00:00", "Z")
        if ISO.fullmatch(value):
            text = value.removesuffix("Z").removesuffix("+0000")
            moment = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
            return moment.isoformat().replace("+00:00", "Z")
        if key in DECODED:
            return html.unescape(value)
    return value


def tap_record(row):
    return {
        snake_case(name): tap_value(snake_case(name), value)
        for name, value in row.items()
        if name not in {"LoginKey", "Password"}
    }


def get(server, path, **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {"apikey": server.api_key}
    response = requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )
    assert response.status_code == 200, (path, response.text)
    return response.json()


def every(server, path):
    rows, start = [], 0
    while True:
        page = get(server, path, start=start, limit=1000)
        rows += page
        start += len(page)
        if len(page) < 1000:
            return rows


def synced(server):
    """A full sync through the plain list endpoints, normalized."""
    teams = every(server, "/teams")
    courses = every(server, "/courses")
    members, enrolments = [], []
    for team in teams:
        members.extend(
            {"team_id": team["Id"], "user_id": row["Id"], "active": True}
            for row in every(server, f"/teams/{team['Id']}/users")
        )
    for course in courses:
        for row in every(server, f"/courses/{course['Id']}/users"):
            record = tap_record(row)
            enrolments.append(
                {
                    "course_id": course["Id"],
                    "user_id": record["id"],
                    "completed": record["completed"],
                    "percentage_complete": record["percentage_complete"],
                    "compliant_till": record["compliant_till"],
                    "due_date": record["due_date"],
                    "access_till_date": record["access_till_date"],
                }
            )
    team_rows = []
    for team in teams:
        record = tap_record(team)
        record.setdefault("parent_team_id", None)
        team_rows.append(record)
    return {
        "users": [tap_record(row) for row in every(server, "/users/details")],
        "teams": team_rows,
        "team_members": members,
        "courses": [tap_record(row) for row in courses],
        "course_users": enrolments,
    }


@pytest.fixture
def server():
    with FakeLitmos(SPEC, rate_limit=None) as fake:
        yield fake


def test_snake_case_follows_the_tap_rule():
    assert snake_case("FirstName") == "first_name"
    assert snake_case("PercentageComplete") == "percentage_complete"
    assert snake_case("ParentTeamId") == "parent_team_id"
    assert snake_case("CustomField1") == "custom_field1"
    assert snake_case("CustomField10") == "custom_field10"
    assert snake_case("Street1") == "street1"
    assert snake_case("SalesforceContactId") == "salesforce_contact_id"
    assert snake_case("IsTeamLeader") == "is_team_leader"
    assert snake_case("Id") == "id"


def test_expected_matches_a_full_sync_of_the_list_endpoints(server):
    assert server.expected() == synced(server)


def test_expected_values_are_normalized(server):
    expected = server.expected()
    user = next(u for u in expected["users"] if u["last_name"] == "O'Brien")
    assert user["full_name"].endswith("O'Brien")
    assert "login_key" not in user
    assert "password" not in user
    assert re.fullmatch(r"2025-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["created_date"])
    assert all(
        u["last_login"] is None or u["last_login"].endswith("Z")
        for u in expected["users"]
    )
    assert any(t["name"] == "Health & Safety" for t in expected["teams"])
    assert any(t["parent_team_id"] is None for t in expected["teams"])
    assert all(
        set(t) == {"id", "name", "team_code_for_bulk_import", "parent_team_id"}
        for t in expected["teams"]
    )
    dates = [row["due_date"] for row in expected["course_users"] if row["due_date"]]
    assert dates
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", d) for d in dates
    )
    assert all("" not in row.values() for rows in expected.values() for row in rows)


def test_expected_includes_inactive_users(server):
    users = server.expected()["users"]
    assert any(user["active"] is False for user in users)
    assert len(users) == 1300


def test_expected_keys_match_the_records(server):
    expected = server.expected()
    assert server.expected_keys("users") == {(u["id"],) for u in expected["users"]}
    assert server.expected_keys("teams") == {(t["id"],) for t in expected["teams"]}
    assert server.expected_keys("courses") == {(c["id"],) for c in expected["courses"]}
    assert server.expected_keys("team_members") == {
        (m["team_id"], m["user_id"]) for m in expected["team_members"]
    }
    assert server.expected_keys("course_users") == {
        (e["course_id"], e["user_id"]) for e in expected["course_users"]
    }
    with pytest.raises(KeyError):
        server.expected_keys("nope")


def test_expected_follows_mutations(server):
    mutations = server.mutations
    team = server._state.site.team_ids[3]
    member = get(server, f"/teams/{team}/users")[0]["Id"]
    mutations.remove_member(team, member)
    added = mutations.add_user(first_name="Zed", last_name="Smith &amp; Co")
    mutations.add_member(team, added)
    course = mutations.add_course()
    mutations.set_progress(course, added, 50, completed=False)
    expected = server.expected()
    assert expected == synced(server)
    assert (team, member) not in server.expected_keys("team_members")
    user = next(u for u in expected["users"] if u["id"] == added)
    assert user["last_name"] == "Smith & Co"


def test_the_control_endpoint_serves_expected_streams(server):
    for stream, rows in server.expected().items():
        response = requests.get(
            f"{server.root_url}/_control/expected/{stream}", timeout=10
        )
        assert response.status_code == 200
        assert response.json() == json.loads(json.dumps(rows))
    missing = requests.get(f"{server.root_url}/_control/expected/nope", timeout=10)
    assert missing.status_code == 404


def test_iter_expected_streams_without_a_list(server):
    assert list(server.iter_expected("teams")) == server.expected()["teams"]


def test_course_users_can_leave_inactive_users_out():
    with FakeLitmos(SPEC, rate_limit=None, course_users_include_inactive=False) as fake:
        expected = fake.expected()
        inactive = {u["id"] for u in expected["users"] if not u["active"]}
        assert not inactive & {row["user_id"] for row in expected["course_users"]}
        assert expected == synced(fake)
