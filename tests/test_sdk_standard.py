"""The Singer SDK's standard tap tests, run against the fake Litmos site.

The SDK builds the test class when this module is imported, and its settings
must point at a running server then, so the fake site starts at import and
stops when the module's tests are done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from fake_litmos import FakeLitmos, SiteSpec
from tap_litmos.tap import TapLitmos
from tests.support import tap_config

if TYPE_CHECKING:
    from collections.abc import Iterator

SERVER = FakeLitmos(
    SiteSpec(
        seed=3, users=240, teams=12, courses=8, big_team_members=0, big_course_users=0
    )
).start()

TestTapLitmos = get_tap_test_class(
    tap_class=TapLitmos,
    config=tap_config(SERVER),
    # Enough records that every stream's sample spans several parents, while
    # each test stays a fraction of a second.
    suite_config=SuiteConfig(max_records_limit=400),
)


@pytest.fixture(scope="module", autouse=True)
def _stop_server_after_module() -> Iterator[None]:
    yield
    SERVER.stop()
