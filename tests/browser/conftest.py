"""Browser tests: Playwright (sync API) drives Debian's chromium against pytest-django's live server.

Every test in this folder is marked `browser` and runs at the end of the session, for two reasons:
- Playwright's sync API marks its event loop as running in the main thread for as long as it is
  started, and Django refuses database calls from a thread with a running loop. The loop's
  lifetime is the `_playwright` fixture's, and so is DJANGO_ALLOW_ASYNC_UNSAFE's: no other test
  runs with the guard off.
- They use the live server, so a transactional database that is emptied after each test (the
  shipped regions included): a transactional test that runs after them would find no regions.

Without /usr/bin/chromium they skip, unless FANGKONG_REQUIRE_BROWSER=1 (CI), then they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import World, reload_shipped_data, world

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags chromium tries to reach outside hosts at start and stalls.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "var" / "test-artifacts"
PASSWORD = "pw-Secret-123"  # tests/factories.py
TIMEOUT_MS = 5_000  # a live server on localhost answers in milliseconds: fail fast, not after 30 s


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    ours = [item for item in items if HERE in item.path.parents]
    for item in ours:  # before `-m` selects by marker
        item.add_marker(pytest.mark.browser)
    result = yield
    # after pytest-django's ordering (plain db tests, then transactional ones, then the rest)
    mine = set(ours)
    items[:] = [i for i in items if i not in mine] + [i for i in items if i in mine]
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_failed] = True
    return report


_failed = pytest.StashKey[bool]()


def _unavailable(reason: str) -> None:
    if os.environ.get("FANGKONG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (FANGKONG_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(f"{reason}; run `make browser-deps`")


@pytest.fixture(scope="session")
def _playwright():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing")
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser(_playwright):
    """One chromium for the whole run; each test gets fresh contexts (cookies, storage)."""
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _context(request: pytest.FixtureRequest, browser, base_url: str, name: str, **options):
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    if request.node.stash.get(_failed, False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        test = re.sub(r"[^\w.-]+", "_", request.node.name)
        for i, page in enumerate(context.pages):
            path = ARTIFACTS / f"{test}-{name}-{i}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                print(f"screenshot of {page.url} failed: {exc}")
            else:
                print(f"screenshot of {page.url}: {path}")
    context.close()


@pytest.fixture
def phone(request, browser, live_server):
    """A phone-sized browser (375×740, touch, zh-CN) on the live server: page.goto("/…")."""
    yield from _context(
        request,
        browser,
        live_server.url,
        "phone",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )


@pytest.fixture
def desktop(request, browser, live_server):
    """A desktop browser (1280×900, zh-CN) on the live server."""
    yield from _context(request, browser, live_server.url, "desktop", viewport={"width": 1280, "height": 900})


@pytest.fixture
def w(transactional_db, live_server) -> Iterator[World]:
    """The personas, committed so that the live server's thread sees them."""
    reload_shipped_data()  # the migrations' rows are gone after the previous test's flush
    yield world()
    _empty_audit_log()


def _empty_audit_log() -> None:
    """The flush after a transactional test is a DELETE on SQLite, which the append-only trigger
    refuses (PostgreSQL's TRUNCATE does not fire it): empty the log past the trigger first."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER audit_entry_no_delete")
        cur.execute("DELETE FROM audit_auditentry")
        cur.execute(
            "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
        )


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """sign_in(page, username): through the real login form; waits for the page it lands on."""

    def sign_in(page, username: str, password: str = PASSWORD, next_url: str = "") -> None:
        page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"

    return sign_in
