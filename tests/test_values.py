"""Record building turns loose Litmos values into the schema's types."""

from __future__ import annotations

import logging

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_litmos import schemas
from tap_litmos.shapes import MissingKeyError
from tap_litmos.streams import STREAM_TYPES, UsersStream
from tap_litmos.values import to_boolean, to_integer, to_name, to_number, to_text_list

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=6,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("true", True),
        ("False", False),
        (1, True),
        (0, False),
        ("", None),
        ("x", None),
        (2, None),
    ],
)
def test_booleans_are_read_from_words_and_bits(value, expected):
    assert to_boolean(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("42", 42), (4.0, 4), (4.5, None), ("", None), (True, None)],
)
def test_integers_accept_numeric_strings(value, expected):
    assert to_integer(value) == expected


def test_numbers_keep_decimals_and_reject_non_finite():
    assert to_number("19.99") == 19.99
    assert to_number(float("nan")) is None
    assert to_number("abc") is None


def test_names_have_html_entities_decoded():
    assert to_name("Health &amp; Safety") == "Health & Safety"
    assert to_name("O&#39;Brien") == "O'Brien"
    assert to_name("") is None


def test_tags_arrive_as_lists_or_comma_separated_text():
    assert to_text_list("a, b,,c") == ["a", "b", "c"]
    assert to_text_list([{"Name": "x"}, "y", 3]) == ["x", "y", "3"]
    assert to_text_list(None) is None


def test_credentials_are_never_emitted():
    shape = UsersStream.list_shape
    record = shape.build(
        {"Id": "u1", "LoginKey": "https://x/login?key=secret", "Password": ""}
    )
    assert "login_key" not in record
    assert "password" not in record


def test_unknown_fields_are_kept_in_snake_case():
    record = UsersStream.list_shape.build(
        {"Id": "u1", "FavouriteColour": "blue", "HiredOn": "/Date(0)/", "Empty": ""}
    )
    assert record["favourite_colour"] == "blue"
    assert record["hired_on"] == "1970-01-01T00:00:00Z"
    assert record["empty"] is None


def test_username_spelling_drift_lands_in_one_property():
    assert (
        UsersStream.list_shape.build({"Id": "u", "Username": "a"})["user_name"] == "a"
    )


def test_a_row_without_its_key_is_refused():
    with pytest.raises(MissingKeyError):
        UsersStream.list_shape.build({"UserName": "nobody"})
    with pytest.raises(MissingKeyError):
        UsersStream.list_shape.build({"Id": ""})


def test_an_unparseable_date_becomes_null_with_one_warning_per_field(caplog):
    shape = schemas.shape("probe", schemas.USER_FIELDS, ("id",))
    with caplog.at_level(logging.WARNING, logger="tap-litmos"):
        first = shape.build({"Id": "a", "LastLogin": "not a date"})
        second = shape.build({"Id": "b", "LastLogin": "still not"})
    assert first["last_login"] is None
    assert second["last_login"] is None
    warnings = [r for r in caplog.records if "last_login" in r.getMessage()]
    assert len(warnings) == 1


SHAPES = [
    (stream_type, shape_name)
    for stream_type in STREAM_TYPES
    for shape_name in ("list_shape", "children_shape", "change_shape")
    if hasattr(stream_type, shape_name)
]


@pytest.mark.parametrize(("stream_type", "shape_name"), SHAPES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_row_builds_a_record_that_fits_the_schema(stream_type, shape_name, data):
    shape = getattr(stream_type, shape_name)
    names = [known.litmos_name for known in shape.fields]
    row = data.draw(st.dictionaries(st.sampled_from([*names, "Extra"]), JSON_VALUES))
    fixed = {key: "parent" for key in stream_type.primary_keys if key not in shape.keys}
    try:
        record = shape.build(row, **fixed)
    except MissingKeyError:
        return
    jsonschema.validate(record, stream_type.schema)
