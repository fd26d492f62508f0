"""The browser machinery itself: the login page renders with its assets, logging in works,
and a page's problems are caught (so a green journey means a clean page)."""

import re

from playwright.sync_api import expect


def test_login_page_renders_and_a_rep_logs_in(page, alice, login, screenshot):
    page.goto("/login/")
    expect(page).to_have_title("Log in · Warmpath")
    expect(page.get_by_role("heading", name="Log in to Warmpath")).to_be_visible()
    # Bootstrap's stylesheet is served by the live server, not a CDN: the primary button
    # has its colour (an unstyled button is grey/transparent).
    button = page.get_by_role("button", name="Log in")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") != "rgba(0, 0, 0, 0)"
    screenshot(page, "login")

    login(page, "alice")

    expect(page).to_have_url(re.compile(r"/week/$"))
    expect(page.get_by_role("heading", name="Good to see you, Alice")).to_be_visible()
    # htmx is loaded from our own static files.
    assert page.evaluate("typeof window.htmx") == "object"


def test_a_wrong_password_is_refused_with_a_message(page, alice):
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()


def test_error_responses_are_recorded_unless_expected(page, alice, login, browser_problems):
    login(page, "alice")

    browser_problems.allow(404, "/contacts/987654/")
    page.goto("/contacts/987654/")
    assert browser_problems.problems == []

    page.goto("/no-such-page/")
    assert any(
        "HTTP 404" in problem and "/no-such-page/" in problem
        for problem in browser_problems.problems
    )
    # Seen. Expected from now on (Chromium's console line about it may come a moment
    # later), and forgotten: the page fixture would fail the test otherwise.
    browser_problems.allow(404, "/no-such-page/")
    browser_problems.problems.clear()


def test_a_request_to_another_host_is_recorded(page, alice, login, browser_problems, wait_until):
    """What "no CDN" means in the browser: the page fixture fails a test whose pages ask
    any host but Warmpath for anything (here, a script added as a CDN would add it)."""
    login(page, "alice")
    assert browser_problems.problems == []

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.src = "https://cdn.example.invalid/library.min.js";
            document.head.append(script);
        }"""
    )
    # Warmpath's Content-Security-Policy (script-src 'self') refuses it as well: the
    # console says so and the request fails.
    seen = browser_problems.problems
    wait_until(page, lambda: any(p.startswith("request failed") for p in seen), "the failure")
    assert "request to another host: GET https://cdn.example.invalid/library.min.js" in seen
    assert any("Content Security Policy" in problem for problem in seen)
    seen.clear()
