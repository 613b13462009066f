"""Meltano runs tap-litmos into PostgreSQL: a full load, then incremental ones.

One fake Litmos site serves the whole module. The first `meltano run` loads it
in full, the second right after must read only the date-range endpoints, and a
third follows changes made to the site. Meltano keeps its system database, and
so the state, in PostgreSQL too.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from fake_litmos import FakeLitmos, SiteSpec
from tests.e2e_support import (
    STREAM_SCHEMAS,
    SYSTEM_DATABASE,
    Snapshot,
    connect,
    differences,
    drop_schema,
    ensure_database,
    meltano,
    meltano_env,
    snapshot,
)
from tests.support import PRIMARY_KEYS, STREAMS

pytestmark = pytest.mark.e2e

# Big enough that the big team and the big course span several pages of
# PAGE_SIZE, small enough that a run takes seconds.
SPEC = SiteSpec(
    users=300,
    teams=15,
    courses=10,
    members_per_team=12,
    users_per_course=15,
    big_team_members=260,
    big_course_users=240,
)
PAGE_SIZE = 100

LIST_ENDPOINTS = {
    "/users/details",
    "/teams",
    "/teams/{id}/users",
    "/courses",
    "/courses/{id}/users",
}
CHANGE_ENDPOINTS = {
    "/org/users/details",
    "/org/teams",
    "/org/teams/users",
    "/org/courses",
    "/org/results/details",
}


@dataclass
class Load:
    """One `meltano run`: what PostgreSQL held and the fake served after it."""

    tables: Snapshot
    counters: dict[str, Any]
    expected: dict[str, list[dict[str, Any]]]
    seconds: float


@dataclass
class Pipeline:
    """The fake site, the target schema and the state id of this module's runs."""

    site: FakeLitmos
    schema: str
    state_suffix: str
    env: dict[str, str]
    loads: list[Load] = field(default_factory=list)

    @property
    def state_id(self) -> str:
        """The id Meltano gives this pipeline's state."""
        return f"dev:tap-litmos-to-target-postgres:{self.state_suffix}"

    def run(self) -> Load:
        """Run tap-litmos into target-postgres once and read the outcome."""
        self.site.reset_counters()
        args = ("run", "--state-id-suffix", self.state_suffix)
        done = meltano(*args, "tap-litmos", "target-postgres", env=self.env).check()
        load = Load(
            snapshot(self.schema),
            self.site.counters(),
            self.site.expected(),
            done.seconds,
        )
        self.loads.append(load)
        return load


@dataclass
class Changes:
    """What was changed on the site between the second and third runs."""

    added_user: str
    renamed_user: str
    deactivated_user: str
    joined: tuple[str, str]
    left: tuple[str, str]
    progressed: tuple[str, str]
    completed: tuple[str, str]
    added_course: str


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    ensure_database(SYSTEM_DATABASE)
    meltano("install", env=meltano_env(), timeout=600).check()


@pytest.fixture(scope="module")
def site():
    with FakeLitmos(SPEC, api_key="e2e-key", rate_limit=None) as server:
        yield server


@pytest.fixture(scope="module")
def pipeline(meltano_installed, site):
    del meltano_installed  # the plugins are installed before any run
    suffix = uuid.uuid4().hex[:12]
    schema = f"e2e_{suffix}"
    env = meltano_env(site, schema=schema, TAP_LITMOS_PAGE_SIZE=str(PAGE_SIZE))
    pipe = Pipeline(site, schema, suffix, env)
    yield pipe
    drop_schema(schema)
    meltano("state", "clear", "--force", pipe.state_id, env=env).check()


@pytest.fixture(scope="module")
def first(pipeline) -> Load:
    return pipeline.run()


@pytest.fixture(scope="module")
def second(pipeline, first) -> Load:
    assert pipeline.loads == [first]
    return pipeline.run()


