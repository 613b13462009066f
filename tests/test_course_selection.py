"""The course_ids setting limits courses and course users to the chosen ones."""

from __future__ import annotations

from fake_litmos import FakeLitmos, SiteSpec
from tests.support import run_tap, tap_config

SPEC = SiteSpec(
    seed=9, users=300, teams=6, courses=8, big_team_members=0, big_course_users=0
)


def test_only_chosen_courses_and_their_users_are_synced_in_full_and_in_changes():
    with FakeLitmos(SPEC) as server:
        courses = [course["id"] for course in server.expected()["courses"]]
        chosen = courses[2:4]
        config = tap_config(server, course_ids=[*chosen, "no-such-course"])
        first = run_tap(config)
        first_calls = server.counters()["by_endpoint"]

        enrolled = {
            course: [
                e["user_id"]
                for e in server.expected()["course_users"]
                if e["course_id"] == course
            ]
            for course in (chosen[0], courses[5])
        }
        for course, users in enrolled.items():
            server.mutations.set_progress(course, users[0], 50, completed=False)
        second = run_tap(config, state=first.last_state)
        expected_keys = server.expected_keys("course_users")

    assert first.returncode == 0, first.stderr
    assert sorted(key[0] for key in first.keys("courses")) == sorted(chosen)
    assert set(first.keys("course_users")) == {
        key for key in expected_keys if key[0] in chosen
    }
    assert "/courses" not in first_calls
    assert first_calls["/courses/{id}"] == 3
    assert "no-such-course" in first.stderr

    assert second.returncode == 0, second.stderr
    changed = {(r["course_id"], r["user_id"]) for r in second.records("course_users")}
    assert (chosen[0], enrolled[chosen[0]][0]) in changed
    assert all(course in chosen for course, _ in changed)
