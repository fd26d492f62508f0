"""The demo data (`seed_demo`) ranked as a rep would trust it (issue 17): to reach Shelly
Dixon, Ravi asks Alexandra Petersen, whom he knows and who knows Shelly, not Jessica Clark
to introduce Alexandra; nobody is ever to be introduced to Henry Fritz, or to anyone else
already ours; and the roster, the rep's week and the morning digest show the same best
path as the connectors page, and the manager's weekly summary each rep's, as that rep's page
ranks it. The browser test is tests/browser/test_ranking_demo.py.
"""

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.zones import zone_of
from contacts.models import Contact
from followups.digests import digests_send
from outbox.models import OutgoingEmail
from referrals import ranking
from referrals.connectors import ask_plan, connectors_for
from referrals.models import RosterEntry
from referrals.selectors import roster_next_asks, team_next_asks
from reporting import weekly_summary

MOMENT = "2026-03-04T10:00:00+00:00"
pytestmark = [pytest.mark.dates, pytest.mark.now(MOMENT)]


@pytest.fixture(scope="module")
def _demo_seeded(django_db_setup, django_db_blocker):
    """seed_demo once for the module (it takes seconds), at the moment the tests are pinned
    to, in a transaction rolled back at the end. Each test runs in a savepoint inside it
    (the `db` fixture), so what one writes (a digest, a summary) is gone for the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(datetime.fromisoformat(MOMENT), tick=False):
            call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_seeded, db):
    return {name: User.objects.get(username=name) for name in ("ravi", "sofia", "maria")}


def contact(name: str) -> Contact:
    first, last = name.split(" ", 1)
    return Contact.objects.get(first_name=first, last_name=last)


def test_to_reach_shelly_ravi_asks_alexandra(demo):
    ravi = demo["ravi"]
    shelly, alexandra = contact("Shelly Dixon"), contact("Alexandra Petersen")
    results = connectors_for(target=shelly, user=ravi)
    plan = ask_plan(results[0].path, user=ravi)
    assert (plan.referrer.pk, plan.prospect.pk) == (alexandra.pk, shelly.pk)
    assert results[0].connector.pk == alexandra.pk
    assert results[0].reason.startswith("You know Alexandra")
    # Jessica's path runs through Alexandra, a client of the team: it stays a path, but
    # its ask goes to Alexandra, and it comes after Alexandra's own.
    jessica = next(r for r in results if r.connector.full_name == "Jessica Clark")
    assert ask_plan(jessica.path, user=ravi).referrer.pk == alexandra.pk
    assert results.index(jessica) > 0


def test_nobody_is_ever_introduced_to_someone_already_ours(demo):
    henry = contact("Henry Fritz")
    assert henry.kind == "client"
    for entry in RosterEntry.objects.select_related("owner", "prospect"):
        for result in connectors_for(target=entry.prospect, user=entry.owner, max_hops=3):
            plan = ask_plan(result.path, user=entry.owner)
            if plan is None:
                continue
            assert plan.prospect.pk != henry.pk
            assert plan.reaches_target or not ranking.is_ours(plan.prospect, user=entry.owner)


def test_the_roster_the_week_and_the_digest_show_the_pages_best_path(demo, client):
    ravi = demo["ravi"]
    team = ravi.memberships.get().team
    entries = roster_next_asks(ravi, team=team, limit=20)
    assert entries
    for entry in entries:
        ranked = connectors_for(target=entry.prospect, user=ravi, max_hops=2)
        if ranked:
            assert entry.best_connector.path_ids == ranked[0].path_ids
            assert entry.best_connector.reason == ranked[0].reason
        else:
            assert entry.best_connector is None
    client.force_login(ravi)
    # The week's "whom to ask about next", which the week asks for once it shows.
    week = client.get(reverse("dashboard:next-asks"), headers={"HX-Request": "true"})
    week = week.content.decode().replace("&#x27;", "'")
    roster = client.get(reverse("referrals:roster")).content.decode().replace("&#x27;", "'")
    first = next(entry for entry in entries if entry.best_connector)
    for page in (week, roster):
        assert f">{first.best_connector.first_ask.full_name}</a>" in page
        assert first.best_connector.reason in page
    # The morning digest (7:00 in Ravi's zone, the day of the pinned clock).
    zone = zone_of(ravi)
    morning = datetime.combine(datetime.now(zone).date(), time(8), tzinfo=zone)
    digests_send(now=morning)
    email = OutgoingEmail.objects.get(purpose="digest", to=ravi.email)
    assert "Whom to ask about next:" in email.body
    assert f"ask {first.best_connector.first_ask.full_name}" in email.body
    assert first.best_connector.reason in email.body


def test_the_weekly_summary_shows_each_reps_best_path_as_their_page(demo):
    maria = demo["maria"]
    team = maria.memberships.get().team
    asks = team_next_asks(maria, team=team, limit=weekly_summary.WEEKLY_WARM_PATHS)
    assert asks
    for entry in asks:
        ranked = connectors_for(target=entry.prospect, user=entry.owner, max_hops=2)
        assert entry.best_connector.path_ids == ranked[0].path_ids
        assert entry.best_connector.reason == ranked[0].reason
    scores = [entry.best_connector.score for entry in asks]
    assert scores == sorted(scores, reverse=True)
    # Monday 7:30 in Maria's zone, the week of the pinned clock.
    zone = zone_of(maria)
    today = datetime.now(zone).date()
    monday = datetime.combine(today - timedelta(days=today.weekday()), time(7, 30), tzinfo=zone)
    weekly_summary.weekly_summaries_send(now=monday)
    body = OutgoingEmail.objects.get(purpose="weekly_summary", to=maria.email).body
    assert "Warm paths waiting:" in body
    lines = [line for line in body.splitlines() if line.startswith("  - ")]
    assert len(lines) == len(asks)
    for entry, line in zip(asks, lines, strict=True):
        best = entry.best_connector
        assert line.startswith(f"  - {entry.owner}: ")
        if best.first_ask:
            assert f"ask {best.first_ask.full_name} to introduce" in line
        else:
            assert f": meet {entry.prospect} (" in line
        assert line.endswith(f"({best.reason})")
