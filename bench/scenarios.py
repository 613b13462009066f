"""The benchmark's runs: each starts a fake site and runs both taps against it.

Every run also checks what the taps wrote (the same records as the site holds,
the changes an incremental run must carry), so a fast but wrong tap cannot
look good. Speed is measured, never asserted: the checks are about records
and call counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.fake_server import Changes, FakeSite, Survey
from bench.measure import PLAIN_TAP, PROJECT_TAP, TapRun, run_tap
from bench.plan import DEFAULT_PAGE, MAX_PAGE, pages_to_the_end, pages_until_empty
from bench.records import STREAMS

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.plan import Plan
    from fake_litmos import SiteSpec

# Without a limit on the fake, the tap's pacer is set to its highest setting.
UNPACED = 10_000
SOURCE = "tap-litmos-bench"


@dataclass(frozen=True)
class Check:
    """One correctness check and its outcome."""

    what: str
    passed: bool
    detail: str = ""


@dataclass
class Bench:
    """Where the runs report progress and record their checks."""

    progress: Callable[[str], None]
    checks: list[Check] = field(default_factory=list)

    def check(self, what: str, *, passed: bool, detail: str = "") -> None:
        """Record a check."""
        self.checks.append(Check(what, passed, detail))

    def check_run(self, what: str, run: TapRun) -> None:
        """Check that a tap ran to its end and exited cleanly."""
        detail = "" if run.succeeded else run.stderr_tail[-1500:]
        self.check(f"{what} exits 0", passed=run.succeeded, detail=detail)

    def check_records(self, what: str, run: TapRun, survey: Survey) -> None:
        """Check that a full sync wrote exactly the records the site holds."""
        output = run.output
        wrong = [
            stream
            for stream in STREAMS
            if output is None
            or output.streams.get(stream) != survey.fingerprints[stream]
        ]
        self.check(
            f"{what} writes the site's records",
            passed=not wrong,
            detail=f"streams differ: {', '.join(wrong)}" if wrong else "",
        )


def project_config(site: FakeSite, **settings: Any) -> dict[str, Any]:  # noqa: ANN401
    """Return tap-litmos settings for a fake site."""
    return {
        "api_key": site.api_key,
        "source": SOURCE,
        "api_url": site.base_url,
        "requests_per_minute": UNPACED,
        **settings,
    }


def plain_config(site: FakeSite) -> dict[str, Any]:
    """Return the plain tap's settings for a fake site."""
    return {"api_key": site.api_key, "source": SOURCE, "api_url": site.base_url}


@dataclass(frozen=True)
class CallCounts:
    """Rows 1 and 2: the calls of full and incremental syncs."""

    survey: Survey
    changes: Changes
    minimum: int
    project_full: int
    project_incremental: int
    plain_full: int
    plain_incremental: int


def count_calls(bench: Bench, plan: Plan) -> CallCounts:
    """Run full syncs of both taps, change the site, and run them again."""
    with FakeSite(plan.calls_site) as site:
        survey = site.survey()
        bench.progress("calls: full syncs")
        project, project_calls = _counted(site, PROJECT_TAP, project_config(site))
        bench.check_run("full sync, tap-litmos", project)
        bench.check_records("full sync, tap-litmos", project, survey)
        plain, plain_calls = _counted(site, PLAIN_TAP, plain_config(site))
        bench.check_run("full sync, plain tap", plain)
        bench.check_records("full sync, plain tap", plain, survey)

        changes = site.mutate(plan.changed_share, seed=7)
        changed = site.survey()
        bench.progress("calls: runs after the change")
        again, again_calls = _counted(
            site, PROJECT_TAP, project_config(site), _last_state(project)
        )
        bench.check_run("incremental run, tap-litmos", again)
        _check_changes(bench, again, changes)
        reread, reread_calls = _counted(
            site, PLAIN_TAP, plain_config(site), _last_state(plain)
        )
        bench.check_run("second run, plain tap", reread)
        bench.check_records("second run, plain tap", reread, changed)

    minimum = survey.calls(pages_to_the_end, MAX_PAGE)
    bench.check(
        "the plain tap makes the SDK paginator's calls",
        passed=plain_calls == survey.calls(pages_until_empty, DEFAULT_PAGE),
        detail=f"{plain_calls} calls",
    )
    return CallCounts(
        survey=survey,
        changes=changes,
        minimum=minimum,
        project_full=project_calls,
        project_incremental=again_calls,
        plain_full=plain_calls,
        plain_incremental=reread_calls,
    )


def _counted(
    site: FakeSite,
    command: tuple[str, ...],
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
) -> tuple[TapRun, int]:
    site.reset_counters()
    run = run_tap(command, config, state=state)
    return run, int(site.counters()["requests_total"])


def _last_state(run: TapRun) -> dict[str, Any] | None:
    return None if run.output is None else run.output.last_state


