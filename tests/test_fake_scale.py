"""A site of 600,000 users starts quickly and serves full pages quickly."""

import statistics
import time

import requests

from fake_litmos import FakeLitmos, SiteSpec


def test_a_600k_user_site_starts_fast_and_serves_1000_item_pages_fast():
    began = time.monotonic()
    spec = SiteSpec(users=600_000, teams=3000, courses=3000)
    with FakeLitmos(spec, rate_limit=None) as server:
        startup = time.monotonic() - began
        assert startup < 15

        timings = []
        with requests.Session() as session:
            session.headers["apikey"] = server.api_key
            for start in range(300_000, 306_000, 1000):
                params = {
                    "source": "scale",
                    "format": "json",
                    "limit": 1000,
                    "start": start,
                }
                began = time.monotonic()
                response = session.get(
                    server.base_url + "/users/details", params=params, timeout=30
                )
                timings.append(time.monotonic() - began)
                assert response.status_code == 200
            assert len(response.json()) == 1000
        assert statistics.median(timings) < 0.05
