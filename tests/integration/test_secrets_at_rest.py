"""No secret is stored in plain text: every column of every table is searched for them."""

from sqlalchemy import select

from startline.domain.accounts import service as accounts
from startline.domain.accounts.demo import ensure_demo
from startline.domain.models import Base
from tests.conftest import TEST_SECRET_KEY


def all_stored_text(db) -> str:
    chunks: list[str] = []
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        chunks.append(str(value))
    return "\n".join(chunks)


def test_no_plaintext_secret_in_any_table(app, db):
    box = app.state.services.box
    with db.transaction() as session:
        user = accounts.create_user(session, email="a@example.com", password="pw-Plain-4242")
        key = accounts.create_api_key(session, email="a@example.com")
        tmp = accounts.create_temporary_credentials(session, user=user)
        partner = accounts.create_partner(session, name="P", box=box)
        token = accounts.create_connect_token(
            session,
            owner_email="a@example.com",
            permissions=accounts.PERMISSIONS,
            timer_id=accounts.create_timer(session, name="T").id,
        )
        demo = ensure_demo(session, server_secret=TEST_SECRET_KEY, box=box)
    stored = all_stored_text(db)
    secrets = [
        "pw-Plain-4242",
        key.secret,
        tmp.secret,
        partner.partner_token.split(".")[1],
        partner.signing_secret,
        token.token.split("|")[1],
        demo.password,
        demo.api_secret,
        demo.signing_secret,
        demo.connect_token.split("|")[1],
        demo.partner_token.split(".")[1],
        TEST_SECRET_KEY,
    ]
    for secret in secrets:
        assert secret not in stored
    # ...while the public halves are there to look credentials up by.
    assert key.key in stored and tmp.key in stored


def test_credentials_verify_only_with_the_right_secret(db):
    with db.transaction() as session:
        user = accounts.create_user(session, email="a@example.com", password="pw-long-enough")
        key = accounts.create_api_key(session, email="a@example.com")
        tmp = accounts.create_temporary_credentials(session, user=user)
    with db.transaction() as session:
        assert accounts.authenticate_api_key(session, key=key.key, secret=key.secret).id == user.id
        assert accounts.authenticate_api_key(session, key=key.key, secret="wrong") is None
        assert accounts.authenticate_api_key(session, key="nope", secret=key.secret) is None
        assert (
            accounts.check_password(session, email="A@example.com", password="pw-long-enough").id
            == user.id
        )
        assert accounts.check_password(session, email="a@example.com", password="no") is None
        assert (
            accounts.check_password(session, email="b@example.com", password="pw-long-enough")
            is None
        )
        assert (
            accounts.authenticate_temporary_credentials(
                session, key=tmp.key, secret=tmp.secret, idle_seconds=3600
            ).id
            == user.id
        )
        assert accounts.revoke_temporary_credentials(session, key=tmp.key, secret=tmp.secret)
        assert (
            accounts.authenticate_temporary_credentials(
                session, key=tmp.key, secret=tmp.secret, idle_seconds=3600
            )
            is None
        )
