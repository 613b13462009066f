"""Command line: serve a fake Litmos site until SIGINT or SIGTERM.

    python -m fake_litmos --port 8765 --users 500 --seed 1 --api-key demo-key

prints one line, the API base URL, then serves.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from fake_litmos.faults import FAULT_KINDS, FaultSpec
from fake_litmos.server import FakeLitmos
from fake_litmos.site import SiteSpec

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

_DEFAULTS = SiteSpec()


def build_parser() -> argparse.ArgumentParser:
    """Describe the command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m fake_litmos", description="Serve a fake Litmos API site."
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on")
    add("--port", type=int, default=8765, help="port (0 picks a free one)")
    add("--api-key", default="demo-key", help="key the apikey header must carry")
    add("--seed", type=int, default=_DEFAULTS.seed)
    add("--users", type=int, default=_DEFAULTS.users)
    add("--teams", type=int, default=_DEFAULTS.teams)
    add("--courses", type=int, default=_DEFAULTS.courses)
    add("--members-per-team", type=int, default=_DEFAULTS.members_per_team)
    add("--users-per-course", type=int, default=_DEFAULTS.users_per_course)
    add("--big-team-members", type=int, default=_DEFAULTS.big_team_members)
    add("--big-course-users", type=int, default=_DEFAULTS.big_course_users)
    add("--latency", type=float, default=0.0, help="seconds added to every answer")
    add("--fault-rate", type=float, default=0.0, help="share of requests faulted")
    add("--fault-seed", type=int, default=0)
    add(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        help="comma-separated kinds: " + ", ".join(FAULT_KINDS),
    )
    add("--rate-limit", type=int, default=100, help="requests per window (0: none)")
    add("--rate-window", type=float, default=60.0, help="window in seconds")
    add("--rate-limit-status", type=int, choices=(429, 503), default=503)
    add("--over-delivery", type=int, default=0, help="extra items on full pages")
    add("--wrap-lists", action="store_true", help='wrap lists as {"User": [...]}')
    add("--verbose", action="store_true", help="log every request to stderr")
    return parser


def make_server(args: argparse.Namespace) -> FakeLitmos:
    """Build (without starting) the server the options describe."""
    spec = SiteSpec(
        seed=args.seed,
        users=args.users,
        teams=args.teams,
        courses=args.courses,
        members_per_team=args.members_per_team,
        users_per_course=args.users_per_course,
        big_team_members=args.big_team_members,
        big_course_users=args.big_course_users,
    )
    kinds = tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip())
    faults = FaultSpec(seed=args.fault_seed, rate=args.fault_rate, kinds=kinds)
    return FakeLitmos(
        spec,
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit or None,
        rate_window=args.rate_window,
        rate_limit_status=args.rate_limit_status,
        faults=faults,
        latency=args.latency,
        over_delivery=args.over_delivery,
        wrap_lists=args.wrap_lists,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
    try:
        server = make_server(args)
    except ValueError as exc:
        sys.stderr.write(f"fake_litmos: {exc}\n")
        return 2

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.start()
    except OSError as exc:
        sys.stderr.write(
            f"fake_litmos: cannot listen on {args.host}:{args.port}: {exc}\n"
        )
        return 1

    try:
        sys.stdout.write(server.base_url + "\n")
        sys.stdout.flush()
        # Waking now and then keeps signal handling prompt on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0
