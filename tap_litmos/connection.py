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

import requests
from requests.adapters import HTTPAdapter

from tap_litmos.windows import WINDOW_LENGTH

LOGGER = logging.getLogger("tap-litmos")

UTC = dt.timezone.utc

# Without a Retry-After header, the first wait after a refusal is short (the
# window may free within seconds) and doubles up to the window's length.
FIRST_REFUSAL_WAIT_SECONDS = 5.0
MIN_REFUSAL_WAIT_SECONDS = 1.0
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

    def observe(self, response: requests.Response, *_: object, **__: object) -> None:
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
        # Requests are spaced evenly rather than let through in bursts up to
        # the minute's budget: a burst is refused by a server whose window is
        # shorter than a minute, and leaves nothing for other clients sharing
        # the key until the window rolls on.
        self._interval = 60.0 / requests_per_minute
        self._next_turn = 0.0
        self._lock = threading.Lock()
        self._hold_until = 0.0
        self._refusals_in_a_row = 0

    def wait_turn(self) -> None:
        """Block until a request may be sent."""
        while (pause := self._hold_until - time.monotonic()) > 0:
            time.sleep(min(pause, 1.0))
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next_turn)
            self._next_turn = turn + self._interval
        if turn > now:
            time.sleep(turn - now)

    def hold_after_refusal(self, retry_after: float | None) -> float | None:
        """Hold every request after Litmos refused one for the rate limit.

        Args:
            retry_after: The wait Litmos asked for, in seconds, if it said.

        Returns:
            The length of the new wait, or None when the refusal belongs to a
            wait already under way (another thread was refused first).
        """
        with self._lock:
            now = time.monotonic()
            if retry_after is not None:
                # A Retry-After of 0 or in the past would retry at once, in a
                # tight loop, for as long as the window stays full.
                retry_after = max(retry_after, MIN_REFUSAL_WAIT_SECONDS)
            if now < self._hold_until and (
                retry_after is None or now + retry_after <= self._hold_until + 1.0
            ):
                # Refused in the same burst as the wait under way (other threads'
                # requests were already in flight): the window frees no later
                # for waiting longer, so this neither escalates nor logs again.
                return None
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
            self._hold_until = max(self._hold_until, now + wait)
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
        # Shortened for the rest of the run if the site refuses 7-day windows.
        self.window_length = WINDOW_LENGTH
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
