"""The fake clock and the changes a test can make to a running site."""

from __future__ import annotations

import time
from bisect import insort
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from fake_litmos.dates import to_ms
from fake_litmos.state import CourseState, MemberState, Progress, SiteState, UserState


class Clock:
    """Wall-clock time shifted by an adjustable offset.

    The `Date` header, the default instant of a mutation and the rate-limit
    window all read this clock, so advancing it moves all three together (and
    frees the rate-limit window without a real wait).
    """

    def __init__(self, offset: float = 0.0) -> None:
        """Start at real time plus `offset` seconds."""
        self._offset = float(offset)

    @property
    def offset(self) -> float:
        """Seconds this clock runs ahead of real time."""
        return self._offset

    def now(self) -> datetime:
        """Return the current fake instant (aware, UTC)."""
        return datetime.now(timezone.utc) + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        """Return a monotonic reading (seconds) that includes the offset."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`."""
        self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        """Set how far the clock runs ahead of real time."""
        self._offset = float(seconds)


class Mutations:
    """Changes to a live site, each stamped with an instant.

    Every method takes `at` (default: the clock's now); it becomes the
    UpdatedDate (and CreatedDate for new records) that the date-range endpoints
    filter on. Instants are kept to the millisecond.
    """

    def __init__(self, state: SiteState, clock: Clock) -> None:
        """Bind to the state to change and the clock that stamps changes."""
        self._state = state
        self._clock = clock

    def _ms(self, at: datetime | None) -> int:
        return to_ms(at if at is not None else self._clock.now())

    def _user(self, user_id: str) -> int:
        return _found("user", user_id, self._state.find_user(user_id))

    def _team(self, team_id: str) -> int:
        return _found("team", team_id, self._state.find_team(team_id))

    def _course(self, course_id: str) -> int:
        return _found("course", course_id, self._state.find_course(course_id))

    def add_user(
        self,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Create an active user (in no team or course) and return its id."""
        ms = self._ms(at)
        state = self._state
        with state.lock:
            i = state.user_count
            user_id = state.new_id()
            state.added_user_ids.append(user_id)
            state.added_user_index[user_id] = i
            state.users[i] = UserState(
                created=ms,
                updated=ms,
                active=True,
                first_name=first_name,
                last_name=last_name,
            )
            state.user_count += 1
            state.touch()
        return user_id

    def rename_user(
        self,
        user_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Change a user's first and/or last name (FullName follows)."""
        ms = self._ms(at)
        state = self._state
        with state.lock:
            over = state.user_overlay(self._user(user_id))
            if first_name is not None:
                over.first_name = first_name
            if last_name is not None:
                over.last_name = last_name
            over.updated = ms
            state.touch()

    def deactivate_user(self, user_id: str, *, at: datetime | None = None) -> None:
        """Make a user inactive: still listed as a user, gone from team lists."""
        self._set_active(user_id, active=False, at=at)

    def activate_user(self, user_id: str, *, at: datetime | None = None) -> None:
        """Make a user active again."""
        self._set_active(user_id, active=True, at=at)

    def _set_active(self, user_id: str, *, active: bool, at: datetime | None) -> None:
        ms = self._ms(at)
        state = self._state
        with state.lock:
            over = state.user_overlay(self._user(user_id))
            over.active = active
            over.updated = ms
            state.touch()

    def delete_user(self, user_id: str) -> None:
        """Delete a user outright, as Litmos does: no tombstone anywhere.

        The user vanishes from every list, team and course, and from the
        date-range endpoints; only a full pass can notice.
        """
        state = self._state
        with state.lock:
            state.deleted_users.add(self._user(user_id))
            state.touch()

    def delete_team(self, team_id: str) -> None:
        """Delete a team outright: gone from every list, its id now a 404."""
        state = self._state
        with state.lock:
            state.deleted_teams.add(self._team(team_id))
            state.touch()

    def add_member(
        self, team_id: str, user_id: str, *, at: datetime | None = None
    ) -> None:
        """Put a user in a team (nothing changes if already a member)."""
        ms = self._ms(at)
        state = self._state
        with state.lock:
            j, u = self._team(team_id), self._user(user_id)
            previous = state.member_state(j, u)
            if previous is not None and previous.active:
                return
            members = state.team_members.setdefault(j, list(state.members_of(j)))
            insort(members, u)
            if previous is None:
                state.members[j, u] = MemberState(
                    created=ms, updated=ms, active=True, leader=False, admin=False
                )
            else:
                state.members[j, u] = replace(previous, active=True, updated=ms)
            state.touch()

    def remove_member(
        self, team_id: str, user_id: str, *, at: datetime | None = None
    ) -> None:
        """Take a user out of a team; the membership stays as Active=false."""
        ms = self._ms(at)
        state = self._state
        with state.lock:
            j, u = self._team(team_id), self._user(user_id)
            previous = state.member_state(j, u)
            if previous is None or not previous.active:
                msg = f"user {user_id!r} is not a member of team {team_id!r}"
                raise KeyError(msg)
            members = state.team_members.setdefault(j, list(state.members_of(j)))
            members.remove(u)
            state.members[j, u] = replace(previous, active=False, updated=ms)
            state.touch()

    def set_progress(
        self,
        course_id: str,
        user_id: str,
        percentage: float,
        completed: bool,  # noqa: FBT001 - positional, as the API promises
        *,
        at: datetime | None = None,
    ) -> None:
        """Record progress of a user in a course, assigning the course if needed."""
        ms = self._ms(at)
        state = self._state
        with state.lock:
            c, u = self._course(course_id), self._user(user_id)
            previous = state.progress_of(c, u)
            if previous is None:
                users = state.course_users.setdefault(c, list(state.users_of(c)))
                insort(users, u)
                previous = Progress(
                    created=ms,
                    updated=ms,
                    percentage=0,
                    completed=False,
                    started=None,
                    last_attempt=None,
                    completed_at=None,
                    compliant_till=None,
                    due=None,
                    access_till=None,
                )
            started = previous.started
            if started is None and (percentage > 0 or completed):
                started = ms
            finished = previous.completed_at if previous.completed else ms
            state.progress[c, u] = replace(
                previous,
                updated=ms,
                percentage=percentage,
                completed=completed,
                started=started,
                last_attempt=ms if started is not None else None,
                completed_at=finished if completed else None,
            )
            state.touch()

    def delete_course(self, course_id: str) -> None:
        """Delete a course outright: gone from every list, its id now a 404."""
        state = self._state
        with state.lock:
            state.deleted_courses.add(self._course(course_id))
            state.touch()

    def add_course(self, *, name: str | None = None, at: datetime | None = None) -> str:
        """Create a course with no users and return its id."""
        ms = self._ms(at)
        state = self._state
        with state.lock:
            c = state.course_count
            course_id = state.new_id()
            state.added_course_ids.append(course_id)
            state.added_course_index[course_id] = c
            state.courses[c] = CourseState(ms, ms, name)
            state.course_count += 1
            state.touch()
        return course_id


def _found(kind: str, record_id: str, index: int | None) -> int:
    """Return the index a lookup found, or fail naming the unknown id."""
    if index is None:
        msg = f"unknown {kind} id {record_id!r}"
        raise KeyError(msg)
    return index