def _check_changes(bench: Bench, run: TapRun, changes: Changes) -> None:
    """Check that an incremental run wrote every change and nothing else."""
    expected = {
        "users": changes.users_renamed,
        "teams": 0,
        "team_members": changes.members_removed + changes.members_added,
        "courses": 0,
        "course_users": changes.enrolments_changed,
    }
    found = {s: run.output.count(s) if run.output else 0 for s in STREAMS}
    bench.check(
        "incremental run writes exactly the changed records",
        passed=found == expected,
        detail=f"expected {expected}, wrote {found}",
    )


@dataclass(frozen=True)
class RateRun:
    """Row 3: one tap's calls per minute under the fake's rate limit."""

    tap: str
    latency: float
    concurrency: int | None
    calls: int
    per_minute: float | None
    refused: int
    wall_seconds: float
    completed: bool


def measure_rates(bench: Bench, plan: Plan) -> list[RateRun]:
    """Run both taps against a rate-limited site at each latency."""
    runs: list[RateRun] = []
    limit, window = plan.rate_limit, plan.rate_window
    with FakeSite(plan.rate_site, rate_limit=limit, rate_window=window) as site:
        survey = site.survey()
        for latency in plan.latencies:
            site.set_latency(latency)
            for concurrency in plan.concurrencies:
                bench.progress(
                    f"rate: tap-litmos, {latency} s, {concurrency} in flight"
                )
                config = project_config(
                    site,
                    requests_per_minute=plan.requests_per_minute,
                    max_concurrency=concurrency,
                )
                run, rate = _paced(site, window, PROJECT_TAP, config)
                what = f"rate run at {latency} s, tap-litmos x{concurrency}"
                bench.check_run(what, run)
                bench.check_records(what, run, survey)
                runs.append(rate("tap-litmos", latency, concurrency))
            bench.progress(f"rate: plain tap, {latency} s")
            config = plain_config(site)
            _, rate = _paced(site, window, PLAIN_TAP, config, plan.plain_rate_seconds)
            runs.append(rate("plain", latency, None))
    return runs


def _paced(
    site: FakeSite,
    window: float,
    command: tuple[str, ...],
    config: dict[str, Any],
    stop_after: float | None = None,
) -> tuple[TapRun, Callable[[str, float, int | None], RateRun]]:
    # Moving the fake's clock on by a window empties its rate-limit window, so
    # each run starts with the whole budget, as after a quiet minute.
    site.advance_clock(window)
    site.reset_counters()
    site.watch()
    run = run_tap(command, config, stop_after=stop_after)
    timeline = site.timeline()
    counters = site.counters()
    refused = int(counters["rate_limited"])

    def rate(tap: str, latency: float, concurrency: int | None) -> RateRun:
        return RateRun(
            tap=tap,
            latency=latency,
            concurrency=concurrency,
            calls=timeline.requests,
            per_minute=timeline.per_minute(),
            refused=refused,
            wall_seconds=run.wall_seconds,
            completed=run.succeeded,
        )

    return run, rate


@dataclass(frozen=True)
class Cost:
    """Rows 4 and 5: what one full sync cost one tap process."""

    tap: str
    users: int
    records: int
    cpu_seconds: float
    peak_rss_bytes: int
    wall_seconds: float

    @property
    def records_per_cpu_second(self) -> float:
        """Return the records written per second of CPU time."""
        return self.records / self.cpu_seconds if self.cpu_seconds else 0.0


def measure_costs(bench: Bench, spec: SiteSpec, *, survey: bool) -> list[Cost]:
    """Run full syncs of both taps with no latency and no limit.

    Args:
        bench: Where progress and checks go.
        spec: The site.
        survey: Check each tap's records against the site's; otherwise (a site
            too big to survey quickly) check that both taps wrote the same.

    Returns:
        The cost of each tap's sync.
    """
    costs: list[Cost] = []
    outputs: list[TapRun] = []
    with FakeSite(spec) as site:
        expected = site.survey() if survey else None
        for tap, command, config in (
            ("tap-litmos", PROJECT_TAP, project_config(site)),
            ("plain", PLAIN_TAP, plain_config(site)),
        ):
            bench.progress(f"cost: {tap}, {spec.users:,} users")
            run = run_tap(command, config)
            what = f"full sync of {spec.users:,} users, {tap}"
            bench.check_run(what, run)
            if expected is not None:
                bench.check_records(what, run, expected)
            cost = Cost(
                tap=tap,
                users=spec.users,
                records=run.output.records if run.output else 0,
                cpu_seconds=run.cpu_seconds,
                peak_rss_bytes=run.peak_rss_bytes,
                wall_seconds=run.wall_seconds,
            )
            costs.append(cost)
            outputs.append(run)
    if expected is None:
        first, second = (run.output.streams if run.output else None for run in outputs)
        bench.check(
            f"both taps write the same records for {spec.users:,} users",
            passed=first is not None and first == second,
        )
    return costs
