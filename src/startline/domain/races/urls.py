"""Where a race's public page lives: `/Race/<state or country>/<city without spaces>/<url_string>`
(RunSignup's race `url`), one rule for the race object and the pages that answer there."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote


class RaceAddress(Protocol):
    @property
    def url_string(self) -> str: ...
    @property
    def city(self) -> str | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def country_code(self) -> str: ...


def race_path_segments(race: RaceAddress) -> tuple[str, str, str]:
    """(region, city, url_string) as the page path shows them, unquoted."""
    region = race.state or race.country_code
    city = "".join((race.city or "").split())
    return region, city, race.url_string


def race_path(race: RaceAddress) -> str:
    """The page's path below the base URL: `/Race/NJ/Moorestown/MyRace` (segments quoted)."""
    return "/Race/" + "/".join(quote(part, safe="") for part in race_path_segments(race))


def race_url(base_url: str, race: RaceAddress) -> str:
    """<base>/Race/<state or country>/<city without spaces>/<url_string>."""
    return base_url.rstrip("/") + race_path(race)
