"""The benchmark, run small: both taps write the site's records, calls add up.

Speeds and memory are printed by the benchmark, never asserted here: they
depend on the machine. What must hold anywhere is asserted: the records each
tap writes, the calls each full sync makes, and the changes an incremental run
carries.
"""

from __future__ import annotations

import pytest

from bench.plan import (
    DEFAULT_PAGE,
    MAX_PAGE,
    QUICK,
    pages_to_the_end,
    pages_until_empty,
)
from bench.records import STREAMS
from bench.report import render
from bench.run import run_benchmark
from bench.scenarios import Bench


@pytest.fixture(scope="module")
def results():
    return run_benchmark(QUICK, Bench(progress=lambda _message: None))


def test_every_check_passes(results):
    failed = [check for check in results.checks if not check.passed]
    assert not failed, "\n".join(f"{c.what}: {c.detail}" for c in failed)


def test_both_taps_write_the_sites_records(results):
    what = {check.what for check in results.checks}
    for run in ("full sync, tap-litmos", "full sync, plain tap"):
        assert f"{run} writes the site's records" in what
    sizes = (QUICK.cpu_site.users, QUICK.large_site.users)
    for users in sizes:
        records = {c.tap: c.records for c in results.costs if c.users == users}
        assert records["tap-litmos"] == records["plain"] > users


def test_a_full_sync_makes_the_fewest_calls_possible(results):
    calls = results.calls
    assert calls.minimum == calls.survey.calls(pages_to_the_end, MAX_PAGE)
    assert calls.project_full == calls.minimum


def test_the_plain_tap_reads_every_list_to_an_empty_page(results):
    calls = results.calls
    assert calls.plain_full == calls.survey.calls(pages_until_empty, DEFAULT_PAGE)
    # With no incremental path, its second run reads the whole site again.
    assert calls.plain_incremental >= calls.plain_full


def test_an_incremental_run_reads_only_the_changes(results):
    calls = results.calls
    changes = calls.changes
    assert changes.users_renamed == round(QUICK.changed_share * QUICK.calls_site.users)
    assert changes.members_removed + changes.members_added > 0
    assert changes.enrolments_changed > 0
    # One date window per stream, and the changes of each fit in one page.
    assert calls.project_incremental == len(STREAMS)


def test_every_rate_run_of_the_tap_completes(results):
    project = [run for run in results.rates if run.tap == "tap-litmos"]
    assert len(project) == len(QUICK.latencies) * len(QUICK.concurrencies)
    assert all(run.completed for run in project)
    plain = [run for run in results.rates if run.tap == "plain"]
    assert len(plain) == len(QUICK.latencies)
    assert all(run.calls > 0 for run in plain)


def test_the_report_holds_every_row(results):
    report = render(results)
    for row in range(1, 6):
        assert f"| {row} |" in report
    assert "Machine: " in report
    assert "Checks: " in report