@pytest.fixture(scope="module")
def changes(site, second) -> Changes:
    expected = second.expected
    users = [row["id"] for row in expected["users"] if row["active"]]
    big_team = max(
        (row["id"] for row in expected["teams"]),
        key=lambda team: sum(m["team_id"] == team for m in expected["team_members"]),
    )
    left = next(
        (m["team_id"], m["user_id"])
        for m in expected["team_members"]
        if m["team_id"] != big_team
    )
    unfinished = [
        (row["course_id"], row["user_id"])
        for row in expected["course_users"]
        if not row["completed"]
    ]
    renamed, deactivated = [u for u in users[10:20] if u != left[1]][:2]
    mutations = site.mutations
    added_user = mutations.add_user(first_name="Nia", last_name="O&#39;Hara")
    mutations.rename_user(renamed, first_name="Renée", last_name="Okafor")
    mutations.deactivate_user(deactivated)
    mutations.add_member(big_team, added_user)
    mutations.remove_member(*left)
    mutations.set_progress(*unfinished[0], percentage=62.5, completed=False)
    mutations.set_progress(*unfinished[1], percentage=100, completed=True)
    added_course = mutations.add_course(name="Ladders &amp; Heights")
    return Changes(
        added_user=added_user,
        renamed_user=renamed,
        deactivated_user=deactivated,
        joined=(big_team, added_user),
        left=left,
        progressed=unfinished[0],
        completed=unfinished[1],
        added_course=added_course,
    )


@pytest.fixture(scope="module")
def third(pipeline, changes) -> Load:
    del changes  # made before this run
    return pipeline.run()


def keys(rows: list[dict[str, Any]], stream: str) -> list[tuple[Any, ...]]:
    names = PRIMARY_KEYS[stream]
    return [tuple(row[name] for name in names) for row in rows]


# The first run: everything, from the plain lists.


@pytest.mark.parametrize("stream", STREAMS)
def test_first_run_loads_exactly_the_rows_of_the_site(first, stream):
    loaded = keys(first.tables.rows[stream], stream)
    assert len(loaded) == len(first.expected[stream])
    assert set(loaded) == set(keys(first.expected[stream], stream))


@pytest.mark.parametrize("stream", STREAMS)
def test_first_run_loads_every_value_of_every_row(first, stream):
    problems = differences(stream, first.expected[stream], first.tables.by_key(stream))
    assert problems == [], "\n".join(problems[:20])


COLUMN_TYPES = {
    "string": "text",
    "boolean": "boolean",
    "integer": "bigint",
    "number": "numeric",
    "array": "ARRAY",
}


@pytest.mark.parametrize("stream", STREAMS)
def test_columns_take_the_types_of_the_stream_schema(first, stream):
    columns = first.tables.column_types[stream]
    for name, prop in STREAM_SCHEMAS[stream]["properties"].items():
        kind = (
            next(t for t in prop["type"] if t != "null")
            if isinstance(prop["type"], list)
            else prop["type"]
        )
        want = (
            "timestamp without time zone"
            if prop.get("format") == "date-time"
            else COLUMN_TYPES[kind]
        )
        assert columns.get(name) == want, name


@pytest.mark.usefixtures("first")
def test_tables_have_the_stream_primary_keys(pipeline):
    with connect() as conn:
        found = conn.execute(
            """
            SELECT tc.table_name, array_agg(kcu.column_name::text
                                            ORDER BY kcu.ordinal_position) AS keys
            FROM information_schema.table_constraints tc
            JOIN information_schema.key_column_usage kcu
              ON kcu.constraint_name = tc.constraint_name
             AND kcu.table_schema = tc.table_schema
            WHERE tc.table_schema = %s AND tc.constraint_type = 'PRIMARY KEY'
            GROUP BY tc.table_name
            """,
            (pipeline.schema,),
        ).fetchall()
    assert {row["table_name"]: tuple(row["keys"]) for row in found} == PRIMARY_KEYS


@pytest.mark.parametrize(
    ("stream", "column"),
    [
        ("users", "created_date"),
        ("users", "last_login"),
        ("course_users", "compliant_till"),
        ("course_users", "access_till_date"),
    ],
)
def test_dates_load_as_utc_timestamps(first, stream, column):
    names = PRIMARY_KEYS[stream]
    dated = [row for row in first.expected[stream] if row[column]]
    assert dated
    loaded = first.tables.by_key(stream)
    for row in dated:
        value = loaded[tuple(row[name] for name in names)][column]
        instant = datetime.fromisoformat(row[column].replace("Z", "+00:00"))
        assert isinstance(value, datetime)
        assert value.tzinfo is None
        assert value == instant.astimezone(timezone.utc).replace(tzinfo=None)


def test_html_entities_arrive_decoded(first):
    names = [row["name"] for row in first.tables.rows["courses"]]
    names += [row["name"] for row in first.tables.rows["teams"]]
    for row in first.tables.rows["users"]:
        names += [row["first_name"], row["last_name"], row["full_name"]]
        names += [row["company_name"], row["job_title"]]
    texts = [name for name in names if name]
    assert not [t for t in texts if "&amp;" in t or "&#39;" in t]
    assert any("&" in t for t in texts)
    assert any("'" in t for t in texts)


