"""A plain Singer SDK tap for Litmos: the benchmark's point of reference.

It reads the same five streams as tap-litmos and emits the same records, but
written the way the SDK's template and defaults lead: one request at a time,
``OffsetPaginator`` with the API's default page of 100 and its ``has_more``
left always true (so every list ends on an empty page), team members and
course users as child streams through ``parent_stream_type`` with one state
entry per parent, ``response.json()`` with ``records_jsonpath``, the default
``SingerWriter``, the default RECURSIVE type conformance, the SDK's default
retries and no client-side rate limiter. Values are mapped in ``post_process``
with plain Python, so both taps do the same work on every record.

Run it as ``python bench/plain_tap.py --config config.json``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import RESTStream, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.pagination import OffsetPaginator
from typing_extensions import override

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

PAGE_SIZE = 100

_DOTNET_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_SCHEMA_TYPES: dict[str, th.JSONTypeHelper[Any]] = {
    "text": th.StringType(),
    "name": th.StringType(),
    "boolean": th.BooleanType(),
    "integer": th.IntegerType(),
    "number": th.NumberType(),
    "date-time": th.DateTimeType(),
    "text-list": th.ArrayType(th.StringType()),
}

USER_FIELDS = {
    "Id": "text",
    "UserName": "text",
    "FirstName": "name",
    "LastName": "name",
    "FullName": "name",
    "Active": "boolean",
    "Email": "text",
    "AccessLevel": "text",
    "Brand": "text",
    "DisableMessages": "boolean",
    "Skype": "text",
    "PhoneWork": "text",
    "PhoneMobile": "text",
    "LastLogin": "date-time",
    "IsCustomUsername": "boolean",
    "SkipFirstLogin": "boolean",
    "TimeZone": "text",
    "Culture": "text",
    "SalesforceId": "text",
    "SalesforceContactId": "text",
    "SalesforceAccountId": "text",
    "OriginalId": "integer",
    "ExternalEmployeeId": "text",
    "Street1": "text",
    "Street2": "text",
    "City": "text",
    "State": "text",
    "PostalCode": "text",
    "Country": "text",
    "CompanyName": "name",
    "JobTitle": "name",
    "JobRole": "text",
    "ManagerId": "text",
    "ManagerName": "name",
    **{f"CustomField{number}": "text" for number in range(1, 11)},
    "CreatedDate": "date-time",
    "Points": "integer",
    "EnableTextNotification": "boolean",
    "Website": "text",
    "Twitter": "text",
    "ExpirationDate": "date-time",
    "ProfileType": "text",
}

TEAM_FIELDS = {
    "Id": "text",
    "Name": "name",
    "TeamCodeForBulkImport": "text",
    "ParentTeamId": "text",
}

COURSE_FIELDS = {
    "Id": "text",
    "Code": "text",
    "Name": "name",
    "Active": "boolean",
    "ForSale": "boolean",
    "OriginalId": "integer",
    "Description": "text",
    "EcommerceShortDescription": "text",
    "EcommerceLongDescription": "text",
    "CourseCodeForBulkImport": "text",
    "Price": "number",
    "AccessTillDate": "date-time",
    "AccessTillDays": "integer",
    "CourseTeamLibrary": "boolean",
    "CreatedBy": "text",
    "SeqId": "integer",
    "Tags": "text-list",
}

# Member and enrolment rows repeat the user's own fields, which belong to the
# users stream: only the user's id and the link's own fields are kept.
TEAM_MEMBER_FIELDS = {"Id": "text"}

COURSE_USER_FIELDS = {
    "Id": "text",
    "Completed": "boolean",
    "PercentageComplete": "number",
    "CompliantTill": "date-time",
    "DueDate": "date-time",
    "AccessTillDate": "date-time",
}


def snake_case(name: str) -> str:
    """Return the property name of a Litmos field (``FirstName``: first_name)."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def to_rfc3339(value: str) -> str:
    """Write a Litmos date (.NET ``/Date(ms)/`` or ISO 8601) as RFC 3339 UTC."""
    match = _DOTNET_DATE.fullmatch(value)
    if match:
        instant = dt.datetime.fromtimestamp(int(match[1]) / 1000, tz=dt.timezone.utc)
    else:
        instant = dt.datetime.fromisoformat(value)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.timezone.utc)
    return instant.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def convert(kind: str, value: Any) -> Any:  # noqa: ANN401
    """Turn one Litmos value into its schema type; "" means no value."""
    if value is None or value == "":
        return None
    if kind == "date-time":
        return to_rfc3339(value)
    if kind == "name":
        return html.unescape(value)
    return value


