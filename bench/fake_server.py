"""The fake Litmos site in a process of its own, driven by the benchmark.

Serving pages costs the fake CPU time: in the benchmark's process it would take
turns for the interpreter lock with the loops that start taps and watch them,
and on two cores it would blur what is measured. So the site runs in a child
process, which answers one JSON command per line on its standard input (read
the counters, change latency or the rate limit, change 1% of the site, ...)
with one JSON line on its standard output.

``FakeSite`` starts that process and sends the commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from random import Random
from typing import IO, TYPE_CHECKING, Any

from bench.records import STREAMS, Fingerprint
from fake_litmos import FakeLitmos, SiteSpec

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Self

_WATCH_INTERVAL = 0.01
_STOP_WAIT = 10.0


@dataclass(frozen=True)
class Changes:
    """How much of the site one round of mutations changed."""

    users_renamed: int
    members_removed: int
    members_added: int
    enrolments_changed: int


@dataclass(frozen=True)
class Survey:
    """What a full sync of the site must produce, and how long each list is.

    Attributes:
        fingerprints: The expected records of each stream.
        users: The length of the users list.
        team_sizes: The member count of each team.
        course_sizes: The user count of each course.
    """

    fingerprints: dict[str, Fingerprint]
    users: int
    team_sizes: tuple[int, ...]
    course_sizes: tuple[int, ...]

    def calls(self, pages: Callable[[int, int], int], page: int) -> int:
        """Return the calls to read every list, given the calls of one list.

        Args:
            pages: The calls to read a list of n items with pages of ``page``.
            page: The page size asked for.

        Returns:
            The users list, the teams and courses lists, and every team's and
            every course's list, each read to its end.
        """
        lists = (
            self.users,
            len(self.team_sizes),
            *self.team_sizes,
            len(self.course_sizes),
            *self.course_sizes,
        )
        return sum(pages(items, page) for items in lists)


@dataclass(frozen=True)
class Timeline:
    """When the first and the last API request of a run reached the site."""

    requests: int
    first: float | None
    last: float | None

    def per_minute(self) -> float | None:
        """Return the rate between the first request and the last, per minute."""
        if self.first is None or self.last is None or self.last <= self.first:
            return None
        return (self.requests - 1) / (self.last - self.first) * 60.0


class FakeSite:
    """A fake Litmos site served by a child process."""

    def __init__(
        self,
        spec: SiteSpec,
        *,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        latency: float = 0.0,
    ) -> None:
        """Describe the site; entering the context starts serving it.

        Args:
            spec: The site's shape.
            rate_limit: Requests admitted per window (None: no limit).
            rate_window: The length of the rolling window, in seconds.
            latency: Seconds added before every answer.
        """
        self.spec = spec
        self._options = {
            "spec": asdict(spec),
            "rate_limit": rate_limit,
            "rate_window": rate_window,
            "latency": latency,
        }
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.api_key = ""
        self.startup_seconds = 0.0

    def __enter__(self) -> Self:
        """Start the process and wait until the site is served."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.fake_server", json.dumps(self._options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._read()
        self.base_url = str(hello["base_url"])
        self.api_key = str(hello["api_key"])
        self.startup_seconds = float(hello["startup_seconds"])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the process."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def counters(self) -> dict[str, Any]:
        """Return the site's request counters (see ``FakeLitmos.counters``)."""
        counters: dict[str, Any] = self._ask("counters")
        return counters

    def reset_counters(self) -> None:
        """Zero the counters."""
        self._ask("reset_counters")

    def set_latency(self, seconds: float) -> None:
        """Set the delay added before every answer."""
        self._ask("set_latency", seconds=seconds)

    def set_rate_limit(self, limit: int | None, window: float) -> None:
        """Change the rate limit (None: none)."""
        self._ask("set_rate_limit", limit=limit, window=window)

    def advance_clock(self, seconds: float) -> None:
        """Move the site's clock on, which also empties its rate-limit window."""
        self._ask("advance_clock", seconds=seconds)

    def mutate(self, share: float, seed: int) -> Changes:
        """Change a share of users, memberships and enrolments, now."""
        return Changes(**self._ask("mutate", share=share, seed=seed))

    def survey(self) -> Survey:
        """Return what a full sync must produce, and the length of every list."""
        answer = self._ask("survey")
        fingerprints = answer["fingerprints"]
        return Survey(
            fingerprints={
                stream: Fingerprint.from_dict(fingerprints[stream])
                for stream in STREAMS
            },
            users=answer["users"],
            team_sizes=tuple(answer["team_sizes"]),
            course_sizes=tuple(answer["course_sizes"]),
        )

    def watch(self) -> None:
        """Start noting when requests arrive, until `timeline` is called."""
        self._ask("watch")

    def timeline(self) -> Timeline:
        """Stop watching and return when the watched requests arrived."""
        return Timeline(**self._ask("timeline"))

    def _ask(self, command: str, **arguments: Any) -> Any:  # noqa: ANN401
        process = self._process
        if process is None or process.stdin is None:
            msg = "the fake site is not running"
            raise RuntimeError(msg)
        process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        process.stdin.flush()
        return self._read()

    def _read(self) -> Any:  # noqa: ANN401
        process = self._process
        if process is None or process.stdout is None:
            msg = "the fake site is not running"
            raise RuntimeError(msg)
        line = process.stdout.readline()
        if not line:
            msg = f"the fake site stopped (exit status {process.poll()})"
            raise RuntimeError(msg)
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]


