"""What every stream of one tap run shares: the HTTP session, pacing and clock.

Litmos allows 100 calls a minute per API key, counted over a rolling 60-second
window, and other integrations may spend the same key's budget. All streams and
all their worker threads therefore draw from one pacer, and when Litmos refuses
a call for exceeding the limit, every thread waits, not just the one refused.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from typing import Any

import requests
from pyrate_limiter import Duration, Limiter, Rate
from requests.adapters import HTTPAdapter

LOGGER = logging.getLogger("tap-litmos")

UTC = dt.timezone.utc

# Without a Retry-After header, the first wait after a refusal is short (the
# window may free within seconds) and doubles up to the window's length.
FIRST_REFUSAL_WAIT_SECONDS = 5.0
RATE_WINDOW_SECONDS = 60.0


class ServerClock:
    """The Litmos server's idea of now, learned from response ``Date`` headers.

    Bookmarks are compared with timestamps the server writes, so they are taken
    from the server's clock: a machine whose clock runs behind the server's
    would otherwise set bookmarks past changes it never read.
    """

    def __init__(self) -> None:
        """Start with no offset until a response says otherwise."""
        self._offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        """Return the current time on the server's clock, in UTC."""
        return dt.datetime.now(UTC) + self._offset

    def observe(self, response: requests.Response, *_: Any, **__: Any) -> None:  # noqa: ANN401
        """Learn the offset from a response; usable as a requests response hook."""
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server_time = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if server_time.tzinfo is None:
            server_time = server_time.replace(tzinfo=UTC)
        self._offset = server_time - dt.datetime.now(UTC)


class RequestPacer:
    """Spaces requests to a budget per minute and holds them after a refusal."""

    def __init__(self, requests_per_minute: int) -> None:
        """Create a pacer.

        Args:
            requests_per_minute: The most requests any rolling minute may hold.
        """
        self._limiter = Limiter(Rate(requests_per_minute, Duration.MINUTE))
        self._lock = threading.Lock()
        self._hold_until = 0.0
        self._refusals_in_a_row = 0

    def wait_turn(self) -> None:
        """Block until a request may be sent."""
        while (pause := self._hold_until - time.monotonic()) > 0:
            time.sleep(min(pause, 1.0))
        self._limiter.try_acquire("litmos")

    def hold_after_refusal(self, retry_after: float | None) -> float | None:
        """Hold every request after Litmos refused one for the rate limit.

        Args:
            retry_after: The wait Litmos asked for, in seconds, if it said.

        Returns:
            The length of the new wait, or None when a wait at least as long
            was already under way (another thread was refused first).
        """
        with self._lock:
            self._refusals_in_a_row += 1
            if retry_after is None:
                doubled = FIRST_REFUSAL_WAIT_SECONDS * 2.0 ** (
                    self._refusals_in_a_row - 1
                )
                wait = min(RATE_WINDOW_SECONDS, doubled)
                # A little jitter keeps clients sharing the key from retrying in step.
                wait += random.uniform(0, wait / 10)  # noqa: S311
            else:
                wait = retry_after
            until = time.monotonic() + wait
            if until <= self._hold_until:
                return None
            self._hold_until = until
            return wait

    def note_success(self) -> None:
        """Record that a request went through, resetting the refusal backoff."""
        self._refusals_in_a_row = 0


class LitmosConnection:
    """The session, pacer and clock shared by every stream of a tap run."""

    def __init__(
        self,
        *,
        requests_per_minute: int,
        max_concurrency: int,
        user_agent: str,
    ) -> None:
        """Open a connection pool sized for the worker threads.

        Args:
            requests_per_minute: The tap's share of the key's rate limit.
            max_concurrency: How many requests may be in flight at once.
            user_agent: The User-Agent header to send.
        """
        self.clock = ServerClock()
        self.pacer = RequestPacer(requests_per_minute)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max_concurrency + 2)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = user_agent
        self.session.hooks["response"].append(self.clock.observe)

    def __repr__(self) -> str:
        """Describe the connection without any header values."""
        return f"{type(self).__name__}()"
