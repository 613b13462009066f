"""Demo: sync a fake Litmos site with Meltano into JSON Lines files.

`make demo` runs this from the project root. It needs no Litmos account and no
database: a fake Litmos site is served from this process on a loopback port,
then Meltano runs `tap-litmos target-jsonl` twice, into output/:

1. a full sync of every stream, into output/*.jsonl;
2. after a few changes on the site, an incremental sync that reads only the
   date-range endpoints, into output/changes/*.jsonl.

It prints the rows per stream, checked against what the site holds, and the
API calls each sync took. Meltano's own log goes to output/meltano-demo.log.
"""

# ruff: noqa: INP001 - scripts/ holds scripts run by path, not a package

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from fake_litmos import FakeLitmos, SiteSpec

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
CHANGES = OUTPUT / "changes"
LOG = OUTPUT / "meltano-demo.log"
# The Meltano of the interpreter running this script: the project's venv.
MELTANO = str(Path(sys.executable).with_name("meltano"))
STREAMS = ("users", "teams", "team_members", "courses", "course_users")
PLUGINS = {
    "tap-litmos": ROOT / ".meltano/extractors/tap-litmos/venv/bin/tap-litmos",
    "target-jsonl": ROOT / ".meltano/loaders/target-jsonl/venv/bin/target-jsonl",
}
API_KEY = "demo-key"
LITMOS_RATE_LIMIT = 100
DEFAULT_REQUESTS_PER_MINUTE = 90
DEMO_REQUESTS_PER_MINUTE = 3000
# Meltano's default system database, named outright: a system database set in
# the shell or in .env, say in PostgreSQL, must not be needed for the demo.
SYSTEM_DATABASE_URI = f"sqlite:///{ROOT / '.meltano' / 'meltano.db'}"
# Settings of a developer's shell that would point the demo elsewhere.
_FOREIGN_PREFIXES = ("TAP_LITMOS_", "TARGET_JSONL_")
_FOREIGN_NAMES = ("MELTANO_ENVIRONMENT",)


class DemoError(Exception):
    """A step of the demo failed; the message says which and where to look."""