class _Watcher:
    """Samples the request count often enough to time a run's first and last."""

    def __init__(self, server: FakeLitmos) -> None:
        self._server = server
        self._stop = threading.Event()
        self._start_count = int(server.counters()["requests_total"])
        self._count = self._start_count
        self._first: float | None = None
        self._last: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(_WATCH_INTERVAL):
            self._sample()

    def _sample(self) -> None:
        count = int(self._server.counters()["requests_total"])
        if count != self._count:
            now = time.monotonic()
            self._first = self._first if self._first is not None else now
            self._last = now
            self._count = count

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        self._sample()
        return {
            "requests": self._count - self._start_count,
            "first": self._first,
            "last": self._last,
        }


def mutate(server: FakeLitmos, share: float, seed: int) -> Changes:
    """Rename users, move memberships and record progress on a share of each.

    Half of the chosen memberships are removed and as many new ones are added,
    so the site keeps its size. Every change is stamped with the site's now.
    """
    # Seeded, so every run of the benchmark changes the same records.
    rng = Random(seed)  # noqa: S311
    changes = server.mutations

    users = [row["id"] for row in server.iter_expected("users")]
    renamed = rng.sample(users, round(share * len(users)))
    for number, user_id in enumerate(renamed):
        changes.rename_user(user_id, first_name=f"Renamed{number}")

    members = [
        (row["team_id"], row["user_id"]) for row in server.iter_expected("team_members")
    ]
    chosen = rng.sample(members, round(share * len(members)))
    removed = chosen[: len(chosen) // 2]
    for team_id, user_id in removed:
        changes.remove_member(team_id, user_id)
    existing = set(members)
    teams = sorted({team_id for team_id, _ in members})
    added = 0
    while added < len(chosen) - len(removed):
        pair = (rng.choice(teams), rng.choice(users))
        if pair in existing:
            continue
        existing.add(pair)
        changes.add_member(*pair)
        added += 1

    enrolments = [
        (row["course_id"], row["user_id"])
        for row in server.iter_expected("course_users")
    ]
    progressed = rng.sample(enrolments, round(share * len(enrolments)))
    for course_id, user_id in progressed:
        changes.set_progress(course_id, user_id, 100, True)  # noqa: FBT003

    return Changes(len(renamed), len(removed), added, len(progressed))


# The child streams, each with the parent stream and the parent's key property.
_PARENTS = {
    "team_members": ("teams", "team_id"),
    "course_users": ("courses", "course_id"),
}


def survey(server: FakeLitmos) -> dict[str, Any]:
    """Fingerprint every stream a full sync must produce and measure each list."""
    fingerprints = {stream: Fingerprint() for stream in STREAMS}
    parent_ids: dict[str, list[str]] = {"teams": [], "courses": []}
    children: dict[str, Counter[str]] = {"teams": Counter(), "courses": Counter()}
    for stream in STREAMS:
        for record in server.iter_expected(stream):
            fingerprints[stream].add(record)
            if stream in parent_ids:
                parent_ids[stream].append(record["id"])
            elif stream in _PARENTS:
                parent, key = _PARENTS[stream]
                children[parent][record[key]] += 1
    return {
        "fingerprints": {name: found.as_dict() for name, found in fingerprints.items()},
        "users": fingerprints["users"].count,
        "team_sizes": [children["teams"][team] for team in parent_ids["teams"]],
        "course_sizes": [children["courses"][c] for c in parent_ids["courses"]],
    }


class _Commands:
    """What the benchmark may ask of the site: one method per command."""

    def __init__(self, server: FakeLitmos) -> None:
        self._server = server
        self._watcher: _Watcher | None = None

    def answer(self, request: dict[str, Any]) -> object:
        arguments = dict(request)
        command = str(arguments.pop("command"))
        handler = getattr(self, f"do_{command}", None)
        if handler is None:
            msg = f"unknown command {command!r}"
            raise ValueError(msg)
        return handler(**arguments)

    def do_counters(self) -> dict[str, Any]:
        return self._server.counters()

    def do_reset_counters(self) -> None:
        self._server.reset_counters()

    def do_set_latency(self, seconds: float) -> None:
        self._server.set_latency(seconds)

    def do_set_rate_limit(self, limit: int | None, window: float) -> None:
        self._server.set_rate_limit(limit, window)

    def do_advance_clock(self, seconds: float) -> None:
        self._server.clock.advance(seconds)

    def do_mutate(self, share: float, seed: int) -> dict[str, Any]:
        return asdict(mutate(self._server, share, seed))

    def do_survey(self) -> dict[str, Any]:
        return survey(self._server)

    def do_watch(self) -> None:
        self._watcher = _Watcher(self._server)

    def do_timeline(self) -> dict[str, Any]:
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            msg = "timeline asked for without watch"
            raise ValueError(msg)
        return watcher.stop()


def serve(options: dict[str, Any], commands: IO[str], answers: IO[str]) -> None:
    """Serve a site and answer commands until the command stream ends."""
    started = time.monotonic()
    server = FakeLitmos(
        SiteSpec(**options["spec"]),
        rate_limit=options["rate_limit"],
        rate_window=float(options["rate_window"]),
        latency=float(options["latency"]),
    )
    site_commands = _Commands(server)
    with server:
        hello = {
            "base_url": server.base_url,
            "api_key": server.api_key,
            "startup_seconds": time.monotonic() - started,
        }
        answers.write(json.dumps({"result": hello}) + "\n")
        answers.flush()
        for line in commands:
            try:
                reply = {"result": site_commands.answer(json.loads(line))}
            except Exception as error:  # noqa: BLE001 - reported to the driver
                reply = {"error": f"{type(error).__name__}: {error}"}
            answers.write(json.dumps(reply) + "\n")
            answers.flush()


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]), sys.stdin, sys.stdout)
