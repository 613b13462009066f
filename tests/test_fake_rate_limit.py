"""The rolling per-key rate limit of the fake Litmos."""

import time

import requests

from fake_litmos import FakeLitmos, SiteSpec

SPEC = SiteSpec(users=50, teams=3, courses=3)


def get(server, path="/teams", *, key=None):
    headers = {"apikey": key or server.api_key}
    params = {"source": "tests", "format": "json"}
    return requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )


def statuses(server, count):
    return [get(server).status_code for _ in range(count)]


def test_503_after_n_requests_in_the_window():
    with FakeLitmos(SPEC, rate_limit=5, rate_window=1.0) as fake:
        assert statuses(fake, 5) == [200] * 5
        refused = get(fake)
        assert refused.status_code == 503
        assert "rate limit" in refused.json()["Detail"].lower()
        assert "Retry-After" not in refused.headers
        assert fake.counters()["rate_limited"] == 1


def test_requests_are_admitted_again_once_the_window_has_passed():
    with FakeLitmos(SPEC, rate_limit=5, rate_window=1.0) as fake:
        assert statuses(fake, 6)[-1] == 503
        time.sleep(1.05)
        assert statuses(fake, 5) == [200] * 5
        assert get(fake).status_code == 503


def test_the_window_rolls_rather_than_resetting():
    with FakeLitmos(SPEC, rate_limit=4, rate_window=1.0) as fake:
        assert statuses(fake, 2) == [200, 200]
        time.sleep(0.6)
        assert statuses(fake, 2) == [200, 200]
        time.sleep(0.5)
        # The first two left the window; the last two are still in it.
        assert statuses(fake, 3) == [200, 200, 503]


def test_refused_requests_do_not_count_toward_the_window():
    with FakeLitmos(SPEC, rate_limit=3, rate_window=1.0) as fake:
        assert statuses(fake, 3) == [200] * 3
        for _ in range(4):
            assert get(fake).status_code == 503
            time.sleep(0.2)
        # 1.0 s after the admitted ones, despite the refusals in between.
        time.sleep(0.35)
        assert get(fake).status_code == 200


def test_the_429_variant_sends_retry_after_in_seconds():
    with FakeLitmos(SPEC, rate_limit=5, rate_window=3.0, rate_limit_status=429) as fake:
        statuses(fake, 5)
        refused = get(fake)
        assert refused.status_code == 429
        assert "rate limit" in refused.json()["Detail"].lower()
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 3


def test_rejected_auth_does_not_use_the_window():
    with FakeLitmos(SPEC, rate_limit=3, rate_window=60.0) as fake:
        for _ in range(5):
            assert get(fake, key="wrong").status_code == 401
        assert statuses(fake, 3) == [200] * 3


def test_advancing_the_clock_frees_the_window():
    with FakeLitmos(SPEC, rate_limit=2, rate_window=60.0) as fake:
        assert statuses(fake, 3) == [200, 200, 503]
        fake.clock.advance(61)
        assert statuses(fake, 2) == [200, 200]


def test_the_rate_limit_can_change_while_running():
    with FakeLitmos(SPEC, rate_limit=2, rate_window=60.0) as fake:
        assert statuses(fake, 3) == [200, 200, 503]
        fake.set_rate_limit(None)
        assert statuses(fake, 10) == [200] * 10
        fake.set_rate_limit(1, 60.0)
        assert get(fake).status_code == 503


def test_the_default_is_100_requests_per_minute(fake_litmos):
    with requests.Session() as session:
        session.headers["apikey"] = fake_litmos.api_key
        url = fake_litmos.base_url + "/teams"
        params = {"source": "tests", "format": "json", "limit": 1}
        codes = [
            session.get(url, params=params, timeout=10).status_code for _ in range(101)
        ]
    assert codes[:100] == [200] * 100
    assert codes[100] == 503
