"""The synthetic Litmos site: who exists, who belongs where, and when.

Only the skeleton is built eagerly (ids, memberships, enrolments and their
instants, in compact arrays); the fields of a record are derived on demand from
the seed and the record's index (see `records`), so a site of 600,000 users
starts in a few seconds and stays small in memory.
"""

from __future__ import annotations

import base64
from array import array
from dataclasses import dataclass
from random import Random

from fake_litmos.dates import HISTORY_END_MS, HISTORY_START_MS
from fake_litmos.index import TimeIndex

USERS, TEAMS, MEMBERS, COURSES, COURSE_USERS = 1, 2, 3, 4, 5
"""Table codes, mixed into hashes so each table gets its own random stream."""

_SPAN_MS = HISTORY_END_MS - HISTORY_START_MS
_LAST_MS = HISTORY_END_MS - 1

# Shares of generated records with a given trait.
_USERS_UPDATED = 0.65
_TEAMS_NESTED = 0.4
_PARENT_KEY_MISSING = 0.3
_ROWS_UNCHANGED = 0.5

BIG_TEAM, EMPTY_TEAM, NESTED_TEAM, DEEP_TEAM = 0, 1, 2, 3
"""Team indices that always carry an awkward case (when the site is that big)."""

BIG_COURSE, EMPTY_COURSE, ENTITY_COURSE = 0, 1, 2
"""Course indices that always carry an awkward case."""

OWNER_USER, DASH_USER, INACTIVE_MEMBER, TWIN_USER, TWIN_OF_USER = 0, 1, 2, 3, 4
"""User indices that always carry an awkward case."""


@dataclass(frozen=True)
class SiteSpec:
    """The shape of a generated site; equal specs give identical sites.

    Attributes:
        seed: Seed of every random choice.
        users: Number of users (about 5% of them inactive).
        teams: Number of teams; team 0 is the big one, team 1 is empty.
        courses: Number of courses; course 0 is the big one, course 1 has no users.
        members_per_team: Members of every other team.
        users_per_course: Users assigned to every other course.
        big_team_members: Members of team 0 (capped at `users`).
        big_course_users: Users of course 0 (capped at `users`).
        inactive_ratio: Share of users that are inactive.
    """

    seed: int = 1
    users: int = 1500
    teams: int = 20
    courses: int = 12
    members_per_team: int = 15
    users_per_course: int = 20
    big_team_members: int = 1200
    big_course_users: int = 1100
    inactive_ratio: float = 0.05

    def __post_init__(self) -> None:
        """Reject sizes that cannot describe a site."""
        sizes = (
            self.users,
            self.teams,
            self.courses,
            self.members_per_team,
            self.users_per_course,
            self.big_team_members,
            self.big_course_users,
        )
        if min(sizes) < 0:
            msg = "site sizes must not be negative"
            raise ValueError(msg)
        if not 0.0 <= self.inactive_ratio <= 1.0:
            msg = "inactive_ratio must lie in [0, 1]"
            raise ValueError(msg)


def _zeros(count: int) -> array[int]:
    return array("q", [0]) * count


class _IdMaker:
    """Makes unique opaque ids of letters, digits, `-` and `_` (12 characters)."""

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self.ids: list[str] = []
        self.index: dict[str, int] = {}

    def fresh(self) -> str:
        # 72 random bits are exactly 12 characters of the URL-safe alphabet.
        while True:
            text = base64.urlsafe_b64encode(
                self._rng.getrandbits(72).to_bytes(9, "big")
            ).decode()
            if text not in self.index:
                return text

    def add(self, text: str) -> None:
        self.index[text] = len(self.ids)
        self.ids.append(text)

    def add_fresh(self, *, lead: str = "", needs_letter: bool = False) -> None:
        while True:
            text = self.fresh()
            if lead:
                text = lead + text[1:]
            if text in self.index:
                continue
            if needs_letter and text.swapcase() == text:
                continue
            self.add(text)
            return


