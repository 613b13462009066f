"""What each tap stream should hold after a full sync of the plain lists.

Records are mapped as the tap emits them: snake_case property names, every
date as RFC 3339 in UTC, "" as None, HTML entities decoded in name-like
fields, and the secret `LoginKey` (and the always-empty `Password`) left out.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from fake_litmos.dates import WireDate
from fake_litmos.records import Record, Records

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from fake_litmos.state import SiteState
    from fake_litmos.views import Views

STREAMS = ("users", "teams", "team_members", "courses", "course_users")

KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "users": ("id",),
    "teams": ("id",),
    "team_members": ("team_id", "user_id"),
    "courses": ("id",),
    "course_users": ("course_id", "user_id"),
}

DECODED_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "name",
        "company_name",
        "job_title",
        "manager_name",
    }
)
OMITTED_FIELDS = frozenset({"LoginKey", "Password"})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SNAKE: dict[str, str] = {}


def snake_case(name: str) -> str:
    """Map a Litmos field name to the tap's property name.

    An underscore goes between a lowercase letter or digit and a following
    uppercase letter, then everything is lowercased: `CustomField1` becomes
    `custom_field1` and `SalesforceContactId` becomes `salesforce_contact_id`.
    """
    found = _SNAKE.get(name)
    if found is None:
        found = _CAMEL_BOUNDARY.sub("_", name).lower()
        _SNAKE[name] = found
    return found


def normalize(record: Record) -> dict[str, Any]:
    """Map one wire record (rendered with typed dates) to tap output."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name in OMITTED_FIELDS:
            continue
        key = snake_case(name)
        if isinstance(value, WireDate):
            out[key] = value.rfc3339()
        elif value == "":
            out[key] = None
        elif isinstance(value, str) and key in DECODED_FIELDS:
            out[key] = html.unescape(value)
        else:
            out[key] = value
    return out


class Expected:
    """Computes expected tap output from the live state."""

    def __init__(
        self, state: SiteState, views: Views, *, course_users_include_inactive: bool
    ) -> None:
        """Bind to the state and to the views the list endpoints use."""
        self.state = state
        self.views = views
        self.records = Records(state, typed=True)
        self.course_users_include_inactive = course_users_include_inactive

    def iter_stream(self, stream: str) -> Iterator[dict[str, Any]]:
        """Yield the expected records of one stream, in list-endpoint order.

        This takes no lock, so it stays light on a huge site; a mutation made
        while iterating may or may not show. `rows` gives a consistent list.

        Raises:
            KeyError: For an unknown stream name.
        """
        if stream not in KEY_PROPERTIES:
            msg = f"unknown stream {stream!r}; expected one of {STREAMS}"
            raise KeyError(msg)
        produce: Callable[[], Iterator[dict[str, Any]]] = getattr(self, f"_{stream}")
        return produce()

    def rows(self, stream: str) -> list[dict[str, Any]]:
        """Return the expected records of one stream, as of one instant."""
        with self.state.lock:
            return list(self.iter_stream(stream))

    def keys(self, stream: str) -> set[tuple[str, ...]]:
        """Return the primary keys the stream should hold."""
        names = KEY_PROPERTIES[stream]
        if stream == "users":
            with self.state.lock:
                users = self.views.users(include_inactive=True)
                return {(self.state.user_id(i),) for i in users}
        return {tuple(row[name] for name in names) for row in self.rows(stream)}

    def _users(self) -> Iterator[dict[str, Any]]:
        for i in self.views.users(include_inactive=True):
            yield normalize(self.records.full_user(i))

    def _teams(self) -> Iterator[dict[str, Any]]:
        for j in self.views.teams():
            row = normalize(self.records.team(j))
            row.setdefault("parent_team_id", None)
            yield row

    def _team_members(self) -> Iterator[dict[str, Any]]:
        site = self.state.site
        for j in self.views.teams():
            team_id = site.team_ids[j]
            for u in self.views.team_users(j):
                yield {
                    "team_id": team_id,
                    "user_id": self.state.user_id(u),
                    "active": True,
                }

    def _courses(self) -> Iterator[dict[str, Any]]:
        for c in self.views.courses():
            yield normalize(self.records.course(c))

    def _course_users(self) -> Iterator[dict[str, Any]]:
        include = self.course_users_include_inactive
        for c in self.views.courses():
            course_id = self.state.course_id(c)
            for u in self.views.course_users(c, include_inactive=include):
                progress = self.state.progress_of(c, u)
                if progress is None:
                    continue
                row = normalize(self.records.course_user(u, progress))
                yield {
                    "course_id": course_id,
                    "user_id": row["id"],
                    "completed": row["completed"],
                    "percentage_complete": row["percentage_complete"],
                    "compliant_till": row["compliant_till"],
                    "due_date": row["due_date"],
                    "access_till_date": row["access_till_date"],
                }
