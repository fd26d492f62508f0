"""Accounts, as people meet them: logging in, landing on the right page, changing a
password or a time zone, switching teams; and as operators meet them: the provisioning
commands, the beat schedule, the admin, /health/."""

import datetime
import json
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.middleware import ACTIVE_TEAM_SESSION_KEY, UserTimezoneMiddleware
from accounts.models import Membership, Team, User
from accounts.views import PROFILE_SAVED
from accounts.zones import FALLBACK_ZONE, zone_named, zone_of
from config.health import heartbeat
from config.schedule import PERIODIC_TASKS
from demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_TEAM
from referrals.models import Referral, RosterEntry
from tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    MembershipFactory,
    ReferralFactory,
    RelationshipFactory,
    RosterEntryFactory,
    TeamFactory,
    UserFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

NEW_PASSWORD = "a-longer-passphrase-for-spring"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The test cache lives in process memory; a heartbeat left by one test must not
    # make another test's /health/ look alive.
    cache.clear()
    yield
    cache.clear()


def log_in(client: Client, username: str, password: str = TEST_PASSWORD, **extra):
    return client.post(
        "/login/", {"username": username, "password": password, **extra}, follow=True
    )


# --- Static assets: every page works offline -----------------------------------------


class _AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])


def referenced_assets(html: str) -> list[str]:
    """The URLs of every <script src> and <link href> in a page."""
    collector = _AssetCollector()
    collector.feed(html)
    return collector.urls


def assert_assets_served_locally(html: str) -> list[str]:
    """Every script and stylesheet of the page is one of our static files: no CDN, and
    the file really exists (found by the staticfiles finders, served with a 200)."""
    urls = referenced_assets(html)
    assert urls, "the page references no assets at all"
    # WhiteNoise serves from the finders only when told to (DEBUG is off in tests).
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        static_client = Client()
        for url in urls:
            assert "://" not in url and not url.startswith("//"), f"{url} is not local"
            assert url.startswith("/static/"), f"{url} is not a static file"
            path = url.removeprefix("/static/").split("?")[0]
            assert finders.find(path), f"{path} is referenced but not installed"
            assert static_client.get(url).status_code == 200, f"{url} is not served"
    return urls


# --- Logging in ------------------------------------------------------------------------


def test_login_page_renders_with_local_assets_only(client, db):
    response = client.get("/login/")

    assert response.status_code == 200
    assert b"Log in to Warmpath" in response.content
    urls = assert_assets_served_locally(response.content.decode())
    assert "/static/bootstrap/css/bootstrap.min.css" in urls


@pytest.mark.parametrize(
    ("username", "landing"),
    [("alice", "/week/"), ("maya", "/dashboard/"), ("admin", "/admin/")],
)
def test_login_lands_each_person_on_their_page(client, alice, maya, admin_user, username, landing):
    response = log_in(client, username)

    assert response.redirect_chain == [("/", 302), (landing, 302)]
    assert response.status_code == 200
    assert client.session[SESSION_KEY] == str(User.objects.get(username=username).pk)


def test_login_of_someone_without_a_team_shows_what_to_do(client, db):
    UserFactory(username="newcomer")

    response = log_in(client, "newcomer")

    assert response.redirect_chain == [("/", 302)]
    assert response.status_code == 200
    assert b"You are not on a team yet" in response.content
    assert b"add_member" in response.content


def test_login_follows_next_but_never_to_another_site(client, alice):
    assert log_in(client, "alice", next="/profile/").redirect_chain == [("/profile/", 302)]

    client.post("/logout/")
    response = log_in(client, "alice", next="https://evil.example/")

    assert response.redirect_chain[0] == ("/", 302)


def test_wrong_password_shows_an_error_and_opens_no_session(client, alice):
    response = log_in(client, "alice", password="not-her-password")

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert [error.code for error in response.context["form"].non_field_errors().as_data()] == [
        "invalid_login"
    ]
    assert b"Please enter a correct" in response.content
    assert SESSION_KEY not in client.session


