"""Auth, the source parameter, formats, routing and errors of the fake Litmos."""

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests

from fake_litmos import FakeLitmos, SiteSpec


def get(server, path, *, key="valid", **params):
    params = {"source": "tests", "format": "json", **params}
    headers = {}
    if key == "valid":
        headers["apikey"] = server.api_key
    elif key is not None:
        headers["apikey"] = key
    return requests.get(
        server.base_url + path, params=params, headers=headers, timeout=10
    )


def parse_xml(body):
    # The body comes from the fake on loopback, not from an untrusted party.
    return ET.fromstring(body)  # noqa: S314


def test_missing_api_key_is_401_with_detail(fake_litmos):
    response = get(fake_litmos, "/users", key=None)
    assert response.status_code == 401
    assert response.json()["Detail"]


def test_wrong_api_key_is_401(fake_litmos):
    assert get(fake_litmos, "/users", key="nope").status_code == 401


def test_api_key_in_query_string_is_refused(fake_litmos):
    response = get(fake_litmos, "/users", key=None, apikey=fake_litmos.api_key)
    assert response.status_code == 401


def test_valid_key_in_header_is_accepted(fake_litmos):
    assert get(fake_litmos, "/users").status_code == 200


def test_header_name_is_case_insensitive(fake_litmos):
    response = requests.get(
        fake_litmos.base_url + "/users",
        params={"source": "tests", "format": "json"},
        headers={"APIKEY": fake_litmos.api_key},
        timeout=10,
    )
    assert response.status_code == 200


def test_missing_source_is_400_with_detail(fake_litmos):
    response = get(fake_litmos, "/users", source=None)
    assert fake_litmos.source_required is True
    assert response.status_code == 400
    assert "source" in response.json()["Detail"]


def test_empty_source_is_400(fake_litmos):
    assert get(fake_litmos, "/users", source="").status_code == 400


def test_source_over_50_characters_is_400(fake_litmos):
    assert get(fake_litmos, "/users", source="s" * 50).status_code == 200
    assert get(fake_litmos, "/users", source="s" * 51).status_code == 400


def test_source_can_be_made_optional():
    with FakeLitmos(SiteSpec(users=20), source_required=False) as fake:
        assert fake.source_required is False
        assert get(fake, "/users", source=None).status_code == 200


def test_without_format_json_the_body_is_xml(fake_litmos):
    response = get(fake_litmos, "/users", format=None, limit=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    root = parse_xml(response.content)
    assert root.tag == "Users"
    assert [child.tag for child in root] == ["User"] * 5
    assert root[0].find("Id").text == get(fake_litmos, "/users").json()[0]["Id"]


def test_xml_single_record_and_error(fake_litmos):
    user_id = get(fake_litmos, "/users").json()[0]["Id"]
    one = get(fake_litmos, f"/users/{user_id}", format="xml")
    assert parse_xml(one.content).find("Id").text == user_id
    missing = get(fake_litmos, "/users/none-such", format=None)
    assert missing.status_code == 404
    assert parse_xml(missing.content).find("Detail").text


def test_json_lists_are_bare_arrays_and_items_bare_objects(fake_litmos):
    listed = get(fake_litmos, "/teams").json()
    assert isinstance(listed, list)
    one = get(fake_litmos, f"/teams/{listed[0]['Id']}").json()
    assert one == listed[0]


def test_wrap_lists_reading_wraps_json_lists():
    with FakeLitmos(SiteSpec(users=30), wrap_lists=True) as fake:
        users = get(fake, "/users").json()
        teams = get(fake, "/teams").json()
        assert list(users) == ["User"]
        assert list(teams) == ["Team"]
        assert isinstance(users["User"], list)
        one = get(fake, f"/users/{users['User'][0]['Id']}").json()
        assert one["Id"] == users["User"][0]["Id"]


def test_unknown_path_is_404(fake_litmos):
    assert get(fake_litmos, "/nothing").status_code == 404
    assert get(fake_litmos, "/users/details/extra").status_code == 404
    response = requests.get(
        fake_litmos.base_url.removesuffix("/v1.svc") + "/x", timeout=5
    )
    assert response.status_code == 404


def test_unknown_ids_are_404_with_detail(fake_litmos):
    for path in ("/users/nope", "/teams/nope", "/teams/nope/users", "/courses/nope"):
        response = get(fake_litmos, path)
        assert response.status_code == 404, path
        assert response.json()["Detail"]
    assert get(fake_litmos, "/courses/nope/users").status_code == 404


def test_ids_in_the_path_are_url_decoded(fake_litmos):
    user_id = fake_litmos._state.site.user_ids[1]
    assert user_id.startswith("-")
    encoded = "".join(f"%{ord(ch):02X}" for ch in user_id)
    response = get(fake_litmos, f"/users/{encoded}")
    assert response.status_code == 200
    assert response.json()["Id"] == user_id
    assert get(fake_litmos, f"/users/{quote(user_id)}").json()["Id"] == user_id


def test_only_get_is_allowed(fake_litmos):
    response = requests.post(
        fake_litmos.base_url + "/users",
        params={"source": "tests", "format": "json"},
        headers={"apikey": fake_litmos.api_key},
        timeout=10,
    )
    assert response.status_code == 405


def test_every_response_has_a_date_header_from_the_fake_clock(fake_litmos):
    before = parsedate_to_datetime(get(fake_litmos, "/users").headers["Date"])
    fake_litmos.clock.advance(3600)
    after = parsedate_to_datetime(get(fake_litmos, "/nothing").headers["Date"])
    assert 3590 <= (after - before).total_seconds() <= 3610
    assert abs((after - fake_litmos.clock.now()).total_seconds()) < 5
    assert get(fake_litmos, "/users", key=None).headers["Date"]


def test_keep_alive_connections_are_reused(fake_litmos):
    with requests.Session() as session:
        session.headers["apikey"] = fake_litmos.api_key
        for _ in range(5):
            response = session.get(
                fake_litmos.base_url + "/teams",
                params={"source": "tests", "format": "json"},
                timeout=10,
            )
            assert response.status_code == 200
        assert response.headers.get("Connection", "keep-alive") != "close"
