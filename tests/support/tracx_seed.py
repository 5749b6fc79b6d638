"""The Tracx seed's example participant, once: the curl body byte for byte, and what it
decodes to. Tests that start from the seed's example take it from here."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

# The seed's curl `-d` body, exactly as the documentation prints it.
SEED_CURL_BODY = """{
"unique_id": "1",
"first_name": "Kris",
"last_name": "Kuiper",
"country_code": "nl",
"team_name": null,
"date_of_birth": "2001-01-01",
"start_number": "1",
"chip_code": "0000001",
"gender": "male",
"state": "before",
"race_id": 1
}"""

# The same participant as decoded data (read-only: copy it to vary a field).
SEED_PARTICIPANT: MappingProxyType[str, Any] = MappingProxyType(
    {
        "unique_id": "1",
        "first_name": "Kris",
        "last_name": "Kuiper",
        "country_code": "nl",
        "team_name": None,
        "date_of_birth": "2001-01-01",
        "start_number": "1",
        "chip_code": "0000001",
        "gender": "male",
        "state": "before",
        "race_id": 1,
    }
)
