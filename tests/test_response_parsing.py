"""Response bodies of any shape are read into rows or refused as retriable."""

from __future__ import annotations

import json

import requests
from hypothesis import given
from hypothesis import strategies as st
from singer_sdk.exceptions import RetriableAPIError

from tap_litmos.client import _decode_items

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _response(body: bytes, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.headers["Content-Type"] = content_type
    response.url = "https://api.litmos.com/v1.svc/users"
    return response


@given(JSON)
def test_any_json_body_becomes_a_list_of_objects(payload):
    items = _decode_items(_response(json.dumps(payload).encode()), "/users")
    assert isinstance(items, list)
    assert all(isinstance(item, dict) for item in items)


@given(st.binary(max_size=200))
def test_any_bytes_either_parse_or_are_refused_as_retriable(body):
    try:
        items = _decode_items(_response(body), "/users")
    except RetriableAPIError as error:
        message = str(error)
    else:
        assert all(isinstance(item, dict) for item in items)
        return
    assert "/users" in message


@given(
    st.lists(st.dictionaries(st.sampled_from(["Id", "Name"]), st.text()), max_size=5)
)
def test_lists_read_the_same_bare_or_wrapped(rows):
    bare = _decode_items(_response(json.dumps(rows).encode()), "/teams")
    wrapped = _decode_items(_response(json.dumps({"Team": rows}).encode()), "/teams")
    assert bare == wrapped == rows


def test_a_single_object_is_one_row():
    assert _decode_items(_response(b'{"Id": "a"}'), "/users/a") == [{"Id": "a"}]


def test_an_html_page_on_a_200_is_retriable():
    body = b"<html><body>Runtime Error</body></html>"
    for content_type in ("text/html", "application/json"):
        try:
            _decode_items(_response(body, content_type), "/users")
        except RetriableAPIError:
            continue
        raise AssertionError(content_type)
