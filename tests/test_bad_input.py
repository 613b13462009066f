"""Odd rows from Litmos never stop a sync; invalid settings never reach Litmos."""

import jsonschema
import pytest

from fake_litmos import FakeLitmos, SiteSpec
from tests.support import run_tap, tap_config

SPEC = SiteSpec(
    users=30,
    teams=3,
    courses=2,
    members_per_team=5,
    users_per_course=5,
    big_team_members=12,
    big_course_users=8,
)

# Values of the wrong type for fields the users schema knows: the property
# each becomes, the value sent, and what the tap must make of it (the type
# the schema declares, or null).
ODD_VALUES = {
    "Points": ("points", "lots", None),
    "Active": ("active", "yes", True),
    "OriginalId": ("original_id", "17", 17),
    "FirstName": ("first_name", 42, "42"),
    "Email": ("email", {"address": "a@example.com"}, None),
    "DisableMessages": ("disable_messages", 1, True),
    "CustomField1": ("custom_field1", ["a", "b"], None),
    "Street1": ("street1", 3.5, "3.5"),
    "IsCustomUsername": ("is_custom_username", "perhaps", None),
}


class Corruption:
    """Rewrites chosen rows of the fake's pages, as a real site might send them."""

    def __init__(self, server):
        expected = server.expected()
        user_ids = [row["id"] for row in expected["users"]]
        self.keyless_users = set(user_ids[3:7])
        self.odd_user = user_ids[8]
        self.bad_created_dates = set(user_ids[10:14])
        self.bad_last_login = user_ids[15]
        member = expected["team_members"][0]
        self.keyless_member = (member["team_id"], member["user_id"])
        self.team_ids = {row["id"] for row in expected["teams"]}
        self.key_removals = 0

    def __call__(self, endpoint, row):
        row = dict(row)
        user_id = row.get("Id")
        if endpoint == "/users/details":
            self._rewrite_user(user_id, row)
        elif endpoint == "/teams/{id}/users" and user_id == self.keyless_member[1]:
            # The fake does not tell the hook which team the page is for; the
            # member is dropped from every team it is in.
            del row["Id"]
        return row

    def _rewrite_user(self, user_id, row):
        if user_id in self.keyless_users:
            # Missing, empty and null keys: all three are rows without a key.
            variant = sorted(self.keyless_users).index(user_id) % 3
            if variant == 0:
                del row["Id"]
            else:
                row["Id"] = "" if variant == 1 else None
        elif user_id == self.odd_user:
            row.update({name: odd for name, (_, odd, _) in ODD_VALUES.items()})
        elif user_id in self.bad_created_dates:
            row["CreatedDate"] = "not a date"
        elif user_id == self.bad_last_login:
            row["LastLogin"] = "31/31/2020 25:61"


@pytest.fixture(scope="module")
def corrupted_sync():
    with FakeLitmos(SPEC, rate_limit=None) as server:
        corruption = Corruption(server)
        server.set_row_hook(corruption)
        run = run_tap(tap_config(server))
        members = server.expected_keys("team_members")
    return run, corruption, members


def warnings_of(run):
    return [line for line in run.stderr.splitlines() if "| WARNING" in line]


def test_rows_without_their_key_are_skipped_and_counted_in_one_warning(
    corrupted_sync,
):
    run, corruption, members = corrupted_sync
    assert run.returncode == 0, run.stderr[-3000:]

    emitted = {key[0] for key in run.keys("users")}
    assert not emitted & corruption.keyless_users
    assert len(run.keys("users")) == SPEC.users - len(corruption.keyless_users)
    skipped_users = [
        line for line in warnings_of(run) if "Stream 'users': skipped" in line
    ]
    assert len(skipped_users) == 1
    assert "skipped 4 rows without id" in skipped_users[0]

    user_id = corruption.keyless_member[1]
    lost = {key for key in members if key[1] == user_id}
    assert set(run.keys("team_members")) == members - lost
    skipped_members = [
        line for line in warnings_of(run) if "Stream 'team_members': skipped" in line
    ]
    assert len(skipped_members) == 1
    assert (
        f"skipped {len(lost)} rows without team_id and user_id" in (skipped_members[0])
    )


def test_values_of_unexpected_types_become_the_schema_type_or_null(corrupted_sync):
    run, corruption, _ = corrupted_sync
    assert run.returncode == 0, run.stderr[-3000:]

    (odd,) = [r for r in run.records("users") if r["id"] == corruption.odd_user]
    for name, (prop, _, converted) in ODD_VALUES.items():
        assert odd[prop] == converted, name

    schemas = {
        message["stream"]: message["schema"]
        for message in run.messages
        if message["type"] == "SCHEMA"
    }
    for stream, schema in schemas.items():
        validator = jsonschema.Draft7Validator(schema)
        for record in run.records(stream):
            errors = [error.message for error in validator.iter_errors(record)]
            assert errors == [], (stream, record.get("id"), errors)


def test_an_unparseable_date_becomes_null_with_one_warning_per_field(
    corrupted_sync,
):
    run, corruption, _ = corrupted_sync
    assert run.returncode == 0, run.stderr[-3000:]

    users = {record["id"]: record for record in run.records("users")}
    for user_id in corruption.bad_created_dates:
        assert users[user_id]["created_date"] is None
    assert users[corruption.bad_last_login]["last_login"] is None
    # Good dates around them are still read.
    assert users[corruption.odd_user]["created_date"].endswith("Z")

    date_warnings = [line for line in warnings_of(run) if "is not a date" in line]
    fields = sorted(
        next(name for name in ("created_date", "last_login") if name in line)
        for line in date_warnings
    )
    assert fields == ["created_date", "last_login"]


# Each case: the settings changed (None removes one) and the setting the
# error must name.
BAD_SETTINGS = {
    "region": ({"api_url": None, "region": "mars"}, "region"),
    "http_api_url": ({"api_url": "http://api.litmos.com/v1.svc"}, "api_url"),
    "start_date": ({"start_date": "yesterday"}, "start_date"),
    "impossible_start_date": ({"start_date": "2024-13-45"}, "start_date"),
    "page_size_zero": ({"page_size": 0}, "page_size"),
    "page_size_too_large": ({"page_size": 1001}, "page_size"),
    "course_id": ({"course_ids": ["ab/cd"]}, "course_ids"),
    "api_key_missing": ({"api_key": None}, "api_key"),
    "source_missing": ({"source": None}, "source"),
    "source_too_long": ({"source": "s" * 51}, "source"),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_invalid_settings_are_rejected_before_the_first_call(case):
    changes, setting = BAD_SETTINGS[case]
    with FakeLitmos(SPEC, rate_limit=None) as server:
        config = tap_config(server)
        for name, value in changes.items():
            if value is None:
                del config[name]
            else:
                config[name] = value
        run = run_tap(config)
        counters = server.counters()

    assert run.returncode != 0
    assert counters["requests_total"] == 0
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    naming = [line for line in errors if setting in line]
    assert len(naming) == 1, errors
    assert "Traceback" not in run.stderr
