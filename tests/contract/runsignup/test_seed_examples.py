"""The four examples of the seed (Create or Edit Race), verbatim, sent as the PHP client sends
them: multipart `request_format` + `request`, credentials and signature in the query."""

from __future__ import annotations

import pytest

from tests.contract.runsignup.conftest import NEXT_YEAR, error_of, parse

CREATE_JSON = """{
	"name": "Race Name",
	"partner_id": null,
	"partner_token": null,
	"url_string": "MyRaceUrl",
	"draft_race": "F",
	"address": {
		"street": "300 Mill St.",
		"city": "Moorestown",
		"state": "NJ",
		"country_code": "US",
		"zipcode": "08057"
	},
	"contact_email": "example@example.com",
	"timezone": "America/New_York",
	"events": [
		{
			"name": "8K",
			"start_time": "2014-06-07 08:30:00",
			"event_type": "running_race",
			"distance": 8,
			"distance_units": "K",
			"age_calc_base_date": null
		},
		{
			"name": "Half Marathon",
			"start_time": "2014-06-07 08:30:00",
			"event_type": "running_race",
			"distance": 26.2,
			"distance_units": "M",
			"age_calc_base_date": "2014-12-31"
		}
	]
}"""

CREATE_XML = """<?xml version="1.0" encoding="utf-8" ?>
<request>
	<name>Race Name</name>
	<partner_id></partner_id>
	<partner_token></partner_token>
	<url_string>MyRaceUrl</url_string>
	<draft_race>F</draft_race>
	<address>
		<street>300 Mill St.</street>
		<city>Moorestown</city>
		<state>NJ</state>
		<country_code>US</country_code>
		<zipcode>08057</zipcode>
	</address>
	<contact_email>example@example.com</contact_email>
	<timezone>America/New_York</timezone>
	<events>
		<event>
			<name>8K</name>
			<start_time>2014-06-07 08:30:00</start_time>
			<event_type>running_race</event_type>
			<distance>8</distance>
			<distance_units>K</distance_units>
			<age_calc_base_date></age_calc_base_date>
		</event>
		<event>
			<name>Half Marathon</name>
			<start_time>2014-06-07 08:30:00</start_time>
			<event_type>running_race</event_type>
			<distance>26.2</distance>
			<distance_units>M</distance_units>
			<age_calc_base_date>2014-12-31</age_calc_base_date>
		</event>
	</events>
</request>"""

EDIT_JSON = """{
	"name": "Race Name",
	"partner_id": null,
	"draft_race": "F",
	"address": {
		"street": "300 Mill St.",
		"city": "Moorestown",
		"state": "NJ",
		"country_code": "US",
		"zipcode": "08057"
	},
	"timezone": "America/New_York",
	"allow_past_event_creation": "F",
	"preserve_missing_events": "F",
	"race_event_days_id": null,
	"events": [
		{
			"event_id": 123,
			"name": "8K",
			"start_time": "2014-06-07 08:30:00",
			"event_type": "running_race",
			"distance": 8,
			"distance_units": "K",
			"age_calc_base_date": null
		},
		{
			"event_id": 124,
			"name": "Half Marathon",
			"start_time": "2014-06-07 08:30:00",
			"event_type": "running_race",
			"distance": 26.2,
			"distance_units": "M",
			"age_calc_base_date": "2014-12-31"
		}
	]
}"""

EDIT_XML = """<?xml version="1.0" encoding="utf-8" ?>
<request>
	<name>Race Name</name>
	<partner_id></partner_id>
	<draft_race>F</draft_race>
	<address>
		<street>300 Mill St.</street>
		<city>Moorestown</city>
		<state>NJ</state>
		<country_code>US</country_code>
		<zipcode>08057</zipcode>
	</address>
	<timezone>America/New_York</timezone>
	<allow_past_event_creation>F</allow_past_event_creation>,
	<preserve_missing_events>F</preserve_missing_events>,
	<race_event_days_id></race_event_days_id>
	<events>
		<event>
			<event_id>123</event_id>
			<name>8K</name>
			<start_time>2014-06-07 08:30:00</start_time>
			<event_type>running_race</event_type>
			<distance>8</distance>
			<distance_units>K</distance_units>
			<age_calc_base_date></age_calc_base_date>
		</event>
		<event>
			<event_id>124</event_id>
			<name>Half Marathon</name>
			<start_time>2014-06-07 08:30:00</start_time>
			<event_type>running_race</event_type>
			<distance>26.2</distance>
			<distance_units>M</distance_units>
			<age_calc_base_date>2014-12-31</age_calc_base_date>
		</event>
	</events>
</request>"""