def test_empty_strings_load_as_null(first):
    for stream in STREAMS:
        rows = first.tables.rows[stream]
        assert not [(stream, r) for r in rows for v in r.values() if v == ""]
    # A user who never logged in has "" there on the wire.
    assert any(row["last_login"] is None for row in first.tables.rows["users"])
    assert any(row["last_login"] is not None for row in first.tables.rows["users"])


def test_numbers_load_as_integers_and_decimals(first):
    courses = first.tables.rows["courses"]
    assert all(isinstance(row["original_id"], int) for row in courses)
    assert all(isinstance(row["price"], Decimal) for row in courses)
    progress = [row["percentage_complete"] for row in first.tables.rows["course_users"]]
    assert all(isinstance(value, Decimal) for value in progress if value is not None)
    assert {value for value in progress if value is not None} != {Decimal(0)}
    points = [row["points"] for row in first.tables.rows["users"]]
    assert all(isinstance(value, int) for value in points if value is not None)


def test_child_rows_carry_their_parent_ids(first):
    tables = first.tables
    team_ids = {row["id"] for row in tables.rows["teams"]}
    course_ids = {row["id"] for row in tables.rows["courses"]}
    user_ids = {row["id"] for row in tables.rows["users"]}
    members = tables.rows["team_members"]
    enrolments = tables.rows["course_users"]
    assert {row["team_id"] for row in members} <= team_ids
    assert {row["user_id"] for row in members} <= user_ids
    assert {row["course_id"] for row in enrolments} <= course_ids
    assert {row["user_id"] for row in enrolments} <= user_ids
    # The big team and the big course came in three pages each; a team and a
    # course without anyone hold no rows.
    per_team = [sum(m["team_id"] == t for m in members) for t in team_ids]
    per_course = [sum(e["course_id"] == c for e in enrolments) for c in course_ids]
    assert max(per_team) > 2 * PAGE_SIZE
    assert max(per_course) > 2 * PAGE_SIZE
    assert min(per_team) == min(per_course) == 0


def test_inactive_users_are_loaded_but_not_as_team_members(first):
    inactive = {row["id"] for row in first.tables.rows["users"] if not row["active"]}
    assert inactive
    assert inactive == {
        row["id"] for row in first.expected["users"] if not row["active"]
    }
    members = {row["user_id"] for row in first.tables.rows["team_members"]}
    assert not inactive & members


def test_first_run_reads_the_plain_lists_page_by_page(first):
    calls = first.counters["by_endpoint"]
    assert set(calls) == LIST_ENDPOINTS
    assert calls["/users/details"] >= math.ceil(SPEC.users / PAGE_SIZE)
    # One call per team, and more for the team of several pages.
    assert calls["/teams/{id}/users"] > SPEC.teams
    assert calls["/courses/{id}/users"] > SPEC.courses


# The second run, right after: changes only, and there are none.


def test_second_run_reads_only_the_date_range_endpoints(second):
    calls = second.counters["by_endpoint"]
    assert set(calls) == CHANGE_ENDPOINTS
    assert second.counters["requests_total"] <= 2 * len(CHANGE_ENDPOINTS)


@pytest.mark.parametrize("stream", STREAMS)
def test_second_run_leaves_every_row_as_it_was(first, second, stream):
    loaded = keys(second.tables.rows[stream], stream)
    assert len(loaded) == len(set(loaded)) == first.tables.count(stream)
    assert set(loaded) == set(keys(first.tables.rows[stream], stream))
    problems = differences(stream, first.expected[stream], second.tables.by_key(stream))
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.usefixtures("second")
def test_state_is_kept_in_the_postgres_system_database(pipeline):
    with connect(SYSTEM_DATABASE) as conn:
        row = conn.execute(
            "SELECT completed_state FROM state WHERE state_id = %s",
            (pipeline.state_id,),
        ).fetchone()
    assert row is not None
    state = row["completed_state"]
    if isinstance(state, str):
        state = json.loads(state)
    bookmarks = state["singer_state"]["bookmarks"]
    assert set(bookmarks) == set(STREAMS)
    assert all(b["replication_key"] == "updated_date" for b in bookmarks.values())


# The third run follows changes made to the site.


def test_changes_are_read_through_the_date_range_endpoints_only(third):
    calls = third.counters["by_endpoint"]
    assert set(calls) == CHANGE_ENDPOINTS
    assert third.counters["requests_total"] <= 2 * len(CHANGE_ENDPOINTS)


