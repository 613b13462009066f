"""Injected faults of the fake Litmos: each kind, and their reproducibility."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fake_litmos import FAULT_KINDS, FakeLitmos, FaultSpec, SiteSpec

SPEC = SiteSpec(users=120, teams=6, courses=4, big_team_members=60, big_course_users=50)
FAST_KINDS = ("500_html", "502", "504", "truncated_json", "html_200", "drop")


def get(server, path="/users", *, key=None, **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {"apikey": key or server.api_key}
    return requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )


def always(kind, **extra):
    return FakeLitmos(
        SPEC, rate_limit=None, faults=FaultSpec(rate=1.0, kinds=(kind,), **extra)
    )


def outcome(server, path, **params):
    """Summarize one answer: what a client would see."""
    try:
        response = get(server, path, **params)
    except requests.ConnectionError:
        return "dropped"
    try:
        response.json()
    except ValueError:
        return f"{response.status_code} unparsable"
    return f"{response.status_code} json"


def test_latency_delays_a_normal_answer():
    with always("latency", delay=0.3) as fake:
        began = time.monotonic()
        response = get(fake)
        assert time.monotonic() - began >= 0.3
        assert response.status_code == 200
        assert len(response.json()) == 100


def test_slow_trickles_a_normal_body():
    with always("slow", trickle=0.4) as fake:
        began = time.monotonic()
        with get_stream(fake) as response:
            first = time.monotonic()
            body = response.content
        done = time.monotonic()
        assert first - began < 0.3
        assert done - began >= 0.35
        assert response.status_code == 200
        assert len(json.loads(body)) == 100


def get_stream(server):
    return requests.get(
        server.base_url + "/users",
        params={"source": "tests", "format": "json"},
        headers={"apikey": server.api_key},
        timeout=10,
        stream=True,
    )


def test_500_html_is_an_iis_error_page():
    with always("500_html") as fake:
        response = get(fake)
        assert response.status_code == 500
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Server Error" in response.text


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors(status):
    with always(str(status)) as fake:
        response = get(fake)
        assert response.status_code == status
        assert response.headers["Content-Type"].startswith("text/html")


def test_truncated_json_is_a_200_cut_in_half():
    with always("truncated_json") as fake:
        response = get(fake)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        with pytest.raises(ValueError, match=r"."):
            response.json()
    with FakeLitmos(SPEC, rate_limit=None) as plain:
        whole = get(plain).content
    assert whole.startswith(response.content)
    assert len(response.content) == len(whole) // 2


def test_html_200_is_a_page_instead_of_data():
    with always("html_200") as fake:
        response = get(fake)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
        with pytest.raises(ValueError, match=r"."):
            response.json()


def test_drop_closes_the_connection_without_an_answer():
    with always("drop") as fake:
        with pytest.raises(requests.ConnectionError):
            get(fake)
        counters = fake.counters()
        assert counters["faults_served"] == 1
        assert counters["faults_by_kind"] == {"drop": 1}


def test_faults_apply_only_to_api_calls_that_passed_auth():
    with always("502") as fake:
        assert get(fake, key="wrong").status_code == 401
        control = requests.get(fake.root_url + "/_control/counters", timeout=5)
        assert control.status_code == 200
        assert get(fake).status_code == 502


def test_faults_can_be_switched_at_run_time():
    with FakeLitmos(SPEC, rate_limit=None) as fake:
        assert get(fake).status_code == 200
        fake.set_faults(FaultSpec(rate=1.0, kinds=("504",)))
        assert get(fake).status_code == 504
        fake.set_faults(None)
        assert get(fake).status_code == 200


def test_unknown_fault_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown"):
        FaultSpec(rate=0.5, kinds=("teapot",))
    assert set(FAST_KINDS) < set(FAULT_KINDS)


def requests_plan():
    paths = ["/users", "/teams", "/courses", "/users/details"]
    # Repeats of each URL interleave with requests for the other URLs.
    return [(path, start) for path in paths for start in (0, 100)] * 4


def run_plan(server, plan, *, workers):
    def one(item):
        path, start = item
        return item, outcome(server, path, start=start)

    if workers == 1:
        results = [one(item) for item in plan]
    else:
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(one, plan))
    by_url = {}
    for item, seen in results:
        by_url.setdefault(item, []).append(seen)
    return by_url


def test_faults_repeat_across_runs_and_despite_concurrency():
    faults = FaultSpec(seed=7, rate=0.4, kinds=FAST_KINDS)
    plan = requests_plan()
    with FakeLitmos(SPEC, rate_limit=None, faults=faults) as first:
        sequential = run_plan(first, plan, workers=1)
    with FakeLitmos(SPEC, rate_limit=None, faults=faults) as second:
        again = run_plan(second, plan, workers=1)
    with FakeLitmos(SPEC, rate_limit=None, faults=faults) as third:
        concurrent = run_plan(third, plan, workers=8)

    assert again == sequential
    # Which thread meets the n-th answer of a URL is a race; the answers are not.
    assert {url: sorted(seen) for url, seen in concurrent.items()} == {
        url: sorted(seen) for url, seen in sequential.items()
    }
    flat = [seen for outcomes in sequential.values() for seen in outcomes]
    assert "200 json" in flat
    assert len(set(flat)) >= 3


def test_the_fault_seed_changes_the_pattern():
    plan = requests_plan()
    patterns = []
    for seed in (1, 2):
        faults = FaultSpec(seed=seed, rate=0.5, kinds=("502",))
        with FakeLitmos(SPEC, rate_limit=None, faults=faults) as fake:
            patterns.append(run_plan(fake, plan, workers=1))
    assert patterns[0] != patterns[1]


def test_a_retry_of_the_same_url_gets_a_fresh_decision():
    faults = FaultSpec(seed=11, rate=0.5, kinds=("502",))
    with FakeLitmos(SPEC, rate_limit=None, faults=faults) as fake:
        seen = [get(fake).status_code for _ in range(40)]
    assert 200 in seen
    assert 502 in seen
