"""The N+1 guard: every page, partial, download and API endpoint a logged-in person can GET
renders with the same number of SQL statements whatever the amount of data behind it.

Each endpoint is requested once on a small team (every kind of record, a few of each,
with the subjects of the detail pages tied to them), then again after four times as much
data was added — more contacts, companies, ties at every distance of the connectors'
target, asks in every state with their follow-ups, deals, referrals given, notifications,
history entries, timeline activities, for the rep and for a teammate. The counts must be
identical.

Every named URL of the project is accounted for: in PAGES (measured), or in NOT_PAGES
(with the reason it is not a GET page). A new URL name that is in neither fails
test_every_url_name_is_guarded — add its builder here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.calendar import calendar_feed_regenerate
from contacts import services as contact_services
from contacts.models import Activity, ImportJob
from followups.models import FollowUp, Notification
from referrals import services as referral_services
from referrals.links import referrer_link_token
from referrals.models import Referral, WeeklyGoal
from reporting.kpis import monday
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    ExportJobFactory,
    FollowUpFactory,
    MembershipFactory,
    ReadinessCheckFactory,
    ReferralGivenFactory,
    RelationshipFactory,
    RosterEntryFactory,
)

# --- What is measured, and what is not ------------------------------------------------------

# name → (who asks, path builder from the subjects `s`)
PAGES = {
    "home": ("alice", lambda s: reverse("home")),
    "rep-week": ("alice", lambda s: reverse("rep-week")),
    "dashboard:next-asks": ("alice", lambda s: reverse("dashboard:next-asks")),
    "manager-dashboard": (
        "maya",
        lambda s: reverse("manager-dashboard") + "?period=last_12_weeks",
    ),
    "profile": ("alice", lambda s: reverse("profile")),
    "profile-api-token": ("alice", lambda s: reverse("profile-api-token")),
    "password_change": ("alice", lambda s: reverse("password_change")),
    "password_change_done": ("alice", lambda s: reverse("password_change_done")),
    "contacts:list": ("alice", lambda s: reverse("contacts:list")),
    "contacts:export": ("alice", lambda s: reverse("contacts:export")),
    "contacts:search": ("alice", lambda s: reverse("contacts:search") + "?q=a"),
    "contacts:import": ("alice", lambda s: reverse("contacts:import")),
    "contacts:import-preview": (
        "alice",
        lambda s: reverse("contacts:import-preview", args=[s["job"].pk]),
    ),
    "contacts:import-status": (
        "alice",
        lambda s: reverse("contacts:import-status", args=[s["job"].pk]),
    ),
    "contacts:create": ("alice", lambda s: reverse("contacts:create")),
    "contacts:detail": ("alice", lambda s: reverse("contacts:detail", args=[s["contact"].pk])),
    "contacts:edit": ("alice", lambda s: reverse("contacts:edit", args=[s["contact"].pk])),
    "contacts:contact-history": (
        "alice",
        lambda s: reverse("contacts:contact-history", args=[s["contact"].pk]),
    ),
    "contacts:relationship-create": (
        "alice",
        lambda s: reverse("contacts:relationship-create", args=[s["contact"].pk]),
    ),
    "contacts:relationship-edit": (
        "alice",
        lambda s: reverse("contacts:relationship-edit", args=[s["relationship"].pk]),
    ),
    "contacts:relationships-export": ("alice", lambda s: reverse("contacts:relationships-export")),
    "contacts:company-list": ("alice", lambda s: reverse("contacts:company-list")),
    "contacts:company-search": ("alice", lambda s: reverse("contacts:company-search") + "?q=a"),
    "contacts:company-create": ("alice", lambda s: reverse("contacts:company-create")),
    "contacts:company-detail": (
        "alice",
        lambda s: reverse("contacts:company-detail", args=[s["company"].pk]),
    ),
    "contacts:company-edit": (
        "alice",
        lambda s: reverse("contacts:company-edit", args=[s["company"].pk]),
    ),
    "contacts:connectors": (
        "alice",
        lambda s: reverse("contacts:connectors", args=[s["target"].pk]) + "?max_hops=3",
    ),
    "referrals:roster": ("alice", lambda s: reverse("referrals:roster")),
    "referrals:fits": ("alice", lambda s: reverse("referrals:fits") + "?min_fit=0"),
    "referrals:readiness-list": ("alice", lambda s: reverse("referrals:readiness-list")),
    "referrals:readiness-export": ("alice", lambda s: reverse("referrals:readiness-export")),
    "referrals:roster-create": ("alice", lambda s: reverse("referrals:roster-create")),
    "referrals:roster-edit": (
        "alice",
        lambda s: reverse("referrals:roster-edit", args=[s["roster_entry"].pk]),
    ),
    "referrals:pipeline": ("alice", lambda s: reverse("referrals:pipeline")),
    "referrals:referral-create": ("alice", lambda s: reverse("referrals:referral-create")),
    "referrals:referral-detail": (
        "alice",
        lambda s: reverse("referrals:referral-detail", args=[s["referral"].pk]),
    ),
    "referrals:referral-edit": (
        "alice",
        lambda s: reverse("referrals:referral-edit", args=[s["referral"].pk]),
    ),
    "referrals:referral-history": (
        "alice",
        lambda s: reverse("referrals:referral-history", args=[s["referral"].pk]),
    ),
    "referrals:readiness-create": ("alice", lambda s: reverse("referrals:readiness-create")),
    "referrals:deal-list": ("alice", lambda s: reverse("referrals:deal-list")),
    "referrals:deal-create": ("alice", lambda s: reverse("referrals:deal-create")),
    "referrals:deal-edit": (
        "alice",
        lambda s: reverse("referrals:deal-edit", args=[s["deal"].pk]),
    ),
    "referrals:given-list": ("alice", lambda s: reverse("referrals:given-list")),
    "referrals:given-create": ("alice", lambda s: reverse("referrals:given-create")),
    "referrals:contact-options": (
        "alice",
        lambda s: reverse("referrals:contact-options") + "?q=a",
    ),
    "referrals:referrer-warning": (
        "alice",
        lambda s: reverse("referrals:referrer-warning") + f"?referrer={s['contact'].pk}",
    ),
    "referrals:icp": ("alice", lambda s: reverse("referrals:icp")),
    "followups:inbox": ("alice", lambda s: reverse("followups:inbox")),
    "followups:team-overdue": ("maya", lambda s: reverse("followups:team-overdue")),
    "followups:draft": ("alice", lambda s: reverse("followups:draft", args=[s["followup"].pk])),
    "followups:notifications": ("alice", lambda s: reverse("followups:notifications")),
    "referrals:referral-drafts": (
        "alice",
        lambda s: reverse("referrals:referral-drafts", args=[s["referral"].pk]),
    ),
    "followups:calendar-feed": (
        "alice",
        lambda s: reverse(
            "followups:calendar-feed", args=[calendar_feed_regenerate(user=s["alice"])]
        ),
    ),
    # The referrer's page behind a link of the ask (public; alice's client reads it as well).
    "public:referrer-link": (
        "alice",
        lambda s: reverse(
            "public:referrer-link",
            kwargs={
                "token": referrer_link_token(referral=s["referral"], step="agreed", nonce="grow")
            },
        ),
    ),
    # The KPI dashboard (dashboard/): measured when the project has it.
    "dashboard:rep": ("maya", lambda s: reverse("dashboard:rep", args=[s["alice"].pk])),
    "dashboard:referrers": (
        "maya",
        lambda s: reverse("dashboard:referrers") + "?period=last_12_weeks",
    ),
    "dashboard:goals": ("maya", lambda s: reverse("dashboard:goals")),
    "dashboard:export-reps": ("maya", lambda s: reverse("dashboard:export-reps")),
    "dashboard:export-referrals": ("maya", lambda s: reverse("dashboard:export-referrals")),
    # Background exports (exports/): the user's list, a job's page, its poll, its file.
    "exports:list": ("alice", lambda s: reverse("exports:list")),
    "exports:detail": ("alice", lambda s: reverse("exports:detail", args=[s["export_job"].pk])),
    "exports:status": ("alice", lambda s: reverse("exports:status", args=[s["export_job"].pk])),
    "exports:download": (
        "alice",
        lambda s: reverse("exports:download", args=[s["export_job"].pk]),
    ),
    "api-kpis": ("maya", lambda s: reverse("api-kpis")),
    "goal-detail": ("maya", lambda s: reverse("goal-detail", args=[s["goal"].pk])),
    "goal-list": ("maya", lambda s: reverse("goal-list")),
    # The API: every list, every detail.
    "company-list": ("alice", lambda s: reverse("company-list")),
    "company-detail": ("alice", lambda s: reverse("company-detail", args=[s["company"].pk])),
    "contact-list": ("alice", lambda s: reverse("contact-list")),
    "contact-detail": ("alice", lambda s: reverse("contact-detail", args=[s["contact"].pk])),
    "contact-connectors": (
        "alice",
        lambda s: reverse("contact-connectors", args=[s["target"].pk]) + "?max_hops=3",
    ),
    "relationship-list": ("alice", lambda s: reverse("relationship-list")),
    "relationship-detail": (
        "alice",
        lambda s: reverse("relationship-detail", args=[s["relationship"].pk]),
    ),
    "roster-list": ("alice", lambda s: reverse("roster-list")),
    "roster-detail": ("alice", lambda s: reverse("roster-detail", args=[s["roster_entry"].pk])),
    "readiness-check-list": ("alice", lambda s: reverse("readiness-check-list")),
    "readiness-check-detail": (
        "alice",
        lambda s: reverse("readiness-check-detail", args=[s["readiness"].pk]),
    ),
    "referral-list": ("alice", lambda s: reverse("referral-list")),
    "referral-detail": ("alice", lambda s: reverse("referral-detail", args=[s["referral"].pk])),
    "deal-list": ("alice", lambda s: reverse("deal-list")),
    "deal-detail": ("alice", lambda s: reverse("deal-detail", args=[s["deal"].pk])),
    "referral-given-list": ("alice", lambda s: reverse("referral-given-list")),
    "referral-given-detail": (
        "alice",
        lambda s: reverse("referral-given-detail", args=[s["given"].pk]),
    ),
    "followup-list": ("alice", lambda s: reverse("followup-list")),
    "followup-detail": ("alice", lambda s: reverse("followup-detail", args=[s["followup"].pk])),
    "notification-list": ("alice", lambda s: reverse("notification-list")),
    "notification-detail": (
        "alice",
        lambda s: reverse("notification-detail", args=[s["notification"].pk]),
    ),
}

# The lists again with filters and search in force, on the page and in the API (one
# FilterSet per list, shared by both: core.filters): a filter must not cost a query per row
# either. Measured like PAGES; keyed by list, not by URL name.
FILTERED = {
    "pipeline, filtered": (
        "maya",
        lambda s: (
            reverse("referrals:pipeline")
            + f"?q=e&status=open&quality=good&owner={s['alice'].pk}&asked_from=2000-01-01"
        ),
    ),
    "roster, filtered": ("alice", lambda s: reverse("referrals:roster") + "?q=e&status=wanted"),
    "deals, filtered": ("alice", lambda s: reverse("referrals:deal-list") + "?q=e&source=cold"),
    "given, filtered": (
        "alice",
        lambda s: reverse("referrals:given-list") + "?search=e&given_from=2000-01-01",
    ),
    "inbox, filtered": ("alice", lambda s: reverse("followups:inbox") + "?q=e&status=pending"),
    "notifications, unread": (
        "alice",
        lambda s: reverse("followups:notifications") + "?show=unread",
    ),
    "contacts, filtered": ("alice", lambda s: reverse("contacts:list") + "?q=a&kind=client"),
    "companies, filtered": (
        "alice",
        lambda s: reverse("contacts:company-list") + "?q=co&country=a",
    ),
    "goals, a week": ("maya", lambda s: reverse("dashboard:goals") + "?week=2000-01-05"),
    "referral API, filtered": ("alice", lambda s: reverse("referral-list") + "?q=e&status=open"),
    "roster API, filtered": ("alice", lambda s: reverse("roster-list") + "?search=e&priority=2"),
    "deal API, filtered": ("alice", lambda s: reverse("deal-list") + "?q=e&outcome=open"),
    "given API, filtered": (
        "alice",
        lambda s: reverse("referral-given-list") + "?given_to=2099-12-31&q=e",
    ),
    "follow-up API, filtered": (
        "alice",
        lambda s: reverse("followup-list") + "?q=e&status=pending",
    ),
    "notification API, unread": ("alice", lambda s: reverse("notification-list") + "?unread=true"),
    "goal API, a week": ("maya", lambda s: reverse("goal-list") + "?week=2000-01-05"),
    "contact API, filtered": ("alice", lambda s: reverse("contact-list") + "?q=a&kind=client"),
    "company API, filtered": ("alice", lambda s: reverse("company-list") + "?search=co"),
    "readiness API, filtered": ("alice", lambda s: reverse("readiness-check-list") + "?q=e"),
    # The lists as the team's manager sees them (every rep's rows; issue 20).
    "pipeline, a manager's": ("maya", lambda s: reverse("referrals:pipeline")),
    "deals, a manager's": ("maya", lambda s: reverse("referrals:deal-list")),
    "inbox, a manager's": ("maya", lambda s: reverse("followups:inbox")),
    "notifications, a manager's": ("maya", lambda s: reverse("followups:notifications")),
    "exports, a manager's": ("maya", lambda s: reverse("exports:list")),
    "referral API, a manager's": ("maya", lambda s: reverse("referral-list")),
    "deal API, a manager's": ("maya", lambda s: reverse("deal-list")),
    "follow-up API, a manager's": ("maya", lambda s: reverse("followup-list")),
    "relationship API, filtered": ("alice", lambda s: reverse("relationship-list") + "?q=a"),
}

NOT_PAGES = {
    "login": "anonymous; the login form",
    "logout": "POST only",
    "contacts:touch-log": "POST only (a call or message noted on the contact's page)",
    "switch-team": "POST only",
    "health": "anonymous; a fixed set of checks",
    "api-token": "POST only (the token endpoint)",
    "api-schema": "the OpenAPI document: no data",
    "api-docs": "a static page loading the schema",
    "contacts:import-commit": "POST only",
    "exports:restart": "POST only",
    "contacts:relationship-delete": "POST only",
    "contacts:connector-ask": "POST only",
    "referrals:roster-delete": "POST only",
    "referrals:referral-transition": "POST only",
    "referrals:referral-send": "POST only",
    "profile-calendar": "POST only",
    "followups:report-problem": "POST only",
    "referral-send": "POST only (API)",
    "followup-send": "POST only (API)",
    "followups:complete": "POST only",
    "followups:skip": "POST only",
    "followups:notification-read": "POST only",
    "followups:notifications-read-all": "POST only",
    "referral-transition": "POST only (API)",
    "followup-complete": "POST only (API)",
    "followup-skip": "POST only (API)",
    "notification-read": "POST only (API)",
    "notification-read-all": "POST only (API)",
}


def project_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                if inner.startswith("admin"):
                    continue  # Django's admin: its own pages, not ours
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_name_is_guarded():
    names = project_url_names()
    unguarded = sorted(names - set(PAGES) - set(NOT_PAGES))
    assert not unguarded, (
        f"New URL names {unguarded}: add each to PAGES in tests/test_query_growth.py "
        "(with a path builder), or to NOT_PAGES with the reason it is not a GET page."
    )


# --- The data --------------------------------------------------------------------------------


def subjects_make(acme, alice, bob, maya) -> dict:
    """The records the detail pages show, each with a little of everything tied to it."""
    company = CompanyFactory(team=acme, name="Acme Subject Co")
    contact = ClientFactory(team=acme, owner=alice, company=company)
    target = ContactFactory(team=acme, owner=alice, first_name="Tara", last_name="Target")
    prospect = ContactFactory(team=acme, owner=alice, company=company)
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=contact, prospect=prospect, reason="Subject"
    )
    followup = FollowUpFactory(referral=referral, due_at=timezone.now() - timedelta(hours=2))
    subjects = {
        "alice": alice,
        "company": company,
        "contact": contact,
        "target": target,
        "referral": referral,
        "followup": followup,
        "relationship": RelationshipFactory(between=(contact, target)),
        "roster_entry": RosterEntryFactory(team=acme, owner=alice, prospect=prospect),
        "deal": DealFactory(contact=contact, team=acme, owner=alice),
        "given": ReferralGivenFactory(client=contact, team=acme, owner=alice),
        "readiness": ReadinessCheckFactory(client=contact, team=acme, owner=alice),
        "notification": Notification.objects.create(user=alice, message="Subject", url="/"),
        "goal": WeeklyGoal.objects.create(
            team=acme, week_start=monday(timezone.localdate()), asks=10, wins=2
        ),
        "job": ImportJob.objects.create(
            team=acme,
            owner=alice,
            kind=ImportJob.Kind.CONTACTS,
            file_name="contacts.csv",
            content="first_name,last_name,email\nAda,Lovelace,ada@example.com\n",
            row_count=1,
        ),
        "export_job": ExportJobFactory(team=acme, owner=alice),
    }
    grow(subjects, acme, alice, bob, 1)
    return subjects


def grow(s: dict, acme, alice, bob, units: int) -> None:
    """`units` more of everything, around the subjects and beside them."""
    now = timezone.now()
    statuses = [
        Referral.Status.CONFIRMED,
        Referral.Status.CONTACTED,
        Referral.Status.MEETING,
        Referral.Status.WON,
    ]
    for unit in range(units):
        for owner in (alice, bob):
            company = CompanyFactory(team=acme)
            client = ClientFactory(team=acme, owner=owner, company=s["company"])
            prospect = ContactFactory(team=acme, owner=owner, company=company)
            # Ties: the subject contact's, and the target's at 1, 2 and 3 hops.
            RelationshipFactory(between=(s["contact"], client))
            near = ContactFactory(team=acme, owner=owner)
            middle = ContactFactory(team=acme, owner=owner)
            RelationshipFactory(between=(s["target"], near), strength=4)
            RelationshipFactory(between=(near, middle))
            RelationshipFactory(between=(middle, client))
            RosterEntryFactory(team=acme, owner=owner, prospect=prospect)
            referral = referral_services.referral_create(
                owner=owner, team=acme, referrer=client, prospect=prospect, reason="More"
            )
            steps = [Referral.Status.CONFIRMED, Referral.Status.CONTACTED, Referral.Status.MEETING]
            target_status = statuses[unit % len(statuses)]
            for step in [*steps, Referral.Status.WON]:
                referral_services.referral_transition(referral=referral, to=step, actor=owner)
                if step == target_status:
                    break
            FollowUpFactory(referral=referral, due_at=now - timedelta(days=3 + unit))
            FollowUpFactory(referral=referral, due_at=now + timedelta(days=1 + unit))
            DealFactory(contact=client, team=acme, owner=owner)
            ReferralGivenFactory(client=client, team=acme, owner=owner)
            ReadinessCheckFactory(client=client, team=acme, owner=owner)
            Notification.objects.create(user=owner, message=f"Note {unit}", url="/")
        # Another rep with an ask (the dashboard's table, the goals page and the exports
        # have a row per rep), this week's goal of their own and a team goal of a past week.
        newcomer = MembershipFactory(team=acme, role="rep").user
        referral_services.referral_create(
            owner=newcomer,
            team=acme,
            referrer=ClientFactory(team=acme, owner=newcomer),
            prospect=ContactFactory(team=acme, owner=newcomer),
            reason="A newcomer's ask",
        )
        this_monday = monday(timezone.localdate())
        WeeklyGoal.objects.create(team=acme, rep=newcomer, week_start=this_monday, asks=3)
        past_weeks = WeeklyGoal.objects.filter(team=acme, rep=None).count()
        WeeklyGoal.objects.create(
            team=acme, week_start=this_monday - timedelta(weeks=past_weeks), asks=5
        )
        # The subjects' own timelines and histories.
        contact_services.activity_record(
            team=acme, verb="note", description=f"Met {unit}", actor=alice, contact=s["contact"]
        )
        contact_services.contact_update(
            contact=s["contact"], data={"title": f"Title {unit} {s['contact'].pk}"}, actor=alice
        )
        referral_services.referral_update(
            referral=s["referral"], data={"reason": f"Reason {unit}"}, actor=alice
        )
        FollowUpFactory(referral=s["referral"], due_at=now - timedelta(hours=unit + 3))
    assert Activity.objects.filter(contact=s["contact"]).exists()


def counts_of(clients: dict, subjects: dict, names: list[str]) -> dict[str, tuple[int, int]]:
    counts = {}
    for name in names:
        who, build = PAGES[name] if name in PAGES else FILTERED[name]
        path = build(subjects)
        with CaptureQueriesContext(connection) as queries:
            response = clients[who].get(path)
        counts[name] = (response.status_code, len(queries))
    return counts


@pytest.mark.django_db
def test_no_page_query_count_grows_with_the_data(acme, alice, bob, maya, alice_client, maya_client):
    subjects = subjects_make(acme, alice, bob, maya)
    clients = {"alice": alice_client, "maya": maya_client}
    existing = project_url_names()
    names = [name for name in PAGES if name in existing] + list(FILTERED)
    small = counts_of(clients, subjects, names)
    failing = {name: status for name, (status, _n) in small.items() if status >= 400}
    assert not failing, f"Pages that did not render for the guard: {failing}"
    grow(subjects, acme, alice, bob, 3)  # four times as much
    large = counts_of(clients, subjects, names)
    grown = {
        name: f"{small[name][1]} → {large[name][1]} queries"
        for name in names
        if large[name][1] != small[name][1]
    }
    assert not grown, f"Query counts grew with the data (N+1?): {grown}"
    assert FollowUp.objects.filter(owner=alice).count() > 8
