"""The Litmos fields each stream reads, by endpoint, and the stream schemas.

Field names are those of the Litmos JSON API. The list endpoints and the
date-range (``/org/...``) endpoints return different fields for the same thing,
so each stream has a shape per endpoint and one schema covering both.
"""

from __future__ import annotations

from tap_litmos.shapes import Field, RecordShape, field, stream_schema

# Credentials are never emitted: LoginKey is a login URL that signs its holder
# in, and Password is a write-only field Litmos always returns empty.
CREDENTIALS = ("LoginKey", "Password")

# Member and enrolment rows repeat the user's own fields; those belong to the
# users stream, so these link tables keep only what describes the link.
USER_FIELDS_OF_LINK_ROWS = (
    "UserName",
    "Username",
    "FirstName",
    "LastName",
    "FullName",
    "Email",
    "AccessLevel",
    "Brand",
)

USER_FIELDS = (
    field("Id", to="id"),
    field("UserName"),
    field("Username", to="user_name"),
    field("FirstName", "name"),
    field("LastName", "name"),
    field("FullName", "name"),
    field("Active", "boolean"),
    field("Email"),
    field("AccessLevel"),
    field("Brand"),
    field("DisableMessages", "boolean"),
    field("Skype"),
    field("PhoneWork"),
    field("PhoneMobile"),
    field("LastLogin", "date-time"),
    field("IsCustomUsername", "boolean"),
    field("SkipFirstLogin", "boolean"),
    field("TimeZone"),
    field("Culture"),
    field("SalesforceId"),
    field("SalesforceContactId"),
    field("SalesforceAccountId"),
    field("OriginalId", "integer"),
    field("ExternalEmployeeId"),
    field("Street1"),
    field("Street2"),
    field("City"),
    field("State"),
    field("PostalCode"),
    field("Country"),
    field("CompanyName", "name"),
    field("JobTitle", "name"),
    field("JobRole"),
    field("ManagerId"),
    field("ManagerName", "name"),
    *(field(f"CustomField{number}") for number in range(1, 11)),
    field("CreatedDate", "date-time"),
    field("Points", "integer"),
    field("EnableTextNotification", "boolean"),
    field("Website"),
    field("Twitter"),
    field("ExpirationDate", "date-time"),
    field("ProfileType"),
    field("UpdatedDate", "date-time"),
    field("CreatedBy"),
    field("UpdatedBy"),
)

TEAM_FIELDS = (
    field("Id", to="id"),
    field("Name", "name"),
    field("TeamCodeForBulkImport"),
    field("ParentTeamId"),
    field("Active", "boolean"),
    field("CreatedDate", "date-time"),
    field("UpdatedDate", "date-time"),
)

COURSE_FIELDS = (
    field("Id", to="id"),
    field("Code"),
    field("Name", "name"),
    field("Active", "boolean"),
    field("ForSale", "boolean"),
    field("OriginalId", "integer"),
    field("Description"),
    field("EcommerceShortDescription"),
    field("EcommerceLongDescription"),
    field("CourseCodeForBulkImport"),
    field("Price", "number"),
    field("AccessTillDate", "date-time"),
    field("AccessTillDays", "integer"),
    field("CourseTeamLibrary", "boolean"),
    field("CreatedBy"),
    field("SeqId", "integer"),
    field("Tags", "text-list"),
    field("Categories", "text-list"),
    field("CreatedDate", "date-time"),
    field("UpdatedDate", "date-time"),
)

# Fields of a membership, shared by the member list and the date-range rows.
_MEMBERSHIP_FIELDS = (
    field("IsTeamLeader", "boolean"),
    field("IsTeamAdmin", "boolean"),
    field("CreatedDate", "date-time"),
    field("UpdatedDate", "date-time"),
)

# /teams/{id}/users lists active members only, as basic users: their "Active"
# is the user's, always true there, so it is dropped and the stream sets the
# membership's own active flag instead.
TEAM_MEMBER_LIST_FIELDS = (
    field("UserId", to="user_id"),
    field("Id", to="user_id"),
    *_MEMBERSHIP_FIELDS,
)

# /org/teams/users rows describe the membership itself; Active=false marks a
# membership that was removed.
TEAM_MEMBER_CHANGE_FIELDS = (
    field("TeamId", to="team_id"),
    field("UserId", to="user_id"),
    field("Id", to="user_id"),
    field("Active", "boolean"),
    *_MEMBERSHIP_FIELDS,
)

_ENROLMENT_FIELDS = (
    field("Completed", "boolean"),
    field("Complete", "boolean", to="completed"),
    field("PercentageComplete", "number"),
    field("CompliantTill", "date-time"),
    field("DueDate", "date-time"),
    field("AccessTillDate", "date-time"),
    field("CompletedDate", "date-time"),
    field("StartedDate", "date-time"),
    field("LastAttemptDate", "date-time"),
    field("UpdatedDate", "date-time"),
)

# /courses/{id}/users: "Id" is the user; the course is the parent.
COURSE_USER_LIST_FIELDS = (
    field("UserId", to="user_id"),
    field("Id", to="user_id"),
    *_ENROLMENT_FIELDS,
)

# /org/results/details: "Id" is the course and "UserId" the user; a CourseId,
# where a row has one, names the course more surely than Id.
COURSE_USER_CHANGE_FIELDS = (
    field("CourseId", to="course_id"),
    field("Id", to="course_id"),
    field("UserId", to="user_id"),
    *_ENROLMENT_FIELDS,
)


def shape(
    stream_name: str,
    fields: tuple[Field, ...],
    keys: tuple[str, ...],
    *,
    link_row: bool = False,
) -> RecordShape:
    """Build the shape of one endpoint's rows for a stream."""
    dropped = CREDENTIALS + (USER_FIELDS_OF_LINK_ROWS if link_row else ())
    if link_row:
        # The user's own active flag on member rows is not the membership's.
        dropped += () if any(f.litmos_name == "Active" for f in fields) else ("Active",)
    return RecordShape(stream_name, fields, keys=keys, dropped=dropped)


__all__ = ["Field", "shape", "stream_schema"]
