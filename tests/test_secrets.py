"""The API key never shows: not in output, logs, errors, reprs or tracebacks."""

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from fake_litmos import FakeLitmos, FaultSpec, SiteSpec
from tap_litmos.errors import LitmosRequestRefusedError
from tap_litmos.tap import TapLitmos
from tests.support import tap_config

SPEC = SiteSpec(
    users=12,
    teams=2,
    courses=2,
    members_per_team=3,
    users_per_course=3,
    big_team_members=6,
    big_course_users=6,
)
KEY = "Kx7-distinctive-SECRET-q93Z"
DEBUG = {"TAP_LITMOS_LOGLEVEL": "DEBUG"}
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run(config, *args, state=None, env=None):
    """Run the tap at DEBUG level; return (exit code, stdout and stderr)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "tap_litmos", *args]
        if config is not None:
            path = Path(folder) / "config.json"
            path.write_text(json.dumps(config))
            command += ["--config", str(path)]
        if state is not None:
            path = Path(folder) / "state.json"
            path.write_text(json.dumps(state))
            command += ["--state", str(path)]
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **DEBUG, **(env or {})},
            check=False,
        )
    return completed.returncode, completed.stdout + completed.stderr


def assert_hidden(output, key=KEY):
    assert key not in output
    # Nor a part of it long enough to be of use.
    assert key[:12] not in output
    assert key[-12:] not in output


@pytest.fixture
def accepting():
    with FakeLitmos(SPEC, api_key=KEY, rate_limit=None) as server:
        yield server


@pytest.fixture
def refusing():
    with FakeLitmos(SPEC, api_key="the-key-litmos-expects", rate_limit=None) as server:
        yield server


def test_a_sync_through_faults_at_debug_level_never_shows_the_key(accepting):
    accepting.set_faults(FaultSpec(seed=5, rate=0.3, delay=2.0, trickle=1.0))
    code, output = run(tap_config(accepting, api_key=KEY, request_timeout=1))
    assert code == 0, output[-3000:]
    assert accepting.counters()["faults_served"] > 0
    assert "DEBUG" in output
    assert_hidden(output)


def test_a_refused_key_is_not_quoted(refusing):
    code, output = run(tap_config(refusing, api_key=KEY))
    assert code != 0
    assert "api_key" in output
    assert "Traceback" not in output
    assert_hidden(output)


def test_a_key_given_through_the_environment_is_not_quoted(refusing):
    env = {
        "TAP_LITMOS_API_KEY": KEY,
        "TAP_LITMOS_SOURCE": "tests",
        "TAP_LITMOS_API_URL": refusing.base_url,
    }
    code, output = run(None, "--config", "ENV", env=env)
    assert code != 0
    assert refusing.counters()["requests_total"] == 1
    assert_hidden(output)


@pytest.mark.parametrize("status", [403, 500])
def test_an_error_detail_that_echoes_the_key_is_masked(accepting, status):
    accepting.set_refusal(status, f"The key {KEY} may not read this site.")
    config = tap_config(accepting, api_key=KEY, max_tries=2)
    code, output = run(config)
    assert code != 0
    assert "may not read this site" in output
    assert_hidden(output)


def test_a_crash_traceback_does_not_show_the_key(accepting):
    code, output = run(
        tap_config(accepting, api_key=KEY), state={"bookmarks": {"users": "oops"}}
    )
    assert code != 0
    assert "Traceback" in output
    assert_hidden(output)


@pytest.mark.parametrize(
    "bad_key",
    [KEY * 10, KEY + "\n", f" {KEY}", 12345678901234567890],
    ids=["too_long", "line_break", "leading_space", "not_text"],
)
def test_a_key_the_settings_reject_is_not_quoted(accepting, bad_key):
    code, output = run(tap_config(accepting, api_key=bad_key))
    assert code != 0
    assert "api_key" in output
    assert accepting.counters()["requests_total"] == 0
    assert_hidden(output, str(bad_key).strip())


@pytest.mark.parametrize("args", [("--about",), ("--discover",), ("--test",)])
def test_about_discover_and_test_never_show_the_key(accepting, args):
    code, output = run(tap_config(accepting, api_key=KEY), *args)
    assert code == 0, output[-3000:]
    assert_hidden(output)


@pytest.fixture
def signal_handlers():
    # A tap built in this process takes over SIGINT and SIGTERM; give them back.
    saved = {number: signal.getsignal(number) for number in SIGNALS}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.usefixtures("signal_handlers")
def test_reprs_and_errors_of_the_tap_do_not_show_the_key(accepting):
    tap = TapLitmos(config=tap_config(accepting, api_key=KEY))
    stream = tap.streams["users"]
    shown = [
        repr(tap),
        repr(tap.connection),
        repr(tap.connection.session),
        repr(stream),
        repr(stream.authenticator),
        str(tap.connection.session.headers),
    ]
    for text in shown:
        assert KEY not in text
    # The key is sent, though: in the apikey header.
    records = list(stream.get_records(None))
    assert len(records) == SPEC.users

    accepting.set_refusal(403, "Access denied.")
    with pytest.raises(LitmosRequestRefusedError) as refusal:
        list(stream.get_records(None))
    assert KEY not in str(refusal.value)
    assert KEY not in repr(refusal.value)
