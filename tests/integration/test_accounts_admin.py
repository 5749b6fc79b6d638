"""Operator account commands (users list|passwd|disable|enable, keys list, partners
list|revoke) and what they mean on the wire: a disabled user's login, keys, temporary
credentials and connect/session tokens stop working in both dialects; a revoked partner's
signing identities and token do too. Passwords under 10 characters and blank names are
refused wherever they are given."""

import time

import pytest

from startline.domain.accounts import service as accounts
from startline.domain.accounts.signing import sign
from tests.support.cli import fails_with, ok_json

PW = "ten-chars-ok"
RACE_JSON = (
    '{"name":"My 10K","url_string":"my10k-%s",'
    '"address":{"city":"Moorestown","state":"NJ","country_code":"US"},'
    '"events":[{"name":"10K","start_time":"2030-06-07 08:30","event_type":"running_race",'
    '"distance":10}]}'
)


def test_short_passwords_and_blank_names_are_refused(cli):
    fails_with(cli("users", "create", "a@example.com", "--password", "123456789"), "at least 10")
    fails_with(
        cli("users", "create", "a@example.com", "--password", PW, "--first-name", "  "),
        "first name must not be blank",
    )
    fails_with(
        cli("users", "create", "a@example.com", "--password", PW, "--last-name", ""),
        "last name must not be blank",
    )
    fails_with(cli("partners", "create", " "), "partner name must not be blank")
    fails_with(cli("timers", "create", "\t"), "timer name must not be blank")
    fails_with(cli("timers", "create", "a\nb"), "control characters")
    assert ok_json(cli("users", "list", "--json")) == {"users": []}  # nothing was written
    ok_json(cli("users", "create", "a@example.com", "--password", "1234567890", "--json"))
    assert ok_json(cli("timers", "create", "  Fast  ", "--json"))["name"] == "Fast"


def test_users_list_passwd_disable_enable(cli, db):
    ok_json(
        cli("users", "create", "a@example.com", "--password", PW, "--first-name", "Ann", "--json")
    )
    ok_json(cli("users", "create", "b@example.com", "--password", PW, "--admin", "--json"))
    listed = ok_json(cli("users", "list", "--json"))["users"]
    assert [(u["email"], u["is_admin"], u["disabled"]) for u in listed] == [
        ("a@example.com", False, False),
        ("b@example.com", True, False),
    ]
    assert "password" not in str(listed).lower()
    fails_with(cli("users", "passwd", "a@example.com", "--password", "short"), "at least 10")
    fails_with(cli("users", "passwd", "x@example.com", "--password", PW), "no user")
    ok_json(cli("users", "passwd", "a@example.com", "--password", "a-new-password", "--json"))
    with db.transaction() as session:
        assert accounts.check_password(session, email="a@example.com", password=PW) is None
        assert accounts.check_password(session, email="a@example.com", password="a-new-password")
    assert ok_json(cli("users", "disable", "a@example.com", "--json"))["disabled"] is True
    with db.transaction() as session:
        assert (
            accounts.check_password(session, email="a@example.com", password="a-new-password")
            is None
        )
    assert [u["disabled"] for u in ok_json(cli("users", "list", "--json"))["users"]] == [
        True,
        False,
    ]
    ok_json(cli("users", "enable", "a@example.com", "--json"))
    with db.transaction() as session:
        assert accounts.check_password(session, email="a@example.com", password="a-new-password")
    text = cli("users", "list")
    assert text.exit_code == 0 and "a@example.com" in text.stdout and "Ann" in text.stdout


def test_keys_list_never_shows_secrets(cli):
    ok_json(cli("users", "create", "a@example.com", "--password", PW, "--json"))
    issued = ok_json(cli("keys", "create", "a@example.com", "--json"))
    ok_json(cli("keys", "revoke", issued["api_key"], "--json"))
    second = ok_json(cli("keys", "create", "a@example.com", "--json"))
    listed = ok_json(cli("keys", "list", "--json"))["keys"]
    assert [(k["api_key"], k["owner"], k["revoked"]) for k in listed] == [
        (issued["api_key"], "a@example.com", True),
        (second["api_key"], "a@example.com", False),
    ]
    shown = cli("keys", "list").stdout
    assert second["api_key"] in shown and second["api_secret"] not in shown


def _login(client, password=PW):
    return client.post(
        "/rest/login",
        params={"format": "json"},
        data={"email": "a@example.com", "password": password},
    ).json()


