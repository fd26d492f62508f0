"""A newcomer's first ten minutes: what the README says is there is there (files, pages,
logins, commands), and the demo has an admin who can use /admin/."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from demo import DEMO_ADMIN, DEMO_PASSWORD, DEMO_PEOPLE
from demo.teams import demo_admin_ensure

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# Written by the programs the README describes, never committed.
GENERATED = ("var/", "build/", ".venv", "node_modules")
FILE_LIKE = re.compile(r"^[\w.*/-]+\.(?:py|md|txt|json|yml|yaml|toml|cfg|ini|csv|lock)$")


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def _layout_entries() -> list[str]:
    """The first word of each line of the README's "Project layout" block."""
    block = README.split("## Project layout", 1)[1].split("```", 2)[1]
    return [line.split()[0] for line in block.splitlines() if line and not line.startswith(" ")]


def _exists(reference: str) -> bool:
    reference = reference.strip().lstrip("./") if reference.startswith("./") else reference
    if "*" in reference:
        return any(ROOT.glob(reference))
    return (ROOT / reference).exists()


def test_every_file_the_readme_names_is_in_the_repository():
    links = [
        target
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
        if "://" not in target
    ]
    spans = [
        span
        for span in _code_spans(README)
        # A path in the repository: a file under a folder (a bare `services.py` is the
        # name every app's file has), or a folder of it; not a page (/week/).
        if not span.startswith("/")
        and "/" in span
        and (FILE_LIKE.match(span) or (span.endswith("/") and (ROOT / span.split("/")[0]).is_dir()))
    ]
    named = [*links, *spans, *_layout_entries()]
    missing = sorted({ref for ref in named if not ref.startswith(GENERATED) and not _exists(ref)})
    assert named, "the README names no file: the test reads it wrongly"
    assert not missing, f"The README names what the repository does not hold: {missing}"


def _routes() -> set[str]:
    """Every URL pattern of the project, as written (contacts/<int:pk>/connectors/)."""
    routes: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.add("/" + prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return routes


def test_every_page_the_readme_names_exists():
    """Each page the README names is one of the project's URLs (a base such as /api/v1/
    is the start of some), a <placeholder> standing for any converter."""
    pages = {span for span in _code_spans(README) if re.fullmatch(r"/[\w/<>.-]*/", span)}
    routes = {re.sub(r"<(?:\w+:)?\w+>", "<>", route) for route in _routes()}
    unknown = [
        page
        for page in sorted(pages)
        if not any(route.startswith(re.sub(r"<\w+>", "<>", page)) for route in routes)
    ]
    assert {"/week/", "/dashboard/", "/admin/"} <= pages
    assert not unknown, f"The README names pages that do not exist: {unknown}"


def test_the_readme_lists_every_demo_login_and_how_to_make_an_admin():
    for username, *_rest in [*DEMO_PEOPLE, DEMO_ADMIN]:
        assert f"| `{username}` " in README, username
    assert DEMO_PASSWORD in README
    assert ".venv/bin/python manage.py createsuperuser" in README
    assert "DJANGO_DEBUG_404" in README


def test_the_demo_admin_can_use_the_admin(db):
    demo_admin_ensure()
    client = Client()
    username = DEMO_ADMIN[0]

    assert client.login(username=username, password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200
    for page in (
        "/admin/referrals/rosterentry/",
        "/admin/contacts/contact/",
        "/admin/accounts/user/",
    ):
        assert client.get(page).status_code == 200, page
    # Home sends an admin of no team to the admin.
    assert client.get("/")["Location"] == "/admin/"


def test_the_demo_admin_is_made_once_and_keeps_the_demo_password(db):
    demo_admin_ensure()
    user = get_user_model().objects.get(username=DEMO_ADMIN[0])
    user.set_password("changed-by-someone")
    user.save()

    demo_admin_ensure(reset_password=False)
    assert get_user_model().objects.get(username=DEMO_ADMIN[0]).check_password("changed-by-someone")
    demo_admin_ensure()
    admins = get_user_model().objects.filter(username=DEMO_ADMIN[0])
    assert admins.count() == 1
    admin = admins.get()
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)
    assert not admin.memberships.exists()


@pytest.mark.slow
def test_seed_demo_prints_the_admin_login(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, no_color=True)

    printed = out.getvalue()
    assert f"admin    {DEMO_ADMIN[0]} / {DEMO_PASSWORD}" in printed
    assert Client().login(username=DEMO_ADMIN[0], password=DEMO_PASSWORD)