def say(text: str = "", stream: TextIO = sys.stdout) -> None:
    """Print one line at once, so progress shows while Meltano works."""
    stream.write(text + "\n")
    stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit status."""
    args = parse_args(argv)
    spec = SiteSpec(users=args.users, teams=args.teams, courses=args.courses)
    try:
        run_demo(spec, real_pacing=args.real_pacing)
    except DemoError as exc:
        say(f"demo failed: {exc}", sys.stderr)
        return 1
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the size of the fake site from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--courses", type=int, default=25)
    parser.add_argument(
        "--real-pacing",
        action="store_true",
        help="keep the tap's default of 90 calls a minute and the fake's limit of "
        "100, as against Litmos (slower)",
    )
    return parser.parse_args(argv)


def run_demo(spec: SiteSpec, *, real_pacing: bool) -> None:
    """Serve the fake site, sync it twice and report what was loaded.

    Args:
        spec: The size of the fake site.
        real_pacing: Whether the tap paces its calls as against Litmos, rather
            than as fast as the fake site allows.
    """
    OUTPUT.mkdir(exist_ok=True)
    LOG.write_text("")
    install_missing_plugins()

    say(
        f"Starting a fake Litmos site: {spec.users:,} users, {spec.teams} teams, "
        f"{spec.courses} courses"
    )
    # Litmos allows 100 calls a minute per key, and the tap spaces its calls at
    # 90 a minute by default; the fake site need not be treated so gently.
    rate_limit = LITMOS_RATE_LIMIT if real_pacing else None
    with FakeLitmos(spec, api_key=API_KEY, rate_limit=rate_limit) as site:
        say(f"  serving {site.base_url}")
        env = meltano_env(site)
        if not real_pacing:
            env["TAP_LITMOS_REQUESTS_PER_MINUTE"] = str(DEMO_REQUESTS_PER_MINUTE)

        full = sync(site, env, OUTPUT, "Full sync", "--full-refresh")
        full_rows = count_rows(OUTPUT)
        expected = {stream: len(rows) for stream, rows in site.expected().items()}

        say("Changing the site: 1 user added, 1 renamed, 1 course progressed")
        change_site(site)
        changed = sync(site, env, CHANGES, "Incremental sync")
        changed_rows = count_rows(CHANGES)

    say()
    print_rows(full_rows, expected, changed_rows)
    say()
    print_calls(full, changed)
    if not real_pacing:
        minutes = sum(full.values()) / DEFAULT_REQUESTS_PER_MINUTE
        say(
            f"Against Litmos, at the tap's default {DEFAULT_REQUESTS_PER_MINUTE} "
            f"calls a minute, the full sync takes about {minutes * 60:.0f} s"
        )
        say("(scripts/demo.py --real-pacing paces the demo that way too).")
    say()
    say(f"Records are in {OUTPUT.relative_to(ROOT)}/, Meltano's log in {relative(LOG)}")
    if full_rows != expected:
        msg = "the full sync did not load the rows the site holds"
        raise DemoError(msg)


def install_missing_plugins() -> None:
    """Install the tap and target-jsonl unless Meltano has them already."""
    missing = [name for name, executable in PLUGINS.items() if not executable.exists()]
    if not missing:
        say("Meltano plugins already installed: " + ", ".join(PLUGINS))
        return
    say(f"Installing Meltano plugins ({', '.join(missing)}); first time only")
    seconds = meltano(["install", *missing], meltano_env(None))
    say(f"  done in {seconds:.0f} s")


def sync(
    site: FakeLitmos,
    env: Mapping[str, str],
    destination: Path,
    title: str,
    *options: str,
) -> dict[str, int]:
    """Run tap-litmos into target-jsonl once; return the calls by endpoint."""
    destination.mkdir(parents=True, exist_ok=True)
    for stream in STREAMS:
        # target-jsonl appends: files of an earlier demo would add up.
        (destination / f"{stream}.jsonl").unlink(missing_ok=True)
    say(f"{title}: meltano run tap-litmos target-jsonl -> {relative(destination)}/")
    site.reset_counters()
    args = ["run", "--state-id-suffix", "demo", *options, "tap-litmos", "target-jsonl"]
    run_env = {**env, "TARGET_JSONL_DESTINATION_PATH": str(destination)}
    seconds = meltano(args, run_env)
    calls: dict[str, int] = site.counters()["by_endpoint"]
    say(f"  done in {seconds:.0f} s, {sum(calls.values())} API calls")
    return calls


def change_site(site: FakeLitmos) -> None:
    """Make a few changes the incremental sync must pick up."""
    expected = site.expected()
    user_id = expected["users"][5]["id"]
    enrolment = expected["course_users"][0]
    site.mutations.add_user(first_name="Nia", last_name="O&#39;Hara")
    site.mutations.rename_user(user_id, first_name="Renée")
    site.mutations.set_progress(
        enrolment["course_id"], enrolment["user_id"], percentage=80, completed=False
    )


def meltano(args: list[str], env: Mapping[str, str]) -> float:
    """Run Meltano in the project root, its output appended to the log.

    Returns:
        How long it took, in seconds.

    Raises:
        DemoError: Meltano failed; the end of its log says why.
    """
    started = time.monotonic()
    with LOG.open("a", encoding="utf-8") as log:
        log.write(f"$ meltano {' '.join(args)}\n")
        log.flush()
        completed = subprocess.run(  # noqa: S603 - the venv's Meltano, fixed arguments
            [MELTANO, *args],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if completed.returncode != 0:
        tail = LOG.read_text(encoding="utf-8").splitlines()[-25:]
        say("\n".join(tail), sys.stderr)
        msg = (
            f"meltano {args[0]} exited with {completed.returncode}; see {relative(LOG)}"
        )
        raise DemoError(msg)
    return time.monotonic() - started


def meltano_env(site: FakeLitmos | None) -> dict[str, str]:
    """Environment for Meltano: tap settings pointing at the fake site."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_FOREIGN_PREFIXES) and name not in _FOREIGN_NAMES
    }
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["MELTANO_DATABASE_URI"] = SYSTEM_DATABASE_URI
    if site is not None:
        env |= {
            "TAP_LITMOS_API_KEY": site.api_key,
            "TAP_LITMOS_SOURCE": "tap-litmos-demo",
            "TAP_LITMOS_API_URL": site.base_url,
        }
    return env


def count_rows(folder: Path) -> dict[str, int]:
    """Count the records of each stream's file in a folder."""
    counts: dict[str, int] = {}
    for stream in STREAMS:
        path = folder / f"{stream}.jsonl"
        if not path.exists():
            counts[stream] = 0
            continue
        with path.open(encoding="utf-8") as records:
            counts[stream] = sum(1 for line in records if line.strip())
    return counts


def print_rows(
    full: Mapping[str, int], expected: Mapping[str, int], changed: Mapping[str, int]
) -> None:
    """Print the rows per stream of both syncs."""
    header = ("stream", "full sync", "site holds", "incremental")
    lines = [
        (stream, f"{full[stream]:,}", f"{expected[stream]:,}", f"{changed[stream]:,}")
        for stream in STREAMS
    ]
    print_table(header, lines)


def print_calls(full: Mapping[str, int], changed: Mapping[str, int]) -> None:
    """Print the API calls per endpoint of both syncs."""
    endpoints = list(full) + [name for name in changed if name not in full]
    header = ("endpoint", "full sync", "incremental")
    lines = [
        (name, str(full.get(name, 0)), str(changed.get(name, 0))) for name in endpoints
    ]
    lines.append(("total", str(sum(full.values())), str(sum(changed.values()))))
    print_table(header, lines)


def print_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> None:
    """Print rows of text as columns, the first left-aligned, the rest right."""
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells)

    say(line(header))
    say("  ".join("-" * width for width in widths))
    for row in lines:
        say(line(row))


def relative(path: Path) -> str:
    """Return a path relative to the project root, for messages."""
    return str(path.relative_to(ROOT))


if __name__ == "__main__":
    sys.exit(main())