def _post_race(client, query, signing_id, signing_secret):
    signature = sign(signing_id, signing_secret, int(time.time()), f"{time.time_ns() % 10**8:08d}")
    return client.post(
        "/rest/race",
        params={"format": "json", **query, "protected_api_signature": signature},
        files={
            "request_format": (None, "json"),
            "request": (None, RACE_JSON % time.time_ns()),
        },
    ).json()


def test_a_disabled_user_is_refused_by_both_dialects(cli, client):
    ok_json(cli("users", "create", "a@example.com", "--password", PW, "--admin", "--json"))
    key = ok_json(cli("keys", "create", "a@example.com", "--json"))
    partner = ok_json(cli("partners", "create", "P", "--json"))
    token = ok_json(
        cli(
            "tokens",
            "create",
            "--owner",
            "a@example.com",
            "--permission",
            "permissions.events.list",
            "--all",
            "--json",
        )
    )["token"]
    signer = (partner["signing_id"], partner["signing_secret"])
    login = _login(client)
    tmp = {"tmp_key": login["tmp_key"], "tmp_secret": login["tmp_secret"]}
    api = {"api_key": key["api_key"], "api_secret": key["api_secret"]}
    session_token = client.post(
        "/v1/connect/session-token", headers={"Authorization": token, "Accept": "application/json"}
    ).json()["data"]["token"]
    tracx = {"Accept": "application/json"}
    assert "race" in _post_race(client, api, *signer)
    assert (
        client.get("/v1/connect/events", headers={**tracx, "Authorization": token}).status_code
        == 200
    )
    assert (
        client.get(
            "/v1/connect/events", headers={**tracx, "Authorization": session_token}
        ).status_code
        == 200
    )

    ok_json(cli("users", "disable", "a@example.com", "--json"))
    assert _login(client)["error"]["error_code"] == 101  # as for an unknown e-mail
    assert _post_race(client, api, *signer)["error"]["error_code"] == 6
    assert _post_race(client, {"api_key": "", **tmp}, *signer)["error"]["error_code"] == 6
    for credential in (token, session_token):
        answer = client.get("/v1/connect/events", headers={**tracx, "Authorization": credential})
        assert answer.status_code == 401

    ok_json(cli("users", "enable", "a@example.com", "--json"))
    assert "race" in _post_race(client, api, *signer)  # keys and tokens work again...
    assert (
        client.get("/v1/connect/events", headers={**tracx, "Authorization": token}).status_code
        == 200
    )
    # ...but the logins that disabling ended stay ended.
    assert _post_race(client, {"api_key": "", **tmp}, *signer)["error"]["error_code"] == 6


def test_partners_list_and_revoke(cli, client):
    ok_json(cli("users", "create", "a@example.com", "--password", PW, "--json"))
    key = ok_json(cli("keys", "create", "a@example.com", "--json"))
    api = {"api_key": key["api_key"], "api_secret": key["api_secret"]}
    first = ok_json(cli("partners", "create", "First", "--json"))
    second = ok_json(cli("partners", "create", "Second", "--json"))
    listed = ok_json(cli("partners", "list", "--json"))["partners"]
    assert [(p["partner_id"], p["name"], p["signing_ids"], p["revoked"]) for p in listed] == [
        (first["partner_id"], "First", [first["signing_id"]], False),
        (second["partner_id"], "Second", [second["signing_id"]], False),
    ]
    assert first["partner_token"] not in cli("partners", "list").stdout

    assert ok_json(cli("partners", "revoke", str(first["partner_id"]), "--json"))["revoked"]
    fails_with(cli("partners", "revoke", str(first["partner_id"])), "no active partner")
    fails_with(cli("partners", "sign", str(first["signing_id"])), "no active signing identity")
    listed = ok_json(cli("partners", "list", "--json"))["partners"]
    assert [(p["signing_ids"], p["revoked"]) for p in listed] == [
        ([], True),
        ([second["signing_id"]], False),
    ]
    refused = _post_race(client, api, first["signing_id"], first["signing_secret"])
    assert refused["error"]["error_code"] == 290
    assert "race" in _post_race(client, api, second["signing_id"], second["signing_secret"])


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_names_are_refused_in_the_domain(db, name):
    with db.transaction() as session, pytest.raises(accounts.InvalidName):
        accounts.create_timer(session, name=name)
