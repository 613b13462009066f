"""The live state of a site: the generated base plus an overlay of changes.

The base (`Site`) never changes; every mutation writes to the overlay held
here, and every lookup reads the overlay first. `version` grows with each
change so views can cache what they computed for the previous state.
"""

from __future__ import annotations

import base64
import threading
from bisect import bisect_left
from dataclasses import dataclass, replace
from random import Random
from typing import TYPE_CHECKING

from fake_litmos.dates import DAY_MS
from fake_litmos.index import digest, unit
from fake_litmos.site import COURSE_USERS, MEMBERS, Site

if TYPE_CHECKING:
    from collections.abc import Sequence


# Thresholds on one random byte: a byte below _BYTE_20 happens 20% of the time.
_BYTE_20, _BYTE_30, _BYTE_50, _BYTE_60 = 51, 77, 128, 154

# Shares of memberships whose user leads or administers the team (they overlap).
_LEADERS, _ADMINS_FROM, _ADMINS_TO = 0.06, 0.04, 0.08

_PERCENTAGES = (5, 10, 25, 33.33, 50, 66.67, 75, 90)


@dataclass
class UserState:
    """Overlay of one user: set once the user was added or changed."""

    created: int
    updated: int
    active: bool
    first_name: str | None = None
    last_name: str | None = None


@dataclass
class MemberState:
    """One team membership; `active` turns false when it is removed."""

    created: int
    updated: int
    active: bool
    leader: bool
    admin: bool


@dataclass
class Progress:
    """One user's enrolment in a course, with its progress and dates."""

    created: int
    updated: int
    percentage: float
    completed: bool
    started: int | None
    last_attempt: int | None
    completed_at: int | None
    compliant_till: int | None
    due: int | None
    access_till: int | None


@dataclass
class CourseState:
    """Overlay of a course added after generation."""

    created: int
    updated: int
    name: str | None = None


