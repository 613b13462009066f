"""Request counters and actions scheduled after a number of requests."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("fake_litmos")


class Counters:
    """What the server has served, for tests and benchmarks to assert on."""

    def __init__(self) -> None:
        """Start from zero."""
        self._lock = threading.Lock()
        self._in_flight = 0
        self.reset()

    def reset(self) -> None:
        """Zero every counter (the peak restarts from the requests in flight)."""
        with self._lock:
            self._total = 0
            self._by_endpoint: Counter[str] = Counter()
            self._by_status: Counter[int] = Counter()
            self._faults: Counter[str] = Counter()
            self._rate_limited = 0
            self._items = 0
            self._peak = self._in_flight

    def enter(self) -> None:
        """Note that an API request started (for peak concurrency)."""
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)

    def leave(self) -> None:
        """Note that an API request finished, its response fully sent."""
        with self._lock:
            self._in_flight -= 1

    def record(
        self,
        endpoint: str,
        status: int | None,
        *,
        fault: str | None = None,
        rate_limited: bool = False,
        items: int = 0,
    ) -> None:
        """Count one API request; `status` is None when no response was sent."""
        with self._lock:
            self._total += 1
            self._by_endpoint[endpoint] += 1
            if status is not None:
                self._by_status[status] += 1
            if fault is not None:
                self._faults[fault] += 1
            self._rate_limited += rate_limited
            self._items += items

    def snapshot(self) -> dict[str, Any]:
        """Return a copy of every counter."""
        with self._lock:
            return {
                "requests_total": self._total,
                "by_endpoint": dict(self._by_endpoint),
                "by_status": dict(self._by_status),
                "rate_limited": self._rate_limited,
                "faults_served": sum(self._faults.values()),
                "faults_by_kind": dict(self._faults),
                "items_served": self._items,
                "peak_concurrency": self._peak,
                "in_flight": self._in_flight,
            }


class Scheduler:
    """Runs actions once a given number of further API requests were served."""

    def __init__(self) -> None:
        """Start with nothing pending."""
        self._lock = threading.Lock()
        self._served = 0
        self._pending: list[tuple[int, Callable[[], None]]] = []

    def schedule(self, after_requests: int, action: Callable[[], None]) -> None:
        """Run `action` right after the next `after_requests` requests are served.

        The request that reaches the count is answered from the state before the
        action; the action's change is visible to every later request.
        """
        if after_requests <= 0:
            action()
            return
        with self._lock:
            self._pending.append((self._served + after_requests, action))

    def served(self) -> None:
        """Count one served request and run the actions that became due."""
        with self._lock:
            self._served += 1
            due = [action for target, action in self._pending if target <= self._served]
            self._pending = [item for item in self._pending if item[0] > self._served]
        for action in due:
            _run(action)

    @property
    def pending(self) -> int:
        """Number of actions not yet run."""
        with self._lock:
            return len(self._pending)


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:
        # A broken test action must not take the server thread down.
        logger.exception("scheduled action failed")
