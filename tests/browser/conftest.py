"""Headless Debian Chromium driven by Playwright against the live test server.

Playwright's own browser downloads are never used: the machines have no internet, and Debian's
Chromium is what .ci/run installs. A missing browser fails loudly instead of skipping.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PDAO_CHROMIUM", "/usr/lib/chromium/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei"
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # tests themselves (creating users) are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every page of every browser test is also a test of the Content-Security-Policy: anything
    # it blocks (an inline script or style, a foreign asset) fails the test that met it.
    blocked = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert not blocked, blocked


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The authorization tests' small city (bureau, operator, providers, experts) for the UI walk.
from tests.authorization.conftest import _data_dir, city  # noqa: E402, F401
from tests.zone.conftest import live  # noqa: E402, F401
