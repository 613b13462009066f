"""Running the tap as its users do, a separate process, and reading its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fake_litmos import FakeLitmos

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "users": ("id",),
    "teams": ("id",),
    "team_members": ("team_id", "user_id"),
    "courses": ("id",),
    "course_users": ("course_id", "user_id"),
}
STREAMS = tuple(PRIMARY_KEYS)


def tap_config(server: FakeLitmos, **overrides: Any) -> dict[str, Any]:
    """Settings pointing the tap at a fake site, paced for tests, not for Litmos."""
    config: dict[str, Any] = {
        "api_key": server.api_key,
        "source": "tap-litmos-tests",
        "api_url": server.base_url,
        "requests_per_minute": 6000,
        "request_timeout": 10,
        "max_tries": 6,
        "max_retry_seconds": 60,
    }
    config.update(overrides)
    return config


@dataclass
class TapRun:
    """What one run of the tap printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def records(self, stream: str) -> list[dict[str, Any]]:
        """Return the records emitted for a stream, in order."""
        return [
            message["record"]
            for message in self.messages
            if message["type"] == "RECORD" and message["stream"] == stream
        ]

    def keys(self, stream: str) -> list[tuple[str, ...]]:
        """Return the primary keys of a stream's records, repeats included."""
        names = PRIMARY_KEYS[stream]
        return [
            tuple(record[name] for name in names) for record in self.records(stream)
        ]

    @property
    def states(self) -> list[dict[str, Any]]:
        """Every STATE value emitted, in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, Any] | None:
        """The last STATE value emitted, or None."""
        return self.states[-1] if self.states else None


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    """Parse Singer messages, one JSON object per line."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def run_tap(  # noqa: PLR0913 - each is an independent, optional input
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run ``tap-litmos`` in a subprocess with the given config, state and catalog.

    Returns:
        The run's exit code, output and parsed messages (when stdout is Singer).
    """
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "tap_litmos", *args]
        command += ["--config", _write(folder, "config.json", config)]
        if state is not None:
            command += ["--state", _write(folder, "state.json", state)]
        if catalog is not None:
            command += ["--catalog", _write(folder, "catalog.json", catalog)]
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
    run = TapRun(completed.returncode, completed.stdout, completed.stderr)
    # --about and --discover print a document, not Singer messages.
    if completed.returncode == 0 and not {"--about", "--discover"} & set(args):
        run.messages = parse_messages(completed.stdout)
    return run


def _write(folder: str, name: str, content: dict[str, Any]) -> str:
    path = Path(folder) / name
    path.write_text(json.dumps(content))
    return str(path)
