"""The date-range (/org/...) endpoints of the fake Litmos: windows and filters."""

from datetime import datetime, timedelta, timezone

import pytest
import requests

from fake_litmos import FakeLitmos, SiteSpec
from fake_litmos.dates import to_datetime

ORG_ENDPOINTS = (
    "/org/users/details",
    "/org/teams",
    "/org/teams/users",
    "/org/courses",
    "/org/results/details",
)


def get(server, path, **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {"apikey": server.api_key}
    return requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )


def parse_wire_date(text):
    if text.endswith("Z"):
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
    text = text.removesuffix("+0000")
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def fmt(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def server():
    with FakeLitmos(SiteSpec(users=1500), rate_limit=None) as fake:
        yield fake


@pytest.mark.parametrize("path", ORG_ENDPOINTS)
def test_a_window_of_up_to_7_days_is_served(server, path):
    response = get(server, path, since="2025-06-01", to="2025-06-08")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


@pytest.mark.parametrize("path", ORG_ENDPOINTS)
def test_a_window_over_7_days_is_406(server, path):
    response = get(server, path, since="2025-06-01", to="2025-06-08 00:00:01")
    assert response.status_code == 406
    assert response.json()["Detail"]


@pytest.mark.parametrize(
    "params",
    [{}, {"since": "2025-06-01"}, {"to": "2025-06-02"}, {"since": "", "to": ""}],
)
def test_since_and_to_are_both_required(server, params):
    assert get(server, "/org/teams", **params).status_code == 406


@pytest.mark.parametrize(
    ("since", "to"),
    [("2025-06-02", "2025-06-02"), ("2025-06-03", "2025-06-02")],
)
def test_since_must_be_before_to(server, since, to):
    assert get(server, "/org/teams", since=since, to=to).status_code == 406


@pytest.mark.parametrize(
    "since",
    [
        "2025-06-01",
        "2025-06-01 10:30",
        "2025-06-01 10:30:15",
        "2025-06-01T10:30",
        "2025-06-01T10:30:15",
    ],
)
def test_documented_date_forms_are_accepted(server, since):
    assert get(server, "/org/teams", since=since, to="2025-06-05").status_code == 200


@pytest.mark.parametrize(
    "since",
    [
        "2025/06/01",
        "06/01/2025",
        "2025-6-1",
        "2025-06-01T10:30:15Z",
        "2025-06-01 10:30:15.123",
        "2025-06-01 10",
        "2025-02-30",
        "yesterday",
    ],
)
def test_other_date_forms_are_406(server, since):
    assert get(server, "/org/teams", since=since, to="2025-06-05").status_code == 406


def test_rows_are_exactly_those_created_or_updated_in_the_window(server):
    since = datetime(2025, 5, 1, tzinfo=timezone.utc)
    to = since + timedelta(days=7)
    rows = get(server, "/org/users/details", since=fmt(since), to=fmt(to), limit=1000)
    served = {row["Id"]: row for row in rows.json()}

    for row in served.values():
        created = parse_wire_date(row["CreatedDate"])
        updated = parse_wire_date(row["UpdatedDate"])
        assert since <= created < to or since <= updated < to

    state = server._state
    wanted = set()
    for i in range(state.user_count):
        created, updated = (to_datetime(ms) for ms in state.user_times(i))
        if since <= created < to or since <= updated < to:
            wanted.add(state.user_id(i))
    assert set(served) == wanted
    only_updated = [
        row for row in served.values() if parse_wire_date(row["CreatedDate"]) < since
    ]
    assert only_updated, "some rows must be in the window through UpdatedDate alone"


def test_to_is_exclusive_and_since_inclusive(server):
    state = server._state
    site = state.site
    for i in range(state.user_count):
        created = site.user_created[i]
        if site.user_updated[i] - created > 3 * 86_400_000:
            break
    moment = to_datetime(created)
    user_id = state.user_id(i)

    before = get(
        server,
        "/org/users/details",
        since=fmt(moment - timedelta(days=1)),
        to=fmt(moment),
        limit=1000,
    )
    after = get(
        server,
        "/org/users/details",
        since=fmt(moment),
        to=fmt(moment + timedelta(days=1)),
        limit=1000,
    )
    assert user_id not in {row["Id"] for row in before.json()}
    assert user_id in {row["Id"] for row in after.json()}


def test_rows_are_not_in_date_order_but_stable_across_pages(server):
    window = {"since": "2025-07-01", "to": "2025-07-08"}
    whole = get(server, "/org/teams/users", limit=1000, **window).json()
    assert len(whole) > 20
    updated = [row["UpdatedDate"] for row in whole]
    assert updated != sorted(updated)
    assert updated != sorted(updated, reverse=True)

    paged, start = [], 0
    while True:
        page = get(server, "/org/teams/users", start=start, limit=7, **window).json()
        paged += page
        start += len(page)
        if len(page) < 7:
            break
    assert paged == whole


def test_membership_rows_carry_the_documented_fields(server):
    rows = get(server, "/org/teams/users", since="2025-07-01", to="2025-07-08").json()
    assert set(rows[0]) == {
        "TeamId",
        "Id",
        "Active",
        "IsTeamLeader",
        "IsTeamAdmin",
        "CreatedDate",
        "UpdatedDate",
    }


def test_results_rows_carry_the_documented_fields(server):
    rows = get(server, "/org/results/details", since="2025-07-01", to="2025-07-08")
    row = rows.json()[0]
    assert {"Id", "UserId", "Completed", "PercentageComplete", "CompletedDate"} <= set(
        row
    )
    assert {"UpdatedDate", "DueDate", "StartedDate", "LastAttemptDate"} <= set(row)
    assert row["Id"] in server._state.site.course_index
    assert row["UserId"] in server._state.site.user_index


def test_users_details_since_filters_on_created_date(server):
    state = server._state
    pivot = to_datetime(state.site.user_created[700])
    rows = get(server, "/users/details", since=fmt(pivot), limit=1000).json()
    assert rows[0]["Id"] == state.user_id(700)
    assert all(parse_wire_date(row["CreatedDate"]) >= pivot for row in rows)
    assert len(rows) == 800
    assert get(server, "/users/details", since="June 1").status_code == 406
