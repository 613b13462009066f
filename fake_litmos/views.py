"""Which records each endpoint lists, in which order, over the live state.

A view returns keys only (user indices, (team, user) pairs, ...); records are
rendered later, outside the state lock, for just the page being served. Views
that cost a pass over a big table are cached until the next mutation.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from fake_litmos.index import in_window, order_key
from fake_litmos.site import COURSE_USERS, COURSES, MEMBERS, TEAMS, USERS

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Sequence

    from fake_litmos.records import Records
    from fake_litmos.state import SiteState

_CACHE_SIZE = 32


def _contains(needle: str, *texts: object) -> bool:
    return any(isinstance(text, str) and needle in text.lower() for text in texts)


def _group(key: Hashable) -> object:
    # The team or course of a date-range key: an index, or a pair's first half.
    return key[0] if isinstance(key, tuple) else key


class Views:
    """Key lists for the list endpoints and the date-range endpoints."""

    def __init__(self, state: SiteState, records: Records) -> None:
        """Bind to the state and to the renderer used for `search` filters."""
        self.state = state
        self.records = records
        self._cache: OrderedDict[Hashable, Sequence[Any]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _cached(
        self, key: Hashable, build: Callable[[], Sequence[Any]]
    ) -> Sequence[Any]:
        full_key = (key, self.state.version)
        with self._cache_lock:
            found = self._cache.get(full_key)
            if found is not None:
                self._cache.move_to_end(full_key)
                return found
        with self.state.lock:
            built = build()
        with self._cache_lock:
            self._cache[full_key] = built
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return built

    # Plain lists

    def users(
        self,
        *,
        include_inactive: bool,
        since_ms: int | None = None,
        search: str | None = None,
    ) -> Sequence[int]:
        """Return user indices in list order (creation order)."""
        state = self.state
        plain = include_inactive and since_ms is None and not search
        if plain and not state.deleted_users:
            return range(state.user_count)

        def build() -> Sequence[int]:
            keep = array("l")
            needle = search.lower() if search else None
            for i in range(state.user_count):
                if i in state.deleted_users:
                    continue
                if not include_inactive and not state.user_active(i):
                    continue
                if since_ms is not None and state.user_times(i)[0] < since_ms:
                    continue
                if needle and not self._user_matches(i, needle):
                    continue
                keep.append(i)
            return keep

        return self._cached(("users", include_inactive, since_ms, search), build)

    def _user_matches(self, i: int, needle: str) -> bool:
        user = self.records.basic_user(i)
        return _contains(
            needle, user["UserName"], user["FirstName"], user["LastName"], user["Email"]
        )

    def teams(self, *, search: str | None = None) -> Sequence[int]:
        """Return the indices of live teams in list order."""
        count, deleted = self.state.site.spec.teams, self.state.deleted_teams
        if not search and not deleted:
            return range(count)
        needle = search.lower() if search else None
        return [
            j
            for j in range(count)
            if j not in deleted
            and (needle is None or _contains(needle, self.records.team(j)["Name"]))
        ]

    def sub_teams(self, j: int) -> Sequence[int]:
        """Return the direct sub-teams of team `j`."""
        parents, deleted = self.state.site.team_parent, self.state.deleted_teams
        return [
            k for k, parent in enumerate(parents) if parent == j and k not in deleted
        ]

    def team_users(self, j: int, *, search: str | None = None) -> Sequence[int]:
        """Return the ACTIVE current members of team `j`, in user order."""
        state = self.state
        with state.lock:
            members = [
                u
                for u in state.members_of(j)
                if state.user_active(u) and u not in state.deleted_users
            ]
        if search:
            needle = search.lower()
            members = [u for u in members if self._user_matches(u, needle)]
        return members

    def courses(self, *, search: str | None = None) -> Sequence[int]:
        """Return the indices of live courses in list order."""
        count, deleted = self.state.course_count, self.state.deleted_courses
        if not search and not deleted:
            return range(count)
        live = [c for c in range(count) if c not in deleted]
        if not search:
            return live
        needle = search.lower()
        return [c for c in live if _contains(needle, self.records.course(c)["Name"])]

    def course_users(
        self, c: int, *, include_inactive: bool, search: str | None = None
    ) -> Sequence[int]:
        """Return the users assigned to course `c`, in user order."""
        state = self.state
        with state.lock:
            users = [
                u
                for u in state.users_of(c)
                if u not in state.deleted_users
                and (include_inactive or state.user_active(u))
            ]
        if search:
            needle = search.lower()
            users = [u for u in users if self._user_matches(u, needle)]
        return users

    # Date-range lists

    def window(self, table: int, since_ms: int, to_ms: int) -> Sequence[Hashable]:
        """Return keys of rows created or updated in [since_ms, to_ms).

        The order is a seeded scramble, stable across pages and runs but
        unrelated to dates, because Litmos documents no order for these rows.
        """

        def build() -> Sequence[Hashable]:
            found = self._window_keys(table, since_ms, to_ms)
            seed = self.state.seed
            return sorted(found, key=lambda key: order_key(seed, table, key))

        return self._cached(("window", table, since_ms, to_ms), build)

    def _window_keys(self, table: int, since_ms: int, to_ms: int) -> set[Hashable]:
        state = self.state
        site = state.site
        rows = site.indexes[table].window(since_ms, to_ms)
        deleted = state.deleted_users
        found: set[Hashable] = set()
        if table == USERS:
            found.update(i for i in rows if i not in state.users and i not in deleted)
            found.update(
                i
                for i, over in state.users.items()
                if i not in deleted
                and in_window((over.created, over.updated), since_ms, to_ms)
            )
        elif table == TEAMS:
            found.update(rows)
        elif table == COURSES:
            found.update(c for c in rows if c not in state.courses)
            found.update(
                c
                for c, over in state.courses.items()
                if in_window((over.created, over.updated), since_ms, to_ms)
            )
        elif table == MEMBERS:
            pairs = ((site.member_team[r], site.member_user[r]) for r in rows)
            found.update(self._merge(pairs, state.members.items(), since_ms, to_ms))
        elif table == COURSE_USERS:
            pairs = ((site.enrol_course[r], site.enrol_user[r]) for r in rows)
            found.update(self._merge(pairs, state.progress.items(), since_ms, to_ms))
        # A deleted team or course leaves no trace in any date-range list.
        teams, courses = state.deleted_teams, state.deleted_courses
        gone = {TEAMS: teams, MEMBERS: teams, COURSES: courses}.get(table, courses)
        if table != USERS and gone:
            found = {key for key in found if _group(key) not in gone}
        return found

    def _merge(
        self,
        base: Iterable[tuple[int, int]],
        overlay: Iterable[tuple[tuple[int, int], Any]],
        since_ms: int,
        to_ms: int,
    ) -> Iterable[tuple[int, int]]:
        """Combine base rows in the window with changed rows in the window."""
        state = self.state
        changed = {key: (row.created, row.updated) for key, row in overlay}
        for key in base:
            if key not in changed and key[1] not in state.deleted_users:
                yield key
        for key, instants in changed.items():
            if key[1] not in state.deleted_users and in_window(
                instants, since_ms, to_ms
            ):
                yield key
