"""Build the records Litmos returns, from the live site state.

Fields a site does not store are derived from (seed, index) on each call, so a
record costs microseconds and nothing is kept per user. Field names and order
follow the Litmos record shapes.
"""

from __future__ import annotations

import unicodedata
from random import Random
from typing import TYPE_CHECKING, Any

from fake_litmos import pools
from fake_litmos.dates import DAY_MS, DOTNET_OFFSETS, WireDate, render
from fake_litmos.index import digest, mix
from fake_litmos.site import (
    COURSES,
    DASH_USER,
    ENTITY_COURSE,
    NESTED_TEAM,
    OWNER_USER,
    TEAMS,
    USERS,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from fake_litmos.state import MemberState, Progress, SiteState

Record = dict[str, Any]

_ACCESS_LEVELS = ("Learner",) * 17 + ("Team_Leader", "Team_Leader", "Administrator")
_CUSTOM_VALUES = ("", "", "", None, "Blue", "42", "Region A", "yes")
_STREET2 = ("", "", "Suite 200", None)
_LOGIN_URL = "https://fake.litmos.com/login.aspx?loginkey="
_WEBSITES = (None, "", "https://example.com")
_PROFILE_TYPES = ("", "Default", None)

# Shares of generated courses with a given trait.
_FOR_SALE, _LIMITED, _ACTIVE, _ACCESS_DAYS, _IN_LIBRARY, _TAGGED = (
    0.3,
    0.25,
    0.9,
    0.3,
    0.5,
    0.33,
)

# Thresholds on one random byte: a byte below _P10 happens about 10% of the time.
_P5, _P10, _P15, _P20, _P30 = 13, 26, 38, 51, 77


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("&#39;", ""))
    return "".join(ch for ch in folded.lower() if ch.isascii() and ch.isalnum())


_SLUGS = {name: _slug(name) for name in pools.FIRST_NAMES + pools.LAST_NAMES}


