"""Reading one cell: the value forms spreadsheets carry (dates in three orders, genders in
three languages, countries as codes or names, RACE RESULT status codes) turned into the
domain's values, or a reason a person can act on. Stored text is checked against the
domain's rules (participants/rules.py), never a copy of them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from startline.domain.participants.rules import COUNTRIES, STATE_SET, value_problem
from startline.domain.participants.vocabulary import STATES


class Refused(ValueError):
    """A cell that cannot be read; the message says why, in words for the person who typed it."""


Parser = Callable[[str], Any]

# --- text ----------------------------------------------------------------------------------

_TEXT_REASONS = {
    "empty": "must not be empty",
    "too_long": "longer than {limit} characters",
    "control_character": "contains a control character",
}


def text_parser(field: str) -> Parser:
    """The cell as stored text, within the domain's rules for `field`."""
    from startline.domain.participants.rules import max_length

    limit = max_length(field)

    def parse(raw: str) -> str:
        reason = value_problem(field, raw)
        if reason is not None:
            if reason == "control_character" and ("\n" in raw or "\r" in raw):
                raise Refused("contains a line break (a control character)")
            raise Refused(_TEXT_REASONS[reason].format(limit=limit))
        return raw

    return parse


# --- dates ---------------------------------------------------------------------------------

DATE_HELP = "YYYY-MM-DD, DD.MM.YYYY or MM/DD/YYYY"
# ISO, optionally with the midnight time a spreadsheet adds to a date cell.
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_TOKENS = re.compile(r"(YYYY|MM|DD)([./-])(YYYY|MM|DD)\2(YYYY|MM|DD)")


class DateFormat:
    """The date orders a file may use: `YYYY-MM-DD` always; `DD.MM.YYYY`; `MM/DD/YYYY`; and
    `--date-format` (e.g. `DD/MM/YYYY`), which decides the dates written with its separator."""

    def __init__(self, pattern: str | None = None) -> None:
        # separator -> (regex, order of (year, month, day) groups)
        self._by_separator: dict[str, tuple[re.Pattern[str], tuple[int, int, int]]] = {
            ".": (re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})"), (3, 2, 1)),
            "/": (re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"), (3, 1, 2)),
        }
        self.help = DATE_HELP
        if pattern is not None:
            separator, regex, order = parse_date_format(pattern)
            self._by_separator[separator] = (regex, order)
            others = [p for p in ("DD.MM.YYYY", "MM/DD/YYYY") if separator not in p]
            self.help = ", ".join(["YYYY-MM-DD", *others]) + f" or {pattern.strip().upper()}"
        self._cache: dict[str, date] = {}

    def __call__(self, raw: str) -> date:
        known = self._cache.get(raw)
        if known is not None:
            return known
        found = self._read(raw)
        if len(self._cache) < 100_000:
            self._cache[raw] = found
        return found

    def _read(self, raw: str) -> date:
        parts: tuple[int, int, int] | None = None
        for separator, (regex, (y, m, d)) in self._by_separator.items():
            if separator in raw:
                match = regex.fullmatch(raw)
                if match is not None:
                    parts = (int(match[y]), int(match[m]), int(match[d]))
                break
        if parts is None:
            match = _ISO.fullmatch(raw)
            if match is not None:
                parts = (int(match[1]), int(match[2]), int(match[3]))
        if parts is None:
            raise Refused(f"not a date: use {self.help}")
        try:
            return date(*parts)
        except ValueError:
            raise Refused("no such day in the calendar") from None


def parse_date_format(pattern: str) -> tuple[str, re.Pattern[str], tuple[int, int, int]]:
    """(separator, regex, group numbers of year, month, day) of a `--date-format` such as
    `DD/MM/YYYY`; ValueError when it is not one."""
    match = _TOKENS.fullmatch(pattern.strip().upper())
    if match is None or sorted((match[1], match[3], match[4])) != ["DD", "MM", "YYYY"]:
        raise ValueError(
            f"--date-format {pattern!r} is not a date format: use DD, MM and YYYY joined by "
            "one of . / - (for example DD/MM/YYYY)"
        )
    tokens = (match[1], match[3], match[4])
    separator = match[2]
    pieces = [r"([0-9]{4})" if part == "YYYY" else r"([0-9]{1,2})" for part in tokens]
    regex = re.compile(re.escape(separator).join(pieces))
    order = tuple(tokens.index(name) + 1 for name in ("YYYY", "MM", "DD"))
    return separator, regex, (order[0], order[1], order[2])


# --- genders -------------------------------------------------------------------------------

GENDER_HELP = "M, F or X (also male/female/neutral and m/w/d)"
# Casefolded spellings: M/F/X and the stored words; German m/w/d (männlich, weiblich,
# divers); the words RunSignup and Chronokeep exports use.
GENDERS = {
    **dict.fromkeys(("m", "male", "man", "männlich", "maennlich"), "male"),
    **dict.fromkeys(("f", "female", "woman", "w", "weiblich"), "female"),
    **dict.fromkeys(
        ("x", "neutral", "d", "divers", "diverse", "non-binary", "nonbinary"), "neutral"
    ),
}


