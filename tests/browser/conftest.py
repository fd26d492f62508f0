"""Browser end-to-end tests: Debian's headless Chromium, driven by Playwright for Python,
against a live Warmpath server on the test database.

Every test in tests/browser/ is marked `browser` (deselect with `-m "not browser"`) and
runs after the rest of the suite (see `pytest_collection_modifyitems` below for why).

Fixtures
--------
``page``
    A fresh browser context and page for the test (desktop viewport 1280x800), whose
    relative URLs go to the live server: ``page.goto("/week/")``. It records JavaScript
    console errors, uncaught page errors, failed requests and every response with a status
    of 400 or more, and every request to a host other than the live server (a CDN), and
    fails the test at teardown if any occurred (listing them).
``browser_problems``
    The recorder behind ``page``. ``browser_problems.allow(404, "/contacts/999/")`` accepts
    a response the test expects (the status and a part of its URL); ``.problems`` is the
    list of what went wrong so far.
``login``
    ``login(page, "alice")`` logs in through the real login form (password
    ``tests.factories.TEST_PASSWORD``, which the factories give every user) and waits for
    the landing page. Create the user first (e.g. request the ``alice`` fixture).
``wait_until``
    ``wait_until(page, lambda: held, "htmx's request")`` waits (up to 5 s) for something
    Playwright tells the test through an event handler: it delivers those only while the
    test is inside one of its calls, so a plain loop would wait forever.
``screenshot``
    ``screenshot(page, "rep-week")`` saves build/screenshots/rep-week-desktop.png (1280x800)
    and rep-week-phone.png (390x844), full page, and fails the test if, at either size, the
    page is wider than the screen (a table or form that does not fit scrolls the whole page
    sideways) or a button or form field lies outside the screen's width (an action in a
    table that scrolls, see ``layout_problems``). Use a name that says whose page it is
    ("rep-…", "manager-…", "admin-…").
``layout_problems``
    ``layout_problems(page)``: what a user could not reach on this page at its current
    size without scrolling sideways, as sentences (empty when the layout is right).
``browser``
    The Chromium browser (session scope); ``page`` is what tests normally need.
``live_server``
    pytest-django's live server (static files served by it; the database is the
    transactional test database, emptied after each test).

Chromium is Debian's package (/usr/bin/chromium, or WARMPATH_CHROMIUM), never a browser
that Playwright downloads. Without it the browser tests are skipped with the reason, except
in CI (CI=true), where a missing browser fails them: `.ci/run` installs it.

Assertions: use ``playwright.sync_api.expect`` (it waits, up to 5 s, for what the user
would see); Django's ORM may be used in the test for arranging data and checking the
database at the end.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from config.env import env_bool
from tests.factories import TEST_PASSWORD

BROWSER_TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("WARMPATH_CHROMIUM", "/usr/bin/chromium"))
# The network is closed here and in CI: without the background-networking switches
# Chromium keeps trying to reach its vendor's services (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "build" / "screenshots"
# What the user would notice as slow; the defaults (30 s) only make a failure wait longer.
ACTION_TIMEOUT_MS = 10_000


def pytest_itemcollected(item):
    if BROWSER_TESTS_DIR in Path(item.path).parents:
        item.add_marker(pytest.mark.browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Browser tests run last. While Playwright's sync API is running, its event loop is
    # the running loop of the main thread, so Django refuses ORM calls there
    # (SynchronousOnlyOperation) unless DJANGO_ALLOW_ASYNC_UNSAFE is set — and the browser
    # is a session fixture, alive until the session ends. Running these tests last keeps
    # both the loop and that switch away from every other test.
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if browser_items:
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        items.extend(browser_items)


# --- The browser --------------------------------------------------------------------------


def missing_tool(reason: str, what: str):
    """A tool the browser tests need is not installed: skip on a developer's machine,
    fail in CI (CI=true), where `.ci/run` and `make test` install it."""
    if env_bool("CI", False):
        pytest.fail(f"{reason}. In CI a missing {what} is a failure, not a skip.")
    pytest.skip(reason)


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source():
    """axe-core's script, to be evaluated in a page (tests/browser/test_accessibility.py)."""
    if not AXE.exists():
        missing_tool(
            f"axe-core is not installed ({AXE}): `make test` installs it, or run "
            "`npm ci` in tests/browser",
            "axe-core",
        )
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def _playwright():
    if not CHROMIUM.exists():
        missing_tool(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's "
            "package (apt-get install chromium) or WARMPATH_CHROMIUM=<path>",
            "browser",
        )
    from playwright.sync_api import sync_playwright

    # Django's guard against ORM calls from async code sees Playwright's event loop as one
    # (see pytest_collection_modifyitems). The test thread only runs Playwright's calls
    # one at a time, synchronously, so the guard's concern (a connection used by
    # concurrent coroutines) does not arise; the switch is on only while Playwright runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# --- What went wrong in the page ------------------------------------------------------------


