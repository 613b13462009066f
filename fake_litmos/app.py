"""The Litmos API as a function from request to response, without sockets."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from fake_litmos import render
from fake_litmos.dates import MAX_WINDOW_MS, http_date
from fake_litmos.expected import KEY_PROPERTIES, Expected
from fake_litmos.faults import FaultPlan, RateLimiter, retry_after
from fake_litmos.messages import (
    ApiError,
    Request,
    Response,
    canned_fault,
    error_response,
)
from fake_litmos.params import Params
from fake_litmos.records import Record, Records
from fake_litmos.site import COURSE_USERS, COURSES, MEMBERS, TEAMS, USERS
from fake_litmos.views import Views

if TYPE_CHECKING:
    from fake_litmos.counters import Counters, Scheduler
    from fake_litmos.state import SiteState

API_PREFIX = "/v1.svc"
CONTROL_PREFIX = "/_control/"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
UNKNOWN_ENDPOINT = "(unknown)"

_ROUTES = {
    ("users",): "/users",
    ("users", "details"): "/users/details",
    ("users", "*"): "/users/{id}",
    ("teams",): "/teams",
    ("teams", "*"): "/teams/{id}",
    ("teams", "*", "users"): "/teams/{id}/users",
    ("teams", "*", "teams"): "/teams/{id}/teams",
    ("courses",): "/courses",
    ("courses", "*"): "/courses/{id}",
    ("courses", "*", "users"): "/courses/{id}/users",
    ("org", "users", "details"): "/org/users/details",
    ("org", "teams"): "/org/teams",
    ("org", "teams", "users"): "/org/teams/users",
    ("org", "courses"): "/org/courses",
    ("org", "results", "details"): "/org/results/details",
}

_WINDOWS = {
    "/org/users/details": (USERS, "Users", "User"),
    "/org/teams": (TEAMS, "Teams", "Team"),
    "/org/teams/users": (MEMBERS, "TeamUsers", "TeamUser"),
    "/org/courses": (COURSES, "Courses", "Course"),
    "/org/results/details": (COURSE_USERS, "Results", "Result"),
}

Renderer = Callable[[Any], Record | None]
RowHook = Callable[[str, Record], Record | None]


@dataclass
class Settings:
    """Behaviour switches; the server may change them while running.

    Attributes:
        api_key: The only key accepted in the `apikey` header.
        source_required: Whether a missing `source` parameter is a 400.
        rate_limit_status: 503 (as documented) or 429 (with Retry-After).
        latency: Seconds added before every API response.
        over_delivery: Extra items a full page carries beyond `limit`.
        details_include_inactive: Whether /users/details lists inactive users.
        wrap_lists: Whether JSON lists come as `{"User": [...]}` objects.
        users_show_inactive_default: Whether /users lists inactive users when
            `showInactive` is absent.
        course_users_include_inactive: Whether /courses/{id}/users lists
            inactive users.
        clamp_limit: Serve 1000 items for a larger `limit` instead of a 406.
        bad_integer_status: Status for a non-integer `start` or `limit`.
        retry_after_as_date: Whether a 429's `Retry-After` is an HTTP date
            rather than seconds.
        refusal: (status, detail) every API call is answered with, once the
            key is accepted; None to serve normally.
        row_hook: Rewrites (or drops, returning None) each row of a list page,
            given the templated endpoint; None to serve rows as generated.
    """

    api_key: str
    source_required: bool = True
    rate_limit_status: int = 503
    latency: float = 0.0
    over_delivery: int = 0
    details_include_inactive: bool = True
    wrap_lists: bool = False
    users_show_inactive_default: bool = True
    course_users_include_inactive: bool = True
    clamp_limit: bool = False
    bad_integer_status: int = 400
    retry_after_as_date: bool = False
    max_window_ms: int = MAX_WINDOW_MS
    refusal: tuple[int, str] | None = None
    row_hook: RowHook | None = None


def match_route(path: str) -> tuple[str, tuple[str, ...]] | None:
    """Map an API path to its templated endpoint and the decoded ids in it."""
    segments = tuple(path[len(API_PREFIX) :].split("/")[1:])
    template = _ROUTES.get(segments)
    if template is not None:
        return template, ()
    if len(segments) > 1 and segments[1]:
        template = _ROUTES.get((segments[0], "*", *segments[2:]))
        if template is not None:
            return template, (unquote(segments[1]),)
    return None


@dataclass
class _Outcome:
    response: Response
    fault: str | None = None
    rate_limited: bool = False
    items: int = 0


class App:
    """Answers API and control requests for one site."""

    def __init__(
        self,
        state: SiteState,
        settings: Settings,
        limiter: RateLimiter,
        counters: Counters,
        scheduler: Scheduler,
    ) -> None:
        """Wire the app to the state and the server's shared parts."""
        self.state = state
        self.settings = settings
        self.limiter = limiter
        self.counters = counters
        self.scheduler = scheduler
        self.plan: FaultPlan | None = None
        self.records = Records(state)
        self.views = Views(state, self.records)
        self.expected = Expected(
            state,
            self.views,
            course_users_include_inactive=settings.course_users_include_inactive,
        )

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        if request.path != API_PREFIX and not request.path.startswith(API_PREFIX + "/"):
            return error_response(404, "Not found.", as_json=True)

        params = Params(request.query)
        route = match_route(request.path)
        outcome = self._api(request, params, route)
        response = outcome.response
        self.counters.record(
            route[0] if route else UNKNOWN_ENDPOINT,
            None if response.drop else response.status,
            fault=outcome.fault,
            rate_limited=outcome.rate_limited,
            items=outcome.items,
        )
        self.scheduler.served()
        return response

    def _api(
        self,
        request: Request,
        params: Params,
        route: tuple[str, tuple[str, ...]] | None,
    ) -> _Outcome:
        settings = self.settings
        as_json = params.as_json
        if request.headers.get("apikey") != settings.api_key:
            detail = "Invalid API key, or API access is not enabled for this account."
            response = error_response(401, detail, as_json=as_json)
            response.delay = settings.latency
            return _Outcome(response)

        refusal = settings.refusal
        if refusal is not None:
            response = error_response(*refusal, as_json=as_json)
            response.delay = settings.latency
            return _Outcome(response)

        wait = self.limiter.admit()
        if wait is not None:
            return _Outcome(
                self._rate_limited(wait, as_json=as_json), rate_limited=True
            )

        # The exact URL as sent (raw query included) names the request for faults.
        plan = self.plan
        target = f"{request.path}?{request.query}" if request.query else request.path
        fault = plan.decide(request.method, target) if plan is not None else None
        canned = canned_fault(fault)
        if canned is not None:
            canned.delay = settings.latency
            return _Outcome(canned, fault=fault)

        items = 0
        try:
            response, items = self._serve(request.method, route, params)
        except ApiError as exc:
            response = error_response(exc.status, exc.detail, as_json=as_json)

        if plan is not None and fault == "latency":
            response.delay += plan.spec.delay
        elif plan is not None and fault == "slow":
            response.trickle = plan.spec.trickle
        elif fault == "truncated_json":
            response.body = response.body[: len(response.body) // 2]
        response.delay += settings.latency
        return _Outcome(response, fault=fault, items=items)

    def _rate_limited(self, wait: float, *, as_json: bool) -> Response:
        limiter, settings = self.limiter, self.settings
        detail = (
            f"API rate limit exceeded: at most {limiter.limit} requests per "
            f"{limiter.window:g} seconds."
        )
        response = error_response(settings.rate_limit_status, detail, as_json=as_json)
        if settings.rate_limit_status == HTTPStatus.TOO_MANY_REQUESTS:
            seconds = retry_after(wait)
            if settings.retry_after_as_date:
                # A second more: both this date and `Date` drop the fraction.
                moment = limiter.clock.now() + timedelta(seconds=int(seconds) + 1)
                seconds = http_date(moment)
            response.headers.append(("Retry-After", seconds))
        response.delay = settings.latency
        return response

    # Serving

    def _serve(
        self, method: str, route: tuple[str, tuple[str, ...]] | None, params: Params
    ) -> tuple[Response, int]:
        if route is None:
            raise ApiError(404, "The requested endpoint does not exist.")
        if method != "GET":
            raise ApiError(405, "Method not allowed.")
        params.check_source(required=self.settings.source_required)

        endpoint, ids = route
        if endpoint in _WINDOWS:
            table, root, item = _WINDOWS[endpoint]
            since_ms, to_ms = params.window(self.settings.max_window_ms)
            keys = self.views.window(table, since_ms, to_ms)
            renderer = self._hooked(endpoint, self._window_renderer(table))
            return self._page(keys, renderer, params, root, item)

        records = self.records
        if endpoint == "/users/{id}":
            return self._one(records.full_user(self._find_user(ids[0])), "User", params)
        if endpoint == "/teams/{id}":
            return self._one(records.team(self._find_team(ids[0])), "Team", params)
        if endpoint == "/courses/{id}":
            return self._one(
                records.course(self._find_course(ids[0])), "Course", params
            )

        keys, renderer, root, item = self._list(endpoint, ids, params)
        return self._page(keys, self._hooked(endpoint, renderer), params, root, item)

    def _list(  # noqa: PLR0911 - one return per list endpoint
        self, endpoint: str, ids: tuple[str, ...], params: Params
    ) -> tuple[Sequence[Any], Renderer, str, str]:
        views, records, settings = self.views, self.records, self.settings
        search = params.get("search") or None
        if endpoint == "/users":
            default = settings.users_show_inactive_default
            show = params.boolean("showInactive", default=default)
            keys = views.users(include_inactive=show, search=search)
            return keys, records.basic_user, "Users", "User"
        if endpoint == "/users/details":
            keys = views.users(
                include_inactive=settings.details_include_inactive,
                since_ms=params.date("since"),
                search=search,
            )
            return keys, records.full_user, "Users", "User"
        if endpoint == "/teams":
            return views.teams(search=search), records.team, "Teams", "Team"
        if endpoint == "/teams/{id}/users":
            members = views.team_users(self._find_team(ids[0]), search=search)
            return members, records.basic_user, "Users", "User"
        if endpoint == "/teams/{id}/teams":
            teams = views.sub_teams(self._find_team(ids[0]))
            return teams, records.team, "Teams", "Team"
        if endpoint == "/courses":
            return views.courses(search=search), records.course, "Courses", "Course"

        c = self._find_course(ids[0])
        include = settings.course_users_include_inactive
        users = views.course_users(c, include_inactive=include, search=search)

        def course_user(u: int) -> Record | None:
            progress = self.state.progress_of(c, u)
            return None if progress is None else records.course_user(u, progress)

        return users, course_user, "Users", "User"

    def _window_renderer(self, table: int) -> Renderer:
        records, state = self.records, self.state
        if table == USERS:
            return records.org_user
        if table == TEAMS:
            return records.org_team
        if table == COURSES:
            return records.org_course
        if table == MEMBERS:

            def member(key: tuple[int, int]) -> Record | None:
                found = state.member_state(*key)
                return None if found is None else records.org_member(*key, found)

            return member

        def result(key: tuple[int, int]) -> Record | None:
            found = state.progress_of(*key)
            return None if found is None else records.org_result(*key, found)

        return result

    def _hooked(self, endpoint: str, renderer: Renderer) -> Renderer:
        hook = self.settings.row_hook
        if hook is None:
            return renderer

        def render_hooked(key: Any) -> Record | None:  # noqa: ANN401
            row = renderer(key)
            return None if row is None else hook(endpoint, row)

        return render_hooked

    def _page(
        self,
        keys: Sequence[Hashable],
        renderer: Renderer,
        params: Params,
        root: str,
        item: str,
    ) -> tuple[Response, int]:
        bad = self.settings.bad_integer_status
        start = params.integer("start", 0, bad_status=bad)
        limit = params.integer("limit", DEFAULT_LIMIT, bad_status=bad)
        if limit > MAX_LIMIT and self.settings.clamp_limit:
            limit = MAX_LIMIT
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(406, f"The limit must be between 1 and {MAX_LIMIT}.")

        page = keys[start : start + limit]
        extra = self.settings.over_delivery
        if extra > 0 and len(page) == limit:
            # A full page may carry more than asked; the end is still a short page.
            page = keys[start : start + limit + extra]
        rows = [row for row in map(renderer, page) if row is not None]
        if not params.as_json:
            body = render.xml_list(root, item, rows)
            return Response(200, body, render.XML_TYPE), len(rows)
        body = render.json_bytes({item: rows} if self.settings.wrap_lists else rows)
        return Response(200, body, render.JSON_TYPE), len(rows)

    @staticmethod
    def _one(row: Record, item: str, params: Params) -> tuple[Response, int]:
        if params.as_json:
            return Response(200, render.json_bytes(row), render.JSON_TYPE), 1
        return Response(200, render.xml_one(item, row), render.XML_TYPE), 1

    def _find_user(self, user_id: str) -> int:
        found = self.state.find_user(user_id)
        if found is None:
            raise ApiError(404, f"User {user_id} was not found.")
        return found

    def _find_team(self, team_id: str) -> int:
        found = self.state.find_team(team_id)
        if found is None:
            raise ApiError(404, f"Team {team_id} was not found.")
        return found

    def _find_course(self, course_id: str) -> int:
        found = self.state.find_course(course_id)
        if found is None:
            raise ApiError(404, f"Course {course_id} was not found.")
        return found

    # Control endpoints, for a fake running in another process

    def _control(self, request: Request) -> Response:
        name = request.path[len(CONTROL_PREFIX) :]
        if name == "counters" and request.method == "GET":
            body = render.json_bytes(self.counters.snapshot())
            return Response(200, body, render.JSON_TYPE)
        if name == "reset-counters" and request.method == "POST":
            self.counters.reset()
            return Response(200, render.json_bytes({"reset": True}), render.JSON_TYPE)
        stream = name.removeprefix("expected/")
        if stream != name and stream in KEY_PROPERTIES and request.method == "GET":
            body = render.json_bytes(self.expected.rows(stream))
            return Response(200, body, render.JSON_TYPE)
        return error_response(404, "Unknown control endpoint.", as_json=True)