def parse_gender(raw: str) -> str:
    found = GENDERS.get(raw) or GENDERS.get(raw.casefold())
    if found is None:
        raise Refused(f"not a gender: use {GENDER_HELP}")
    return found


# --- countries -----------------------------------------------------------------------------

COUNTRY_HELP = "an ISO code (DE, DEU), an IOC code (GER) or an English country name"
# IOC codes that differ from the country's ISO alpha-3 code, as ISO alpha-2. Where an IOC
# code is another country's ISO alpha-3 code (BRN: Bahrain at the IOC, Brunei in ISO),
# the ISO reading wins; such codes are dropped when the table is built.
IOC_CODES = {
    "ALG": "DZ", "ANG": "AO", "ANT": "AG", "ARU": "AW", "ASA": "AS", "BAH": "BS",
    "BAN": "BD", "BAR": "BB", "BER": "BM", "BHU": "BT", "BIZ": "BZ", "BOT": "BW",
    "BRN": "BH", "BRU": "BN", "BUL": "BG", "BUR": "BF", "CAM": "KH", "CAY": "KY",
    "CGO": "CG", "CHA": "TD", "CHI": "CL", "CRC": "CR", "CRO": "HR", "DEN": "DK",
    "ESA": "SV", "FIJ": "FJ", "GAM": "GM", "GBS": "GW", "GEQ": "GQ", "GER": "DE",
    "GRE": "GR", "GRN": "GD", "GUA": "GT", "GUI": "GN", "HAI": "HT", "HON": "HN",
    "INA": "ID", "IRI": "IR", "ISV": "VI", "IVB": "VG", "KSA": "SA", "KUW": "KW",
    "LAT": "LV", "LBA": "LY", "LES": "LS", "LIB": "LB", "MAD": "MG", "MAS": "MY",
    "MAW": "MW", "MGL": "MN", "MON": "MC", "MRI": "MU", "MTN": "MR", "MYA": "MM",
    "NCA": "NI", "NED": "NL", "NEP": "NP", "NGR": "NG", "NIG": "NE", "OMA": "OM",
    "PAR": "PY", "PHI": "PH", "PLE": "PS", "POR": "PT", "PUR": "PR", "RSA": "ZA",
    "SAM": "WS", "SEY": "SC", "SIN": "SG", "SKN": "KN", "SLO": "SI", "SOL": "SB",
    "SRI": "LK", "SUD": "SD", "SUI": "CH", "TAN": "TZ", "TGA": "TO", "TOG": "TG",
    "TPE": "TW", "UAE": "AE", "URU": "UY", "VAN": "VU", "VIE": "VN", "VIN": "VC",
    "ZAM": "ZM", "ZIM": "ZW",
}  # fmt: skip


@cache
def country_names() -> dict[str, str]:
    """Casefolded alpha-3 codes, IOC codes and English names -> ISO alpha-2 (built once)."""
    import pycountry

    names: dict[str, str] = {}
    alpha_3 = {country.alpha_3.casefold() for country in pycountry.countries}
    for code, alpha_2 in IOC_CODES.items():
        if code.casefold() not in alpha_3:
            names[code.casefold()] = alpha_2
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                names[name.casefold()] = country.alpha_2
    for country in pycountry.countries:  # ISO codes last: they win over any name
        names[country.alpha_3.casefold()] = country.alpha_2
    return names


def parse_country(raw: str) -> str:
    """An ISO alpha-2 code, kept in the case it was written (as Tracx stores it, so an
    exported file imports back unchanged); every other form becomes upper-case alpha-2."""
    if len(raw) == 2 and raw.isascii() and raw.upper() in COUNTRIES:
        return raw
    found = country_names().get(raw.casefold())
    if found is None:
        raise Refused(f"not a country: use {COUNTRY_HELP}")
    return found


# --- states ---------------------------------------------------------------------------------

STATE_HELP = ", ".join(STATES)


def parse_state(raw: str) -> str:
    """A Tracx state word, as Tracx spells it (lower case)."""
    if raw in STATE_SET:
        return raw
    folded = raw.casefold()
    if folded in STATE_SET:
        return folded
    raise Refused(f"not a state: use one of {STATE_HELP}")


# RACE RESULT Status codes that are a runner state; any other value keeps the stored state.
RACE_RESULT_STATUS = {
    2: "disqualified",
    3: "did_not_finish",
    4: "did_not_start",
    5: "did_not_start",
}
# The code an export writes for each of those states (0: regular).
STATUS_OF_STATE = {"disqualified": "2", "did_not_finish": "3", "did_not_start": "4"}


def parse_status(raw: str) -> str | None:
    """RACE RESULT `Status`: 2, 3, 4 or 5 set a state; anything else keeps the stored one."""
    try:
        code = int(raw)
    except ValueError:
        return None
    return RACE_RESULT_STATUS.get(code)
