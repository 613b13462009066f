"""The synthetic site of the fake Litmos holds every awkward case."""

import re

import pytest
import requests

from fake_litmos import FakeLitmos, SiteSpec

ID = re.compile(r"[A-Za-z0-9_-]+")
DOTNET = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


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


@pytest.fixture(scope="module")
def server():
    with FakeLitmos(SiteSpec(), rate_limit=None) as fake:
        yield fake


@pytest.fixture(scope="module")
def users(server):
    return every(server, "/users/details")


@pytest.fixture(scope="module")
def teams(server):
    return every(server, "/teams")


@pytest.fixture(scope="module")
def courses(server):
    return every(server, "/courses")


@pytest.fixture(scope="module")
def course_users(server, courses):
    return {
        course["Id"]: every(server, f"/courses/{course['Id']}/users")
        for course in courses
    }


@pytest.fixture(scope="module")
def members(server, teams):
    return {team["Id"]: every(server, f"/teams/{team['Id']}/users") for team in teams}


def test_the_same_spec_gives_the_same_site(server):
    with FakeLitmos(SiteSpec(), rate_limit=None) as twin:
        assert get(twin, "/users/details", limit=50) == get(
            server, "/users/details", limit=50
        )
    with FakeLitmos(SiteSpec(seed=2), rate_limit=None) as other:
        assert get(other, "/users", limit=50) != get(server, "/users", limit=50)


def test_about_5_percent_of_users_are_inactive_and_listed(server, users):
    inactive = [user for user in users if not user["Active"]]
    assert 0.02 * len(users) < len(inactive) < 0.1 * len(users)
    listed = {row["Id"] for row in every(server, "/users")}
    assert {user["Id"] for user in inactive} <= listed


def test_team_lists_hold_active_members_only(server, users, members):
    inactive = {user["Id"] for user in users if not user["Active"]}
    listed = {row["Id"] for rows in members.values() for row in rows}
    assert not listed & inactive
    state = server._state
    big = state.site.team_ids[0]
    assert len(state.members_of(0)) > len(members[big])


def test_team_member_rows_are_basic_users_without_a_team_id(members):
    row = next(rows[0] for rows in members.values() if rows)
    assert set(row) == {
        "Id",
        "UserName",
        "FirstName",
        "LastName",
        "Active",
        "Email",
        "AccessLevel",
        "Brand",
    }


def test_teams_nest_and_top_level_parents_are_empty_or_missing(server, teams):
    by_id = {team["Id"]: team for team in teams}
    nested = [team for team in teams if team.get("ParentTeamId")]
    assert nested
    assert all(team["ParentTeamId"] in by_id for team in nested)
    assert any(by_id[team["ParentTeamId"]].get("ParentTeamId") for team in nested)
    assert any(team.get("ParentTeamId") == "" for team in teams)
    assert any("ParentTeamId" not in team for team in teams)
    parent = nested[0]["ParentTeamId"]
    subs = get(server, f"/teams/{parent}/teams")
    assert nested[0]["Id"] in {team["Id"] for team in subs}


def test_there_is_an_empty_team_and_a_course_without_users(members, course_users):
    assert any(rows == [] for rows in members.values())
    assert any(rows == [] for rows in course_users.values())


def test_one_team_and_one_course_span_several_pages(members, course_users):
    assert max(len(rows) for rows in members.values()) > 1000
    assert max(len(rows) for rows in course_users.values()) > 1000


def test_ids_are_opaque_and_case_sensitive(server, users, teams, courses):
    ids = [row["Id"] for row in users + teams + courses]
    assert all(ID.fullmatch(value) for value in ids)
    assert any(value.startswith("-") for value in ids)
    assert len(set(ids)) == len(ids)
    folded = {}
    for value in (user["Id"] for user in users):
        folded.setdefault(value.lower(), []).append(value)
    twins = next(group for group in folded.values() if len(group) > 1)
    first, second = (get(server, f"/users/{twin}") for twin in twins)
    assert first["Id"] != second["Id"]
    assert first["Email"] != second["Email"]


