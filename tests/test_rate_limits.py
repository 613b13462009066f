"""The tap paces itself under the Litmos rate limit and waits out refusals."""

import re

from fake_litmos import FakeLitmos, SiteSpec
from tests.support import STREAMS, run_tap, tap_config

# With pages of 5, about 60 calls, 26 of them in the team members' fan-out.
PACED_SPEC = SiteSpec(
    users=30,
    teams=12,
    courses=6,
    members_per_team=6,
    users_per_course=6,
    big_team_members=20,
    big_course_users=20,
)
# Eight calls with the largest page: each refusal costs a wait, so few calls.
STORM_SPEC = SiteSpec(
    users=20,
    teams=3,
    courses=2,
    members_per_team=4,
    users_per_course=4,
    big_team_members=10,
    big_course_users=10,
)

WAIT_LINE = re.compile(
    r"Litmos rate limit reached \((?P<status>\d{3}) on (?P<path>/v1\.svc/\S+)\); "
    r"all requests wait (?P<seconds>\d+\.\d) s\."
)


def waits(stderr):
    """Return the (status, seconds) of every rate-limit wait the tap logged."""
    return [
        (int(found["status"]), float(found["seconds"]))
        for found in WAIT_LINE.finditer(stderr)
    ]


def assert_complete(run, server):
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in STREAMS:
        keys = run.keys(stream)
        assert len(keys) == len(set(keys)), stream
        assert set(keys) == server.expected_keys(stream), stream


def test_a_sync_paced_below_the_limit_provokes_no_refusal():
    # Litmos counts a rolling window. The tap spaces its calls evenly at
    # 60/480 = 0.125 s, so any 2 s window holds at most 17 of them: under the
    # fake's 20. Four threads with a call taking 0.25 s, unpaced or each paced
    # on its own, would send 26 calls to team member lists in under 2 s.
    with FakeLitmos(PACED_SPEC, rate_limit=20, rate_window=2.0, latency=0.25) as server:
        config = tap_config(
            server, page_size=5, requests_per_minute=480, max_concurrency=4
        )
        run = run_tap(config)
        counters = server.counters()

    assert_complete(run, server)
    assert counters["by_endpoint"]["/teams/{id}/users"] > 20
    assert counters["rate_limited"] == 0
    # The fan-outs ran calls side by side, all drawing from the one pacer.
    assert counters["peak_concurrency"] > 1
    assert waits(run.stderr) == []


def test_a_503_storm_is_waited_out_without_spending_retries():
    # Far below the tap's pace: every few calls are refused. With max_tries=1
    # a refusal counted against the retry budget would end the sync.
    with FakeLitmos(STORM_SPEC, rate_limit=3, rate_window=1.0) as server:
        run = run_tap(tap_config(server, max_tries=1))
        counters = server.counters()

    assert_complete(run, server)
    assert counters["rate_limited"] >= 2
    logged = waits(run.stderr)
    assert logged
    assert {status for status, _ in logged} == {503}
    # No Retry-After with a 503: each wait is 5 s and a little jitter, as the
    # window is free again once it ends. The calls of other threads already
    # in flight when a wait began are refused too; they neither lengthen the
    # wait nor log one of their own.
    assert all(5.0 <= seconds < 6.0 for _, seconds in logged)
    assert counters["rate_limited"] <= 4 * len(logged)
    assert "Retrying" not in run.stderr


def test_a_429_storm_waits_as_long_as_retry_after_says():
    with FakeLitmos(
        STORM_SPEC, rate_limit=3, rate_window=1.5, rate_limit_status=429
    ) as server:
        run = run_tap(tap_config(server, max_tries=1, max_concurrency=4))
        counters = server.counters()

    assert_complete(run, server)
    logged = waits(run.stderr)
    assert logged
    assert {status for status, _ in logged} == {429}
    # The fake asks for the whole seconds until its window has room (1 or 2
    # here); the tap's own first wait without the header would be 5 s.
    assert {seconds for _, seconds in logged} <= {1.0, 2.0}
    # Each wait is one burst of refusals at most as wide as the concurrency:
    # no call was retried before its wait was over.
    assert counters["rate_limited"] <= 4 * len(logged)
    assert "Retrying" not in run.stderr


def test_a_retry_after_given_as_an_http_date_is_honoured():
    with FakeLitmos(
        STORM_SPEC,
        rate_limit=3,
        rate_window=1.5,
        rate_limit_status=429,
        retry_after_as_date=True,
    ) as server:
        run = run_tap(tap_config(server, max_tries=1))

    assert_complete(run, server)
    logged = waits(run.stderr)
    assert logged
    # The date lies a few whole seconds after the response's Date header.
    assert {seconds for _, seconds in logged} <= {1.0, 2.0, 3.0}


def test_a_rate_limit_that_never_frees_ends_in_one_clear_error():
    with FakeLitmos(
        STORM_SPEC, rate_limit=0, rate_window=1.0, rate_limit_status=429
    ) as server:
        run = run_tap(tap_config(server, max_rate_limit_wait_seconds=2))
        counters = server.counters()

    assert run.returncode != 0
    assert counters["rate_limited"] == counters["requests_total"] > 1
    errors = [line for line in run.stderr.splitlines() if "tap-litmos:" in line]
    assert len(errors) == 1
    assert "/v1.svc/users/details" in errors[0]
    assert "max_rate_limit_wait_seconds" in errors[0]
    assert "requests_per_minute" in errors[0]
    assert "Traceback" not in run.stderr