def schema_of(
    fields: dict[str, str], key: str, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return the JSON schema of a stream from its fields.

    Args:
        fields: Litmos field names and their kinds.
        key: The property ``Id`` becomes, instead of its snake_case name.
        extra: Properties no row carries, such as the parent id, by kind.

    Returns:
        The schema, with a property for every field.
    """
    properties = [
        th.Property(name, _SCHEMA_TYPES[kind]) for name, kind in (extra or {}).items()
    ]
    properties += [
        th.Property(key if name == "Id" else snake_case(name), _SCHEMA_TYPES[kind])
        for name, kind in fields.items()
    ]
    return th.PropertiesList(*properties).to_dict()


SETTINGS = th.PropertiesList(
    th.Property("api_key", th.StringType(), required=True, secret=True),
    th.Property("source", th.StringType(), required=True),
    th.Property("api_url", th.StringType(), required=True),
).to_dict()


class LitmosStream(RESTStream[int]):
    """A Litmos list endpoint read page by page, as the SDK template does."""

    records_jsonpath = "$[*]"
    fields: ClassVar[dict[str, str]]
    key_property: ClassVar[str] = "id"

    @property
    @override
    def url_base(self) -> str:
        return str(self.config["api_url"])

    @property
    @override
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(
            key="apikey", value=self.config["api_key"], location="header"
        )

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: int | None
    ) -> dict[str, Any]:
        return {
            "source": self.config["source"],
            "format": "json",
            "start": next_page_token or 0,
            "limit": PAGE_SIZE,
        }

    @override
    def get_new_paginator(self) -> OffsetPaginator:
        return OffsetPaginator(start_value=0, page_size=PAGE_SIZE)

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record:
        record: Record = {}
        for name, value in row.items():
            kind = self.fields.get(name)
            if kind is not None:
                prop = self.key_property if name == "Id" else snake_case(name)
                record[prop] = convert(kind, value)
        return record


class UsersStream(LitmosStream):
    """Every user with the full profile."""

    name = "users"
    path = "/users/details"
    primary_keys = ("id",)
    fields = USER_FIELDS
    schema = schema_of(USER_FIELDS, "id")


class TeamsStream(LitmosStream):
    """Every team; each one's members are read as a child stream."""

    name = "teams"
    path = "/teams"
    primary_keys = ("id",)
    fields = TEAM_FIELDS
    schema = schema_of(TEAM_FIELDS, "id")

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"team_id": record["id"]}


class TeamMembersStream(LitmosStream):
    """The active members of each team."""

    name = "team_members"
    path = "/teams/{team_id}/users"
    primary_keys = ("team_id", "user_id")
    parent_stream_type = TeamsStream
    fields = TEAM_MEMBER_FIELDS
    key_property = "user_id"
    schema = schema_of(
        TEAM_MEMBER_FIELDS, "user_id", {"team_id": "text", "active": "boolean"}
    )

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record:
        record = super().post_process(row, context)
        # The member list holds current memberships only.
        record["active"] = True
        return record


class CoursesStream(LitmosStream):
    """Every course; each one's users are read as a child stream."""

    name = "courses"
    path = "/courses"
    primary_keys = ("id",)
    fields = COURSE_FIELDS
    schema = schema_of(COURSE_FIELDS, "id")

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"course_id": record["id"]}


class CourseUsersStream(LitmosStream):
    """The users assigned to each course, with their progress."""

    name = "course_users"
    path = "/courses/{course_id}/users"
    primary_keys = ("course_id", "user_id")
    parent_stream_type = CoursesStream
    fields = COURSE_USER_FIELDS
    key_property = "user_id"
    schema = schema_of(COURSE_USER_FIELDS, "user_id", {"course_id": "text"})


class PlainTapLitmos(Tap):
    """The plain reference tap."""

    name = "tap-litmos-plain"
    config_jsonschema = SETTINGS

    @override
    def discover_streams(self) -> list[LitmosStream]:
        return [
            UsersStream(self),
            TeamsStream(self),
            TeamMembersStream(self),
            CoursesStream(self),
            CourseUsersStream(self),
        ]


if __name__ == "__main__":
    PlainTapLitmos.cli()
