"""Paging of the fake Litmos list endpoints: start, limit, short pages."""

import pytest
import requests

from fake_litmos import FakeLitmos, SiteSpec

SPEC = SiteSpec(users=1500)


def get(server, path, **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {"apikey": server.api_key}
    return requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )


def ids(response):
    assert response.status_code == 200, response.text
    return [row["Id"] for row in response.json()]


@pytest.fixture
def server():
    with FakeLitmos(SPEC, rate_limit=None) as fake:
        yield fake


def test_default_page_is_100_items(fake_litmos):
    assert len(ids(get(fake_litmos, "/users"))) == 100


def test_limit_up_to_1000_is_served(server):
    assert len(ids(get(server, "/users", limit=1000))) == 1000


def test_limit_above_1000_is_406(server):
    response = get(server, "/users", limit=1001)
    assert response.status_code == 406
    assert "limit" in response.json()["Detail"]


def test_limit_zero_is_406(server):
    assert get(server, "/users", limit=0).status_code == 406


def test_clamp_limit_reading_serves_1000_instead():
    with FakeLitmos(SPEC, rate_limit=None, clamp_limit=True) as clamped:
        assert len(ids(get(clamped, "/users", limit=5000))) == 1000


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "ten"), ("start", "1.5"), ("start", "-1")]
)
def test_non_integer_paging_is_400(server, name, value):
    response = get(server, "/users", **{name: value})
    assert response.status_code == 400
    assert response.json()["Detail"]


def test_non_integer_status_can_be_406():
    with FakeLitmos(SPEC, bad_integer_status=406) as fake:
        assert get(fake, "/users", limit="x").status_code == 406


def test_end_is_a_short_page_then_an_empty_one(server):
    assert len(ids(get(server, "/users", start=1000, limit=1000))) == 500
    assert ids(get(server, "/users", start=1500, limit=1000)) == []
    assert ids(get(server, "/users", start=99_999)) == []


def test_pages_follow_one_stable_order(server):
    whole = ids(get(server, "/users", limit=1000)) + ids(
        get(server, "/users", start=1000, limit=1000)
    )
    paged = []
    start = 0
    while True:
        page = ids(get(server, "/users", start=start, limit=300))
        paged += page
        start += len(page)
        if len(page) < 300:
            break
    assert paged == whole
    assert len(set(whole)) == 1500


def test_start_is_an_offset_into_the_list(server):
    whole = ids(get(server, "/users", limit=50))
    assert ids(get(server, "/users", start=10, limit=5)) == whole[10:15]


def test_over_delivery_adds_items_to_full_pages_only(server):
    plain = ids(get(server, "/users", limit=1000)) + ids(
        get(server, "/users", start=1000, limit=1000)
    )
    with FakeLitmos(SPEC, rate_limit=None, over_delivery=7) as fake:
        first = ids(get(fake, "/users", limit=100))
        assert first == plain[:107]

        last = ids(get(fake, "/users", start=1450, limit=100))
        assert last == plain[1450:]


def test_over_delivery_is_safe_when_start_advances_by_items_received():
    with FakeLitmos(SPEC, rate_limit=None, over_delivery=7) as fake:
        seen, start, calls = [], 0, 0
        while True:
            page = ids(get(fake, "/users", start=start, limit=200))
            calls += 1
            seen += page
            start += len(page)
            if len(page) < 200:
                break
        assert len(seen) == len(set(seen)) == 1500

        # Advancing by `limit` instead reads the extra items twice.
        repeated = ids(get(fake, "/users", start=0, limit=200))
        repeated += ids(get(fake, "/users", start=200, limit=200))
        assert len(repeated) - len(set(repeated)) == 7


def test_team_members_page_like_lists(server):
    team = server._state.site.team_ids[0]
    first = ids(get(server, f"/teams/{team}/users", limit=1000))
    rest = ids(get(server, f"/teams/{team}/users", start=1000, limit=1000))
    assert len(first) == 1000
    assert 0 < len(rest) < 1000
    assert not set(first) & set(rest)
