"""Accessibility of the main pages: axe-core (from the npm registry, pinned in
tests/browser/package.json, installed by `make test`) runs inside each page, on a desktop
and on a phone-sized screen, and no serious or critical violation may remain. No rule is
switched off.

Each page is also saved as a desktop and a phone screenshot (build/screenshots/a11y-*), and
must fit a phone's width; the page fixture fails the test on any console error or failed
request, as in the journeys."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals import services as referral_services
from referrals.models import WeeklyGoal
from reporting import kpis
from tests.factories import (
    ClientFactory,
    ContactFactory,
    ReadinessCheckFactory,
    RelationshipFactory,
    RosterEntryFactory,
)

from .conftest import PHONE

BLOCKING_IMPACTS = {"serious", "critical"}


def _violations(page, axe_source) -> list[str]:
    # Evaluated through the browser's debugging protocol, so the page's own
    # Content-Security-Policy (no inline scripts) stays as it is for everything else.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
        if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
def network(acme, alice, bob, maya):
    """Alice's work in progress, enough for every main page to show its lists and forms:
    a green-light client who knows a prospect on her roster, an ask to that client (with
    its follow-up), a won ask, and the week's goals."""
    now = timezone.now()
    carla = ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Diaz")
    ReadinessCheckFactory(client=carla, owner=alice, team=acme)
    priya = ContactFactory(team=acme, owner=alice, first_name="Priya", last_name="Shah")
    entry = RosterEntryFactory(prospect=priya, owner=alice, team=acme, priority=1)
    RelationshipFactory(between=(carla, priya), strength=4)
    asked = referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=carla,
        prospect=priya,
        roster_entry=entry,
        reason="Priya's team is replacing its planning spreadsheets this quarter.",
    )
    won = referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice),
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=now - timedelta(days=20),
    )
    for step in ("confirmed", "contacted", "meeting"):
        won = referral_services.referral_transition(referral=won, to=step)
    referral_services.referral_transition(referral=won, to="won", value=Decimal("18000"))
    WeeklyGoal.objects.create(
        team=acme, week_start=kpis.monday(timezone.localdate()), asks=4, intros=2, wins=1
    )
    return {"carla": carla, "priya": priya, "asked": asked, "alice": alice}


# (screenshot name, who logs in (None: nobody), the page, what its main heading says)
PAGES = [
    ("login", None, lambda n: "/login/", "Log in to Warmpath"),
    ("rep-week", "alice", lambda n: "/week/", "Good to see you, Alice"),
    ("rep-week-empty", "bob", lambda n: "/week/", "Good to see you, Bob"),
    ("rep-contacts", "alice", lambda n: "/contacts/", "Contacts"),
    ("rep-contact-detail", "alice", lambda n: f"/contacts/{n['carla'].pk}/", "Carla Diaz"),
    ("rep-roster", "alice", lambda n: "/roster/", "Referral roster"),
    (
        "rep-good-fits",
        "alice",
        lambda n: "/profile/ideal-client/fits/",
        "Good fits to put on your roster",
    ),
    (
        "rep-connectors",
        "alice",
        lambda n: f"/contacts/{n['priya'].pk}/connectors/",
        "Who can introduce you to Priya Shah",
    ),
    ("rep-referrals", "alice", lambda n: "/referrals/", "Referrals"),
    (
        "rep-referral-detail",
        "alice",
        lambda n: f"/referrals/{n['asked'].pk}/",
        "Carla Diaz → Priya Shah",
    ),
    ("rep-followups", "alice", lambda n: "/followups/", "Follow-ups"),
    ("rep-goals", "alice", lambda n: "/dashboard/goals/", "Your weekly goals"),
    ("manager-dashboard", "maya", lambda n: "/dashboard/", "Referral KPIs"),
    ("manager-goals", "maya", lambda n: "/dashboard/goals/", "Weekly goals of Acme"),
    (
        "manager-referrers",
        "maya",
        lambda n: "/dashboard/referrers/?period=last_12_weeks",
        "Top referrers and reciprocity",
    ),
    (
        "manager-rep-detail",
        "maya",
        lambda n: f"/dashboard/reps/{n['alice'].pk}/?period=last_4_weeks",
        "Alice",
    ),
    ("manager-team-overdue", "maya", lambda n: "/followups/team/", "Overdue follow-ups in Acme"),
]


@pytest.mark.parametrize(
    ("name", "username", "url", "heading"), PAGES, ids=[page[0] for page in PAGES]
)
def test_no_serious_accessibility_violations(
    page, login, screenshot, axe_source, network, name, username, url, heading
):
    if username:
        login(page, username)
    page.goto(url(network))
    if heading:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    # A part that the page loads once it shows (the dashboard's top referrers) is in.
    expect(page.locator('[hx-trigger="load"]')).to_have_count(0)
    # Every page has a title of its own, not the bare product name.
    assert re.fullmatch(r".+ · Warmpath", page.title()), page.title()

    desktop = _violations(page, axe_source)
    page.set_viewport_size(PHONE)
    phone = _violations(page, axe_source)
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, f"a11y-{name}")

    assert not desktop, "Desktop:\n  " + "\n  ".join(desktop)
    assert not phone, "Phone:\n  " + "\n  ".join(phone)


def test_axe_finds_a_violation_when_there_is_one(page, axe_source, live_server):
    """The check itself: a page with an unlabeled input and text too pale to read is
    caught (so a green run above is not axe failing to run)."""
    page.goto("/login/")
    page.evaluate(
        """() => {
          const input = document.createElement('input');
          input.type = 'text';
          document.querySelector('main').append(input);
          const pale = document.createElement('p');
          pale.textContent = 'Barely readable';
          pale.style.color = '#f0f0f0';
          document.querySelector('main').append(pale);
        }"""
    )
    found = _violations(page, axe_source)
    assert any(problem.startswith("critical label") for problem in found), found
    assert any("color-contrast" in problem for problem in found), found
