"""Shared fixtures."""

from collections.abc import Iterator

import pytest

from fake_litmos import FakeLitmos, SiteSpec


@pytest.fixture
def fake_litmos() -> Iterator[FakeLitmos]:
    """A small default fake Litmos site, served on a free loopback port."""
    with FakeLitmos(SiteSpec()) as server:
        yield server
