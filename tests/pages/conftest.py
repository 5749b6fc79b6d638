"""Browser fixtures: Debian's Chromium (never a downloaded one) driven by Playwright, a page
that records every request it makes and refuses any that would leave 127.0.0.1, and a
screenshot of the page when a browser test fails.

Without Playwright or Chromium the browser tests are skipped, unless
STARTLINE_REQUIRE_BROWSER=1 (CI sets it), which makes that a failure."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("STARTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("STARTLINE_TEST_RESULTS", "test-results")) / "screenshots"


def _no_browser(reason: str) -> None:
    if os.environ.get("STARTLINE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (STARTLINE_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Playwright for Python is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Requests(list[str]):
    """Every URL the page asked for, and those refused for leaving 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []


def _local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname == "127.0.0.1"


@pytest.fixture
def requests() -> Requests:
    return Requests()


def open_page(browser: Any, requests: Requests, **context_options: Any) -> Any:
    context = browser.new_context(**context_options)

    def guard(route: Any) -> None:
        url = route.request.url
        if _local(url):
            route.continue_()
        else:
            requests.refused.append(url)
            route.abort()

    context.route(re.compile(".*"), guard)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    return page


@pytest.fixture
def page(browser: Any, requests: Requests) -> Iterator[Any]:
    opened = open_page(browser, requests, viewport={"width": 1200, "height": 800})
    yield opened
    opened.context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    shown = [value for name, value in funcargs.items() if name.endswith("page")]
    for index, opened in enumerate(shown):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = (SCREENSHOTS / f"{item.name}-{index}.png").resolve()
        try:
            opened.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # the page may be gone: say so instead
            report.sections.append(("browser screenshot", f"none taken: {exc}"))
            continue
        report.sections.append(("browser screenshot", f"saved to {path}"))
