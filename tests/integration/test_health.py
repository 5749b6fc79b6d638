"""GET /healthz answers 200 when the database answers and 503 when it does not."""

from startline.db.engine import Database


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_database_down(client, app, monkeypatch):
    unreachable = Database(
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing", connect_args={"connect_timeout": 2}
    )
    monkeypatch.setattr(app.state.services, "db", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "startline"