@dataclass
class BrowserProblems:
    """Console errors, page errors, failed requests, error responses and requests to any
    host but Warmpath's own (a CDN, a web font) of one page."""

    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)
    origin: str = ""  # the live server's, set by the page fixture

    def allow(self, status: int, url_part: str) -> None:
        """Accept a response with this status whose URL contains url_part."""
        self.expected.append((status, url_part))

    def _is_expected(self, status: int, url: str) -> bool:
        return any(status == s and part in url for s, part in self.expected)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        # Chromium logs every error response on the console, and htmx each one it gets;
        # an expected one is fine.
        status = re.search(r"Failed to load resource: .*status of (\d+)", text)
        if status and self._is_expected(int(status.group(1)), message.location.get("url", "")):
            return
        status = re.search(r"Response Status Error Code (\d+) from (\S+?),? ", text)
        if status and self._is_expected(int(status.group(1)), status.group(2)):
            return
        self.problems.append(f"console error: {text} ({message.location.get('url', '')})")

    def on_page_error(self, error) -> None:
        self.problems.append(f"JavaScript error: {error}")

    def on_request(self, request) -> None:
        # Everything a page needs is served by Warmpath itself: a request elsewhere would
        # leave the page broken offline or behind a firewall, even where this network
        # happens to let it through.
        if request.url.startswith(("http:", "https:")) and not request.url.startswith(
            self.origin + "/"
        ):
            self.problems.append(f"request to another host: {request.method} {request.url}")

    def on_request_failed(self, request) -> None:
        failure = request.failure or ""
        # ERR_ABORTED is the browser itself dropping a request because the page moved on
        # (a navigation, a download such as a CSV export): not something the server or the
        # page did wrong. Real failures show as another error or a response >= 400.
        if "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({failure})")

    def on_response(self, response) -> None:
        if response.status >= 400 and not self._is_expected(response.status, response.url):
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )


@pytest.fixture
def browser_problems():
    return BrowserProblems()


@pytest.fixture
def page(browser, live_server, browser_problems):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    browser_problems.origin = live_server.url
    page.on("console", browser_problems.on_console)
    page.on("request", browser_problems.on_request)
    page.on("pageerror", browser_problems.on_page_error)
    page.on("requestfailed", browser_problems.on_request_failed)
    page.on("response", browser_problems.on_response)
    yield page
    context.close()
    if browser_problems.problems:
        pytest.fail(
            "The browser saw problems on the pages visited:\n  "
            + "\n  ".join(browser_problems.problems),
            pytrace=False,
        )


# --- Helpers --------------------------------------------------------------------------------


def _login(page, username: str, password: str = TEST_PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


@pytest.fixture
def login():
    return _login


def _wait_until(page, condition, what: str, timeout_ms: int = 5_000) -> None:
    for _ in range(timeout_ms // 20):
        if condition():
            return
        page.wait_for_timeout(20)  # a Playwright call: the events pending are delivered
    pytest.fail(f"Waited {timeout_ms} ms for {what}")


@pytest.fixture
def wait_until():
    return _wait_until


# Every visible button and form field must lie within the screen's width: one that sits in
# a table scrolled sideways (the roster's "Ask for an introduction" at x = 870 on a phone)
# or past the edge of the page is one the user does not see. Links are exempt unless they
# look like buttons (.btn): a sortable column heading in a wide table that scrolls, with
# its first column kept, is fine. Hidden elements (a collapsed menu, a closed <details>,
# Bootstrap's visually-hidden text) are skipped.
_OFF_SCREEN_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const overflow = document.documentElement.scrollWidth - width;
  if (overflow > 0) {
    found.push(`the page is ${overflow}px wider than the screen (${width}px): it scrolls sideways`);
  }
  const reachable = "a.btn, button, summary.btn, input:not([type=hidden]), select, textarea";
  for (const element of document.querySelectorAll(reachable)) {
    if (!element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    // A column's "what it counts" in a wide table of figures: the table scrolls in its box
    // on purpose (table-scroll, with its cue), and the button scrolls into view with it.
    if (element.matches(".table-scroll .definition-toggle")) continue;
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (box.left < -0.5 || box.right > width + 0.5) {
      const name = (element.innerText || element.value || element.getAttribute("aria-label")
        || element.name || element.id || "").trim().replace(/\\s+/g, " ").slice(0, 60);
      found.push(`<${element.tagName.toLowerCase()}> "${name}" spans x = ${Math.round(box.left)}`
        + `..${Math.round(box.right)}, outside the screen's ${width}px`);
    }
  }
  return found;
}
"""


def layout_problems_of(page) -> list[str]:
    size = page.viewport_size
    where = f"{page.url} at {size['width']}x{size['height']}"
    return [f"{where}: {problem}" for problem in page.evaluate(_OFF_SCREEN_JS)]


@pytest.fixture
def layout_problems():
    return layout_problems_of


@pytest.fixture
def screenshot(browser_problems):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=SCREENSHOT_DIR / f"{name}-desktop.png", full_page=True)
        browser_problems.problems.extend(layout_problems_of(page))
        page.set_viewport_size(PHONE)
        try:
            page.screenshot(path=SCREENSHOT_DIR / f"{name}-phone.png", full_page=True)
            browser_problems.problems.extend(layout_problems_of(page))
        finally:
            page.set_viewport_size(DESKTOP)

    return take