class SiteState:
    """Base site plus overlay, with lookups that prefer the overlay.

    Attributes:
        site: The generated base.
        lock: Held by every mutation and by views while they snapshot keys.
        version: Grows by one with every mutation.
    """

    def __init__(self, site: Site) -> None:
        """Start with an empty overlay over the generated site."""
        self.site = site
        self.seed = site.spec.seed
        self.lock = threading.RLock()
        self.version = 0
        self.user_count = site.spec.users
        self.course_count = site.spec.courses
        self.users: dict[int, UserState] = {}
        self.deleted_users: set[int] = set()
        self.added_user_ids: list[str] = []
        self.added_user_index: dict[str, int] = {}
        self.deleted_teams: set[int] = set()
        self.deleted_courses: set[int] = set()
        self.team_members: dict[int, list[int]] = {}
        self.members: dict[tuple[int, int], MemberState] = {}
        self.courses: dict[int, CourseState] = {}
        self.added_course_ids: list[str] = []
        self.added_course_index: dict[str, int] = {}
        self.course_users: dict[int, list[int]] = {}
        self.progress: dict[tuple[int, int], Progress] = {}
        self._id_rng = Random(f"fake-litmos/{self.seed}/added")

    def touch(self) -> None:
        """Record that the state changed (caller holds the lock)."""
        self.version += 1

    def new_id(self) -> str:
        """Make an id unused by any user, team or course (caller holds the lock)."""
        site = self.site
        while True:
            text = base64.urlsafe_b64encode(
                self._id_rng.getrandbits(72).to_bytes(9, "big")
            ).decode()
            taken = (
                text in site.user_index
                or text in site.team_index
                or text in site.course_index
                or text in self.added_user_index
                or text in self.added_course_index
            )
            if not taken:
                return text

    # Users

    def user_id(self, i: int) -> str:
        """Return the id of user index `i`."""
        base = self.site.spec.users
        return self.site.user_ids[i] if i < base else self.added_user_ids[i - base]

    def find_user(self, user_id: str) -> int | None:
        """Return the index of a live user id, or None."""
        i = self.site.user_index.get(user_id)
        if i is None:
            i = self.added_user_index.get(user_id)
        if i is None or i in self.deleted_users:
            return None
        return i

    def user_exists(self, i: int) -> bool:
        """Tell whether user index `i` exists and was not deleted."""
        return 0 <= i < self.user_count and i not in self.deleted_users

    def user_active(self, i: int) -> bool:
        """Tell whether user index `i` is active."""
        over = self.users.get(i)
        if over is not None:
            return over.active
        return not self.site.user_inactive[i]

    def user_times(self, i: int) -> tuple[int, int]:
        """Return (created, updated) of user index `i`."""
        over = self.users.get(i)
        if over is not None:
            return over.created, over.updated
        return self.site.user_created[i], self.site.user_updated[i]

    def user_overlay(self, i: int) -> UserState:
        """Return the overlay entry of user `i`, creating it from the base."""
        over = self.users.get(i)
        if over is None:
            created, updated = self.user_times(i)
            over = UserState(created, updated, self.user_active(i))
            self.users[i] = over
        return over

    # Teams and memberships

    def find_team(self, team_id: str) -> int | None:
        """Return the index of a live team id, or None."""
        j = self.site.team_index.get(team_id)
        return None if j is None or j in self.deleted_teams else j

    def members_of(self, j: int) -> Sequence[int]:
        """Return the user indices currently in team `j`, in user order."""
        listed = self.team_members.get(j)
        if listed is not None:
            return listed
        rows = self.site.team_rows
        return self.site.member_user[rows[j] : rows[j + 1]]

    def member_state(self, j: int, u: int) -> MemberState | None:
        """Return the membership of user `u` in team `j`, current or removed."""
        over = self.members.get((j, u))
        if over is not None:
            return over
        row = self._base_row(self.site.team_rows, self.site.member_user, j, u)
        if row is None:
            return None
        return self.base_member(j, u, row)

    def base_member(self, j: int, u: int, row: int) -> MemberState:
        """Derive a generated membership from its row."""
        draw = unit(self.seed, MEMBERS, j, u)
        return MemberState(
            created=self.site.member_created[row],
            updated=self.site.member_updated[row],
            active=True,
            leader=draw < _LEADERS,
            admin=_ADMINS_FROM <= draw < _ADMINS_TO,
        )

    @staticmethod
    def _base_row(
        starts: Sequence[int], users: Sequence[int], group: int, u: int
    ) -> int | None:
        low, high = starts[group], starts[group + 1]
        row = bisect_left(users, u, low, high)
        return row if row < high and users[row] == u else None

    # Courses and enrolments

    def course_id(self, c: int) -> str:
        """Return the id of course index `c`."""
        base = self.site.spec.courses
        return self.site.course_ids[c] if c < base else self.added_course_ids[c - base]

    def find_course(self, course_id: str) -> int | None:
        """Return the index of a live course id, or None."""
        c = self.site.course_index.get(course_id)
        if c is None:
            c = self.added_course_index.get(course_id)
        return None if c is None or c in self.deleted_courses else c

    def course_times(self, c: int) -> tuple[int, int]:
        """Return (created, updated) of course index `c`."""
        over = self.courses.get(c)
        if over is not None:
            return over.created, over.updated
        return self.site.course_created[c], self.site.course_updated[c]

    def users_of(self, c: int) -> Sequence[int]:
        """Return the user indices assigned to course `c`, in user order."""
        listed = self.course_users.get(c)
        if listed is not None:
            return listed
        if c >= self.site.spec.courses:
            return ()
        rows = self.site.course_rows
        return self.site.enrol_user[rows[c] : rows[c + 1]]

    def progress_of(self, c: int, u: int) -> Progress | None:
        """Return the enrolment of user `u` in course `c`, or None."""
        over = self.progress.get((c, u))
        if over is not None:
            return over
        if c >= self.site.spec.courses:
            return None
        row = self._base_row(self.site.course_rows, self.site.enrol_user, c, u)
        if row is None:
            return None
        return self.base_progress(c, u, row)

    def base_progress(self, c: int, u: int, row: int) -> Progress:
        """Derive a generated enrolment: not started, in progress or completed."""
        bits = digest(self.seed, COURSE_USERS, c, u)
        created = self.site.enrol_created[row]
        updated = self.site.enrol_updated[row]
        fraction = int.from_bytes(bits[1:4], "big")
        started = created + fraction * (updated - created) // (1 << 24)
        progress = Progress(
            created=created,
            updated=updated,
            percentage=0,
            completed=False,
            started=None,
            last_attempt=None,
            completed_at=None,
            compliant_till=None,
            due=created + 30 * DAY_MS if bits[4] < _BYTE_50 else None,
            access_till=created + 180 * DAY_MS if bits[5] < _BYTE_20 else None,
        )
        # About 30% not started, 30% in progress and 40% completed.
        if bits[0] < _BYTE_30:
            return progress

        if bits[0] < _BYTE_60:
            return replace(
                progress,
                percentage=_PERCENTAGES[bits[6] % len(_PERCENTAGES)],
                started=started,
                last_attempt=updated,
            )

        till = updated + 365 * DAY_MS if bits[7] < _BYTE_60 else None
        return replace(
            progress,
            percentage=100,
            completed=True,
            started=started,
            last_attempt=updated,
            completed_at=updated,
            compliant_till=till,
        )
