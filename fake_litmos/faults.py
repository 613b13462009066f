"""Injected faults and the per-key rate limit."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fake_litmos.mutations import Clock

FAULT_KINDS = (
    "latency",
    "slow",
    "500_html",
    "502",
    "504",
    "truncated_json",
    "html_200",
    "drop",
)
"""Every fault the fake can inject.

latency: the answer comes late. slow: the body trickles out slowly.
500_html: a 500 with an IIS error page. 502, 504: gateway errors (HTML).
truncated_json: a 200 whose body is cut in half. html_200: a 200 with an HTML
page instead of data. drop: the connection closes without any response.
"""


@dataclass(frozen=True)
class FaultSpec:
    """Which faults to inject, and how often.

    Attributes:
        seed: Seed of the fault decisions.
        rate: Probability that a request gets a fault, in [0, 1].
        kinds: Faults to draw from (see `FAULT_KINDS`).
        delay: Extra seconds before a "latency" answer.
        trickle: Seconds over which a "slow" body is sent.
    """

    seed: int = 0
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    delay: float = 1.0
    trickle: float = 2.0

    def __post_init__(self) -> None:
        """Reject unknown kinds and impossible rates."""
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            msg = f"unknown fault kinds: {sorted(unknown)}"
            raise ValueError(msg)
        if not self.kinds:
            msg = "kinds must name at least one fault"
            raise ValueError(msg)
        if not 0.0 <= self.rate <= 1.0:
            msg = "rate must lie in [0, 1]"
            raise ValueError(msg)


class FaultPlan:
    """Decides, reproducibly, which request gets which fault.

    The decision depends only on the seed, the request (method, path and raw
    query) and how many times that exact request reached this plan before,
    never on timing, so concurrent clients meet the same faults in every run.
    """

    def __init__(self, spec: FaultSpec) -> None:
        """Start with no request seen."""
        self.spec = spec
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def decide(self, method: str, target: str) -> str | None:
        """Return the fault kind for this request, or None for a normal answer."""
        key = f"{method} {target}"
        with self._lock:
            count = self._seen.get(key, 0)
            self._seen[key] = count + 1
        if self.spec.rate <= 0.0:
            return None
        text = f"{self.spec.seed}\n{key}\n{count}".encode()
        bits = hashlib.blake2b(text, digest_size=16).digest()
        draw = int.from_bytes(bits[:8], "big") / float(1 << 64)
        if draw >= self.spec.rate:
            return None
        return self.spec.kinds[int.from_bytes(bits[8:], "big") % len(self.spec.kinds)]


class RateLimiter:
    """A rolling window of at most `limit` requests per `window` seconds.

    Only admitted requests enter the window: a refused request does not push
    the end of the refusal further out.
    """

    def __init__(self, limit: int | None, window: float, clock: Clock) -> None:
        """Admit `limit` requests per `window` seconds (None: no limit)."""
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()
        self.limit = limit
        self.window = window

    @property
    def clock(self) -> Clock:
        """The clock the window is measured on."""
        return self._clock

    def configure(self, limit: int | None, window: float) -> None:
        """Change the limit; requests already admitted stay in the window."""
        with self._lock:
            self.limit = limit
            self.window = window

    def admit(self) -> float | None:
        """Admit a request, or return the seconds until the window has room."""
        with self._lock:
            if self.limit is None:
                return None
            now = self._clock.monotonic()
            while self._admitted and self._admitted[0] <= now - self.window:
                self._admitted.popleft()
            if len(self._admitted) >= self.limit:
                if not self._admitted:
                    return self.window
                return max(self._admitted[0] + self.window - now, 0.001)
            self._admitted.append(now)
            return None


def retry_after(wait: float) -> str:
    """Format a wait as whole seconds for a `Retry-After` header (at least 1)."""
    return str(max(1, math.ceil(wait)))


IIS_500_PAGE = """<!DOCTYPE html>
<html>
<head><title>Runtime Error</title>
<style>body {font-family:"Verdana";font-weight:normal;color:black;}</style>
</head>
<body bgcolor="white">
<span><h1>Server Error in '/' Application.<hr width=100% size=1 color=silver></h1>
<h2><i>Runtime Error</i></h2></span>
<b>Description:</b> An application error occurred on the server. The current
custom error settings for this application prevent the details of the
application error from being viewed remotely (for security reasons).
</body>
</html>
"""

GATEWAY_PAGES = {
    502: "<html><head><title>502 - Web server received an invalid response while "
    "acting as a gateway or proxy server.</title></head><body><h1>Server Error</h1>"
    "<h2>502 - Web server received an invalid response while acting as a gateway "
    "or proxy server.</h2></body></html>\n",
    504: "<html><head><title>504 Gateway Time-out</title></head><body>"
    "<center><h1>504 Gateway Time-out</h1></center></body></html>\n",
}

MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Litmos - Scheduled Maintenance</title></head>
<body><h1>We'll be back soon</h1>
<p>Litmos is undergoing scheduled maintenance. Please try again shortly.</p>
</body>
</html>
"""
