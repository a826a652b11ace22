"""Playwright drives Debian's Chromium against moon served by uvicorn (tests/asgi.py).

While Playwright's sync API is started, its event loop counts as running in the main thread,
so `asyncio.run()` fails there. pytest-playwright keeps Playwright for the whole session; under
xdist a worker also runs the asyncio tests of other packages. Here Playwright and the browser
live for this package only: they stop before the worker moves on to any other test.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, expect, sync_playwright

from tests.asgi import AsgiServer, serving_asgi

CHROMIUM = {
    "executable_path": "/usr/bin/chromium",
    "args": [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
    ],
}
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, **CHROMIUM}


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name or "chromium")  # type: ignore[no-any-return]


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    started = launch_browser()
    yield started
    started.close()


@pytest.fixture(scope="package")
def browser_context_args() -> dict[str, Any]:
    return {}


@pytest.fixture
def live_site(transactional_db: None) -> Iterator[AsgiServer]:
    """moon served as the web process serves it (uvicorn, ASGI), so the pages' event stream
    is live; with the test database, static files from the finders."""
    with serving_asgi() as served:
        yield served