class Records:
    """Renders every record shape for one site state.

    With `typed=True` dates come out as `WireDate` (a `str` that keeps its
    instant), which the expected-output code needs; serving uses plain strings
    because they are cheaper.
    """

    def __init__(self, state: SiteState, *, typed: bool = False) -> None:
        """Bind to the state whose records are rendered."""
        self.state = state
        self.seed = state.seed
        self._date: Callable[[int, str, str], str] = WireDate if typed else render

    def dotnet(self, ms: int | None) -> str | None:
        """Write an instant as `/Date(ms±hhmm)/` (None stays None).

        The display offset varies with the value; it never shifts the instant.
        """
        if ms is None:
            return None
        return self._date(
            ms, "dotnet", DOTNET_OFFSETS[(ms // 1000) % len(DOTNET_OFFSETS)]
        )

    def org_date(self, ms: int) -> str:
        """Write an instant as the date-range rows do (mostly with no zone)."""
        return self._date(ms, "iso_0000" if (ms // 1000) % 5 == 0 else "iso_naive", "")

    # Users

    def base_names(self, i: int, bits: bytes | None = None) -> tuple[str, str]:
        """Return the generated (first, last) name of user `i`."""
        if bits is None:
            bits = digest(self.seed, USERS, i)
        first = pools.FIRST_NAMES[bits[0] % len(pools.FIRST_NAMES)]
        if i == DASH_USER:
            return first, pools.ENTITY_LAST_NAME
        return first, pools.LAST_NAMES[bits[1] % len(pools.LAST_NAMES)]

    def _basic(self, i: int, bits: bytes) -> Record:
        state = self.state
        first, last = self.base_names(i, bits)
        email = f"{_SLUGS[first]}.{_SLUGS[last]}{i}@example.com"
        username = email
        if bits[2] < _P10:
            username = f"{_SLUGS[first][:1]}{_SLUGS[last]}{i}"
        level = _ACCESS_LEVELS[bits[3] % len(_ACCESS_LEVELS)]
        over = state.users.get(i)
        if over is not None:
            first = over.first_name if over.first_name is not None else first
            last = over.last_name if over.last_name is not None else last
        return {
            "Id": state.user_id(i),
            "UserName": username,
            "FirstName": first,
            "LastName": last,
            "Active": state.user_active(i),
            "Email": email,
            "AccessLevel": "Account_Owner" if i == OWNER_USER else level,
            "Brand": pools.BRANDS[bits[4] % len(pools.BRANDS)],
        }

    def basic_user(self, i: int) -> Record:
        """Return the basic user record of user `i`."""
        return self._basic(i, digest(self.seed, USERS, i))

    def full_user(self, i: int) -> Record:
        """Return the full user record (as /users/details and /users/{id})."""
        # Every field reads its own byte of `bits`, so fields stay independent.
        bits = digest(self.seed, USERS, i)
        basic = self._basic(i, bits)
        created, updated = self.state.user_times(i)
        added = i >= self.state.site.spec.users
        city, region, postcode, country = pools.CITIES[bits[5] % len(pools.CITIES)]
        manager_id = manager_name = ""
        if i and bits[6] < _P30:
            manager = int.from_bytes(bits[7:10], "big") % i
            manager_id = self.state.user_id(manager)
            # Denormalized: it keeps the manager's generated name after a rename.
            manager_name = " ".join(self.base_names(manager))
        last_login = ""
        if not added and bits[10] >= _P20:
            span = updated - created + DAY_MS
            moment = created + int.from_bytes(bits[11:14], "big") * span // (1 << 24)
            last_login = self._date(moment // 1000 * 1000, "iso_z", "")
        expiration: str | None = None
        if bits[14] < _P10:
            expiration = self._date(created + 500 * DAY_MS, "iso_z", "")
        elif bits[14] < _P15:
            expiration = ""
        salesforce = bits[15] < _P20
        skype = (None, "", "", f"live:user{i}")[bits[17] % 4]
        custom = _CUSTOM_VALUES
        count = len(custom)
        return {
            **basic,
            "FullName": f"{basic['FirstName']} {basic['LastName']}",
            "DisableMessages": bits[16] < _P10,
            "Skype": skype,
            "PhoneWork": "" if bits[18] & 1 else f"+1 555 01{i % 100:02d}",
            "PhoneMobile": "" if bits[19] % 3 else f"+44 7700 9{i % 1000:03d}",
            "LastLogin": last_login,
            "LoginKey": _LOGIN_URL + bits[48:].hex(),
            "IsCustomUsername": bits[2] < _P10,
            "Password": "",
            "SkipFirstLogin": bits[20] < _P20,
            "TimeZone": pools.TIME_ZONES[bits[21] % len(pools.TIME_ZONES)],
            "Culture": pools.CULTURES[bits[22] % len(pools.CULTURES)],
            "SalesforceId": f"0055g0000{i:07d}" if salesforce else None,
            "SalesforceContactId": f"0035g0000{i:07d}" if salesforce else "",
            "SalesforceAccountId": f"0015g0000{i % 97:07d}" if salesforce else "",
            "OriginalId": 30_000_000 + i * 3,
            "ExternalEmployeeId": "" if bits[23] & 1 else f"E{100_000 + i}",
            "Street1": pools.STREETS[bits[24] % len(pools.STREETS)],
            "Street2": _STREET2[bits[25] % len(_STREET2)],
            "City": city,
            "State": region,
            "PostalCode": postcode,
            "Country": country,
            "CompanyName": pools.COMPANIES[bits[26] % len(pools.COMPANIES)],
            "JobTitle": pools.JOB_TITLES[bits[27] % len(pools.JOB_TITLES)],
            "JobRole": pools.JOB_ROLES[bits[28] % len(pools.JOB_ROLES)],
            "ManagerId": manager_id,
            "ManagerName": manager_name,
            "CustomField1": custom[bits[29] % count],
            "CustomField2": custom[bits[30] % count],
            "CustomField3": custom[bits[31] % count],
            "CustomField4": custom[bits[32] % count],
            "CustomField5": custom[bits[33] % count],
            "CustomField6": custom[bits[34] % count],
            "CustomField7": custom[bits[35] % count],
            "CustomField8": custom[bits[36] % count],
            "CustomField9": custom[bits[37] % count],
            "CustomField10": custom[bits[38] % count],
            "CreatedDate": self._date(created, "iso_z", ""),
            "Points": int.from_bytes(bits[39:41], "big") % 5000,
            "EnableTextNotification": bits[41] < _P5,
            "Website": _WEBSITES[bits[42] % len(_WEBSITES)],
            "Twitter": "@litmosfan" if bits[43] % 3 == 0 else "",
            "ExpirationDate": expiration,
            "ProfileType": _PROFILE_TYPES[bits[44] % len(_PROFILE_TYPES)],
        }

    def org_user(self, i: int) -> Record:
        """Return a /org/users/details row: a full user plus audit fields."""
        record = self.full_user(i)
        _, updated = self.state.user_times(i)
        creators = pools.CREATORS
        record["UpdatedDate"] = self.org_date(updated)
        record["CreatedBy"] = creators[mix(self.seed, USERS, i, 3) % len(creators)]
        record["UpdatedBy"] = creators[mix(self.seed, USERS, i, 4) % len(creators)]
        return record

    # Teams

    def team(self, j: int) -> Record:
        """Return the team record of team `j`."""
        site = self.state.site
        rng = Random(mix(self.seed, TEAMS, j))
        if j == NESTED_TEAM:
            name = "Health &amp; Safety"
        else:
            name = rng.choice(pools.TEAM_NAMES) + rng.choice(pools.REGIONS)
        record: Record = {
            "Id": site.team_ids[j],
            "Name": name,
            "TeamCodeForBulkImport": rng.choice(("", f"T{j:04d}", None)),
        }
        parent = site.team_parent[j]
        if parent >= 0:
            record["ParentTeamId"] = site.team_ids[parent]
        elif not site.team_parent_missing[j]:
            record["ParentTeamId"] = ""
        return record

    def org_team(self, j: int) -> Record:
        """Return a /org/teams row: a team plus Active and its instants."""
        site = self.state.site
        record = self.team(j)
        record["Active"] = True
        record["CreatedDate"] = self.org_date(site.team_created[j])
        record["UpdatedDate"] = self.org_date(site.team_updated[j])
        return record

    def org_member(self, j: int, u: int, member: MemberState) -> Record:
        """Return a /org/teams/users row for one membership."""
        return {
            "TeamId": self.state.site.team_ids[j],
            "Id": self.state.user_id(u),
            "Active": member.active,
            "IsTeamLeader": member.leader,
            "IsTeamAdmin": member.admin,
            "CreatedDate": self.org_date(member.created),
            "UpdatedDate": self.org_date(member.updated),
        }

    # Courses

    def course(self, c: int) -> Record:
        """Return the course record of course `c`."""
        rng = Random(mix(self.seed, COURSES, c))
        created, _ = self.state.course_times(c)
        over = self.state.courses.get(c)
        if over is not None and over.name is not None:
            name = over.name
        elif c == ENTITY_COURSE:
            name = "Health &amp; Safety Basics"
        else:
            name = rng.choice(pools.COURSE_NAMES)
        for_sale = rng.random() < _FOR_SALE
        price = rng.choice(pools.PRICES) if for_sale else 0.0
        limited = rng.random() < _LIMITED
        access_days = rng.choice((30, 90, 365)) if rng.random() < _ACCESS_DAYS else None
        if c == ENTITY_COURSE:
            # Always one priced course with an access end date, on every site.
            for_sale, price, limited = True, 19.99, True
        record: Record = {
            "Id": self.state.course_id(c),
            "Code": rng.choice(("", f"C-{100 + c}")),
            "Name": name,
            "Active": rng.random() < _ACTIVE,
            "ForSale": for_sale,
            "OriginalId": 50_000 + c * 13,
            "Description": rng.choice(pools.COURSE_DESCRIPTIONS),
            "EcommerceShortDescription": rng.choice(("", None, "Short and sweet.")),
            "EcommerceLongDescription": rng.choice(("", None)),
            "CourseCodeForBulkImport": rng.choice(("", f"COURSE{c}")),
            "Price": price,
            "AccessTillDate": self.dotnet(created + 400 * DAY_MS) if limited else None,
            "AccessTillDays": access_days,
            "CourseTeamLibrary": rng.random() < _IN_LIBRARY,
            "CreatedBy": rng.choice(pools.CREATORS),
            "SeqId": c + 1,
        }
        if rng.random() < _TAGGED:
            record["Tags"] = rng.sample(pools.TAGS, rng.randrange(1, 3))
        return record

    def org_course(self, c: int) -> Record:
        """Return a /org/courses row: a course plus its instants."""
        record = self.course(c)
        created, updated = self.state.course_times(c)
        record["CreatedDate"] = self.org_date(created)
        record["UpdatedDate"] = self.org_date(updated)
        return record

    def course_user(self, u: int, progress: Progress) -> Record:
        """Return a /courses/{id}/users row (the course is not in the row)."""
        basic = self.basic_user(u)
        return {
            "Id": basic["Id"],
            "UserName": basic["UserName"],
            "FirstName": basic["FirstName"],
            "LastName": basic["LastName"],
            "Completed": progress.completed,
            "PercentageComplete": progress.percentage,
            "CompliantTill": self.dotnet(progress.compliant_till),
            "DueDate": self.dotnet(progress.due),
            "AccessTillDate": self.dotnet(progress.access_till),
        }

    def org_result(self, c: int, u: int, progress: Progress) -> Record:
        """Return a /org/results/details row (`Id` is the course)."""
        return {
            "Id": self.state.course_id(c),
            "UserId": self.state.user_id(u),
            "Completed": progress.completed,
            "PercentageComplete": progress.percentage,
            "CompletedDate": self.dotnet(progress.completed_at),
            "UpdatedDate": self.org_date(progress.updated),
            "DueDate": self.dotnet(progress.due),
            "StartedDate": self.dotnet(progress.started),
            "LastAttemptDate": self.dotnet(progress.last_attempt),
        }
