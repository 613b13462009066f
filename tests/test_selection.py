"""Catalog selection and stream maps behave as in any SDK tap."""

from __future__ import annotations

import json

import pytest

from fake_litmos import FakeLitmos, SiteSpec
from tests.support import run_tap, tap_config

SPEC = SiteSpec(
    seed=5, users=300, teams=8, courses=6, big_team_members=0, big_course_users=0
)


@pytest.fixture(scope="module")
def server():
    with FakeLitmos(SPEC) as fake:
        yield fake


def _catalog_selecting(server, *streams):
    discovered = run_tap(tap_config(server), args=("--discover",))
    assert discovered.returncode == 0, discovered.stderr
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def test_a_child_stream_selected_alone_lists_its_parents_itself(server):
    catalog = _catalog_selecting(server, "team_members")
    server.reset_counters()
    run = run_tap(tap_config(server), catalog=catalog)
    calls = server.counters()["by_endpoint"]
    assert run.returncode == 0, run.stderr
    emitted = {m["stream"] for m in run.messages if m["type"] == "RECORD"}
    assert emitted == {"team_members"}
    assert set(run.keys("team_members")) == server.expected_keys("team_members")
    assert calls == {"/teams": 1, "/teams/{id}/users": SPEC.teams}


def test_stream_maps_remove_and_derive_properties(server):
    maps = {
        "users": {
            "email": "__NULL__",
            "email_domain": "email.split('@')[-1] if email else None",
        }
    }
    run = run_tap(tap_config(server, stream_maps=maps))
    assert run.returncode == 0, run.stderr
    users = run.records("users")
    assert users
    assert all("email" not in user for user in users)
    expected = {u["id"]: u["email"] for u in server.expected()["users"]}
    for user in users:
        email = expected[user["id"]]
        assert user["email_domain"] == (email.split("@")[-1] if email else None)
