"""The five Litmos streams: users, teams, team members, courses, course users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import override

from tap_litmos import schemas
from tap_litmos.errors import LitmosNotFoundError
from tap_litmos.fanout import fan_out
from tap_litmos.replication import ReplicatedStream
from tap_litmos.windows import count_windows

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator, Mapping

    from singer_sdk.helpers.types import Context, Record

    from tap_litmos.shapes import RecordShape


class ListStream(ReplicatedStream):
    """A stream read from one paged list endpoint, such as ``/teams``."""

    list_endpoint: ClassVar[str]
    list_shape: ClassVar[RecordShape]

    @override
    def read_everything(self) -> Iterator[Record]:
        rows = self.request_records({"endpoint": self.list_endpoint})
        yield from self.emit(rows, self.list_shape)


class ParentListStream(ListStream):
    """A list whose ids the child stream of the same run reuses.

    Teams and courses are listed once per run: when the child stream comes, it
    takes the ids from here instead of listing them again.
    """

    @override
    def read_everything(self) -> Iterator[Record]:
        ids: list[str] = []
        for record in self.read_listed():
            ids.append(record["id"])
            yield record
        self.listed_ids[self.name] = ids

    def read_listed(self) -> Iterator[Record]:
        """Yield every record of the list endpoint."""
        yield from super().read_everything()


class ChildStream(ReplicatedStream):
    """The members of each parent, read with bounded concurrency."""

    parent_stream_name: ClassVar[str]
    parent_list_endpoint: ClassVar[str]
    parent_key: ClassVar[str]
    children_endpoint: ClassVar[str]
    children_shape: ClassVar[RecordShape]

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        """Create the stream with no parents known yet."""
        super().__init__(*args, **kwargs)
        self._parents: list[str] | None = None

    @override
    def get_records(self, context: Context | None) -> Iterator[Record]:
        self._parents = None
        yield from super().get_records(context)

    @override
    def read_everything(self) -> Iterator[Record]:
        parent_key = self.parent_key
        parents = self.parent_ids()
        workers = int(self.config["max_concurrency"])
        self.logger.info(
            "Reading '%s' of %d parents, %d at a time.",
            self.name,
            len(parents),
            workers,
        )
        for parent_id, rows in fan_out(parents, self._read_parent, workers=workers):
            yield from self.emit(
                rows, self.children_shape, **{parent_key: parent_id}, **self.fixed
            )

    @property
    def fixed(self) -> dict[str, Any]:
        """Properties every record of the list endpoint gets besides its parent."""
        return {}

    @override
    def changes_cost_less(self, start: dt.datetime) -> bool:
        windows = count_windows(start, self.connection.clock.now())
        return windows < len(self.parent_ids())

    def parent_ids(self) -> list[str]:
        """Return the ids of every parent, listing them only if still unknown."""
        if self._parents is None:
            listed = self.listed_ids.get(self.parent_stream_name)
            self._parents = listed if listed is not None else self._list_parents()
        return self._parents

    def _list_parents(self) -> list[str]:
        rows = self.request_records({"endpoint": self.parent_list_endpoint})
        return [str(row["Id"]) for row in rows if row.get("Id")]

    def _read_parent(self, parent_id: str) -> Iterable[dict[str, Any]]:
        context = {"endpoint": self.children_endpoint, self.parent_key: parent_id}
        try:
            yield from self.request_records(context)
        except LitmosNotFoundError:
            # Deleted between its listing and now: nothing of it remains to read.
            self.logger.warning(
                "Stream '%s': %s %s no longer exists; skipped.",
                self.name,
                self.parent_key.removesuffix("_id"),
                parent_id,
            )


class UsersStream(ListStream):
    """Every user, active and inactive, with the full profile."""

    name = "users"
    primary_keys = ("id",)
    list_endpoint = "/users/details"
    change_endpoint = "/org/users/details"
    list_shape = change_shape = schemas.shape("users", schemas.USER_FIELDS, ("id",))
    schema = schemas.stream_schema([list_shape], keys=("id",))

    @override
    def read_everything(self) -> Iterator[Record]:
        saw_inactive_user = False
        for record in super().read_everything():
            saw_inactive_user = saw_inactive_user or record["active"] is False
            yield record
        if not saw_inactive_user:
            yield from self._read_users_missing_from_details()

    def _read_users_missing_from_details(self) -> Iterator[Record]:
        # Litmos documents /users as listing active and inactive users, but not
        # whether /users/details does. When the details held no inactive user
        # at all, /users is checked too, and any user it lists that the details
        # lacked is read on its own; a site whose details list everyone pays
        # this only when it has no inactive user.
        self.logger.info("No inactive user in /users/details; checking /users.")
        listed = self.request_records(
            {"endpoint": "/users", "params": {"showInactive": "true"}}
        )
        missing = [
            str(row["Id"])
            for row in listed
            if row.get("Id") and (str(row["Id"]),) not in self._emitted
        ]
        for user_id in missing:
            context = {"endpoint": "/users/{user_id}", "user_id": user_id}
            try:
                rows = list(self.request_records(context))
            except LitmosNotFoundError:
                continue
            yield from self.emit(rows, self.list_shape)


class TeamsStream(ParentListStream):
    """Every team, with its parent team for the hierarchy."""

    name = "teams"
    primary_keys = ("id",)
    list_endpoint = "/teams"
    change_endpoint = "/org/teams"
    list_shape = change_shape = schemas.shape("teams", schemas.TEAM_FIELDS, ("id",))
    schema = schemas.stream_schema([list_shape], keys=("id",))


class CoursesStream(ParentListStream):
    """Every course, or only those named in the course_ids setting."""

    name = "courses"
    primary_keys = ("id",)
    list_endpoint = "/courses"
    change_endpoint = "/org/courses"
    list_shape = change_shape = schemas.shape("courses", schemas.COURSE_FIELDS, ("id",))
    schema = schemas.stream_schema([list_shape], keys=("id",))

    @override
    def read_listed(self) -> Iterator[Record]:
        chosen = self.config.get("course_ids") or []
        if not chosen:
            yield from super().read_listed()
            return
        # A handful of chosen courses cost one call each, not a walk of the list.
        for course_id in chosen:
            try:
                rows = list(
                    self.request_records(
                        {"endpoint": "/courses/{course_id}", "course_id": course_id}
                    )
                )
            except LitmosNotFoundError:
                self.logger.warning(
                    "Course %s in course_ids does not exist; skipped.", course_id
                )
                continue
            yield from self.emit(rows, self.list_shape)

    @override
    def keep_change(self, record: Record, *, first_run: bool) -> bool:
        return is_chosen_course(self.config, record["id"])


_TEAM_MEMBER_KEYS = ("team_id", "user_id")
_COURSE_USER_KEYS = ("course_id", "user_id")


class TeamMembersStream(ChildStream):
    """Who belongs to which team; a removed membership has ``active`` false."""

    name = "team_members"
    primary_keys = _TEAM_MEMBER_KEYS
    parent_stream_name = "teams"
    parent_list_endpoint = "/teams"
    parent_key = "team_id"
    children_endpoint = "/teams/{team_id}/users"
    change_endpoint = "/org/teams/users"
    children_shape = schemas.shape(
        "team_members",
        schemas.TEAM_MEMBER_LIST_FIELDS,
        ("user_id",),
        link_row=True,
    )
    change_shape = schemas.shape(
        "team_members",
        schemas.TEAM_MEMBER_CHANGE_FIELDS,
        _TEAM_MEMBER_KEYS,
        link_row=True,
    )
    schema = schemas.stream_schema(
        [change_shape, children_shape],
        keys=_TEAM_MEMBER_KEYS,
    )

    @property
    @override
    def fixed(self) -> dict[str, Any]:
        # The member list holds current memberships only.
        return {"active": True}

    @override
    def keep_change(self, record: Record, *, first_run: bool) -> bool:
        # A first run builds the current snapshot: a removal of a membership
        # the target never held tells it nothing.
        return not first_run or record.get("active") is not False


class CourseUsersStream(ChildStream):
    """Who is enrolled in which course, with completion, progress and dates."""

    name = "course_users"
    primary_keys = _COURSE_USER_KEYS
    parent_stream_name = "courses"
    parent_list_endpoint = "/courses"
    parent_key = "course_id"
    children_endpoint = "/courses/{course_id}/users"
    change_endpoint = "/org/results/details"
    children_shape = schemas.shape(
        "course_users",
        schemas.COURSE_USER_LIST_FIELDS,
        ("user_id",),
        link_row=True,
    )
    change_shape = schemas.shape(
        "course_users",
        schemas.COURSE_USER_CHANGE_FIELDS,
        _COURSE_USER_KEYS,
        link_row=True,
    )
    schema = schemas.stream_schema(
        [children_shape, change_shape],
        keys=_COURSE_USER_KEYS,
    )

    @override
    def parent_ids(self) -> list[str]:
        chosen = self.config.get("course_ids")
        return list(chosen) if chosen else super().parent_ids()

    @override
    def keep_change(self, record: Record, *, first_run: bool) -> bool:
        return is_chosen_course(self.config, record["course_id"])


def is_chosen_course(config: Mapping[str, Any], course_id: str) -> bool:
    """Tell whether the course_ids setting (empty: every course) takes a course."""
    chosen = config.get("course_ids")
    return not chosen or course_id in chosen


STREAM_TYPES = (
    UsersStream,
    TeamsStream,
    TeamMembersStream,
    CoursesStream,
    CourseUsersStream,
)
