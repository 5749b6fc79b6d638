"""The HTML pages without a browser: where they answer, what is public, escaping, caching."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from startline.app import create_app
from startline.db.engine import Database
from startline.settings import Settings
from tests.pages.world import (
    PATH,
    SECRET_BIRTH_DATE,
    SECRET_CHIP,
    make_world,
    runner,
    set_race,
    write,
)


def test_the_race_page_lists_the_runners_in_the_html(client: TestClient, db: Database) -> None:
    world = make_world(db)
    write(db, world, *[runner(n, world.event_ids[n % 2]) for n in range(1, 6)])
    page = client.get(PATH)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h1>Race SeedRace</h1>" in html
    rows = re.findall(r'<tr data-id="\d+"', html)
    assert len(rows) == 5
    assert '<th scope="row" class="c-name">First3 Last3</th>' in html
    assert '<input type="search" id="q" name="q"' in html and '<label for="q">' in html
    assert "Event 0" in html and "Event 1" in html  # one tab per event
    assert 'data-count="entered">5<' in html
    assert "Showing 1–5 of 5 runners" in html


def test_the_page_answers_at_the_race_url_in_any_case(client: TestClient, db: Database) -> None:
    world = make_world(db)
    by_id = client.get(
        f"/races/{world.race.race_id}?edition={world.edition_id}", follow_redirects=False
    )
    assert by_id.status_code == 307
    assert by_id.headers["location"] == f"{PATH}?edition={world.edition_id}"
    other = client.get("/Race/CA/Elsewhere/seedRACE?q=1", follow_redirects=False)
    assert other.status_code == 308 and other.headers["location"] == f"{PATH}?q=1"
    assert client.get("/Race/seedrace", follow_redirects=False).status_code == 308
    assert client.get(PATH).status_code == 200
    # The race object's url is where the page is.
    race = client.get(f"/public/v1/races/{world.race.race_id}").json()
    assert race["url"].endswith(PATH)


def test_unknown_draft_and_switched_off_races_are_404(client: TestClient, db: Database) -> None:
    world = make_world(db)
    race_id = world.race.race_id
    assert client.get("/Race/NJ/Moorestown/NoSuchRace").status_code == 404
    assert client.get("/races/999").status_code == 404
    assert client.get("/races/abc").status_code == 404
    assert client.get(f"{PATH}?edition=999").status_code == 404
    set_race(db, race_id, is_draft=True)
    for path in (PATH, f"/races/{race_id}", f"/public/v1/races/{race_id}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
    runners = client.get(f"/public/v1/editions/{world.edition_id}/runners")
    assert runners.status_code == 404
    assert "Race SeedRace" not in client.get("/").text
    set_race(db, race_id, is_draft=False, is_public=False)
    assert client.get(PATH).status_code == 404
    set_race(db, race_id, is_public=True)
    assert client.get(PATH).status_code == 200


def test_the_server_switch_turns_every_page_off(settings: Settings, db: Database) -> None:
    world = make_world(db)
    off = create_app(settings.model_copy(update={"public_pages": False}), database=db)
    with TestClient(off) as client:
        assert client.get(PATH).status_code == 404
        assert client.get("/").status_code == 404
        edition = world.edition_id
        assert client.get(f"/public/v1/editions/{edition}/runners").status_code == 404
        assert "/public/v1/races" not in client.get("/openapi.json").json()["paths"]


def test_hostile_names_are_escaped(client: TestClient, db: Database) -> None:
    world = make_world(db)
    hostile = "<script>alert('x')</script>"
    write(
        db,
        world,
        runner(1, world.event_ids[0], team_name=hostile, first_name='"><img src=x onerror=1>'),
        runner(2, world.event_ids[0], last_name="</script><script>alert(2)</script>"),
    )
    html = client.get(PATH).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    # The page's data block cannot be closed from inside.
    data = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert data is not None and "<" not in data.group(1)
    json.loads(data.group(1))
    searched = client.get(PATH, params={"q": "<b>x</b>"}).text
    assert "<b>x</b>" not in searched and "&lt;b&gt;x&lt;/b&gt;" in searched


def test_private_fields_never_reach_the_page_or_its_json(client: TestClient, db: Database) -> None:
    world = make_world(db)
    write(
        db,
        world,
        runner(1, world.event_ids[0], chip_code=SECRET_CHIP, unique_id="SECRET-UID-1"),
    )
    set_race(
        db, world.race.race_id, contact_email="secret-contact@example.com", street="1 Hidden Rd"
    )
    edition = world.edition_id
    bodies = [
        client.get(PATH).text,
        client.get(f"{PATH}?q=First1").text,
        client.get("/").text,
        client.get(f"/public/v1/editions/{edition}/runners").text,
        client.get(f"/public/v1/editions/{edition}/changes?since=0").text,
        client.get(f"/public/v1/races/{world.race.race_id}").text,
        client.get("/public/v1/races").text,
    ]
    for body in bodies:
        assert "First1" in body or "SeedRace" in body
        for secret in (
            SECRET_CHIP,
            SECRET_BIRTH_DATE.isoformat(),
            "1987",
            "SECRET-UID-1",
            "secret-contact",
            "Hidden Rd",
            "date_of_birth",
            "chip",
            "unique_id",
        ):
            assert secret not in body, secret


def test_etag_and_304(client: TestClient, db: Database) -> None:
    world = make_world(db)
    write(db, world, runner(1, world.event_ids[0]))
    first = client.get(PATH)
    etag = first.headers["etag"]
    again = client.get(PATH, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    write(db, world, runner(1, world.event_ids[0], state="finished"))
    changed = client.get(PATH, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_other_editions_and_lenient_parameters(client: TestClient, db: Database) -> None:
    world = make_world(db)
    write(db, world, runner(5, world.event_ids[0]), runner(6, world.event_ids[1]))
    page = client.get(PATH, params={"sort": "nonsense", "page": "x", "state": "?", "event": "77"})
    assert page.status_code == 200 and page.text.count('<tr data-id="') == 2
    only = client.get(PATH, params={"event": str(world.event_ids[1])})
    assert only.text.count('<tr data-id="') == 1 and 'aria-current="page">Event 1' in only.text
    edition_page = client.get(PATH, params={"edition": str(world.edition_id)})
    assert edition_page.status_code == 200


def test_the_index_links_public_races(client: TestClient, db: Database) -> None:
    make_world(db)
    make_world(db, url_string="Hidden")
    set_race(db, 2, is_public=False)
    html = client.get("/").text
    assert f'href="{PATH}"' in html
    assert "Hidden" not in html


def test_static_files_are_served_here(client: TestClient, db: Database) -> None:
    make_world(db)
    html = client.get(PATH).text
    for src in re.findall(r'(?:src|href)="(/static/pages/[^"]+)"', html):
        assert client.get(src).status_code == 200, src
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def test_templates_and_static_files_ship_with_the_package() -> None:
    import startline.pages

    folder = Path(startline.pages.__file__).parent
    assert (folder / "templates" / "race.html").is_file()
    assert (folder / "static" / "pages.js").is_file()
