"""Benchmark tap-litmos against a plain Singer SDK tap on fake Litmos sites.

    .venv/bin/python bench/run.py            # the full benchmark, about 20 minutes
    .venv/bin/python bench/run.py --quick    # small sites, under a minute

Each tap runs as a process of its own against a fake site on loopback, itself
in another process; the table compares calls, calls a minute under a rate
limit, records per CPU-second and peak memory. Progress goes to stderr, the
report to stdout. The exit status is 1 when a tap wrote wrong records.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from bench.plan import FULL, QUICK, Plan
from bench.report import Results, render
from bench.scenarios import Bench, count_calls, measure_costs, measure_rates

if TYPE_CHECKING:
    from collections.abc import Sequence


def run_benchmark(plan: Plan, bench: Bench) -> Results:
    """Run every scenario of a plan and gather the results."""
    started = time.monotonic()
    calls = count_calls(bench, plan)
    rates = measure_rates(bench, plan)
    costs = measure_costs(bench, plan.cpu_site, survey=True)
    costs += measure_costs(bench, plan.large_site, survey=False)
    return Results(
        plan=plan,
        calls=calls,
        rates=rates,
        costs=costs,
        checks=bench.checks,
        seconds=time.monotonic() - started,
    )


def _progress(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sites, for a run under a minute"
    )
    args = parser.parse_args(argv)
    results = run_benchmark(QUICK if args.quick else FULL, Bench(_progress))
    print(render(results))
    return 0 if all(check.passed for check in results.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