def test_a_logged_in_user_opening_login_goes_home(alice_client):
    response = alice_client.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Every page needs a login -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/", "/week/", "/dashboard/", "/profile/", "/password/change/", "/password/change/done/"],
)
def test_anonymous_visitors_are_sent_to_login(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_an_anonymous_in_place_update_sends_the_whole_page_to_login(client, db):
    # htmx would follow a redirect and swap the login page into the part being updated
    # (tests/browser/test_rep_journey.py shows it in a browser); HX-Redirect moves the
    # page, and login brings the user back to the page they were on.
    response = client.post(
        "/followups/1/complete/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/followups/?kind=x"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/followups/%3Fkind%3Dx"


def test_anonymous_team_switch_is_sent_to_login(client, acme):
    response = client.post("/team/switch/", {"team": acme.pk})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_health_is_public(client, db):
    setup_periodic_tasks()

    assert client.get("/health/").status_code == 200


def test_logout_needs_a_post(alice_client):
    assert alice_client.get("/logout/").status_code == 405
    assert SESSION_KEY in alice_client.session


def test_logout_logs_out(client, alice):
    log_in(client, "alice")

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    assert client.get("/week/")["Location"] == "/login/?next=/week/"


def test_login_needs_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)

    refused = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert refused.status_code == 403

    client.get("/login/")  # sets the CSRF cookie, as a browser would
    accepted = client.post(
        "/login/",
        {
            "username": "alice",
            "password": TEST_PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert accepted.status_code == 302


# --- Password change ---------------------------------------------------------------------


def test_password_change_replaces_the_old_password(client, alice):
    log_in(client, "alice")

    response = client.post(
        "/password/change/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/password/change/done/"
    # The session that changed the password stays logged in.
    assert client.get("/password/change/done/").status_code == 200
    assert client.get("/week/").status_code == 200
    assert not Client().login(username="alice", password=TEST_PASSWORD)
    assert Client().login(username="alice", password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("new_password", "code"),
    [("Xy7#q", "password_too_short"), ("password1234", "password_too_common")],
)
def test_password_change_refuses_weak_passwords(alice_client, alice, new_password, code):
    response = alice_client.post(
        "/password/change/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["new_password2"]
    assert code in [error.code for error in errors]
    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)


# --- Each role has its page ----------------------------------------------------------------


def test_rep_cannot_open_the_manager_dashboard(alice_client):
    assert alice_client.get("/dashboard/").status_code == 404


def test_a_manager_has_their_own_week(maya_client):
    # Issue 21: a manager who sells works from a week too (tests/test_manager_numbers.py).
    assert maya_client.get("/week/").status_code == 200


def test_staff_without_a_team_has_no_week_but_sees_every_teams_dashboard(admin_client_):
    assert admin_client_.get("/week/").status_code == 404
    assert admin_client_.get("/dashboard/").status_code == 200


def test_rep_week_shows_only_their_own_team(alice_client, bob, maya, charlie):
    response = alice_client.get("/week/")

    assert response.status_code == 200
    assert response.context["team"].name == "Acme"
    assert b"Bob" in response.content
    assert b"Maya" in response.content
    assert b"Charlie" not in response.content


def test_manager_dashboard_lists_the_team(maya_client, alice, bob, charlie):
    response = maya_client.get("/dashboard/")

    assert response.status_code == 200
    # The per-rep KPI table (dashboard/): the team's reps, not its managers.
    usernames = {row.user.username for row in response.context["reps"]}
    assert usernames == {"alice", "bob"}


# --- Profile and time zone -----------------------------------------------------------------


def _profile_data(user: User, **changes) -> dict:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": user.time_zone,
        **changes,
    }


def test_profile_saves_a_new_time_zone(alice_client, alice):
    response = alice_client.post(
        "/profile/", _profile_data(alice, time_zone="America/New_York"), follow=True
    )

    assert response.redirect_chain == [("/profile/", 302)]
    assert [str(message) for message in response.context["messages"]] == [PROFILE_SAVED]
    alice.refresh_from_db()
    assert alice.time_zone == "America/New_York"


def test_profile_refuses_an_unknown_time_zone_and_changes_nothing(alice_client, alice):
    response = alice_client.post(
        "/profile/", _profile_data(alice, first_name="Alicia", time_zone="Mars/Olympus_Mons")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert [error.code for error in errors["time_zone"]] == ["invalid_choice"]
    alice.refresh_from_db()
    assert alice.time_zone == "UTC"
    assert alice.first_name == "Alice"


def test_pages_render_in_the_users_time_zone(alice_client, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save(update_fields=["time_zone"])
    zones_while_rendering = []

    def record_zone(sender, **kwargs):
        zones_while_rendering.append(timezone.get_current_timezone_name())

    template_rendered.connect(record_zone)
    try:
        response = alice_client.get("/week/")
    finally:
        template_rendered.disconnect(record_zone)

    assert response.status_code == 200
    assert zones_while_rendering
    assert set(zones_while_rendering) == {"Asia/Tokyo"}
    # The zone belongs to the request, not to the thread that served it.
    assert timezone.get_current_timezone_name() == "UTC"


def _time_rendered_for(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{{ when|date:'Y-m-d H:i e' }}")
    noon_utc = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)

    def render_page(request):
        return template.render(Context({"when": noon_utc}))

    return UserTimezoneMiddleware(render_page)(request)


def test_times_are_shown_in_the_users_zone(db):
    assert _time_rendered_for(UserFactory(time_zone="Asia/Tokyo")) == "2026-01-15 21:00 JST"
    assert _time_rendered_for(UserFactory(time_zone="Europe/Paris")) == "2026-01-15 13:00 CET"


def test_times_fall_back_to_utc_for_visitors_and_unknown_zones(db):
    from django.contrib.auth.models import AnonymousUser

    assert _time_rendered_for(AnonymousUser()) == "2026-01-15 12:00 UTC"
    # A zone name that was valid once and no longer is must not break every page.
    legacy = UserFactory()
    User.objects.filter(pk=legacy.pk).update(time_zone="Atlantis/Lost")
    legacy.refresh_from_db()
    assert _time_rendered_for(legacy) == "2026-01-15 12:00 UTC"


@pytest.mark.parametrize("name", ["", None, "Atlantis/Lost", "../etc/passwd", "utc "])
def test_an_empty_or_unknown_zone_name_reads_as_utc(db, name):
    # The one rule every page, service, task and email follows (accounts.zones).
    assert zone_named(name) is FALLBACK_ZONE
    assert zone_of(SimpleNamespace(time_zone=name)) == ZoneInfo("UTC")


def test_a_users_zone_is_their_own_and_a_visitors_utc(db):
    from django.contrib.auth.models import AnonymousUser

    assert zone_of(UserFactory(time_zone="Asia/Tokyo")) == ZoneInfo("Asia/Tokyo")
    assert zone_of(AnonymousUser()) == zone_of(None) == ZoneInfo("UTC")


# --- Switching teams ---------------------------------------------------------------------


@pytest.fixture
def alice_also_manages_globex(alice, globex):
    MembershipFactory(user=alice, team=globex, role=Membership.Role.MANAGER)
    return globex


def test_member_of_two_teams_switches_team(alice_client, alice_also_manages_globex):
    globex = alice_also_manages_globex
    # First team by name until she picks another.
    assert alice_client.get("/")["Location"] == "/week/"

    response = alice_client.post("/team/switch/", {"team": globex.pk})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert alice_client.session[ACTIVE_TEAM_SESSION_KEY] == globex.pk
    # Her role follows the team: she manages Globex.
    assert alice_client.get("/")["Location"] == "/dashboard/"
    assert alice_client.get("/dashboard/").context["team"] == globex


@pytest.mark.parametrize("team_value", ["other-team", "", "not-a-number"])
def test_switching_to_a_team_one_is_not_in_is_a_404(alice_client, globex, team_value):
    team = globex.pk if team_value == "other-team" else team_value

    response = alice_client.post("/team/switch/", {"team": team})

    assert response.status_code == 404
    assert ACTIVE_TEAM_SESSION_KEY not in alice_client.session
    assert alice_client.get("/")["Location"] == "/week/"


def test_switch_team_needs_a_post(alice_client, alice_also_manages_globex):
    response = alice_client.get("/team/switch/", {"team": alice_also_manages_globex.pk})

    assert response.status_code == 405
    assert ACTIVE_TEAM_SESSION_KEY not in alice_client.session


# --- add_member ----------------------------------------------------------------------------


def add_member(*args: str) -> str:
    out = StringIO()
    call_command("add_member", *args, stdout=out, no_color=True)
    return out.getvalue()


PETER = ["--team", "Initech", "--username", "peter", "--email", "peter@initech.example"]


def test_add_member_creates_team_and_user_who_can_log_in(db):
    output = add_member(*PETER, "--role", "rep", "--password", NEW_PASSWORD)

    assert output == "peter is sales rep of Initech (created team, created user).\n"
    membership = Membership.objects.get(user__username="peter")
    assert membership.team.name == "Initech"
    assert membership.role == Membership.Role.REP
    assert membership.user.email == "peter@initech.example"
    assert Client().login(username="peter", password=NEW_PASSWORD)


def test_add_member_without_password_creates_an_account_that_cannot_log_in_yet(db):
    add_member(*PETER, "--role", "rep")

    assert not User.objects.get(username="peter").has_usable_password()


def test_add_member_twice_creates_nothing_more(db):
    add_member(*PETER, "--role", "rep", "--password", NEW_PASSWORD)

    output = add_member(*PETER, "--role", "rep")

    assert output == "peter is sales rep of Initech (team exists, user exists).\n"
    assert Team.objects.count() == 1
    assert User.objects.count() == 1
    assert Membership.objects.count() == 1
    # The password was not given again, so it is kept.
    assert Client().login(username="peter", password=NEW_PASSWORD)


def test_add_member_again_with_another_role_changes_the_role(db):
    add_member(*PETER, "--role", "rep")

    output = add_member(*PETER, "--role", "manager")

    assert output == "peter is manager of Initech (team exists, user exists, role changed).\n"
    assert Membership.objects.get(user__username="peter").role == Membership.Role.MANAGER
    assert Membership.objects.count() == 1


def test_add_member_refuses_a_weak_password_and_writes_nothing(db):
    with pytest.raises(CommandError, match="Password refused"):
        add_member(*PETER, "--role", "rep", "--password", "123")

    assert not Team.objects.exists()
    assert not User.objects.exists()
    assert not Membership.objects.exists()


def test_add_member_refuses_a_weak_password_for_an_existing_member(db):
    add_member(*PETER, "--role", "rep", "--password", NEW_PASSWORD)

    with pytest.raises(CommandError, match="Password refused"):
        add_member(*PETER, "--role", "manager", "--password", "peter")

    assert Membership.objects.get(user__username="peter").role == Membership.Role.REP
    assert Client().login(username="peter", password=NEW_PASSWORD)


def test_add_member_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        add_member(*PETER, "--role", "boss")

    assert not User.objects.exists()


# --- seed_demo -----------------------------------------------------------------------------


def test_seed_demo_creates_a_team_whose_people_can_log_in(db):
    out = StringIO()
    call_command("seed_demo", stdout=out, no_color=True)

    team = Team.objects.get(name=DEMO_TEAM)
    roles = dict(team.memberships.values_list("user__username", "role"))
    assert roles == {"maria": "manager", "ravi": "rep", "sofia": "rep"}
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed
    for username, *_rest in DEMO_PEOPLE:
        assert username in printed
        assert Client().login(username=username, password=DEMO_PASSWORD)


def test_seed_demo_twice_creates_no_duplicates(db):
    call_command("seed_demo", stdout=StringIO())
    counts = (Team.objects.count(), User.objects.count(), Membership.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (Team.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    # Three members and the demo admin, who is in no team.
    assert counts == (1, 4, 3)


# --- setup_periodic_tasks: tests/test_schedule.py ---------------------------------------------


def setup_periodic_tasks() -> None:
    call_command("setup_periodic_tasks", stdout=StringIO())


# --- Admin -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/accounts/team/",
        "/admin/accounts/membership/",
        "/admin/accounts/user/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_staff_can_open_the_admin(admin_client_, alice, maya, charlie, url):
    setup_periodic_tasks()

    assert admin_client_.get(url).status_code == 200


def test_staff_can_open_a_team_and_a_periodic_task(admin_client_, acme, alice):
    setup_periodic_tasks()
    periodic_task = PeriodicTask.objects.get(name=PERIODIC_TASKS[0].name)

    assert admin_client_.get(f"/admin/accounts/team/{acme.pk}/change/").status_code == 200
    assert admin_client_.get(f"/admin/accounts/user/{alice.pk}/change/").status_code == 200
    url = f"/admin/django_celery_beat/periodictask/{periodic_task.pk}/change/"
    assert admin_client_.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/admin/", "/admin/accounts/team/"])
def test_a_rep_is_sent_to_the_admin_login(alice_client, url):
    response = alice_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _teams_with_members(count: int, members_each: int = 2) -> None:
    for number in range(count):
        team = TeamFactory(name=f"Team {number:02}")
        MembershipFactory.create_batch(members_each, team=team)


@pytest.mark.parametrize("team_count", [3, 30])
def test_team_changelist_query_count(admin_client_, django_assert_max_num_queries, team_count):
    _teams_with_members(team_count)

    # 1. session, 2. user,
    # 3.-4. count of teams (paginator, and the total shown next to the search box),
    # 5. the page of teams with their member counts (one annotated query),
    # 6. the admin's own memberships (navigation: none, he is staff without a team).
    with django_assert_max_num_queries(6):
        response = admin_client_.get("/admin/accounts/team/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == team_count


@pytest.mark.parametrize("team_count", [3, 30])
def test_membership_changelist_query_count(
    admin_client_, django_assert_max_num_queries, team_count
):
    _teams_with_members(team_count)

    # 1. session, 2. user, 3. teams for the "by team" filter,
    # 4.-5. count of memberships (paginator, and the total shown next to the search box),
    # 6. the page of memberships with user and team joined (list_select_related),
    # 7. the admin's own memberships (navigation).
    with django_assert_max_num_queries(7):
        response = admin_client_.get("/admin/accounts/membership/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == team_count * 2


# --- Query counts of the pages -----------------------------------------------------------


def _referral_work(owner, team, size: int) -> None:
    """`size` roster entries waiting for an ask, open asks, and wins of this month."""
    for _ in range(size):
        RosterEntryFactory(prospect=ContactFactory(team=team, owner=owner))
        ReferralFactory(referrer=ClientFactory(team=team, owner=owner))
        ReferralFactory(
            referrer=ClientFactory(team=team, owner=owner),
            status=Referral.Status.WON,
            won_at=timezone.now() - timedelta(days=2),
            value=1000,
        )


@pytest.mark.parametrize("size", [3, 30])
def test_rep_week_query_count(alice, alice_client, acme, django_assert_max_num_queries, size):
    MembershipFactory.create_batch(size, team=acme)
    _referral_work(alice, acme, size)
    for referral in Referral.objects.filter(owner=alice)[:size]:
        FollowUpFactory(referral=referral, due_at=timezone.now() - timedelta(hours=2))

    # 1. session, 2. user, 3. alice's memberships with their teams (the active team),
    # 4. her memberships again for the visibility rules, 5. her referrals counted by
    # status, 6.-12. this week's KPIs (reporting/kpis.py: referral counts, referrals
    # given, follow-ups on time, overdue, deals, goals, the team's number of reps),
    # 13. her follow-ups overdue and due today, counted, 14. the bell's unread
    # notifications, 15. the first follow-ups due with their referral and people,
    # 16. open asks, 17. recent wins, 18. her teammates with their users, 19.-26.
    # keeping the network warm (tests/test_warmth.py: going cold, ask again). Whom to
    # ask about next is a request of its own (below).
    with django_assert_max_num_queries(26):
        response = alice_client.get("/week/")

    assert response.status_code == 200
    assert response.context["followup_counts"] == {"overdue": size, "today": 0}
    assert len(response.context["followups_due"]) == min(size, 6)
    assert len(response.context["teammates"]) == size + 1
    assert len(response.context["open_referrals"]) == min(size, 6)
    assert len(response.context["recent_wins"]) == min(size, 6)


@pytest.mark.parametrize("size", [3, 30])
def test_whom_to_ask_next_query_count(
    alice, alice_client, acme, django_assert_max_num_queries, size
):
    _referral_work(alice, acme, size)
    for entry in RosterEntry.objects.filter(owner=alice):
        RelationshipFactory(between=(ClientFactory(team=acme, owner=alice), entry.prospect))

    # 1. session, 2. user, 3. alice's memberships with their teams (the active team),
    # 4. roster entries waiting for an ask (the first 20) with their prospects, 5. her
    # memberships for the visibility rules, 6. the best connectors of all of them.
    with django_assert_max_num_queries(6):
        response = alice_client.get(reverse("dashboard:next-asks"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert len(response.context["next_asks"]) == min(size, 6)
    assert all(entry.best_connector for entry in response.context["next_asks"])


def test_rep_week_shows_only_the_reps_own_work(alice, bob, alice_client, acme):
    mine = ReferralFactory(referrer=ClientFactory(team=acme, owner=alice))
    bobs = ReferralFactory(referrer=ClientFactory(team=acme, owner=bob))

    response = alice_client.get("/week/")

    assert list(response.context["open_referrals"]) == [mine]
    assert bobs.prospect.full_name not in response.content.decode()
    assert response.context["counts"]["asked"] == 1


def test_rep_week_goals_vs_actual_and_warm_paths(alice, bob, alice_client, acme):
    from referrals.models import WeeklyGoal

    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    WeeklyGoal.objects.create(team=acme, week_start=monday, asks=4, wins=2)
    ReferralFactory(referrer=ClientFactory(team=acme, owner=alice), asked_at=timezone.now())
    warm = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice, first_name="Wendy"))
    RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice, first_name="Coldie"))
    client = ClientFactory(team=acme, owner=alice, first_name="Carla")
    RelationshipFactory(between=(client, warm.prospect), strength=5)

    response = alice_client.get("/week/")

    rows = {row["key"]: row for row in response.context["goal_rows"]}
    assert rows["asks"]["actual"] == 1
    assert rows["asks"]["goal"] == 2  # the team's 4 shared by alice and bob
    assert rows["wins"]["goal"] == 1
    page = response.content.decode()
    assert "<progress" in page
    assert " style=" not in page
    # Whom to ask about next comes once the week shows (htmx), or as a page of its own:
    # the prospect with a warm path first, then the one without.
    panel_url = reverse("dashboard:next-asks")
    assert f'hx-get="{panel_url}"' in page and f'href="{panel_url}"' in page
    for headers, template in (
        ({"HX-Request": "true"}, "dashboard/_whom_to_ask_next.html"),
        ({}, "dashboard/next_asks.html"),
    ):
        panel = alice_client.get(panel_url, headers=headers)
        assert panel.templates[0].name == template
        assert [
            (entry.prospect.first_name, entry.best_connector is not None)
            for entry in panel.context["next_asks"]
        ] == [("Wendy", True), ("Coldie", False)]
        assert "Carla" in panel.content.decode()


def test_rep_week_empty_state_says_what_to_do_next(alice_client):
    page = alice_client.get("/week/").content.decode()
    panel = alice_client.get(reverse("dashboard:next-asks"), headers={"HX-Request": "true"})

    assert "No asks in progress." in page
    assert "Add a prospect to your roster" in panel.content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_manager_dashboard_query_count(maya_client, acme, django_assert_max_num_queries, size):
    for membership in MembershipFactory.create_batch(size, team=acme):
        _referral_work(membership.user, acme, 1)

    # The KPI dashboard (dashboard/views.py): 1. session, 2. user, 3. maya's memberships
    # with their teams (the active team), 4. her memberships for the visibility rules,
    # 5. the team's reps, 6.-9. referral counts by owner, one query per step (and the
    # 12-week trend), 10. referrals given by owner, 11. follow-ups on time by owner,
    # 12. overdue by owner, 13. goals, 14. deals, 15.-16. top referrers (ranking, then
    # names and counts of the ten), 17. the bell's unread notifications, 18. the share of
    # clients asked (reporting.kpis.clients_asked_share).
    with django_assert_max_num_queries(18):
        response = maya_client.get("/dashboard/")

    assert response.status_code == 200
    assert len(response.context["reps"]) == size


def test_manager_dashboard_counts_each_members_work(maya_client, alice, bob, acme, charlie):
    _referral_work(alice, acme, 2)
    _referral_work(charlie, charlie.memberships.get().team, 5)

    response = maya_client.get("/dashboard/?period=last_4_weeks")

    rows = {row.user.username: row.numbers for row in response.context["reps"]}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"]["asks"] == 4  # two open asks and two won, asked a week ago
    assert rows["alice"]["wins"] == 2
    assert rows["bob"]["asks"] == 0
    assert response.context["totals"]["asks"] == 4


# --- Health ------------------------------------------------------------------------------------


def test_health_reports_database_cache_and_no_heartbeat_yet(client, db):
    setup_periodic_tasks()

    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert json.loads(response.content) == {
        "database": "ok",
        "cache": "ok",
        "schedule": "ok",
        "worker_heartbeat": None,
        "status": "ok",
    }


def test_heartbeat_shows_on_health(client, db):
    setup_periodic_tasks()
    beat_at = heartbeat()

    body = client.get("/health/").json()

    assert body["worker_heartbeat"] == beat_at
    recorded = datetime.datetime.fromisoformat(body["worker_heartbeat"])
    assert abs(timezone.now() - recorded) < datetime.timedelta(minutes=1)
    assert body["status"] == "ok"


def test_health_answers_get_only(client, db):
    assert client.post("/health/").status_code == 405