def moved(text: str) -> str:
    """The example with its 2014 dates moved into next year."""
    return text.replace("2014-", f"{NEXT_YEAR}-")


def race_summary(response) -> dict:  # type: ignore[no-untyped-def]
    """race_id, event ids and edition ids of a race response in either format."""
    body = parse(response)
    if isinstance(body, dict):
        race = body["race"]
        return {
            "race_id": race["race_id"],
            "name": race["name"],
            "events": [
                (
                    e["event_id"],
                    e["race_event_days_id"],
                    e["name"],
                    e["distance"],
                    e["start_time"],
                    e["age_calc_base_date"],
                )
                for e in race["events"]
            ],
        }
    assert body.tag == "race", response.text
    return {
        "race_id": int(body.findtext("race_id")),
        "name": body.findtext("name"),
        "events": [
            (
                int(e.findtext("event_id")),
                int(e.findtext("race_event_days_id")),
                e.findtext("name"),
                e.findtext("distance"),
                e.findtext("start_time"),
                e.findtext("age_calc_base_date") or None,
            )
            for e in body.findall("events/event")
        ],
    }


EXAMPLES = [("json", CREATE_JSON, EDIT_JSON), ("xml", CREATE_XML, EDIT_XML)]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("request_format", "create", "edit"), EXAMPLES)
def test_create_then_edit_examples(rsu, fmt, request_format, create, edit):
    created = rsu.post_race(moved(create), fmt=fmt, request_format=request_format)
    summary = race_summary(created)
    assert summary["name"] == "Race Name"
    (id8k, days, name8k, dist8k, start8k, _), (idhm, days2, namehm, disthm, _, age) = summary[
        "events"
    ]
    assert (name8k, dist8k, start8k) == ("8K", "8K", f"6/7/{NEXT_YEAR} 08:30")
    assert (namehm, disthm, age) == ("Half Marathon", "26.2 Miles", f"12/31/{NEXT_YEAR}")
    assert days == days2

    document = moved(edit).replace("123", str(id8k)).replace("124", str(idhm))
    document = document.replace("Race Name", "Race Name Edited")
    edited = rsu.post_race(
        document, fmt=fmt, request_format=request_format, race_id=summary["race_id"]
    )
    after = race_summary(edited)
    assert after["race_id"] == summary["race_id"]
    assert after["name"] == "Race Name Edited"
    assert [e[0] for e in after["events"]] == [id8k, idhm]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("request_format", "create", "edit"), EXAMPLES)
def test_examples_as_written_need_the_past_flag(rsu, fmt, request_format, create, edit):
    refused = rsu.post_race(create, fmt=fmt, request_format=request_format)
    assert error_of(refused) == (202, [227])

    created = rsu.post_race(
        create,
        fmt=fmt,
        request_format=request_format,
        query={"allow_past_event_creation": "T"},
    )
    summary = race_summary(created)
    ids = [e[0] for e in summary["events"]]
    assert len(ids) == 2

    document = edit.replace("123", str(ids[0])).replace("124", str(ids[1]))
    refused_edit = rsu.post_race(
        document, fmt=fmt, request_format=request_format, race_id=summary["race_id"]
    )
    assert error_of(refused_edit) == (213, [227])
    edited = rsu.post_race(
        document,
        fmt=fmt,
        request_format=request_format,
        race_id=summary["race_id"],
        query={"allow_past_event_creation": "T"},
    )
    assert [e[0] for e in race_summary(edited)["events"]] == ids
