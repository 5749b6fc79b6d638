"""Connect tokens and session tokens: accepted on every endpoint, with or without `Bearer `;
401 for missing, malformed, wrong, expired or revoked ones; 403 without the permission."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from startline.db.base import utcnow
from startline.dialects.tracx.auth import SessionTokens
from startline.domain.accounts.models import ConnectToken
from startline.domain.accounts.service import create_connect_token, revoke_connect_token
from tests.conftest import TEST_SECRET_KEY
from tests.contract.tracx.conftest import participant

UNAUTHENTICATED = {"message": "Unauthenticated."}
UNAUTHORIZED = {"message": "This action is unauthorized."}


def _calls(world):
    """Every endpoint with a body that would succeed: (method, path, json)."""
    return [
        ("GET", "/v1/connect/events", None),
        ("GET", f"/v1/connect/races?event_id={world.edition_a1}", None),
        ("POST", "/v1/connect/participant", participant(world.event_a1_10k)),
        (
            "POST",
            f"/v1/connect/events/{world.edition_a1}/participants",
            [participant(world.event_a1_10k, "2")],
        ),
    ]


def _send(client, call, authorization=None):
    method, path, body = call
    headers = {} if authorization is None else {"Authorization": authorization}
    return client.request(method, path, json=body, headers=headers)


def _session_token(client, connect_token: str) -> dict:
    response = client.post("/v1/connect/session-token", headers={"Authorization": connect_token})
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.mark.parametrize("prefix", ["", "Bearer ", "bearer "])
def test_connect_token_works_everywhere(client, world, tokens, prefix):
    for call in _calls(world):
        response = _send(client, call, prefix + tokens.races)
        assert response.status_code == 200, (call, response.text)


@pytest.mark.parametrize("prefix", ["", "Bearer "])
def test_session_token_works_everywhere(client, world, tokens, prefix):
    data = _session_token(client, prefix + tokens.races)
    assert list(data) == ["token", "expires_at"]
    now = int(utcnow().timestamp())
    assert now + 3590 <= data["expires_at"] <= now + 3601
    for call in _calls(world):
        response = _send(client, call, prefix + data["token"])
        assert response.status_code == 200, (call, response.text)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer ", "garbage", "1|wrong-secret", "999|x", "|", "abc|def", "a.b.c"],
)
def test_bad_tokens_get_401_everywhere(client, world, tokens, authorization):
    for call in [*_calls(world), ("POST", "/v1/connect/session-token", None)]:
        response = _send(client, call, authorization)
        assert response.status_code == 401, (call, authorization)
        assert response.json() == UNAUTHENTICATED


def test_session_token_cannot_issue_session_tokens(client, tokens):
    session = _session_token(client, tokens.races)["token"]
    response = client.post("/v1/connect/session-token", headers={"Authorization": session})
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_revoking_the_connect_token_kills_its_session_tokens(client, db, world, tokens):
    session = _session_token(client, tokens.races)["token"]
    with db.transaction() as s:
        revoke_connect_token(s, token_id=tokens.races_token_id)
    for authorization in (session, tokens.races):
        response = client.get("/v1/connect/events", headers={"Authorization": authorization})
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED


def test_expired_session_token_is_refused(client, db, tokens):
    with db.reading() as s:
        token = s.get(ConnectToken, tokens.races_token_id)
    issuer = SessionTokens(TEST_SECRET_KEY, 60)
    expired, _ = issuer.issue(token, now=utcnow() - timedelta(seconds=61))
    live, _ = issuer.issue(token, now=utcnow())
    assert client.get("/v1/connect/events", headers={"Authorization": live}).status_code == 200
    response = client.get("/v1/connect/events", headers={"Authorization": expired})
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_session_token_signed_with_another_key_or_type_is_refused(client, tokens):
    forged = jwt.encode(
        {"sub": str(tokens.races_token_id), "typ": "tracx-session", "exp": 4102444800},
        "another-key-of-at-least-thirty-two-bytes!!",
        algorithm="HS256",
    )
    unsigned = jwt.encode(
        {"sub": str(tokens.races_token_id), "typ": "tracx-session", "exp": 4102444800},
        None,
        algorithm="none",
    )
    for token in (forged, unsigned):
        response = client.get("/v1/connect/events", headers={"Authorization": token})
        assert response.status_code == 401


def test_expired_connect_token_is_refused_and_caps_session_expiry(client, db, world):
    with db.transaction() as s:
        issued = create_connect_token(
            s,
            owner_email=world.owner_email,
            permissions=["permissions.events.list"],
            race_ids=[world.race_a],
            expires_in_days=1 / (24 * 60 * 10),  # six seconds
        )
    data = _session_token(client, issued.token)
    assert data["expires_at"] <= int(utcnow().timestamp()) + 7
    with db.transaction() as s:
        s.get(ConnectToken, issued.token_id).expires_at = utcnow() - timedelta(seconds=1)
    for authorization in (issued.token, data["token"]):
        response = client.get("/v1/connect/events", headers={"Authorization": authorization})
        assert response.status_code == 401


def test_each_endpoint_needs_its_permission(client, db, world):
    permissions = {
        "GET /v1/connect/events": "permissions.events.list",
        "GET /v1/connect/races": "permissions.races.list",
        "POST /v1/connect/participant": "permissions.participants.store",
        "POST /v1/connect/events/{id}/participants": "permissions.participants.store-multiple",
    }
    calls = dict(zip(permissions, _calls(world), strict=True))
    with db.transaction() as s:
        issued = {
            name: create_connect_token(
                s, owner_email=world.owner_email, permissions=[name], race_ids=[world.race_a]
            ).token
            for name in permissions.values()
        }
    for endpoint, needed in permissions.items():
        for name, token in issued.items():
            session = _session_token(client, token)["token"]
            for authorization in (token, session):
                response = _send(client, calls[endpoint], authorization)
                if name == needed:
                    assert response.status_code == 200, (endpoint, name, response.text)
                else:
                    assert response.status_code == 403, (endpoint, name)
                    assert response.json() == UNAUTHORIZED


def test_session_token_needs_no_permission_of_its_own(client, tokens):
    assert _session_token(client, tokens.events_only)["token"]
