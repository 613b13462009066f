"""Request counters of the fake Litmos, in process and over HTTP."""

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from fake_litmos import FakeLitmos, FaultSpec, SiteSpec

SPEC = SiteSpec(users=80, teams=4, courses=3, big_team_members=40, big_course_users=30)


def get(server, path, *, key=None, **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {"apikey": key or server.api_key}
    return requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )


def test_counters_count_requests_by_templated_endpoint_and_status(fake_litmos):
    team = fake_litmos._state.site.team_ids[2]
    get(fake_litmos, "/users")
    get(fake_litmos, "/users/details", limit=10)
    get(fake_litmos, f"/teams/{team}/users")
    get(fake_litmos, "/teams/other-team/users")
    get(fake_litmos, "/users", key="wrong")
    get(fake_litmos, "/nowhere")
    counters = fake_litmos.counters()
    assert counters["requests_total"] == 6
    assert counters["by_endpoint"] == {
        "/users": 2,
        "/users/details": 1,
        "/teams/{id}/users": 2,
        "(unknown)": 1,
    }
    assert counters["by_status"] == {200: 3, 404: 2, 401: 1}
    assert counters["items_served"] >= 110
    assert counters["rate_limited"] == 0
    assert counters["faults_served"] == 0


def test_reset_counters_starts_from_zero(fake_litmos):
    get(fake_litmos, "/teams")
    fake_litmos.reset_counters()
    counters = fake_litmos.counters()
    assert counters["requests_total"] == 0
    assert counters["by_endpoint"] == {}
    assert counters["peak_concurrency"] == 0


def test_rate_limited_and_faulted_requests_are_counted():
    with FakeLitmos(
        SPEC, rate_limit=2, faults=FaultSpec(rate=1.0, kinds=("502",))
    ) as fake:
        codes = [get(fake, "/teams").status_code for _ in range(3)]
        assert codes == [502, 502, 503]
        counters = fake.counters()
        assert counters["rate_limited"] == 1
        assert counters["faults_served"] == 2
        assert counters["by_status"] == {502: 2, 503: 1}


def test_peak_concurrency_sees_parallel_clients():
    with FakeLitmos(SPEC, rate_limit=None, latency=0.3) as fake:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: get(fake, "/teams"), range(4)))
        assert fake.counters()["peak_concurrency"] >= 3
        # A client holds its whole response a moment before the server thread
        # that wrote it counts the request as done.
        deadline = time.monotonic() + 5
        while fake.counters()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.counters()["in_flight"] == 0


def test_latency_can_change_while_running():
    with FakeLitmos(SPEC, rate_limit=None) as fake:
        fake.set_latency(0.25)
        response = get(fake, "/teams")
        assert response.elapsed.total_seconds() >= 0.25
        fake.set_latency(0)
        assert get(fake, "/teams").elapsed.total_seconds() < 0.25


def test_control_endpoints_serve_and_reset_counters(fake_litmos):
    get(fake_litmos, "/courses")
    root = fake_litmos.root_url
    counters = requests.get(f"{root}/_control/counters", timeout=5).json()
    assert counters["requests_total"] == 1
    assert counters["by_status"] == {"200": 1}
    assert counters["by_endpoint"] == {"/courses": 1}
    reset = requests.post(f"{root}/_control/reset-counters", timeout=5)
    assert reset.status_code == 200
    assert (
        requests.get(f"{root}/_control/counters", timeout=5).json()["requests_total"]
        == 0
    )
    assert requests.get(f"{root}/_control/unknown", timeout=5).status_code == 404