def test_nulls_and_empty_strings_both_occur(users, courses):
    values = [value for row in users + courses for value in row.values()]
    assert None in values
    assert "" in values


def test_text_carries_html_entities(users, teams, courses):
    assert any("&amp;" in team["Name"] for team in teams)
    assert any("Health &amp; Safety" in course["Name"] for course in courses)
    assert any(user["LastName"] == "O&#39;Brien" for user in users)
    assert any("O&#39;Brien" in user["FullName"] for user in users)


def test_numbers_keep_their_types(users, courses):
    assert all(isinstance(user["OriginalId"], int) for user in users)
    assert all(isinstance(user["Points"], int) for user in users)
    assert all(isinstance(course["OriginalId"], int) for course in courses)
    assert 19.99 in [course["Price"] for course in courses]


def test_full_users_hold_a_login_key_and_an_empty_password(users):
    assert all(user["LoginKey"].startswith("https://") for user in users)
    assert {user["Password"] for user in users} == {""}
    assert any(user["LastLogin"] == "" for user in users)


def test_user_profile_dates_are_iso_with_z(users):
    created = [user["CreatedDate"] for user in users]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text) for text in created
    )
    assert all("2025-01-01" <= text < "2026-01-01" for text in created)
    assert any(user["ExpirationDate"] for user in users)


def test_enrolment_dates_use_every_dotnet_form(course_users, courses):
    texts = [
        row[name]
        for rows in course_users.values()
        for row in rows
        for name in ("CompliantTill", "DueDate", "AccessTillDate")
        if row[name]
    ]
    texts += [
        course["AccessTillDate"] for course in courses if course["AccessTillDate"]
    ]
    matches = [DOTNET.fullmatch(text) for text in texts]
    assert all(matches)
    offsets = {match.group(2) for match in matches}
    assert None in offsets
    assert "+0000" in offsets
    assert {"-0700", "-0500", "+0100", "+0530"} & offsets


def test_org_rows_use_zoneless_iso_and_sometimes_plus_0000(server):
    rows = get(
        server, "/org/teams/users", since="2025-08-01", to="2025-08-08", limit=1000
    )
    stamps = [row["UpdatedDate"] for row in rows] + [row["CreatedDate"] for row in rows]
    naive = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}")
    assert all(naive.fullmatch(text.removesuffix("+0000")) for text in stamps)
    assert any(text.endswith("+0000") for text in stamps)
    assert any(naive.fullmatch(text) for text in stamps)


def test_every_record_was_created_and_updated_within_2025(server):
    site = server._state.site
    for created, updated in (
        (site.user_created, site.user_updated),
        (site.team_created, site.team_updated),
        (site.member_created, site.member_updated),
        (site.course_created, site.course_updated),
        (site.enrol_created, site.enrol_updated),
    ):
        assert min(created) >= 1_735_689_600_000
        assert max(updated) < 1_767_225_600_000
        assert all(c <= u for c, u in zip(created, updated, strict=True))


def test_course_user_rows_carry_progress_without_a_course_id(course_users):
    row = next(rows[0] for rows in course_users.values() if rows)
    assert set(row) == {
        "Id",
        "UserName",
        "FirstName",
        "LastName",
        "Completed",
        "PercentageComplete",
        "CompliantTill",
        "DueDate",
        "AccessTillDate",
    }
    values = {r["PercentageComplete"] for rows in course_users.values() for r in rows}
    assert {0, 100} <= values
    assert any(isinstance(value, float) for value in values)


def test_search_filters_lists(server, users):
    name = users[7]["LastName"]
    found = every(server, "/users", search=name.lower())
    assert found
    assert all(
        name.lower()
        in (row["LastName"] + row["FirstName"] + row["Email"] + row["UserName"]).lower()
        for row in found
    )
    assert len(found) < len(users)
