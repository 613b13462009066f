"""Shared parts of the incremental and resume tests.

Sites, states with chosen bookmarks, a log of the changes a test makes (with
the instant each one carries), checks of emitted records against the fake's
expected output, and a tap run that can be stopped after a number of records.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from fake_litmos import SiteSpec
from tests.support import PRIMARY_KEYS, STREAMS, TapRun, parse_messages

if TYPE_CHECKING:
    from collections.abc import Callable

    from fake_litmos import FakeLitmos

UTC = dt.timezone.utc
WEEK = dt.timedelta(days=7)
MS = dt.timedelta(milliseconds=1)

CHANGE_ENDPOINTS = {
    "users": "/org/users/details",
    "teams": "/org/teams",
    "team_members": "/org/teams/users",
    "courses": "/org/courses",
    "course_users": "/org/results/details",
}
PER_PARENT_ENDPOINTS = ("/teams/{id}/users", "/courses/{id}/users")

# /org/results/details carries no CompliantTill and no AccessTillDate, so a
# course user read as a change has them null whatever the site holds.
NOT_IN_CHANGE_ROWS = {"course_users": frozenset({"compliant_till", "access_till_date"})}

Key = tuple[str, ...]


def small_spec(**overrides: Any) -> SiteSpec:
    """A site big enough for every awkward case, small enough for many runs."""
    sizes: dict[str, Any] = {
        "users": 300,
        "teams": 10,
        "courses": 6,
        "members_per_team": 8,
        "users_per_course": 10,
        "big_team_members": 60,
        "big_course_users": 50,
    }
    sizes.update(overrides)
    return SiteSpec(**sizes)


def rfc3339(moment: dt.datetime) -> str:
    """Write an instant as the tap writes bookmarks."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> dt.datetime:
    """Read an RFC 3339 instant written by the tap."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def bookmark_state(moment: dt.datetime) -> dict[str, Any]:
    """A state whose five bookmarks all stand at ``moment``."""
    entry = {
        "replication_key": "updated_date",
        "replication_key_value": rfc3339(moment),
    }
    return {"bookmarks": {stream: dict(entry) for stream in STREAMS}}


def bookmarks(state: dict[str, Any]) -> dict[str, dt.datetime]:
    """The bookmark of each stream in a state."""
    return {
        stream: parse_instant(entry["replication_key_value"])
        for stream, entry in state["bookmarks"].items()
        if "replication_key_value" in entry
    }


def whole_second(moment: dt.datetime) -> dt.datetime:
    """Drop the fraction of a second, so window edges fall on exact instants."""
    return moment.replace(microsecond=0)


def window_count(since: dt.datetime, now: dt.datetime) -> int:
    """How many 7-day windows cover ``[since, now]``, the last ending after now."""
    return (now - whole_second(since)) // WEEK + 1


def page_calls(rows: int, page_size: int) -> int:
    """Calls one date-range window of ``rows`` rows costs.

    Each page after the first starts a few rows before the end of the one
    before (a twentieth of the page, at least one), and a page shorter than
    the page size is the last.
    """
    reread = min(page_size - 1, max(1, page_size // 20))
    calls, start = 1, 0
    while rows - start >= page_size:
        start += page_size - reread
        calls += 1
    return calls


def active_user_ids(server: FakeLitmos) -> list[str]:
    """Ids of the active users, in list order (member lists show no others)."""
    return [row["id"] for row in server.expected()["users"] if row["active"]]


def key_of(stream: str, record: dict[str, Any]) -> Key:
    """The primary key of a record of a stream."""
    return tuple(record[name] for name in PRIMARY_KEYS[stream])


def by_key(stream: str, records: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """Records of a stream by key; a later record of a key replaces an earlier one."""
    return {key_of(stream, record): record for record in records}


def latest_records(runs: list[TapRun], stream: str) -> dict[Key, dict[str, Any]]:
    """What a target would hold for a stream after loading the runs in order."""
    held: dict[Key, dict[str, Any]] = {}
    for run in runs:
        held.update(by_key(stream, run.records(stream)))
    return held


def differences(
    stream: str, record: dict[str, Any], expected: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Properties the site expects that a record holds with another value.

    Properties a change row never carries are left out when the record came
    from a date-range endpoint (it has an ``updated_date``).
    """
    skipped: frozenset[str] = frozenset()
    if record.get("updated_date") is not None:
        skipped = NOT_IN_CHANGE_ROWS.get(stream, frozenset())
    return {
        name: (record.get(name), value)
        for name, value in expected.items()
        if name not in skipped and record.get(name) != value
    }


