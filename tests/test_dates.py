"""The date parser reads every form Litmos sends and never crashes on others."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_litmos.dates import (
    UnparseableDateError,
    format_query_date,
    format_rfc3339,
    normalize_date,
    parse_litmos_date,
    parse_setting_date,
)

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1632182400000-0700)/", "2021-09-21T00:00:00Z"),
        ("/Date(1632182400000+0000)/", "2021-09-21T00:00:00Z"),
        ("/Date(1632182400000)/", "2021-09-21T00:00:00Z"),
        ("/Date(-86400000)/", "1969-12-31T00:00:00Z"),
        ("2016-12-09T07:54:27Z", "2016-12-09T07:54:27Z"),
        ("2016-12-09T07:54:27+0000", "2016-12-09T07:54:27Z"),
        ("2016-12-09T09:54:27+02:00", "2016-12-09T07:54:27Z"),
        ("2021-09-20T19:19:55.847", "2021-09-20T19:19:55.847000Z"),
        ("2021-09-20T19:19:55.8470000", "2021-09-20T19:19:55.847000Z"),
        ("2021-09-20 19:19:55", "2021-09-20T19:19:55Z"),
        (1632182400000, "2021-09-21T00:00:00Z"),
    ],
)
def test_every_litmos_date_form_becomes_rfc3339_utc(value, expected):
    assert normalize_date(value) == expected


def test_dotnet_offset_is_a_display_hint_that_does_not_shift_the_instant():
    west = parse_litmos_date("/Date(1632182400000-0700)/")
    east = parse_litmos_date("/Date(1632182400000+0530)/")
    assert west == east == dt.datetime(2021, 9, 21, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_values_mean_no_date(value):
    assert normalize_date(value) is None


@pytest.mark.parametrize(
    "value",
    ["yesterday", "/Date(abc)/", "2021-13-45", True, {"a": 1}, [1], "31/12/2021"],
)
def test_values_that_are_not_dates_are_reported(value):
    with pytest.raises(UnparseableDateError):
        parse_litmos_date(value)


def test_query_dates_are_written_in_utc_with_seconds():
    instant = dt.datetime(
        2024, 3, 1, 14, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    assert format_query_date(instant) == "2024-03-01 12:05:09"


def test_settings_dates_without_zone_are_utc():
    assert parse_setting_date("2024-01-31") == dt.datetime(2024, 1, 31, tzinfo=UTC)


@given(st.datetimes(timezones=st.just(UTC)))
def test_rfc3339_output_reads_back_as_the_same_instant(instant):
    assert parse_litmos_date(format_rfc3339(instant)) == instant


@given(
    st.integers(min_value=-(10**13), max_value=10**14),
    st.sampled_from(["", "+0000", "-0700", "+1245"]),
)
def test_dotnet_dates_are_their_milliseconds(milliseconds, offset):
    parsed = parse_litmos_date(f"/Date({milliseconds}{offset})/")
    assert parsed is not None
    assert round(parsed.timestamp() * 1000) == milliseconds


@given(st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
def test_any_input_either_parses_or_raises_the_documented_error(value):
    try:
        parsed = parse_litmos_date(value)
    except UnparseableDateError:
        return
    assert parsed is None or parsed.tzinfo is not None
