"""SIGTERM and SIGINT stop a sync at once, with a STATE that loses nothing."""

import json
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from fake_litmos import FakeLitmos, SiteSpec
from tests.support import STREAMS, parse_messages, run_tap, tap_config

SPEC = SiteSpec(
    users=40,
    teams=8,
    courses=6,
    members_per_team=6,
    users_per_course=6,
    big_team_members=15,
    big_course_users=15,
)
# Every call takes this long, so a whole sync would last far longer than the
# few seconds a stop may take.
LATENCY = 0.4
STOP_TIMEOUT = 15


def interrupt(config, *, stream, number, signum, state=None):
    """Run the tap; send `signum` once `stream` emitted `number` records.

    Returns:
        Every Singer message the tap wrote. A tap that does not stop within
        STOP_TIMEOUT seconds of the signal fails the test (TimeoutExpired).
    """
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "config.json"
        config_path.write_text(json.dumps(config))
        command = [sys.executable, "-m", "tap_litmos", "--config", str(config_path)]
        if state is not None:
            state_path = Path(folder) / "state.json"
            state_path.write_text(json.dumps(state))
            command += ["--state", str(state_path)]
        with (Path(folder) / "stderr").open("w") as stderr:
            tap = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
            lines = _read_until(tap, stream, number)
            tap.send_signal(signum)
            rest, _ = tap.communicate(timeout=STOP_TIMEOUT)
    return parse_messages("".join(lines) + rest)


def _read_until(tap, stream, number):
    lines, seen = [], 0
    while seen < number:
        line = tap.stdout.readline()
        assert line, "the tap ended before it could be interrupted"
        lines.append(line)
        message = json.loads(line)
        if message["type"] == "RECORD" and message["stream"] == stream:
            seen += 1
    return lines


def keys_of(messages, stream):
    names = {
        "team_members": ("team_id", "user_id"),
        "course_users": ("course_id", "user_id"),
    }.get(stream, ("id",))
    return {
        tuple(message["record"][name] for name in names)
        for message in messages
        if message["type"] == "RECORD" and message["stream"] == stream
    }


def bookmarked(state):
    return {
        stream
        for stream, value in state.get("bookmarks", {}).items()
        if "replication_key_value" in value
    }


@pytest.mark.parametrize(
    ("signum", "stream"),
    [(signal.SIGTERM, "users"), (signal.SIGINT, "team_members")],
    ids=["sigterm_in_a_list", "sigint_in_a_fan_out"],
)
def test_a_signal_stops_the_sync_with_a_state_of_what_was_emitted(signum, stream):
    with FakeLitmos(SPEC, rate_limit=None, latency=LATENCY) as server:
        config = tap_config(server, page_size=5)
        messages = interrupt(config, stream=stream, number=1, signum=signum)
        expected = {name: server.expected_keys(name) for name in STREAMS}

    # The tap stopped where it was: no stream after that one began.
    later = STREAMS[STREAMS.index(stream) + 1 :]
    assert all(not keys_of(messages, name) for name in later)
    assert messages[-1]["type"] == "STATE"
    state = messages[-1]["value"]
    complete = {name for name in STREAMS if keys_of(messages, name) == expected[name]}
    assert stream not in complete
    # A bookmark only for a stream whose every record was emitted.
    assert bookmarked(state) <= complete
    assert stream not in bookmarked(state)
    if stream == "team_members":
        assert {"users", "teams"} <= bookmarked(state)


def test_a_signal_during_an_incremental_sync_keeps_the_bookmark_it_had():
    with FakeLitmos(SPEC, rate_limit=None) as server:
        full = run_tap(tap_config(server))
        assert full.returncode == 0, full.stderr[-3000:]
        before = full.last_state
        at = datetime.now(timezone.utc) - timedelta(seconds=30)
        for row in server.expected()["users"][:20]:
            server.mutations.rename_user(row["id"], first_name="Changed", at=at)
        server.set_latency(LATENCY)
        config = tap_config(server, page_size=2)
        messages = interrupt(
            config, stream="users", number=1, signum=signal.SIGTERM, state=before
        )

    assert messages[-1]["type"] == "STATE"
    # The window was read in part: its rows come in no order, so the bookmark
    # cannot move until the whole window is read.
    assert len(keys_of(messages, "users")) < 20
    bookmark = messages[-1]["value"]["bookmarks"]["users"]["replication_key_value"]
    assert bookmark == before["bookmarks"]["users"]["replication_key_value"]


def test_a_signal_while_the_output_pipe_is_full_ends_on_a_whole_state():
    # Nobody reads the tap's output until after the signal: a page of users
    # fills the pipe, so the signal most likely finds the tap blocked halfway
    # through writing a record.
    spec = SiteSpec(users=3000, teams=2, courses=2, big_team_members=5)
    with (
        FakeLitmos(spec, rate_limit=None) as server,
        tempfile.TemporaryDirectory() as folder,
    ):
        config_path = Path(folder) / "config.json"
        config_path.write_text(json.dumps(tap_config(server)))
        command = [sys.executable, "-m", "tap_litmos", "--config", str(config_path)]
        with (Path(folder) / "stderr").open("w") as stderr:
            tap = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
            while server.counters()["requests_total"] == 0:
                time.sleep(0.05)
            # Long enough for a thousand records to overflow the pipe.
            time.sleep(1.0)
            tap.send_signal(signal.SIGTERM)
            output, _ = tap.communicate(timeout=STOP_TIMEOUT)

    # Every line is a whole message, and the last one a STATE.
    lines = output.decode().splitlines()
    messages = [json.loads(line) for line in lines]
    assert messages[-1]["type"] == "STATE"
    assert 0 < len(keys_of(messages, "users")) < spec.users
    assert "users" not in bookmarked(messages[-1]["value"])
