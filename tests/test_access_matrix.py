"""The access-control matrix: every URL of the project, every persona, every method.

Every named URL pattern (pages and API; Django's admin aside, checked on its own below) must
have a Rule in MATRIX: which records it reaches (its kind), which methods it accepts and how
its kwargs are built from "the world". For each (URL, persona, method) the test asserts the
status DESIGN.md asks for:

- anonymous: pages → 302 to the login page, API → 401 (public URLs aside);
- alice, the owner rep: allowed;
- bob, her teammate: allowed on team-shared records (companies, contacts, relationships),
  404 on alice's owned records (roster, referrals, deals, follow-ups, …);
- maya, their manager: allowed (the whole team's records, the manager pages);
- charlie, a rep of another team: 404 on every Acme record, allowed on his own team's lists;
- admin, staff with no team: whatever the page does for staff, never a 5xx.

"Allowed" is 200 for GET; for an unsafe method (sent with an empty body) any of
200/201/204/302/400/409 — the point is the denials: never a 403 where DESIGN says 404,
never a 500 for anyone. Each request runs in a savepoint rolled back afterwards, so a
permitted DELETE leaves the world as it was for the next one.

A URL name that is not in MATRIX fails test_every_url_is_in_the_matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.calendar import calendar_feed_regenerate
from accounts.models import Membership
from config.beat import periodic_tasks_sync
from contacts.models import ImportJob
from followups.models import Notification
from referrals import services as referral_services
from referrals.links import INTRODUCED, referrer_link_token
from referrals.models import WeeklyGoal
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
    TeamFactory,
    UserFactory,
)

PERSONAS = ("anonymous", "alice", "bob", "maya", "charlie", "admin")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

# Outcomes: what a persona gets.
OK = "ok"  # 200 on GET; on an unsafe method any of 200/201/204/302/400/409
LOGIN = "login"  # pages: 302 to the login page; API: 401
NOT_FOUND = "404"
FORBIDDEN = "403"  # only where DESIGN/the contract says so (a rep writing goals)
ANY = "any"  # anything but a 5xx (the staff persona on team pages)

# Who gets what, by kind of URL (the teammate column is what tells the kinds apart).
KINDS = {
    # A page or list anyone signed in uses: their own team's records.
    "page": {"alice": OK, "bob": OK, "maya": OK, "charlie": OK},
    # A team-shared record of Acme (companies, contacts, relationships).
    "shared": {"alice": OK, "bob": OK, "maya": OK, "charlie": NOT_FOUND},
    # A record alice owns (roster, referrals, deals, given, readiness, follow-ups, imports).
    "owned": {"alice": OK, "bob": NOT_FOUND, "maya": OK, "charlie": NOT_FOUND},
    # The user's own record (notifications): nobody else's, a manager's neither.
    "own-user": {"alice": OK, "bob": NOT_FOUND, "maya": NOT_FOUND, "charlie": NOT_FOUND},
    # The manager's pages: reps get a 404 (the dashboard is for managers).
    "manager-only": {"alice": NOT_FOUND, "bob": NOT_FOUND, "maya": OK, "charlie": NOT_FOUND},
    # Anyone, signed in or not.
    "public": {"anonymous": OK, "alice": OK, "bob": OK, "maya": OK, "charlie": OK, "admin": OK},
}


def no_kwargs(world: dict) -> dict:
    return {}


@dataclass(frozen=True)
class Rule:
    kind: str
    methods: tuple[str, ...] = ("GET",)
    build: Callable[[dict], dict] = no_kwargs  # the URL's kwargs
    query: str = ""
    api: bool = False
    ok_get: tuple[int, ...] = (200,)  # what an allowed GET answers
    data: Callable[[dict], dict] | None = None  # a form body for POST, from the world
    # Per-(persona, method) exceptions to the kind's table, each with its reason.
    overrides: dict = field(default_factory=dict)

    def expected(self, persona: str, method: str) -> str:
        if (persona, method) in self.overrides:
            return self.overrides[(persona, method)]
        if persona in self.overrides:
            return self.overrides[persona]
        table = KINDS[self.kind]
        if persona in table:
            return table[persona]
        return LOGIN if persona == "anonymous" else ANY


def pk(name: str) -> Callable[[dict], dict]:
    return lambda w: {"pk": w[name].pk}


FORM = ("GET", "POST")
POST = ("POST",)
API_LIST = ("GET", "POST")
API_DETAIL = ("GET", "PUT", "PATCH", "DELETE")
API_READ_DELETE = ("GET", "DELETE")
GOAL_WRITES_BY_REPS = {
    ("alice", "POST"): FORBIDDEN,
    ("bob", "POST"): FORBIDDEN,
    ("charlie", "POST"): FORBIDDEN,
}


def api(kind, methods=("GET",), build=no_kwargs, **kwargs) -> Rule:
    return Rule(kind, methods, build, api=True, **kwargs)


MATRIX: dict[str, Rule] = {
    # --- Accounts -------------------------------------------------------------------------
    "home": Rule("page", ok_get=(302,)),  # to the rep's week or the dashboard
    "rep-week": Rule("page"),  # a rep's week, and a manager's own
    "dashboard:next-asks": Rule("page"),  # the week's whom-to-ask-next panel, one's own
    "profile": Rule("page", FORM),
    "profile-api-token": Rule("page", FORM),
    "profile-calendar": Rule("page", POST),
    "switch-team": Rule(
        "shared",  # to Acme: its members move, charlie (not a member) gets a 404
        POST,
        data=lambda w: {"team": w["acme"].pk},
    ),
    "login": Rule("public", FORM, ok_get=(200, 302)),  # signed in: on to the home page
    "logout": Rule("public", POST),
    "password_change": Rule("page", FORM),
    "password_change_done": Rule("page"),
    "health": Rule("public"),
    # A referrer's answer by a link of the ask: anyone holding the link, signed in or not.
    # The matrix's world gives it a valid token; refusals have their own tests
    # (tests/test_referrer_links.py), and a token that is no token is a 404 (below).
    "public:referrer-link": Rule("public", FORM, build=lambda w: {"token": w["link_token"]}),
    # A rep's calendar feed: its secret opens it for whoever holds it (a calendar app).
    "followups:calendar-feed": Rule("public", build=lambda w: {"secret": w["calendar_secret"]}),
    # --- Contacts (team-shared) -----------------------------------------------------------
    "contacts:list": Rule("page"),
    "contacts:export": Rule("page"),
    "contacts:search": Rule("page", query="?q=a"),
    "contacts:create": Rule("page", FORM),
    "contacts:detail": Rule("shared", build=pk("contact")),
    "contacts:edit": Rule("shared", FORM, pk("contact")),
    "contacts:touch-log": Rule("shared", POST, pk("contact")),
    "contacts:contact-history": Rule(
        "shared",
        build=pk("contact"),
        # The audit trail is the record owner's, the managers' and the admins' (DESIGN).
        overrides={"bob": NOT_FOUND},
    ),
    "contacts:relationship-create": Rule("shared", FORM, pk("contact")),
    "contacts:relationship-edit": Rule("shared", FORM, pk("relationship")),
    "contacts:relationship-delete": Rule("shared", POST, pk("relationship")),
    "contacts:relationships-export": Rule("page"),
    "contacts:company-list": Rule("page"),
    "contacts:company-search": Rule("page", query="?q=a"),
    "contacts:company-create": Rule("page", FORM),
    "contacts:company-detail": Rule("shared", build=pk("company")),
    "contacts:company-edit": Rule("shared", FORM, pk("company")),
    "contacts:connectors": Rule("shared", build=pk("target"), query="?max_hops=2"),
    "contacts:connector-ask": Rule("shared", POST, pk("target")),
    # CSV imports: the rep's own job.
    "contacts:import": Rule("page", FORM),
    "contacts:import-preview": Rule("owned", build=pk("job")),
    # Only the rep who uploaded a file commits it; the manager may look, not import.
    "contacts:import-commit": Rule("owned", POST, pk("job"), overrides={"maya": NOT_FOUND}),
    "contacts:import-status": Rule("owned", build=pk("job")),
    # --- Referrals (owned) ----------------------------------------------------------------
    "referrals:roster": Rule("page"),
    "referrals:roster-create": Rule("page", FORM),
    "referrals:roster-edit": Rule("owned", FORM, pk("roster_entry")),
    "referrals:roster-delete": Rule("owned", POST, pk("roster_entry")),
    "referrals:pipeline": Rule("page"),
    "referrals:referral-create": Rule("page", FORM),
    "referrals:referral-detail": Rule("owned", build=pk("referral")),
    "referrals:referral-edit": Rule("owned", FORM, pk("referral")),
    "referrals:referral-history": Rule("owned", build=pk("referral")),
    "referrals:referral-transition": Rule("owned", POST, pk("referral")),
    "referrals:referral-send": Rule("owned", POST, pk("referral")),
    "referrals:referral-drafts": Rule("owned", build=pk("referral")),
    "referrals:readiness-create": Rule("page", FORM),
    "referrals:readiness-list": Rule("page"),
    "referrals:readiness-export": Rule("page"),
    "referrals:deal-list": Rule("page"),
    "referrals:deal-create": Rule("page", FORM),
    "referrals:deal-edit": Rule("owned", FORM, pk("deal")),
    "referrals:given-list": Rule("page"),
    "referrals:given-create": Rule("page", FORM),
    "referrals:contact-options": Rule("page", query="?q=a"),
    # An htmx partial: a referrer the user cannot see gives no warning — the same empty
    # answer as an id that does not exist, so charlie learns nothing (200, no data).
    "referrals:referrer-warning": Rule("page", query="?referrer={contact}"),
    # Reps read the team's ideal client profile; saving it is the managers' (403).
    "referrals:icp": Rule(
        "page", FORM, overrides={(p, "POST"): FORBIDDEN for p in ("alice", "bob", "charlie")}
    ),
    # The profile's good fits, and the bulk add to the user's own roster.
    "referrals:fits": Rule("page", FORM),
    # --- Follow-ups and notifications -----------------------------------------------------
    "followups:inbox": Rule("page"),
    "followups:team-overdue": Rule("manager-only"),
    "followups:complete": Rule("owned", POST, pk("followup")),
    "followups:skip": Rule("owned", POST, pk("followup")),
    "followups:draft": Rule("owned", build=pk("followup")),
    "followups:report-problem": Rule("owned", POST, pk("referral")),
    "followups:notifications": Rule("page"),
    "followups:notification-read": Rule("own-user", POST, pk("notification")),
    "followups:notifications-read-all": Rule("page", POST),
    # --- The KPI dashboard ----------------------------------------------------------------
    "manager-dashboard": Rule("manager-only"),
    "dashboard:referrers": Rule("manager-only"),  # the dashboard's top referrers panel
    "dashboard:rep": Rule(
        "manager-only",
        build=lambda w: {"user_id": w["alice"].pk},
        overrides={"alice": OK},  # a rep's own numbers
    ),
    "dashboard:goals": Rule("page", FORM),
    "dashboard:export-reps": Rule("manager-only"),
    "dashboard:export-referrals": Rule("manager-only"),
    # --- Background exports: the owner's alone (a manager neither) ------------------------
    "exports:list": Rule("page"),
    "exports:detail": Rule("own-user", build=pk("export_job")),
    "exports:status": Rule("own-user", build=pk("export_job")),
    "exports:download": Rule("own-user", build=pk("export_job")),
    "exports:restart": Rule("own-user", POST, pk("export_job")),
    # --- The API --------------------------------------------------------------------------
    "api-token": Rule("public", POST, api=True),
    "api-schema": Rule("page", api=True),
    "api-docs": Rule("page"),
    "company-list": api("page", API_LIST),
    # Deleting a company is the managers' (403 for a rep who sees it).
    "company-detail": api(
        "shared",
        API_DETAIL,
        pk("company"),
        overrides={("alice", "DELETE"): FORBIDDEN, ("bob", "DELETE"): FORBIDDEN},
    ),
    "contact-list": api("page", API_LIST),
    # Deleting a contact is its owner's or a manager's (403 for a teammate who sees it).
    "contact-detail": api(
        "shared", API_DETAIL, pk("contact"), overrides={("bob", "DELETE"): FORBIDDEN}
    ),
    "contact-connectors": api("shared", build=pk("target")),
    "relationship-list": api("page", API_LIST),
    "relationship-detail": api("shared", API_DETAIL, pk("relationship")),
    "roster-list": api("page", API_LIST),
    "roster-detail": api("owned", API_DETAIL, pk("roster_entry")),
    "readiness-check-list": api("page", API_LIST),
    "readiness-check-detail": api("owned", API_READ_DELETE, pk("readiness")),
    "referral-list": api("page", API_LIST),
    "referral-detail": api("owned", API_DETAIL, pk("referral")),
    "referral-transition": api("owned", POST, pk("referral")),
    "referral-send": api("owned", POST, pk("referral")),
    "deal-list": api("page", API_LIST),
    "deal-detail": api("owned", API_DETAIL, pk("deal")),
    "referral-given-list": api("page", API_LIST),
    "referral-given-detail": api("owned", API_READ_DELETE, pk("given")),
    "followup-list": api("page"),
    "followup-detail": api("owned", build=pk("followup")),
    "followup-complete": api("owned", POST, pk("followup")),
    "followup-skip": api("owned", POST, pk("followup")),
    "followup-send": api("owned", POST, pk("followup")),
    "notification-list": api("page"),
    "notification-detail": api("own-user", build=pk("notification")),
    "notification-read": api("own-user", POST, pk("notification")),
    "notification-read-all": api("page", POST),
    "api-kpis": api("page"),
    "goal-list": api("page", API_LIST, overrides=GOAL_WRITES_BY_REPS),
    "goal-detail": api(
        "owned",
        API_DETAIL,
        pk("goal"),
        # alice reads her goal, bob and charlie get a 404; writing goals is the managers':
        # a rep's write is refused before any lookup (403 whatever the id, per the
        # contract), so it tells nothing about the goal's existence.
        overrides={(p, m): FORBIDDEN for p in ("alice", "bob", "charlie") for m in UNSAFE},
    ),
}


# --- The URL walk ------------------------------------------------------------------------------


def project_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                if inner.startswith("admin"):
                    continue  # Django's admin: test_admin_is_staff_only
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_is_in_the_matrix():
    names = project_url_names()
    missing = sorted(names - set(MATRIX))
    assert not missing, (
        f"URL names with no access rule: {missing} — add each to MATRIX in "
        "tests/test_access_matrix.py (its kind, methods and kwargs builder)."
    )
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"MATRIX lists URL names the project no longer has: {stale}"


# --- The world -----------------------------------------------------------------------------------


def world_make() -> dict:
    acme, globex = TeamFactory(name="Acme"), TeamFactory(name="Globex")

    def member(team, name, role=Membership.Role.REP):
        user = UserFactory(username=name, first_name=name.title())
        MembershipFactory(team=team, user=user, role=role)
        return user

    alice, bob = member(acme, "alice"), member(acme, "bob")
    maya = member(acme, "maya", Membership.Role.MANAGER)
    charlie = member(globex, "charlie")
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    company = CompanyFactory(team=acme)
    contact = ClientFactory(team=acme, owner=alice, company=company)
    target = ContactFactory(team=acme, owner=alice)
    prospect = ContactFactory(team=acme, owner=alice, company=company)
    RelationshipFactory(between=(ContactFactory(team=acme, owner=bob), target))
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=contact, prospect=prospect, reason="Matrix"
    )
    # A few records of the other team, so charlie's lists are not empty.
    ClientFactory(team=globex, owner=charlie)
    periodic_tasks_sync()  # a real installation has its schedule (/health/ checks it)
    return {
        "users": {"alice": alice, "bob": bob, "maya": maya, "charlie": charlie, "admin": admin},
        "alice": alice,
        "acme": acme,
        "company": company,
        "contact": contact,
        "target": target,
        "referral": referral,
        "link_token": referrer_link_token(referral=referral, step=INTRODUCED, nonce="matrix"),
        "calendar_secret": calendar_feed_regenerate(user=alice),
        "relationship": RelationshipFactory(between=(contact, target)),
        "roster_entry": RosterEntryFactory(team=acme, owner=alice, prospect=prospect),
        "followup": FollowUpFactory(referral=referral, due_at=timezone.now() - timedelta(hours=2)),
        "deal": DealFactory(contact=contact, team=acme, owner=alice),
        "given": ReferralGivenFactory(client=contact, team=acme, owner=alice),
        "readiness": ReadinessCheckFactory(client=contact, team=acme, owner=alice),
        "notification": Notification.objects.create(user=alice, message="Matrix", url="/"),
        "goal": WeeklyGoal.objects.create(
            team=acme, rep=alice, week_start=timezone.localdate() - timedelta(days=7), asks=3
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


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end; each test
    runs in its own savepoint within it (pytest-django's `db`)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield world_make()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- The matrix -------------------------------------------------------------------------------

CASES = [
    pytest.param(name, persona, method, id=f"{name}-{persona}-{method}")
    for name, rule in MATRIX.items()
    for method in rule.methods
    for persona in PERSONAS
]

ALLOWED_UNSAFE = {200, 201, 204, 302, 400, 409}


def url_of(name: str, rule: Rule, world: dict) -> str:
    path = reverse(name, kwargs=rule.build(world))
    return path + rule.query.format(contact=world["contact"].pk)


@pytest.mark.parametrize(("name", "persona", "method"), CASES)
def test_access(world, db, name, persona, method):
    rule = MATRIX[name]
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    path = url_of(name, rule, world)
    content_type = "application/json" if rule.api else "application/x-www-form-urlencoded"
    if rule.data:
        response = client.post(path, rule.data(world))
    else:
        body = "{}" if rule.api and method != "DELETE" else ""
        response = client.generic(method, path, body, content_type=content_type)
    status = response.status_code
    expected = rule.expected(persona, method)
    where = f"{method} {path} as {persona}: {status}, expected {expected}"

    assert status < 500, where
    if expected == OK:
        allowed = set(rule.ok_get) if method == "GET" else ALLOWED_UNSAFE
        assert status in allowed, where
    elif expected == LOGIN:
        if rule.api:
            assert status == 401, where
        else:
            assert status == 302, where
            assert response["Location"].startswith(reverse("login")), where
    elif expected == NOT_FOUND:
        assert status == 404, where
    elif expected == FORBIDDEN:
        assert status == 403, where
    else:
        assert expected == ANY, where


# --- Django's admin: staff only ----------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_staff_only(world, db, persona):
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    for path in ("/admin/", "/admin/contacts/contact/", "/admin/referrals/referral/"):
        response = client.get(path)
        if persona == "admin":
            assert response.status_code == 200, path
        else:
            assert response.status_code == 302, path
            location = response["Location"]
            assert location.startswith(("/admin/login/", "/login/")), path


# --- Ids no database holds -------------------------------------------------------------------

HUGE_ID = 10**30


@pytest.mark.parametrize(
    ("name", "method"),
    [
        pytest.param(name, method, id=f"{name}-{method}")
        for name, rule in MATRIX.items()
        for method in rule.methods
        if rule.build is not no_kwargs
    ],
)
def test_an_id_out_of_range_is_a_404(world, db, name, method):
    rule = MATRIX[name]
    kwargs = dict.fromkeys(rule.build(world), HUGE_ID)
    path = reverse(name, kwargs=kwargs)
    client = Client(raise_request_exception=False)
    client.force_login(world["users"]["maya"])
    content_type = "application/json" if rule.api else "application/x-www-form-urlencoded"
    response = client.generic(method, path, "{}" if rule.api else "", content_type=content_type)
    assert response.status_code == 404, f"{method} {path}: {response.status_code}"
