"""/healthz (liveness: the database answers a read) and /readyz (readiness: schema current,
a rolled-back write accepted, disk not full), GET and HEAD, both naming the version."""

import threading

import pytest
from sqlalchemy import text

from startline.db import probe
from startline.db.engine import Database
from startline.db.migrate import head_revision
from startline.version import VERSION


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": VERSION, "database": "ok"}
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""


def test_readyz_ok(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": VERSION,
        "database": "ok",
        "schema_revision": head_revision(),
        "schema": "current",
        "write": "ok",
        **({"disk": "ok"} if db.is_sqlite else {}),
    }
    assert client.head("/readyz").status_code == 200
    with db.reading() as session:  # the probe's write was rolled back
        assert session.execute(text("SELECT count(*) FROM readiness_probe")).scalar() == 0


def test_both_answer_503_when_the_database_is_down(client, app, monkeypatch):
    unreachable = Database(
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing", connect_args={"connect_timeout": 2}
    )
    monkeypatch.setattr(app.state.services, "db", unreachable)
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert body["status"] == "unavailable" and body["database"] == "unreachable"
        assert body["version"] == VERSION
        assert client.head(path).status_code == 503
    unreachable.dispose()


def test_readyz_refuses_a_schema_of_another_version(client, db):
    with db.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'somewhere_else'"))
    try:
        response = client.get("/readyz")
        health = client.get("/healthz")
    finally:
        with db.transaction() as session:
            session.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
    assert response.status_code == 503
    assert response.json()["schema"] == "different"
    assert response.json()["schema_revision"] == "somewhere_else"
    assert health.status_code == 200


def test_readyz_is_ready_but_busy_while_another_writer_holds_sqlite(client, db, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("PostgreSQL writers do not queue on one lock")
    monkeypatch.setattr(probe, "WRITE_WAIT_SECONDS", 0.1)
    holding, release = threading.Event(), threading.Event()

    def long_batch() -> None:
        with db.transaction():
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=long_batch)
    writer.start()
    try:
        holding.wait(5)
        response = client.get("/readyz")
    finally:
        release.set()
        writer.join()
    assert response.status_code == 200
    assert response.json()["write"] == "busy"


def test_readyz_not_ready_when_sqlite_disk_space_is_low(client, db, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's disk is the database server's")
    monkeypatch.setattr(probe, "MIN_FREE_BYTES", 1 << 62)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["disk"] == "low" and response.json()["write"] == "ok"
    assert client.get("/healthz").status_code == 200


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "startline"
