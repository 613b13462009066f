"""`FakeLitmos`: a fake Litmos API site served over real loopback sockets."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from fake_litmos.app import API_PREFIX, App, RowHook, Settings
from fake_litmos.counters import Counters, Scheduler
from fake_litmos.dates import DAY_MS
from fake_litmos.faults import FaultPlan, FaultSpec, RateLimiter
from fake_litmos.httpserver import LitmosHTTPServer
from fake_litmos.mutations import Clock, Mutations
from fake_litmos.site import Site, SiteSpec
from fake_litmos.state import SiteState

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType
    from typing import Self

_STOP_WAIT = 5.0


class FakeLitmos:
    """A fake Litmos site: generated data, the read API, faults and limits.

    Attributes:
        spec: The spec the site was generated from.
        clock: The fake clock (Date headers, mutation instants, rate window).
        mutations: Changes a test can make while the server runs.
    """

    def __init__(  # noqa: PLR0913 - each option is a documented switch
        self,
        spec: SiteSpec | None = None,
        *,
        api_key: str = "test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | None = 100,
        rate_window: float = 60.0,
        rate_limit_status: int = 503,
        retry_after_as_date: bool = False,
        faults: FaultSpec | None = None,
        latency: float = 0.0,
        over_delivery: int = 0,
        details_include_inactive: bool = True,
        wrap_lists: bool = False,
        users_show_inactive_default: bool = True,
        course_users_include_inactive: bool = True,
        clamp_limit: bool = False,
        bad_integer_status: int = 400,
        source_required: bool = True,
        max_window_days: float = 7.0,
    ) -> None:
        """Generate the site; `start` begins serving it.

        Args:
            spec: Site shape (default: a small site).
            api_key: The key the `apikey` header must carry.
            host: Interface to listen on.
            port: Port to listen on (0 picks a free one).
            rate_limit: Requests admitted per window per key (None: no limit).
            rate_window: Length of the rolling window in seconds.
            rate_limit_status: 503 as documented, or 429 with `Retry-After`.
            retry_after_as_date: Write a 429's `Retry-After` as an HTTP date
                instead of seconds.
            faults: Faults to inject (None: none).
            latency: Seconds added before every API response.
            over_delivery: Extra items every full page carries beyond `limit`.
            details_include_inactive: Whether /users/details lists inactive users.
            wrap_lists: Whether JSON lists come wrapped, as `{"User": [...]}`.
            users_show_inactive_default: Whether /users lists inactive users
                when `showInactive` is not given.
            course_users_include_inactive: Whether /courses/{id}/users lists
                inactive users.
            clamp_limit: Serve 1000 items for `limit` over 1000 instead of a 406.
            bad_integer_status: Status (400 or 406) for a non-integer start/limit.
            source_required: Whether a missing `source` parameter is a 400.
            max_window_days: Longest `since`..`to` window accepted; a site
                reading "at most 7 days" strictly accepts less than 7.
        """
        if rate_limit_status not in {429, 503}:
            msg = "rate_limit_status must be 429 or 503"
            raise ValueError(msg)
        self.spec = spec if spec is not None else SiteSpec()
        self.clock = Clock()
        self._state = SiteState(Site(self.spec))
        self.mutations = Mutations(self._state, self.clock)
        self._settings = Settings(
            api_key=api_key,
            source_required=source_required,
            rate_limit_status=rate_limit_status,
            retry_after_as_date=retry_after_as_date,
            latency=latency,
            over_delivery=over_delivery,
            details_include_inactive=details_include_inactive,
            wrap_lists=wrap_lists,
            users_show_inactive_default=users_show_inactive_default,
            course_users_include_inactive=course_users_include_inactive,
            clamp_limit=clamp_limit,
            bad_integer_status=bad_integer_status,
            max_window_ms=round(max_window_days * DAY_MS),
        )
        self._limiter = RateLimiter(rate_limit, rate_window, self.clock)
        self._counters = Counters()
        self._scheduler = Scheduler()
        self._app = App(
            self._state, self._settings, self._limiter, self._counters, self._scheduler
        )
        self.set_faults(faults)
        self._address = (host, port)
        self._http: LitmosHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle

    def start(self) -> Self:
        """Start serving in a background thread; return self."""
        if self._http is not None:
            return self
        self._http = LitmosHTTPServer(self._address, self._app, self.clock)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-litmos",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        http, thread = self._http, self._thread
        if http is None:
            return
        http.shutdown()
        http.close_connections()
        http.server_close()
        if thread is not None:
            thread.join(_STOP_WAIT)
        self._http = self._thread = None

    def __enter__(self) -> Self:
        """Start serving for the duration of a `with` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self.stop()

    @property
    def port(self) -> int:
        """The port being served (only once started)."""
        if self._http is None:
            msg = "the server is not started"
            raise RuntimeError(msg)
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. `http://127.0.0.1:PORT/v1.svc`."""
        return f"http://{self._address[0]}:{self.port}{API_PREFIX}"

    @property
    def root_url(self) -> str:
        """The server root (control endpoints live under `/_control/`)."""
        return f"http://{self._address[0]}:{self.port}"

    @property
    def api_key(self) -> str:
        """The key the `apikey` header must carry."""
        return self._settings.api_key

    @property
    def source_required(self) -> bool:
        """Whether every call must carry the `source` parameter."""
        return self._settings.source_required

    # Observing

    def counters(self) -> dict[str, Any]:
        """Return request counters.

        Keys: requests_total, by_endpoint (templated paths such as
        "/teams/{id}/users"), by_status, rate_limited, faults_served,
        faults_by_kind, items_served, peak_concurrency, in_flight.
        """
        return self._counters.snapshot()

    def reset_counters(self) -> None:
        """Zero the counters."""
        self._counters.reset()

    def expected(self) -> dict[str, list[dict[str, Any]]]:
        """Return what each tap stream should hold after a full sync.

        Keys: users, teams, team_members, courses, course_users; values are
        records as the tap emits them (see `fake_litmos.expected`).
        """
        with self._state.lock:
            streams = ("users", "teams", "team_members", "courses", "course_users")
            return {stream: self._app.expected.rows(stream) for stream in streams}

    def expected_stream(self, stream: str) -> list[dict[str, Any]]:
        """Return the expected records of one stream."""
        return self._app.expected.rows(stream)

    def iter_expected(self, stream: str) -> Iterator[dict[str, Any]]:
        """Yield the expected records of one stream without building a list."""
        return self._app.expected.iter_stream(stream)

    def expected_keys(self, stream: str) -> set[tuple[str, ...]]:
        """Return the primary keys a stream should hold.

        users, teams, courses: (id,); team_members: (team_id, user_id);
        course_users: (course_id, user_id).
        """
        return self._app.expected.keys(stream)

    # Changing behaviour while running

    def schedule(self, after_requests: int, action: Callable[[], None]) -> None:
        """Run `action` once `after_requests` more API requests were served."""
        self._scheduler.schedule(after_requests, action)

    def set_faults(self, faults: FaultSpec | None) -> None:
        """Replace the fault spec; per-URL request counts start again from 0."""
        has_faults = faults is not None and faults.rate > 0
        self._app.plan = FaultPlan(faults) if has_faults and faults else None

    def set_latency(self, seconds: float) -> None:
        """Set the delay added before every API response."""
        self._settings.latency = seconds

    def set_rate_limit(self, limit: int | None, window: float = 60.0) -> None:
        """Change the rate limit (None: unlimited)."""
        self._limiter.configure(limit, window)

    def set_refusal(self, status: int | None, detail: str = "Access denied.") -> None:
        """Answer every API call with `status` and `detail` (None: serve again).

        The key is checked first, so a wrong key still gets its 401.
        """
        self._settings.refusal = None if status is None else (status, detail)

    def set_row_hook(self, hook: RowHook | None) -> None:
        """Pass every row of every list page through `hook` (None: stop).

        The hook gets the templated endpoint (such as "/teams/{id}/users") and
        the row as generated; it returns the row to serve, or None to drop it.
        `expected` does not see the hook.
        """
        self._settings.row_hook = hook
