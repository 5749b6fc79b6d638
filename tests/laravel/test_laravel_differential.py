"""Differential test: startline's Tracx parsing + validation against Laravel's own Validator.

Runs tests/laravel/validate.php (Debian's php-illuminate-validation, Laravel 8's Validator with
Laravel 10+ messages) once over every generated case and compares the 422 bodies exactly,
error-key order included. Skips when PHP or the packages are missing, unless
STARTLINE_REQUIRE_LARAVEL=1 (CI: .ci/install-php.sh), where it fails instead.

Known differences, adjusted here on purpose (docs/decisions.md, "Tracx validation"):
- None in trimming: validate.php uses Laravel's own pattern, and
  test_the_trim_set_is_phps_over_every_code_point compares the two sets whole.
- Year 0000 passes Laravel's date_format:Y-m-d but is no Python date: startline refuses it, so
  the generator never sends it (unit-tested instead).
- A batch body that is not a non-empty list is startline's own rule (Laravel has no rule on the
  request root): not generated here, unit-tested instead.
- Batches use explicit per-index rules (what the contract's "The 0.chip code field ..." wording
  implies), a later duplicate unique_id is the contract's rule, not Laravel's `distinct` (which
  flags every copy, the first one too), and country / race scope / U+0000 are startline's
  rules: validate.php implements them as custom rules so message order is still compared.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pycountry
import pytest

from startline.dialects.tracx.body import TRIM_CHARACTERS, parse_request_data
from startline.dialects.tracx.errors import error_response_body
from startline.dialects.tracx.validation import validate_participant, validate_participants
from tests.support.world import SEED_PARTICIPANT

HARNESS = Path(__file__).with_name("validate.php")
RACES = (1, 2, 3)
SEED = 20261124
CASES = 1500


def _laravel_unavailable() -> str | None:
    php = shutil.which("php")
    if php is None:
        return "php is not installed"
    probe = subprocess.run(
        [php, "-r", "require 'Illuminate/Validation/autoload.php'; echo 'ok';"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout != "ok":
        return "php-illuminate-validation is not installed: " + probe.stderr.strip()[:200]
    return None


@pytest.fixture(scope="module")
def php() -> str:
    reason = _laravel_unavailable()
    if reason is not None:
        if os.environ.get("STARTLINE_REQUIRE_LARAVEL") == "1":
            pytest.fail(f"STARTLINE_REQUIRE_LARAVEL=1 but {reason} (run .ci/install-php.sh)")
        pytest.skip(f"Laravel differential test skipped: {reason} (run .ci/install-php.sh)")
    return shutil.which("php") or "php"


# --- Case generation --------------------------------------------------------------------------

VALID: dict[str, Any] = dict(SEED_PARTICIPANT)

EDGE_STRINGS = [
    "",
    " ",
    "  a  ",
    "\t\n",
    "a",
    "abc",
    "a b",
    "a-b_c",
    "-",
    "_",
    "é",
    "日本",
    "½",
    "e\u0301",
    "😀",
    "a.b",
    "a/b",
    "1",
    "01",
    "+1",
    "-1",
    "1.0",
    "1e3",
    " 1 ",
    "0",
    "-0",
    "+0",
    "00",
    "0x1A",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "male",
    "Male",
    "female",
    "neutral",
    "before",
    "during",
    "paused",
    "resumed",
    "after",
    "finished",
    "did_not_finish",
    "disqualified",
    "did_not_start",
    "BEFORE",
    "nl",
    "NL",
    "nL",
    "Nl",
    "xx",
    "nld",
    "n",
    "\u212ae",
    "2001-01-01",
    "2001-02-29",
    "2000-02-29",
    "2001-1-1",
    "2001-13-01",
    "2001-00-10",
    "2001-01-00",
    "2001-04-31",
    "0001-01-01",
    "9999-12-31",
    "٢٠٠١-٠١-٠١",
    "2001-01-01T00:00",
    "20010101",
    "0000001",
    "ééééééé",
    "000000",
    "00000001",
    "日本日本日本日",
    "a" * 100,
    "a" * 101,
    "é" * 100,
    "é" * 101,
    "\u200b",
    "\ufeff x \u200e",
    "\u00a0",
    "\u00a0x\u00a0",
    "x\u3000",
    "\u2028",
    "\u180e",
    "a\u0000b",
    "\u0000",
    " \u0000 ",
    "\u000b",
    "\f",
    "\u000bx\f",
    "x\u200f",
    "\u0085",
    "null",
    "true",
    "[]",
    "INF",
    "NAN",
]
EDGE_NUMBERS: list[Any] = [
    0,
    1,
    2,
    3,
    4,
    -1,
    12,
    1234567,
    10**18,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    10**30,
    0.0,
    -0.0,
    1.0,
    1.5,
    2.0,
    3.0,
    100.0,
    1e14,
    1e15,
    99999999999999.0,
    123456.0,
    1234567.0,
    0.1,
    1e-5,
    1e300,
    -3.0,
    True,
    False,
    None,
]
EDGE_CONTAINERS: list[Any] = [
    [],
    {},
    [1],
    ["a"],
    ["a"] * 7,
    list(range(101)),
    [[]],
    {"a": "b"},
    {"a": " "},
    [""],
    [None],
    {"x": {"y": ["  z  "]}},
    ["0000001"],
    list("abcdefg"),
]


def _random_text(rng: random.Random) -> str:
    alphabet = (
        "abcXYZ019-_ .\t\u00e9\u0301\u00bd\u65e5\u0660\u200b\ufeff\u00a0\u2003"
        "\U0001f600\u0000\u212a\u0130\u00df"
    )
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 3, 6, 7, 8, 20])))


def _random_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(EDGE_STRINGS)
    if roll < 0.7:
        return rng.choice(EDGE_NUMBERS)
    if roll < 0.85:
        return rng.choice(EDGE_CONTAINERS)
    return _random_text(rng)


def _participant(rng: random.Random) -> dict[str, Any]:
    item = dict(VALID)
    item["unique_id"] = rng.choice(["1", "2", "a", "b-7", "x_y"])
    for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
        name = rng.choice(list(VALID))
        if rng.random() < 0.15:
            item.pop(name, None)
        else:
            item[name] = _random_value(rng)
    return item


def _case(
    body: bytes,
    *,
    batch: bool = False,
    query: str = "",
    form: bool = False,
    content_type: str | None = None,
) -> dict[str, Any]:
    return {
        "body": base64.b64encode(body).decode(),
        "query": query,
        "batch": batch,
        "form": form,
        "races": list(RACES),
        "content_type": content_type,
    }


def _json(value: Any, rng: random.Random) -> bytes:
    return json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()


def _fixed_cases() -> list[dict[str, Any]]:
    seed_body = json.dumps(VALID, indent=0).encode()
    nested_ok = json.dumps({**VALID, "team_name": [[]]}).replace("[[]]", "[" * 510 + "]" * 510)
    nested_too_deep = nested_ok.replace("[" * 510, "[" * 511).replace("]" * 510, "]" * 511)
    return [
        _case(seed_body, content_type="application/x-www-form-urlencoded"),
        _case(b"garbage"),
        _case(b'{"unique_id": NaN}'),
        _case(b'{"unique_id": Infinity}'),
        _case(b'{"unique_id": "\\ud800"}'),
        _case(json.dumps({**VALID, "first_name": "\\ud83d\\ude00"}).replace("\\\\", "\\").encode()),
        _case(b"\xef\xbb\xbf" + seed_body),
        _case(b'{"first_name": "\xff"}'),
        _case(b"[]"),
        _case(b"{}"),
        _case(b"5"),
        _case(b'"text"'),
        _case(b"null"),
        _case(b""),
        _case(b'{"race_id": 1,}'),
        _case(nested_ok.encode()),
        _case(nested_too_deep.encode()),
        _case(b'{"race_id": 1e0, "start_number": 12.0, "unique_id": 5}'),
        _case(b'{"race_id": 100000000000000000000, "start_number": 1e400}'),
        _case(b'{"race_id": 1' + b"0" * 5000 + b', "start_number": -' + b"9" * 5000 + b"}"),
        _case(b"{}", query="race_id=1&first_name=%20Q%20&gender=male&unique_id[]=x"),
        _case(seed_body, query="first_name=Query&chip_code=0000009"),
        _case(
            b"unique_id=a&first_name=Kris&last_name=K&date_of_birth=2001-01-01"
            b"&start_number=7&chip_code=0000007&race_id=2&gender=female",
            form=True,
            content_type="application/x-www-form-urlencoded",
        ),
        _case(b"unique_id=a+b&first_name[]=x&first_name[]=y&race_id=%2B1&team_name=%00", form=True),
        _case(b"last_name[a][b]=1&chip_code=%E2%80%8B0000001%C2%A0&race_id=+1", form=True),
        _case(b"race+id=1&first.name=x&chip_code[=1&gender=male&gender=x", form=True),
        _case(
            (
                "&".join(f"k{index}=v" for index in range(995)) + "&unique_id=a&first_name=b"
                "&last_name=c&date_of_birth=2001-01-01&start_number=1&chip_code=0000001&race_id=1"
            ).encode(),
            form=True,
        ),
        _case(json.dumps([VALID, VALID]).encode(), batch=True),
        _case(json.dumps([VALID, 5, "x", None, [], [1], {}]).encode(), batch=True),
        _case(
            json.dumps([{**VALID, "unique_id": u} for u in ["a", "a ", " a", "b", "a"]]).encode(),
            batch=True,
        ),
    ]


def _form_pairs(rng: random.Random) -> str:
    """A PHP-style form or query string: plain, list (a[]) and map (a[k]) names, encoded."""
    pairs = []
    for name, value in _participant(rng).items():
        if value is None or isinstance(value, bool | dict | list | float):
            value = rng.choice(EDGE_STRINGS)
        text = str(value)
        shape = rng.random()
        if shape < 0.1:
            pairs += [f"{quote_plus(name + '[]')}={quote_plus(text)}"] * rng.choice([1, 2])
        elif shape < 0.15:
            pairs.append(f"{quote_plus(name + '[k]')}={quote_plus(text)}")
        elif shape < 0.2:
            pairs.append(f"{name}[x={quote_plus(text)}")
        else:
            pairs.append(f"{quote_plus(name)}={quote_plus(text)}")
    rng.shuffle(pairs)
    return "&".join(pairs)


def _generated_cases(rng: random.Random, count: int) -> list[dict[str, Any]]:
    cases = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.6:
            body = _participant(rng)
            query = ""
            if rng.random() < 0.15:
                query = _form_pairs(rng)
            cases.append(_case(_json(body, rng), query=query))
        elif roll < 0.7:
            query = _form_pairs(rng) if rng.random() < 0.3 else ""
            cases.append(_case(_form_pairs(rng).encode(), query=query, form=True))
        else:
            items: list[Any] = [_participant(rng) for _ in range(rng.choice([1, 2, 3, 4]))]
            if rng.random() < 0.2:
                items.append(rng.choice([5, "x", None, [], {}, [VALID]]))
            cases.append(_case(_json(items, rng), batch=True))
    return cases


def _startline_answer(case: dict[str, Any]) -> Any:
    data = parse_request_data(
        base64.b64decode(case["body"]), case["content_type"], case["query"].encode()
    )
    races = set(case["races"])
    if case["batch"]:
        _, errors = validate_participants(data, race_exists=races.__contains__)
    else:
        errors = validate_participant(data, race_exists=races.__contains__).errors
    return error_response_body(errors) if errors else None


def _laravel_answers(php: str, cases: list[dict[str, Any]]) -> list[Any]:
    countries = sorted(country.alpha_2.lower() for country in pycountry.countries)
    stdin = json.dumps({"countries": countries, "cases": cases})
    done = subprocess.run(
        [php, "-d", "memory_limit=1G", str(HARNESS)],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _compare(php: str, cases: list[dict[str, Any]]) -> None:
    expected = _laravel_answers(php, cases)
    assert len(expected) == len(cases)
    mismatches = []
    for case, laravel in zip(cases, expected, strict=True):
        ours = _startline_answer(case)
        same = ours == laravel and (ours is None or list(ours["errors"]) == list(laravel["errors"]))
        if not same:
            body = base64.b64decode(case["body"])[:300]
            mismatches.append(
                f"body={body!r} query={case['query']!r}\n  laravel={laravel}\n  ours={ours}"
            )
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ:\n" + "\n".join(
        mismatches[:8]
    )


def test_fixed_edge_cases_match_laravel(php: str) -> None:
    _compare(php, _fixed_cases())


@pytest.mark.slow
def test_generated_cases_match_laravel(php: str) -> None:
    cases = _generated_cases(random.Random(SEED), CASES)
    _compare(php, cases)


def test_the_trim_set_is_phps_over_every_code_point(php: str) -> None:
    """Laravel's pattern run by PHP on every code point (surrogates excluded) removes exactly
    TRIM_CHARACTERS: the Unicode spaces of PCRE2's `\\s` under /u plus U+FEFF/U+200B/U+200E."""
    script = (
        "$out = [];"
        " for ($cp = 0; $cp <= 0x10FFFF; $cp++) {"
        "  if ($cp >= 0xD800 && $cp <= 0xDFFF) continue;"
        "  $ch = mb_chr($cp, 'UTF-8');"
        "  if (preg_replace('~^[\\s\\x{FEFF}\\x{200B}\\x{200E}]+"
        "|[\\s\\x{FEFF}\\x{200B}\\x{200E}]+$~u', '', 'a' . $ch . 'a' . $ch) === 'a' . $ch . 'a')"
        "   $out[] = $cp;"
        " }"
        " echo json_encode($out);"
    )
    done = subprocess.run([php, "-r", script], capture_output=True, text=True, check=True)
    trimmed_by_php = {chr(code) for code in json.loads(done.stdout)}
    assert trimmed_by_php == set(TRIM_CHARACTERS)
    assert parse_request_data(b'{"a": "\\u00a0x\\u3000"}', None, b"") == {"a": "x"}
