"""Security headers on every response, and pages that satisfy the Content-Security-Policy:
no inline script, no inline event handler, no style attribute — checked on the templates
and on every main page rendered with demo data, as a rep and as a manager."""

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from referrals.models import Referral
from referrals.services import referral_transition
from tests.test_contacts_pages import contact_form_data

EXPECTED_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "font-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def policy(response) -> dict[str, set[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_security_headers(response):
    assert policy(response) == EXPECTED_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# --- Headers ----------------------------------------------------------------------------------


def test_the_login_page_has_the_security_headers(client, db):
    response = client.get("/login/")

    assert response.status_code == 200
    assert_security_headers(response)


def test_a_logged_in_page_has_the_security_headers(alice_client):
    response = alice_client.get("/week/")

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/no-such-page/", "/health/"])
def test_api_answers_errors_and_health_have_them_too(alice_client, path):
    assert_security_headers(alice_client.get(path))


def test_the_api_docs_relax_inline_styles_on_that_page_only(alice_client):
    response = alice_client.get("/api/docs/")

    assert response.status_code == 200
    relaxed = policy(response)
    assert relaxed.pop("style-src") == {"'self'", "'unsafe-inline'"}
    expected = dict(EXPECTED_POLICY)
    expected.pop("style-src")
    assert relaxed == expected  # scripts included: still 'self' only


def test_the_admin_history_page_allows_its_one_style_attribute_by_hash(admin_client_, alice):
    from tests.factories import ContactFactory

    contact = ContactFactory(team=alice.memberships.get().team, owner=alice)

    response = admin_client_.get(f"/admin/contacts/contact/{contact.pk}/history/")

    assert response.status_code == 200
    directives = policy(response)
    assert directives.pop("style-src-attr") == {
        "'unsafe-hashes'",
        "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",  # "border-top: 0"
    }
    assert directives == EXPECTED_POLICY
    assert 'style="border-top: 0"' in response.content.decode()


def test_production_cookies_are_secure_and_same_site():
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_COOKIE_HTTPONLY
    production = Path(settings.BASE_DIR, "config/settings/production.py").read_text()
    assert "SESSION_COOKIE_SECURE = True" in production
    assert "CSRF_COOKIE_SECURE = True" in production


def test_htmx_injects_no_style_element_and_its_indicator_css_is_ours():
    base = Path(settings.BASE_DIR, "templates/base.html").read_text()
    css = Path(settings.BASE_DIR, "static/css/warmpath.css").read_text()

    assert '"includeIndicatorStyles": false' in base
    assert ".htmx-indicator {" in css
    assert ".htmx-request .htmx-indicator" in css


# --- What the pages contain ---------------------------------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP refuses: <script> without src (JSON data blocks are
    fine: never run), on*= event handler attributes, style= attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        runs = attributes.get("type") not in ("application/json", "application/ld+json")
        if tag == "script" and not attributes.get("src") and runs:
            self.problems.append(f"inline <script> {self.getpos()}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> {self.getpos()}")
            if name == "style":
                self.problems.append(f'<{tag} style="{value}"> {self.getpos()}')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…> {self.getpos()}")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def test_the_finder_finds_what_the_policy_refuses():
    html = (
        '<script>alert(1)</script><script src="/static/x.js"></script>'
        '<script type="application/json">{}</script><a onclick="x()" href="javascript:x()">'
        '<p style="color: red">'
    )

    assert len(inline_code(html)) == 4


TEMPLATE_DIR = Path(settings.BASE_DIR, "templates")
INLINE_IN_TEMPLATE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATE_DIR.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATE_DIR))
)
def test_no_template_has_inline_code(template):
    assert not INLINE_IN_TEMPLATE.findall(template.read_text())


# Pages reached by following links from these, as each person would click through.
START_PAGES = [
    "/",
    "/week/",
    "/dashboard/",
    "/contacts/",
    "/companies/",
    "/roster/",
    "/referrals/",
    "/deals/",
    "/given/",
    "/followups/",
    "/followups/team/",
    "/notifications/",
    "/profile/",
    "/profile/api-token/",
    "/profile/ideal-client/",
    "/password/change/",
    "/contacts/import/",
    "/referrals/new/",
    "/roster/new/",
    "/contacts/new/",
    "/companies/new/",
    "/deals/new/",
    "/given/new/",
]
NOT_FOLLOWED = re.compile(r"/logout/|\.csv|/delete/|/admin/|/api/|/static/")
SAME_KIND_LIMIT = 2  # two pages of each kind (same URL but for the numbers)
LINK = re.compile(r'href="(/[^"#]*)"')


def crawl(client: Client, extra_pages=(), limit: int = 150) -> dict[str, list[str]]:
    """Render the main pages and what they link to; the inline code found on each."""
    found, seen, kinds = {}, set(), {}
    queue = [*START_PAGES, *extra_pages]
    while queue and len(seen) < limit:
        url = queue.pop(0).replace("&amp;", "&")
        kind = re.sub(r"\d+", "N", urlsplit(url).path)
        if url in seen or NOT_FOLLOWED.search(url) or kinds.get(kind, 0) >= SAME_KIND_LIMIT:
            continue
        seen.add(url)
        kinds[kind] = kinds.get(kind, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        found[url] = inline_code(html)
        queue.extend(LINK.findall(html))
    return found


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    ravi = User.objects.get(username="ravi")
    # Some history to show: an edit through the page and a step of a referral.
    client = Client()
    client.force_login(ravi)
    contact = ravi.owned_contacts.filter(user__isnull=True).first()
    edited = client.post(
        f"/contacts/{contact.pk}/edit/",
        contact_form_data(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            owner=ravi.pk,
            notes="Met at the trade fair.",
        ),
    )
    assert edited.status_code == 302
    referral = Referral.objects.filter(owner=ravi, status=Referral.Status.ASKED).first()
    referral_transition(referral=referral, to=Referral.Status.CONFIRMED)
    return {"contact": contact, "referral": referral}


@pytest.mark.parametrize("username", ["ravi", "maria"])
def test_every_main_page_satisfies_the_policy(demo, username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    pages = crawl(
        client,
        extra_pages=[
            f"/contacts/{demo['contact'].pk}/history/",
            f"/referrals/{demo['referral'].pk}/history/",
        ],
    )

    assert len(pages) > 40, sorted(pages)
    assert any("/history/" in url for url in pages)
    assert {url: problems for url, problems in pages.items() if problems} == {}


def test_the_pages_without_a_login_satisfy_it_too(client, alice):
    pages = {"/login/": client.get("/login/").content.decode()}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post("/login/", {"username": "alice", "password": "wrong"})
    pages["locked out"] = locked.content.decode()

    assert {name: inline_code(html) for name, html in pages.items()} == {
        "/login/": [],
        "locked out": [],
    }


def test_a_new_token_page_satisfies_it(alice_client):
    response = alice_client.post("/profile/api-token/", {"action": "create"})

    assert inline_code(response.content.decode()) == []
    assert_security_headers(response)
