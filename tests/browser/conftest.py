"""Playwright driving the system's Chromium against pytest-django's live server.

Outside CI the browser tests are skipped when Chromium is missing; in CI (CI=true or
SOPDESK_REQUIRE_BROWSER=1) a missing Chromium fails the run.
"""

import os
import shutil

import pytest

from tests.factories import CategoryFactory, UserFactory

# Playwright's sync API runs an event loop; Django's ORM calls from the test are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def _chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def _browser_required() -> bool:
    return (
        os.environ.get("CI", "").lower() in {"1", "true"}
        or os.environ.get("SOPDESK_REQUIRE_BROWSER") == "1"
    )


@pytest.fixture(scope="session")
def chromium():
    path = _chromium_path()
    if not path:
        if _browser_required():
            pytest.fail("Chromium is required for the browser tests in CI but was not found.")
        pytest.skip("Chromium is not installed (bash .ci/setup --browser installs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Every page a browser test opens is also a Content-Security-Policy test: Chromium reports
    # each refused script, style or handler on the console.
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused}"


@pytest.fixture
def people(roles):
    return {
        "supervisor": UserFactory(
            username="supervisor", first_name="Maria", last_name="Santos", role="Supervisor"
        ),
        "agent": UserFactory(
            username="agent", first_name="Dewi", last_name="Lestari", role="Agent"
        ),
    }


@pytest.fixture
def category(roles):
    return CategoryFactory(name="Call handling")


def log_in(page, username: str) -> None:
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