def snapshot_problems(
    stream: str, records: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> list[str]:
    """How the records of a full read differ from the site's expected records.

    Records carry every property of their stream's schema: those the expected
    record does not name must be null; the others must be equal.
    """
    emitted, wanted = by_key(stream, records), by_key(stream, expected)
    problems = [f"{len(records) - len(emitted)} repeated keys"] * (
        len(records) != len(emitted)
    )
    if set(emitted) != set(wanted):
        missing, extra = set(wanted) - set(emitted), set(emitted) - set(wanted)
        problems.append(f"missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}")
    for key in set(emitted) & set(wanted):
        record, row = emitted[key], wanted[key]
        wrong = {name for name, value in row.items() if record.get(name) != value}
        wrong |= {name for name, value in record.items() if name not in row and value}
        if wrong:
            problems.append(f"{key}: {sorted(wrong)}")
    return problems


def window_order(
    server: FakeLitmos, endpoint: str, since: dt.datetime, to: dt.datetime
) -> list[dict[str, Any]]:
    """The rows of one date-range window, in the order the site serves them."""
    params = {
        "source": "tests",
        "format": "json",
        "since": since.strftime("%Y-%m-%d %H:%M:%S"),
        "to": to.strftime("%Y-%m-%d %H:%M:%S"),
        "limit": 1000,
    }
    response = requests.get(
        server.base_url + endpoint,
        params=params,
        headers={"apikey": server.api_key},
        timeout=10,
    )
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()
    return rows


@dataclass
class Changes:
    """Changes made to a fake site, with the instant each carries.

    ``made[stream][key]`` is the instant of the latest change to that record;
    ``removed`` holds the memberships taken out of their team.
    """

    server: FakeLitmos
    made: dict[str, dict[Key, dt.datetime]] = field(
        default_factory=lambda: {stream: {} for stream in STREAMS}
    )
    removed: set[Key] = field(default_factory=set)

    def _note(self, stream: str, key: Key, at: dt.datetime | None) -> dt.datetime:
        moment = at if at is not None else self.server.clock.now()
        # The fake keeps instants to the millisecond.
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        self.made[stream][key] = moment
        return moment

    def rename_user(
        self, user_id: str, last_name: str, at: dt.datetime | None = None
    ) -> None:
        """Give a user a new last name."""
        moment = self._note("users", (user_id,), at)
        self.server.mutations.rename_user(user_id, last_name=last_name, at=moment)

    def add_user(self, first_name: str, at: dt.datetime | None = None) -> str:
        """Create a user and return its id."""
        moment = at if at is not None else self.server.clock.now()
        user_id = self.server.mutations.add_user(first_name=first_name, at=moment)
        self._note("users", (user_id,), moment)
        return user_id

    def deactivate_user(self, user_id: str, at: dt.datetime | None = None) -> None:
        """Make a user inactive."""
        moment = self._note("users", (user_id,), at)
        self.server.mutations.deactivate_user(user_id, at=moment)

    def add_member(
        self, team_id: str, user_id: str, at: dt.datetime | None = None
    ) -> None:
        """Put a user in a team."""
        moment = self._note("team_members", (team_id, user_id), at)
        self.server.mutations.add_member(team_id, user_id, at=moment)
        self.removed.discard((team_id, user_id))

    def remove_member(
        self, team_id: str, user_id: str, at: dt.datetime | None = None
    ) -> None:
        """Take a user out of a team."""
        moment = self._note("team_members", (team_id, user_id), at)
        self.server.mutations.remove_member(team_id, user_id, at=moment)
        self.removed.add((team_id, user_id))

    def set_progress(
        self,
        course_id: str,
        user_id: str,
        percentage: float,
        at: dt.datetime | None = None,
    ) -> None:
        """Record a user's progress in a course (complete at 100)."""
        moment = self._note("course_users", (course_id, user_id), at)
        self.server.mutations.set_progress(
            course_id, user_id, percentage, percentage >= 100, at=moment
        )

    def add_course(self, name: str, at: dt.datetime | None = None) -> str:
        """Create a course and return its id."""
        moment = at if at is not None else self.server.clock.now()
        course_id = self.server.mutations.add_course(name=name, at=moment)
        self._note("courses", (course_id,), moment)
        return course_id

    def keys(self, stream: str) -> set[Key]:
        """Keys of the records of a stream that changed."""
        return set(self.made[stream])

    def check_current(
        self,
        stream: str,
        held: dict[Key, dict[str, Any]],
        *,
        removed_may_be_missing: bool = False,
    ) -> None:
        """Assert every changed record of a stream is held with current values.

        A removed membership must be held as inactive; with
        ``removed_may_be_missing`` it may also be missing altogether, as when
        no run ever emitted it.
        """
        expected = by_key(stream, self.server.expected()[stream])
        for key in self.made[stream]:
            if removed_may_be_missing and key in self.removed and key not in held:
                continue
            assert key in held, f"{stream} {key} was never emitted"
            if key in self.removed:
                assert held[key]["active"] is False, f"{stream} {key} still active"
                continue
            wrong = differences(stream, held[key], expected[key])
            assert not wrong, f"{stream} {key} is stale: {wrong}"


def assert_states_are_honest(
    run: TapRun, changes: Changes, earlier: tuple[TapRun, ...] = ()
) -> None:
    """Assert no STATE emitted passes a change not emitted before it.

    A bookmark says every change before it has been emitted: for each STATE
    message and stream, every change made before that stream's bookmark must
    have a record earlier in the output, or in the output of an earlier run.
    """
    seen: dict[str, set[Key]] = {
        stream: {key for before in earlier for key in before.keys(stream)}
        for stream in STREAMS
    }
    for message in run.messages:
        if message["type"] == "RECORD":
            stream = message["stream"]
            seen[stream].add(key_of(stream, message["record"]))
        elif message["type"] == "STATE":
            for stream, bookmark in bookmarks(message["value"]).items():
                passed = {
                    key
                    for key, moment in changes.made[stream].items()
                    if moment < bookmark
                }
                missing = passed - seen[stream]
                assert not missing, f"{stream} bookmark {bookmark} passed {missing}"


def assert_no_repeats(run: TapRun) -> None:
    """Assert no stream emitted a key twice in the run."""
    for stream in STREAMS:
        keys = run.keys(stream)
        assert len(keys) == len(set(keys)), f"{stream} repeated a key"


def run_until(  # noqa: PLR0913 - each is an independent, optional input
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    stop_after: int | None = None,
    stop_with: int = signal.SIGTERM,
    on_stop: Callable[[], None] | None = None,
    timeout: float = 120,
) -> TapRun:
    """Run the tap, reading its output line by line; stop it after some records.

    Args:
        config: The tap's settings.
        state: The state to start from, if any.
        stop_after: Send ``stop_with`` once this many records were read.
        stop_with: The signal that stops the tap (SIGTERM or SIGKILL).
        on_stop: Called just before the signal is sent.
        timeout: Seconds the run may take in all.

    Returns:
        Every message read, including those that came after the signal.
    """
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "tap_litmos"]
        command += ["--config", _write(folder, "config.json", config)]
        if state is not None:
            command += ["--state", _write(folder, "state.json", state)]
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        ) as process:
            lines: list[str] = []
            records = 0
            stopped = False
            try:
                assert process.stdout is not None
                for raw in process.stdout:
                    line = raw.decode()
                    if not line.endswith("\n"):
                        # A line cut short by SIGKILL never reached a target.
                        break
                    lines.append(line)
                    records += line.startswith('{"type":"RECORD"')
                    if not stopped and stop_after is not None and records >= stop_after:
                        if on_stop is not None:
                            on_stop()
                        process.send_signal(stop_with)
                        stopped = True
                returncode = process.wait(timeout=timeout)
            finally:
                if process.poll() is None:
                    process.kill()
    return TapRun(returncode, "".join(lines), "", parse_messages("".join(lines)))


def _write(folder: str, name: str, content: dict[str, Any]) -> str:
    path = Path(folder) / name
    path.write_text(json.dumps(content))
    return str(path)
