"""What the benchmark runs: the sites, the limits and the settings, full or quick.

The rate-limit scenario is scaled so that it takes minutes rather than hours:
the fake admits ``rate_limit`` calls per rolling ``rate_window`` seconds
instead of Litmos's 100 a minute, and the tap's ``requests_per_minute`` is set
to the same share (90%) of that budget that its default of 90 is of Litmos's
100. The calls a tap keeps in flight to reach a rate grow with rate times
latency, so 1.5 s of latency here asks as much concurrency as 4.5 s would
against Litmos at 90 calls a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from fake_litmos import SiteSpec

# The largest page Litmos serves: the tap asks for it, the minimum assumes it.
MAX_PAGE = 1000
# The page Litmos serves when none is asked for: the plain tap asks for it.
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Plan:
    """The sizes and settings of one benchmark run.

    Attributes:
        name: "full" or "quick".
        calls_site: The site of the call counts (rows 1 and 2).
        changed_share: The share of users, memberships and enrolments changed
            before the incremental run.
        rate_site: The site of the rate-limit runs (row 3).
        rate_limit: Calls the fake admits per window in row 3.
        rate_window: That window, in seconds.
        requests_per_minute: The tap's setting in row 3.
        latencies: The latencies of row 3, in seconds.
        concurrencies: The tap's max_concurrency values tried in row 3.
        plain_rate_seconds: How long the plain tap runs in row 3: it is
            sequential, so its rate shows in the first calls, and a full sync
            would take far longer than the project tap's.
        cpu_site: The site of records per CPU-second (row 4) and the smaller
            memory size (row 5).
        large_site: The larger memory size (row 5).
    """

    name: str
    calls_site: SiteSpec
    changed_share: float
    rate_site: SiteSpec
    rate_limit: int
    rate_window: float
    requests_per_minute: int
    latencies: tuple[float, ...]
    concurrencies: tuple[int, ...]
    plain_rate_seconds: float
    cpu_site: SiteSpec
    large_site: SiteSpec


FULL = Plan(
    name="full",
    calls_site=SiteSpec(users=10_000, teams=500, courses=300),
    changed_share=0.01,
    rate_site=SiteSpec(users=1_500, teams=400, courses=200),
    rate_limit=100,
    rate_window=20.0,
    requests_per_minute=270,
    latencies=(0.3, 1.5),
    concurrencies=(4, 8),
    plain_rate_seconds=60.0,
    cpu_site=SiteSpec(users=60_000, teams=500, courses=300),
    large_site=SiteSpec(users=600_000, teams=500, courses=300),
)

QUICK = Plan(
    name="quick",
    calls_site=SiteSpec(
        users=1_200, teams=30, courses=15, big_team_members=300, big_course_users=250
    ),
    changed_share=0.01,
    rate_site=SiteSpec(
        users=300, teams=24, courses=12, big_team_members=120, big_course_users=100
    ),
    rate_limit=100,
    rate_window=6.0,
    requests_per_minute=900,
    latencies=(0.05, 0.25),
    concurrencies=(4,),
    plain_rate_seconds=4.0,
    cpu_site=SiteSpec(users=3_000, teams=30, courses=15),
    large_site=SiteSpec(users=12_000, teams=30, courses=15),
)


def pages_to_the_end(items: int, page: int) -> int:
    """Return the fewest calls that read a list and know it ended.

    Without totals, only a page shorter than the limit (possibly empty) says
    the list is over: a list of exactly ``page`` items needs a second call.
    """
    return items // page + 1


def pages_until_empty(items: int, page: int) -> int:
    """Return the calls of a paginator that stops only at an empty page."""
    return -(-items // page) + 1