def test_added_user_is_loaded(third, changes):
    user = third.tables.by_key("users")[(changes.added_user,)]
    assert (user["first_name"], user["last_name"]) == ("Nia", "O'Hara")
    assert user["active"] is True
    assert user["created_date"] is not None


def test_renamed_user_carries_the_new_name(second, third, changes):
    before = second.tables.by_key("users")[(changes.renamed_user,)]
    after = third.tables.by_key("users")[(changes.renamed_user,)]
    assert before["first_name"] != "Renée"
    assert (after["first_name"], after["last_name"]) == ("Renée", "Okafor")
    assert after["full_name"] == "Renée Okafor"
    assert after["email"] == before["email"]


def test_deactivated_user_stays_as_inactive(second, third, changes):
    assert second.tables.by_key("users")[(changes.deactivated_user,)]["active"]
    user = third.tables.by_key("users")[(changes.deactivated_user,)]
    assert user["active"] is False


def test_added_membership_is_loaded(third, changes):
    member = third.tables.by_key("team_members")[changes.joined]
    assert member["active"] is True


def test_removed_membership_is_kept_as_inactive(second, third, changes):
    assert second.tables.by_key("team_members")[changes.left]["active"] is True
    member = third.tables.by_key("team_members")[changes.left]
    assert member["active"] is False
    assert member["updated_date"] is not None


def test_team_members_keep_one_row_per_membership(second, third):
    loaded = keys(third.tables.rows["team_members"], "team_members")
    assert len(loaded) == len(set(loaded)) == second.tables.count("team_members") + 1


def test_course_progress_is_updated(second, third, changes):
    before = second.tables.by_key("course_users")
    after = third.tables.by_key("course_users")
    assert before[changes.progressed]["percentage_complete"] != Decimal("62.5")
    progressed = after[changes.progressed]
    assert progressed["percentage_complete"] == Decimal("62.5")
    assert progressed["completed"] is False
    assert before[changes.completed]["completed"] is False
    completed = after[changes.completed]
    assert completed["completed"] is True
    assert completed["percentage_complete"] == 100
    assert completed["completed_date"] is not None


def test_added_course_is_loaded(third, changes):
    course = third.tables.by_key("courses")[(changes.added_course,)]
    assert course["name"] == "Ladders & Heights"


@pytest.mark.parametrize("stream", ["users", "teams", "courses", "course_users"])
def test_tables_match_the_changed_site(third, stream):
    loaded = keys(third.tables.rows[stream], stream)
    assert len(loaded) == len(set(loaded)) == len(third.expected[stream])
    problems = differences(stream, third.expected[stream], third.tables.by_key(stream))
    assert problems == [], "\n".join(problems[:20])


# What target-postgres makes of a schema that allows further properties.


@pytest.fixture
def scratch_schema():
    schema = f"e2e_{uuid.uuid4().hex[:12]}_extra"
    yield schema
    drop_schema(schema)


def singer_lines(*messages: dict[str, Any]) -> str:
    return "".join(json.dumps(message) + "\n" for message in messages)


def load_directly(schema: str, properties: dict[str, Any], record: dict[str, Any]):
    messages = singer_lines(
        {
            "type": "SCHEMA",
            "stream": "extras",
            "key_properties": ["id"],
            "schema": {
                "type": "object",
                "properties": properties,
                "required": ["id"],
                "additionalProperties": True,
            },
        },
        {"type": "RECORD", "stream": "extras", "record": record},
    )
    env = meltano_env(schema=schema)
    meltano("invoke", "target-postgres", env=env, stdin=messages).check()


@pytest.mark.usefixtures("meltano_installed")
def test_target_postgres_loads_only_the_properties_a_schema_declares(scratch_schema):
    declared = {"id": {"type": "string"}, "name": {"type": ["string", "null"]}}
    load_directly(scratch_schema, declared, {"id": "a", "name": "A", "later": "x"})
    first = snapshot(scratch_schema, ("extras",))
    assert "later" not in first.column_types["extras"]
    assert first.by_column("extras", "id")["a"]["name"] == "A"

    # Declaring the property later adds the column; older rows hold NULL there.
    declared["later"] = {"type": ["string", "null"]}
    load_directly(scratch_schema, declared, {"id": "b", "name": "B", "later": "y"})
    second = snapshot(scratch_schema, ("extras",))
    rows = second.by_column("extras", "id")
    assert second.column_types["extras"]["later"] == "text"
    assert (rows["a"]["later"], rows["b"]["later"]) == (None, "y")
