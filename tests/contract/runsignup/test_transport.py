"""Transport of the RunSignup dialect on the wire: paths, body encodings, formats, HTTP-level
errors as envelopes, the body limit, and hostile XML."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.contract.runsignup.conftest import error_of, parse, race_doc, to_xml


@pytest.mark.parametrize(
    "path", ["/rest/race", "/rest/race/", "/Rest/Race/", "/REST/race", "/REST/RACE//"]
)
def test_every_path_form_creates(rsu, path):
    response = rsu.post_race(race_doc(), path=path)
    assert response.json()["race"]["url_string"] == "MyRaceUrl"


@pytest.mark.parametrize("path", ["/rest/race/{id}", "/Rest/Race/{id}/", "/REST/RACE/{id}"])
def test_every_path_form_reads(rsu, path):
    race = rsu.create()
    response = rsu.client.get(path.format(id=race["race_id"]), params={"format": "json"})
    assert response.json()["race"]["race_id"] == race["race_id"]
    by_query = rsu.client.get("/rest/race/", params={"race_id": race["race_id"], "format": "JSON"})
    assert by_query.json()["race"]["race_id"] == race["race_id"]


def test_other_paths_are_untouched(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/HEALTHZ").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def _signed_query(rsu, **extra: str) -> str:
    return urlencode({**rsu.auth_query(), "protected_api_signature": rsu.signature(), **extra})


def test_urlencoded_body(rsu):
    body = urlencode(
        {"request_format": "json", "request": json.dumps(race_doc("Encoded")), "format": "json"}
    )
    response = rsu.client.post(
        f"/rest/race?{_signed_query(rsu)}",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["race"]["url_string"] == "Encoded"


def test_urlencoded_body_with_raw_json(rsu):
    doc = race_doc("RawJson", name="Fun & Run + 5K 100%")
    body = "format=json&request_format=json&request=" + json.dumps(doc) + "&x=1"
    response = rsu.client.post(
        f"/rest/race?{_signed_query(rsu)}",
        content=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["race"]["name"] == "Fun & Run + 5K 100%"


def test_body_wins_over_query(rsu):
    response = rsu.post_race(race_doc(), fmt="xml", form={"format": "json"})
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_xml_request_and_response(rsu):
    response = rsu.post_race(race_doc(), fmt="xml", request_format="xml")
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    race = parse(response)
    assert race.tag == "race"
    assert race.find("partner_id").text is None  # empty element for null
    assert race.findtext("is_draft_race") == "F"
    assert race.findtext("events/event/distance") == "8K"


def test_xml_is_the_default_format(rsu):
    response = rsu.post_race(race_doc(), fmt="")
    assert parse(response).tag == "race"


@pytest.mark.parametrize("fmt", ["csv", "yaml", "html"])
def test_unsupported_format_is_error_10(rsu, fmt):
    response = rsu.post_race(race_doc(), fmt=fmt)
    assert error_of(response) == (10, [])
    assert rsu.client.get("/rest/races", params={"format": fmt}).text.count("<error_code>10<")


def test_unknown_method_is_1_and_wrong_http_method_is_2(client):
    assert error_of(client.get("/rest/nothing", params={"format": "json"})) == (1, [])
    assert error_of(client.get("/REST/Nothing/")) == (1, [])
    assert error_of(client.get("/rest/login")) == (2, [])
    assert error_of(client.delete("/rest/race/1", params={"format": "json"})) == (2, [])


def test_missing_request_is_3_and_bad_request_format_is_3(rsu):
    response = rsu.client.post(
        f"/rest/race?{_signed_query(rsu, format='json')}", files={"x": (None, "1")}
    )
    assert error_of(response) == (3, [])
    response = rsu.post_race(race_doc(), request_format="yaml")
    assert error_of(response) == (3, [])


@pytest.mark.parametrize(
    "document",
    ["{not json", "[1, 2]", '"text"'],
)
def test_malformed_json_is_11(rsu, document):
    assert error_of(rsu.post_race(document)) == (11, [])


def test_malformed_xml_is_11(rsu):
    response = rsu.post_race("<request><name>x</request>", request_format="xml")
    assert error_of(response) == (11, [])


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<request><name>&lol3;</name></request>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<request><name>&xxe;</name></request>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE request SYSTEM "http://127.0.0.1:9/evil.dtd">
<request><name>x</name></request>"""

PLAIN_DTD = """<?xml version="1.0"?>
<!DOCTYPE request [<!ELEMENT request ANY>]>
<request><name>x</name></request>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PLAIN_DTD])
def test_hostile_xml_is_refused_unexpanded(rsu, document):
    response = rsu.post_race(document, request_format="xml")
    assert error_of(response) == (11, [])
    assert "lol" not in response.text and "root:" not in response.text


def test_deep_xml_is_refused(rsu):
    document = "<request>" + "<a>" * 200 + "x" + "</a>" * 200 + "</request>"
    assert error_of(rsu.post_race(document, request_format="xml")) == (11, [])


def test_stray_text_between_xml_elements_is_ignored(rsu):
    document = to_xml(race_doc()).replace("</name>", "</name>,").replace("</event>", "</event>,")
    assert parse(rsu.post_race(document, fmt="xml", request_format="xml")).tag == "race"


def test_body_over_the_limit_is_413_envelope(rsu):
    big = "x" * (rsu.services.settings.max_body_bytes + 10)
    response = rsu.post_race(big)
    assert response.status_code == 413
    assert response.json()["error"]["error_code"] == 11

    def chunks():
        for _ in range(40):
            yield b"a" * 50_000

    chunked = rsu.client.post(
        "/rest/race?format=xml",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    assert "<error_code>11</error_code>" in chunked.text


def test_openapi_describes_the_form_bodies(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/rest/race"]["post"]
    content = post["requestBody"]["content"]
    assert {"multipart/form-data", "application/x-www-form-urlencoded"} <= set(content)
    assert "request" in content["multipart/form-data"]["schema"]["properties"]
    names = {p["name"] for p in post["parameters"]}
    assert {"api_key", "protected_api_signature", "format"} <= names
