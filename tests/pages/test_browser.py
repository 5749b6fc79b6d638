"""The race page in headless Chromium against a real server: the list renders, search finds by
bib and by a name typed without accents, live changes arrive within 2 s while the visitor's
search and stars stay, a phone shows bib, name and state without scrolling sideways, and
nothing is fetched from anywhere but 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from startline.app import create_app
from startline.db.engine import Database
from startline.settings import Settings
from tests.pages.conftest import Requests, open_page
from tests.pages.serving import serve_in_thread
from tests.pages.world import PATH, PageWorld, make_world, runner, write

pytest.importorskip("httpx")


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[str]:
    with serve_in_thread(create_app(settings, database=db)) as base_url:
        yield base_url


@pytest.fixture
def world(db: Database) -> PageWorld:
    world = make_world(db)
    first, second = world.event_ids
    write(
        db,
        world,
        runner(12, first, first_name="Zoë", last_name="Ødegård", team_name="Fjord Flyers"),
        runner(3, first, first_name="Anna", last_name="Smith"),
        runner(40, second, first_name="Kris", last_name="Kuiper", state="during"),
        *[
            runner(n, first + (n % 2), first_name="Pat", last_name="Filler" + chr(65 + n % 26))
            for n in range(100, 130)
        ],
    )
    return world


def _rows(page: Any) -> Any:
    return page.locator("#runners tbody tr")


def _push(server: str, world: PageWorld, **fields: Any) -> None:
    body = {
        "date_of_birth": "1990-02-03",
        "race_id": world.event_ids[0],
        **fields,
    }
    response = httpx.post(
        f"{server}/v1/connect/participant", headers={"Authorization": world.token}, json=body
    )
    assert response.status_code in (200, 201), response.text


def _assert_local(requests: Requests) -> None:
    assert requests, "the page made no request at all?"
    assert requests.refused == []
    assert all(url.startswith("http://127.0.0.1:") for url in requests), requests


def test_the_list_renders_and_search_finds_by_bib_and_by_name_without_accents(
    server: str, world: PageWorld, page: Any, requests: Requests
) -> None:
    from playwright.sync_api import expect

    page.goto(server + PATH)
    expect(_rows(page)).to_have_count(33)
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    search = page.get_by_label("Find a runner")
    search.fill("40")
    expect(_rows(page).first.locator(".c-name")).to_have_text("Kris Kuiper")
    expect(_rows(page)).to_have_count(1)
    search.fill("zoe odegard")
    expect(_rows(page).first.locator(".c-bib")).to_have_text("12")
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).first.locator(".c-name")).to_have_text("Zoë Ødegård")
    # The view is in the URL: a reload or a shared link keeps it.
    expect(page).to_have_url(re.compile(r"\?q=zoe\+odegard$"))
    search.fill("")
    expect(_rows(page)).to_have_count(33)
    _assert_local(requests)


def test_live_changes_arrive_while_search_and_stars_stay(
    server: str, world: PageWorld, page: Any, requests: Requests
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1200, "height": 420})
    page.goto(server + PATH)
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.get_by_label("Find a runner").fill("zoe")
    expect(_rows(page)).to_have_count(1)
    zoe = _rows(page).filter(has_text="Ødegård")
    zoe.get_by_role("button", name="Watch Zoë Ødegård").click()
    expect(zoe).to_have_class("watched")
    page.evaluate("window.scrollTo(0, 150)")
    assert page.evaluate("window.scrollY") == 150

    # A new runner through the Tracx API who matches the search, another's state change,
    # and a runner who does not match: the first two show, the third does not.
    _push(
        server,
        world,
        unique_id="new-1",
        first_name="Zoé",
        last_name="Martin",
        start_number="5",
        chip_code="0000005",
    )
    _push(
        server,
        world,
        unique_id="u12",
        first_name="Zoë",
        last_name="Ødegård",
        start_number="12",
        chip_code="C000012",
        state="finished",
    )
    _push(
        server,
        world,
        unique_id="new-2",
        first_name="Other",
        last_name="Person",
        start_number="6",
        chip_code="0000006",
    )
    expect(_rows(page)).to_have_count(2, timeout=2000)
    expect(_rows(page).first.locator(".c-name")).to_have_text("Zoé Martin", timeout=2000)
    expect(zoe.locator(".c-state")).to_have_text("finished", timeout=2000)
    # What the visitor set is still there.
    expect(page.get_by_label("Find a runner")).to_have_value("zoe")
    expect(zoe.get_by_role("button", name="Stop watching Zoë Ødegård")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator('#counts [data-count="finished"]')).to_have_text("1", timeout=2000)
    # Patched in place: the star keeps the focus, the page keeps its scroll position (or
    # less than a row more, where the browser anchors it around an inserted row).
    expect(zoe.get_by_role("button")).to_be_focused()
    assert 150 <= page.evaluate("window.scrollY") < 150 + 60
    # The watch list is kept in the browser.
    page.reload()
    page.get_by_label("Watched only").check()
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).first.locator(".c-bib")).to_have_text("12")
    _assert_local(requests)


def test_a_phone_shows_bib_name_and_state_without_scrolling_sideways(
    server: str, world: PageWorld, browser: Any, requests: Requests
) -> None:
    from playwright.sync_api import expect

    phone = open_page(browser, requests, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone.goto(server + PATH)
        expect(_rows(phone)).to_have_count(33)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        row = _rows(phone).first
        for css in (".c-bib", ".c-name", ".c-state", ".c-star"):
            box = row.locator(css).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, css
        expect(row.locator(".c-team")).to_be_hidden()
        _assert_local(requests)
    finally:
        phone.context.close()


def test_without_javascript_the_list_is_in_the_page(
    server: str, world: PageWorld, browser: Any, requests: Requests
) -> None:
    from playwright.sync_api import expect

    plain = open_page(browser, requests, java_script_enabled=False)
    try:
        plain.goto(server + PATH + "?q=odegard")
        expect(_rows(plain)).to_have_count(1)
        plain.get_by_label("Find a runner").fill("kuiper")
        plain.get_by_role("button", name="Search").click()
        expect(_rows(plain)).to_have_count(1)
        expect(_rows(plain).first.locator(".c-bib")).to_have_text("40")
    finally:
        plain.context.close()
