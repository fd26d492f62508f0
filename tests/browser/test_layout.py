"""Every main page on a phone (390 x 844) and on a desktop (1280 x 800): nothing scrolls the
page sideways, every visible button and form field lies within the screen's width, and the
page's primary action is on screen (the roster's "Ask for an introduction", the referrals'
status buttons, the goals form's fields…). Lists become stacked cards on a phone, forms
stack, and a wide table keeps its first column while the rest scrolls behind a visible cue.

Each page is saved as build/screenshots/page-<name>-desktop.png and page-<name>-phone.png
(the journeys' screenshots show the same pages in the middle of a task).

The rep's, the manager's and the admin's pages are visited with enough data that every list
has rows: an empty page would pass without proving anything."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import FollowUp, Notification
from referrals import services as referral_services
from referrals.models import WeeklyGoal
from reporting import kpis
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    ExportJobFactory,
    ReadinessCheckFactory,
    ReferralGivenFactory,
    RelationshipFactory,
    RosterEntryFactory,
)

from .conftest import DESKTOP, PHONE
from .test_accessibility import _violations as accessibility_violations


@pytest.fixture
def book(acme, alice, bob, maya, admin_user):
    """Alice's book with a row in every list: prospects on her roster with long business
    reasons and a warm path, asks at every step, deals, an introduction she gave, follow-ups
    due and overdue, a notification, an export; goals for the week."""
    now = timezone.now()
    northwind = CompanyFactory(team=acme, name="Northwind Logistics International")
    carla = ClientFactory(
        team=acme, owner=alice, first_name="Carla", last_name="Diaz", company=northwind
    )
    ReadinessCheckFactory(client=carla, owner=alice, team=acme)
    prospects = []
    for i, (first, last) in enumerate([("Priya", "Shah"), ("Tomasz", "Wojciechowski-Lindqvist")]):
        prospect = ContactFactory(
            team=acme, owner=alice, first_name=first, last_name=last, company=northwind
        )
        RosterEntryFactory(
            prospect=prospect,
            owner=alice,
            team=acme,
            priority=i + 1,
            reason="Their team is replacing its planning spreadsheets before the busy season.",
        )
        RelationshipFactory(between=(carla, prospect), strength=4)
        prospects.append(prospect)
    asked = referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=carla,
        prospect=prospects[0],
        reason="Priya's team is replacing its planning spreadsheets this quarter.",
    )
    met = referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice),
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=now - timedelta(days=12),
    )
    for step in ("confirmed", "contacted", "meeting"):
        met = referral_services.referral_transition(referral=met, to=step)
    won = referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=carla,
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=now - timedelta(days=20),
    )
    for step in ("confirmed", "contacted", "meeting"):
        won = referral_services.referral_transition(referral=won, to=step)
    referral_services.referral_transition(referral=won, to="won", value=Decimal("18000"))
    DealFactory(team=acme, owner=alice, contact=prospects[1], value=Decimal("74800"))
    ReferralGivenFactory(client=carla, introduced_name="Jonathan Okonkwo-Hargreaves")
    # One of the thank-yous is overdue: the team's overdue page has a row too.
    FollowUp.objects.filter(referral=asked).update(due_at=now - timedelta(days=3))
    ExportJobFactory(owner=alice, team=acme)
    Notification.objects.create(
        user=alice,
        message="Thank Carla Diaz for the introduction to Priya Shah: due yesterday.",
        url=f"/referrals/{asked.pk}/",
    )
    monday = kpis.monday(timezone.localdate())
    WeeklyGoal.objects.create(team=acme, week_start=monday, asks=4, intros=2, wins=1)
    WeeklyGoal.objects.create(team=acme, rep=alice, week_start=monday, asks=3, referrals_given=1)
    return {
        "carla": carla,
        "priya": prospects[0],
        "asked": asked,
        "alice": alice,
        "northwind": northwind,
    }


# (screenshot name, who logs in, the page, what must be on screen: a role and its name)
PAGES = [
    ("rep-week", "alice", lambda b: "/week/", ("link", "Ask for an introduction")),
    ("rep-roster", "alice", lambda b: "/roster/", ("link", "Ask for an introduction")),
    ("rep-roster-form", "alice", lambda b: "/roster/new/", ("button", "Add to the roster")),
    ("rep-referrals", "alice", lambda b: "/referrals/", ("button", "Confirmed")),
    ("rep-referral-form", "alice", lambda b: "/referrals/new/", ("button", "Record the ask")),
    ("rep-referral-detail", "alice", lambda b: f"/referrals/{b['asked'].pk}/", None),
    ("rep-connectors", "alice", lambda b: f"/contacts/{b['priya'].pk}/connectors/", None),
    ("rep-followups", "alice", lambda b: "/followups/", ("text", "Complete")),
    ("rep-notifications", "alice", lambda b: "/notifications/", None),
    ("rep-contacts", "alice", lambda b: "/contacts/", ("link", "Add contact")),
    ("rep-contact-detail", "alice", lambda b: f"/contacts/{b['carla'].pk}/", None),
    ("rep-contact-form", "alice", lambda b: "/contacts/new/", ("button", "Add contact")),
    ("rep-companies", "alice", lambda b: "/companies/", ("link", "Add company")),
    ("rep-deals", "alice", lambda b: "/deals/", ("link", "Record a deal")),
    ("rep-deal-form", "alice", lambda b: "/deals/new/", ("button", "Save")),
    ("rep-given", "alice", lambda b: "/given/", ("link", "Record an introduction")),
    ("rep-given-form", "alice", lambda b: "/given/new/", ("button", "Record")),
    ("rep-readiness-form", "alice", lambda b: "/readiness/new/", None),
    ("rep-referral-edit", "alice", lambda b: f"/referrals/{b['asked'].pk}/edit/", None),
    ("rep-company", "alice", lambda b: f"/companies/{b['northwind'].pk}/", None),
    ("rep-company-form", "alice", lambda b: "/companies/new/", None),
    ("rep-ideal-client", "alice", lambda b: "/profile/ideal-client/", None),
    ("rep-goals", "alice", lambda b: "/dashboard/goals/", None),
    ("rep-exports", "alice", lambda b: "/exports/", None),
    ("rep-import", "alice", lambda b: "/contacts/import/", None),
    ("rep-profile", "alice", lambda b: "/profile/", ("button", "Save")),
    ("manager-dashboard", "maya", lambda b: "/dashboard/", ("link", "Weekly goals")),
    ("manager-goals", "maya", lambda b: "/dashboard/goals/", ("button", "Save the goals")),
    (
        "manager-rep-detail",
        "maya",
        lambda b: f"/dashboard/reps/{b['alice'].pk}/?period=last_4_weeks",
        None,
    ),
    ("manager-ideal-client", "maya", lambda b: "/profile/ideal-client/", ("button", "Save")),
    ("manager-team-overdue", "maya", lambda b: "/followups/team/", None),
    ("manager-roster", "maya", lambda b: "/roster/", None),
    ("manager-referrals", "maya", lambda b: "/referrals/", None),
    ("admin-index", "admin", lambda b: "/admin/", None),
    ("admin-contacts", "admin", lambda b: "/admin/contacts/contact/", ("link", "Add contact")),
    ("admin-referrals", "admin", lambda b: "/admin/referrals/referral/", None),
    # Not the contact's change form: Django admin's autocomplete (select2) writes inline
    # styles the CSP refuses and leaves an empty choice without a name (axe, serious); the
    # periodic task's change form is in the admin journey.
]


def _check(page, layout_problems, primary) -> list[str]:
    problems = layout_problems(page)
    if primary:
        role, name = primary
        if role == "text":  # a <summary> that opens a form in place
            action = page.get_by_text(name, exact=True).first
        else:
            action = page.get_by_role(role, name=re.compile(rf"^{re.escape(name)}")).first
        expect(action).to_be_visible()
        box = action.bounding_box()
        width = page.viewport_size["width"]
        if box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"{page.url}: the primary action {name!r} is outside the screen")
    return problems


@pytest.mark.parametrize(
    ("name", "username", "url", "primary"), PAGES, ids=[page[0] for page in PAGES]
)
def test_every_main_page_fits_a_phone_and_a_desktop(
    page,
    login,
    book,
    layout_problems,
    screenshot,
    axe_source,
    admin_user,
    name,
    username,
    url,
    primary,
):
    """At both sizes: nothing scrolls sideways, every button and field is on screen, the
    primary action is visible, and axe finds no serious or critical violation (the
    cards' layout included)."""
    login(page, admin_user.username if username == "admin" else username)
    page.goto(url(book))
    problems = []
    page.set_viewport_size(PHONE)
    problems += _check(page, layout_problems, primary)
    problems += [f"phone: {v}" for v in accessibility_violations(page, axe_source)]
    page.set_viewport_size(DESKTOP)
    problems += _check(page, layout_problems, primary)
    problems += [f"desktop: {v}" for v in accessibility_violations(page, axe_source)]
    screenshot(page, f"page-{name}")
    assert not problems, "\n".join(problems)


def test_an_action_off_screen_or_a_page_too_wide_is_caught(page, login, alice, layout_problems):
    """The check itself: a button pushed past the screen's edge inside a table that
    scrolls, and an element that makes the page wider than the screen, are both reported
    (so a green run above is not the check failing to look)."""
    login(page, "alice")
    page.set_viewport_size(PHONE)
    assert layout_problems(page) == []
    # Set through the CSSOM, which the page's Content-Security-Policy leaves alone.
    page.evaluate(
        """() => {
          const scroller = document.createElement('div');
          scroller.className = 'table-responsive';
          scroller.innerHTML = '<table><tr><td><div>Wide</div></td>'
            + '<td><button type="button" class="btn">Far away</button></td></tr></table>';
          scroller.querySelector('div').style.width = '900px';
          document.querySelector('main').append(scroller);
        }"""
    )
    found = layout_problems(page)
    assert any('"Far away"' in problem for problem in found), found
    assert not any("scrolls sideways" in problem for problem in found), found

    page.evaluate(
        """() => {
          const wide = document.createElement('div');
          wide.style.width = '900px';
          wide.style.height = '1rem';
          document.querySelector('main').append(wide);
        }"""
    )
    found = layout_problems(page)
    assert any("scrolls sideways" in problem for problem in found), found


def test_the_rep_table_scrolls_under_its_first_column_and_the_charts_read_on_a_phone(
    page, login, book, bob
):
    """The dashboard's per-rep table is wider than a phone: it scrolls inside its box
    (not the page) with a shadow at the right edge while more columns lie beyond, and each
    rep's name stays in place while Wins, Won value and Overdue scroll into view. The
    charts' labels are drawn at a readable size, not shrunk to 8 px."""
    login(page, "maya")
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/")
    table = page.get_by_role("table", name=re.compile("^The team's totals above are the sum"))
    box = table.locator("xpath=..")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    assert "gradient" in box.evaluate("box => getComputedStyle(box).backgroundImage")

    name = table.get_by_role("rowheader", name=re.compile("^Alice"))
    name.scroll_into_view_if_needed()
    before = name.bounding_box()["x"]
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    overdue = table.get_by_role("columnheader", name=re.compile("^Overdue"))
    header = overdue.bounding_box()
    assert header["x"] >= 0 and header["x"] + header["width"] <= PHONE["width"]
    # The name has not moved, and the figures pass under it, not over it.
    assert name.bounding_box()["x"] == before
    assert name.evaluate("cell => getComputedStyle(cell).position") == "sticky"

    sizes = page.locator("svg.chart text").evaluate_all(
        """texts => texts.map(text => parseFloat(getComputedStyle(text).fontSize)
             * text.getScreenCTM().a)"""
    )
    assert sizes, "the dashboard draws its charts"
    assert min(sizes) >= 10, sizes
