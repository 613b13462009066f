"""Running one tap as a process of its own and measuring what it cost.

CPU time and peak memory come from ``os.wait4``: the kernel's own accounting
of that one child (user and system time, maximum resident set size), so
neither the fake site's process nor the benchmark's own work is counted, and
nothing has to poll the child while it runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.records import SingerOutput, read_singer_output

BENCH_DIR = Path(__file__).resolve().parent
_POLL_SECONDS = 0.05
_STDERR_TAIL = 4000

PROJECT_TAP = (sys.executable, "-m", "tap_litmos")
PLAIN_TAP = (sys.executable, str(BENCH_DIR / "plain_tap.py"))


@dataclass(frozen=True)
class TapRun:
    """One tap process: how it ended, what it cost and what it wrote."""

    returncode: int
    stopped_early: bool
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    output: SingerOutput | None
    stderr_tail: str

    @property
    def succeeded(self) -> bool:
        """Tell whether the tap ran to its end and exited cleanly."""
        return self.returncode == 0 and not self.stopped_early


def run_tap(
    command: tuple[str, ...],
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    read_output: bool = True,
    stop_after: float | None = None,
) -> TapRun:
    """Run a tap to its end, or for ``stop_after`` seconds, and measure it.

    Args:
        command: The tap's command line, without its options.
        config: The tap's settings.
        state: A state to resume from, if any.
        read_output: Keep the Singer output in a file and fingerprint it after
            the run; otherwise it goes to /dev/null.
        stop_after: Seconds after which the tap is stopped with SIGTERM.

    Returns:
        The measurements, and the output's fingerprints when read.
    """
    with tempfile.TemporaryDirectory(prefix="litmos-bench-") as folder:
        workdir = Path(folder)
        arguments = [*command, "--config", _write(workdir / "config.json", config)]
        if state is not None:
            arguments += ["--state", _write(workdir / "state.json", state)]
        stdout_path = workdir / "output.jsonl" if read_output else Path(os.devnull)
        stderr_path = workdir / "stderr.log"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            started = time.monotonic()
            process = subprocess.Popen(arguments, stdout=stdout, stderr=stderr)
            status, usage, stopped = _wait(process, stop_after)
            wall = time.monotonic() - started
        returncode = os.waitstatus_to_exitcode(status)
        # wait4 reaped the child: tell Popen, so it does not wait for it again.
        process.returncode = returncode
        tail = stderr_path.read_text(errors="replace")[-_STDERR_TAIL:]
        output = read_singer_output(stdout_path) if read_output else None
    return TapRun(
        returncode=returncode,
        stopped_early=stopped,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        # Linux reports the maximum resident set size in kibibytes.
        peak_rss_bytes=usage.ru_maxrss * 1024,
        output=output,
        stderr_tail=tail,
    )


def _wait(
    process: subprocess.Popen[bytes], stop_after: float | None
) -> tuple[int, Any, bool]:
    if stop_after is None:
        _, status, usage = os.wait4(process.pid, 0)
        return status, usage, False
    deadline = time.monotonic() + stop_after
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return status, usage, False
        if time.monotonic() >= deadline:
            process.send_signal(signal.SIGTERM)
            _, status, usage = os.wait4(process.pid, 0)
            return status, usage, True
        time.sleep(_POLL_SECONDS)


def _write(path: Path, content: dict[str, Any]) -> str:
    path.write_text(json.dumps(content))
    return str(path)