class Site:
    """The immutable base of a site, before any mutation.

    Attributes:
        spec: The spec this site was generated from.
        user_ids: Id of each user index.
        user_index: Index of each user id (ids are case-sensitive).
        user_inactive: 1 for each inactive user index.
        user_created: Creation instant of each user (whole seconds).
        user_updated: Last update instant of each user.
        team_ids, team_index, team_parent, team_parent_missing, team_created,
        team_updated: The same for teams; `team_parent` is -1 at the top, and
            `team_parent_missing` marks top-level teams that omit the key.
        member_team, member_user, member_created, member_updated: One row per
            membership, grouped by team and sorted by user index within a team.
        team_rows: Row range of team j is team_rows[j]:team_rows[j + 1].
        course_ids, course_index, course_created, course_updated: Courses.
        enrol_course, enrol_user, enrol_created, enrol_updated, course_rows:
            One row per course user, like the membership rows.
    """

    def __init__(self, spec: SiteSpec) -> None:
        """Generate the skeleton of a site from its spec."""
        self.spec = spec
        self._make_users()
        self._make_teams()
        self._make_courses()
        self.indexes = {
            USERS: TimeIndex(self.user_created, self.user_updated),
            TEAMS: TimeIndex(self.team_created, self.team_updated),
            MEMBERS: TimeIndex(self.member_created, self.member_updated),
            COURSES: TimeIndex(self.course_created, self.course_updated),
            COURSE_USERS: TimeIndex(self.enrol_created, self.enrol_updated),
        }

    def _rng(self, table: str) -> Random:
        return Random(f"fake-litmos/{self.spec.seed}/{table}")

    def _make_users(self) -> None:
        rng = self._rng("users")
        count = self.spec.users
        ids = _IdMaker(rng)
        self.user_inactive = bytearray(count)
        self.user_created = _zeros(count)
        self.user_updated = _zeros(count)

        # Users are created in index order across most of the history span, so
        # the plain list (by index) is also creation order, as on a real site.
        step = _SPAN_MS * 0.9 / max(count, 1)
        for i in range(count):
            if i == DASH_USER:
                ids.add_fresh(lead="-")
            elif i == TWIN_USER:
                ids.add_fresh(needs_letter=True)
            elif i == TWIN_OF_USER:
                ids.add(ids.ids[TWIN_USER].swapcase())
            else:
                ids.add_fresh()
            created = HISTORY_START_MS + int((i + rng.random()) * step) // 1000 * 1000
            self.user_created[i] = created
            updated = created
            if rng.random() < _USERS_UPDATED:
                updated += int(rng.random() * (_LAST_MS - created))
            self.user_updated[i] = updated
            self.user_inactive[i] = rng.random() < self.spec.inactive_ratio

        for i in (OWNER_USER, DASH_USER, TWIN_USER, TWIN_OF_USER):
            if i < count:
                self.user_inactive[i] = 0
        if count > INACTIVE_MEMBER:
            self.user_inactive[INACTIVE_MEMBER] = 1
        self.user_ids = ids.ids
        self.user_index = ids.index

    def _make_teams(self) -> None:
        rng = self._rng("teams")
        count = self.spec.teams
        ids = _IdMaker(rng)
        self.team_parent: list[int] = []
        self.team_parent_missing = bytearray(count)
        self.team_created = _zeros(count)
        self.team_updated = _zeros(count)
        for j in range(count):
            ids.add_fresh(lead="-" if j == NESTED_TEAM else "")
            if j == NESTED_TEAM:
                parent = BIG_TEAM
            elif j == DEEP_TEAM:
                parent = NESTED_TEAM
            elif j > DEEP_TEAM and rng.random() < _TEAMS_NESTED:
                parent = rng.randrange(j)
            else:
                parent = -1
            self.team_parent.append(parent)
            self.team_parent_missing[j] = parent < 0 and (
                j == EMPTY_TEAM or rng.random() < _PARENT_KEY_MISSING
            )
            self._stamp(rng, self.team_created, self.team_updated, j, HISTORY_START_MS)
        self.team_ids = ids.ids
        self.team_index = ids.index

        sizes = [self.spec.members_per_team] * count
        if count > BIG_TEAM:
            sizes[BIG_TEAM] = self.spec.big_team_members
        if count > EMPTY_TEAM:
            sizes[EMPTY_TEAM] = 0
        forced = {BIG_TEAM, NESTED_TEAM}
        rows = self._assign(rng, sizes, forced, self.team_created)
        self.member_team, self.member_user, self.team_rows = rows[:3]
        self.member_created, self.member_updated = rows[3:]

    def _make_courses(self) -> None:
        rng = self._rng("courses")
        count = self.spec.courses
        ids = _IdMaker(rng)
        self.course_created = _zeros(count)
        self.course_updated = _zeros(count)
        for c in range(count):
            ids.add_fresh(lead="_" if c == ENTITY_COURSE else "")
            self._stamp(
                rng, self.course_created, self.course_updated, c, HISTORY_START_MS
            )
        self.course_ids = ids.ids
        self.course_index = ids.index

        sizes = [self.spec.users_per_course] * count
        if count > BIG_COURSE:
            sizes[BIG_COURSE] = self.spec.big_course_users
        if count > EMPTY_COURSE:
            sizes[EMPTY_COURSE] = 0
        rows = self._assign(rng, sizes, {BIG_COURSE}, self.course_created)
        self.enrol_course, self.enrol_user, self.course_rows = rows[:3]
        self.enrol_created, self.enrol_updated = rows[3:]

    @staticmethod
    def _stamp(
        rng: Random, created: array[int], updated: array[int], pos: int, earliest: int
    ) -> None:
        # Half the rest of the span for creation keeps room for later updates.
        start = earliest + int(rng.random() * (_LAST_MS - earliest) * 0.5)
        created[pos] = start
        if rng.random() < _ROWS_UNCHANGED:
            updated[pos] = start
        else:
            updated[pos] = start + int(rng.random() * (_LAST_MS - start))

    def _assign(
        self,
        rng: Random,
        sizes: list[int],
        forced: set[int],
        group_created: array[int],
    ) -> tuple[array[int], array[int], array[int], array[int], array[int]]:
        """Pick distinct users for each group (team or course), as row arrays.

        Groups in `forced` always hold the inactive member, so that "active
        members only" is visible on every site with a few users.
        """
        users = self.spec.users
        group_of, user_of, starts = array("i"), array("i"), array("l", [0])
        for group, size in enumerate(sizes):
            chosen = rng.sample(range(users), min(size, users))
            needs_inactive = group in forced and users > INACTIVE_MEMBER
            if needs_inactive and chosen and INACTIVE_MEMBER not in chosen:
                chosen[0] = INACTIVE_MEMBER
            chosen.sort()
            group_of.extend([group] * len(chosen))
            user_of.extend(chosen)
            starts.append(len(user_of))

        created, updated = _zeros(len(user_of)), _zeros(len(user_of))
        for row, (group, user) in enumerate(zip(group_of, user_of, strict=True)):
            earliest = max(group_created[group], self.user_created[user])
            self._stamp(rng, created, updated, row, earliest)
        return group_of, user_of, starts, created, updated
