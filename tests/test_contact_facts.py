"""What a contact's row says of their asks and readiness (referrals/contact_facts.py:
last_asked_at, asks_made, asks_declined, green_light), and what reads it: the share of
clients asked (reporting.kpis.clients_asked_share) and the reverse search's ranking.

The class, not the example: whatever asks, deletions, moves to another referrer or another
moment, steps, and readiness conversations recorded, edited or deleted come in — through
the services or a plain save, as the admin does — every contact's facts equal what their
rows say, the share equals its definition counted on the rows (the current period and past
ones, a team's and a rep's), and the search reads each person as the rows describe them."""

import contextlib
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Contact, ContactKind
from core.errors import StateConflict
from referrals import contact_facts, services
from referrals.connectors import connectors_for
from referrals.contact_facts import contact_facts_rebuild
from referrals.models import ReadinessCheck, Referral
from reporting import kpis
from reporting.kpis import Period, Scope
from tests import migrations
from tests.factories import ClientFactory, ContactFactory, RelationshipFactory

pytestmark = [pytest.mark.dates, pytest.mark.now("2026-06-10T12:00:00+00:00")]

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)

ASK = st.tuples(
    st.just("ask"), st.integers(0, 4), st.integers(0, 3), st.integers(0, 1), st.integers(0, 300)
)
DELETE = st.tuples(st.just("delete"), st.integers(0, 20))
MOVE = st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 4))
REDATE = st.tuples(st.just("redate"), st.integers(0, 20), st.integers(0, 300))
STEP = st.tuples(
    st.just("step"),
    st.integers(0, 20),
    st.sampled_from([Referral.Status.CONFIRMED, Referral.Status.DECLINED, Referral.Status.WON]),
)
READINESS = st.tuples(st.just("readiness"), st.integers(0, 4), st.booleans(), st.integers(0, 60))
UNREADY = st.tuples(st.just("unready"), st.integers(0, 20), st.sampled_from(["delete", "edit"]))
OPERATIONS = st.lists(
    st.one_of(ASK, ASK, DELETE, MOVE, REDATE, STEP, STEP, READINESS, UNREADY),
    min_size=1,
    max_size=14,
)


class _Undo(Exception):
    pass


def _nth(index):
    rows = list(Referral.objects.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def _play(operations, team, reps):
    # Four clients (two of each rep) and one colleague, who may be asked too.
    referrers = [ClientFactory(team=team, owner=reps[i % 2]) for i in range(4)]
    referrers.append(ContactFactory(team=team, owner=reps[0], kind=ContactKind.COLLEAGUE))
    prospects = [ContactFactory(team=team, owner=reps[0]) for _ in range(4)]
    for operation in operations:
        kind = operation[0]
        if kind == "ask":
            _, referrer, prospect, rep, days_ago = operation
            with contextlib.suppress(services.DuplicateAsk):
                services.referral_create(
                    owner=reps[rep],
                    team=team,
                    referrer=referrers[referrer],
                    prospect=prospects[prospect],
                    asked_at=NOW - timedelta(days=days_ago, minutes=days_ago),
                )
        elif kind == "delete" and (referral := _nth(operation[1])):
            with contextlib.suppress(StateConflict):
                services.referral_delete(referral=referral)
        elif kind == "move" and (referral := _nth(operation[1])):
            # As the admin's change form does: a plain save of the row.
            referral.referrer = referrers[operation[2]]
            with contextlib.suppress(Exception), transaction.atomic():
                referral.save()
        elif kind == "redate" and (referral := _nth(operation[1])):
            referral.asked_at = NOW - timedelta(days=operation[2])
            referral.save(update_fields=["asked_at"])
        elif kind == "step" and (referral := _nth(operation[1])):
            with contextlib.suppress(services.TransitionError):
                services.referral_transition(referral=referral, to=operation[2], at=NOW)
        elif kind == "readiness":
            _, client, green, days_ago = operation
            services.readiness_check_record(
                owner=reps[0],
                client=referrers[client],
                checked_on=NOW.date() - timedelta(days=days_ago),
                green_light=green,
            )
        elif kind == "unready":
            checks = list(ReadinessCheck.objects.order_by("pk"))
            if checks:
                check = checks[operation[1] % len(checks)]
                if operation[2] == "delete":
                    services.readiness_check_delete(check=check)
                else:
                    # As the admin's change form does: the answer and the day changed.
                    check.green_light = not check.green_light
                    check.checked_on -= timedelta(days=1)
                    check.save()
    return referrers


FACTS = ("last_asked_at", "asks_made", "asks_declined", "green_light")


def _facts_by_rows() -> dict[int, tuple]:
    facts = {}
    for pk in Contact.objects.values_list("pk", flat=True):
        asks = Referral.objects.filter(referrer=pk)
        latest = asks.aggregate(m=Max("asked_at"))["m"]
        made = asks.filter(status__in=contact_facts.MADE).count()
        declined = asks.filter(status=Referral.Status.DECLINED).count()
        check = ReadinessCheck.objects.filter(client=pk).order_by("-checked_on", "-id").first()
        facts[pk] = (latest, made, declined, check.green_light if check else None)
    return facts


def _share_by_rows(team, period: Period, rep=None) -> float | None:
    clients = Contact.objects.filter(team=team, kind=ContactKind.CLIENT, user__isnull=True)
    if rep is not None:
        clients = clients.filter(owner=rep)
    end = period.end_before
    window = (end - kpis.CLIENTS_ASKED_WITHIN, end)
    asked = [
        client
        for client in clients
        if Referral.objects.filter(
            referrer=client, asked_at__gte=window[0], asked_at__lt=window[1]
        ).exists()
    ]
    return kpis.ratio(len(asked), clients.count())


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS, ends_days_ago=st.integers(0, 200), zone=st.sampled_from(
    ["UTC", "America/Los_Angeles", "Asia/Kolkata"]
))  # fmt: skip
def test_any_history_keeps_each_contacts_facts_and_the_share_equal_to_the_rows(
    acme, alice, bob, operations, ends_days_ago, zone
):
    try:
        with transaction.atomic():
            _play(operations, acme, (alice, bob))
            stored = {row[0]: row[1:] for row in Contact.objects.values_list("pk", *FACTS)}
            assert stored == _facts_by_rows()
            end = NOW.date() - timedelta(days=ends_days_ago)
            period = Period(end - timedelta(days=27), end, ZoneInfo(zone))
            for rep in (None, alice, bob):
                scope = Scope(team_ids=(acme.pk,), rep_id=rep.pk if rep else None)
                assert kpis.clients_asked_share(scope, period) == _share_by_rows(
                    acme, period, rep
                ), (rep, period)
            raise _Undo
    except _Undo:
        pass


def test_the_rebuild_finds_what_bulk_writes_left_out(acme, alice):
    referrer = ClientFactory(team=acme, owner=alice)
    asked = services.referral_create(
        owner=alice,
        team=acme,
        referrer=referrer,
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=NOW - timedelta(days=3),
    )
    # Past the signals, as the bulk seed writes.
    Referral.objects.filter(pk=asked.pk).update(
        asked_at=NOW - timedelta(days=1), status=Referral.Status.DECLINED
    )
    ReadinessCheck.objects.bulk_create(
        [ReadinessCheck(owner=alice, team=acme, client=referrer, checked_on=NOW.date())]
    )
    Contact.objects.filter(pk=referrer.pk).update(last_asked_at=None, asks_made=3)
    assert contact_facts_rebuild(team_ids=[acme.pk]) == Contact.objects.filter(team=acme).count()
    referrer.refresh_from_db()
    assert (
        referrer.last_asked_at,
        referrer.asks_made,
        referrer.asks_declined,
        referrer.green_light,
    ) == (NOW - timedelta(days=1), 0, 1, False)


def test_the_share_reads_one_index_however_many_clients(acme, alice, django_assert_num_queries):
    period = Period(date(2026, 6, 1), date(2026, 6, 10), ZoneInfo("UTC"))
    scope = Scope(team_ids=(acme.pk,))
    for size in (3, 30):
        ClientFactory.create_batch(size, team=acme, owner=alice)
        with django_assert_num_queries(1):
            kpis.clients_asked_share(scope, period)


def test_the_search_reads_each_person_as_their_rows_say(acme, alice):
    """The connectors' people carry the facts of their rows (the ranking's disposition)."""
    target = ContactFactory(team=acme, owner=alice)
    rita = ClientFactory(team=acme, owner=alice)
    RelationshipFactory(between=(rita, target), strength=4)
    for _ in range(2):
        services.referral_create(
            owner=alice,
            team=acme,
            referrer=rita,
            prospect=ContactFactory(team=acme, owner=alice),
            asked_at=NOW - timedelta(days=2),
        )
    first = Referral.objects.filter(referrer=rita).order_by("pk").first()
    services.referral_transition(referral=first, to=Referral.Status.CONFIRMED, at=NOW)
    services.readiness_check_record(
        owner=alice, client=rita, checked_on=NOW.date(), green_light=True
    )
    (found,) = connectors_for(target=target, user=alice, max_hops=1)
    person = found.connector
    assert (person.asks_yes, person.asks_no, person.green_light) == (1, 0, True)


BEFORE = ("referrals", "0013_referrer_answers_by_link")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_each_contacts_facts():
    day = datetime.combine(date(2026, 5, 1), time(9), UTC)
    with migrations.as_before(BEFORE, ("contacts", "0016_contact_facts")) as apps:
        Team = apps.get_model("accounts", "Team")
        User = apps.get_model("accounts", "User")
        OldContact = apps.get_model("contacts", "Contact")
        OldReferral = apps.get_model("referrals", "Referral")
        OldCheck = apps.get_model("referrals", "ReadinessCheck")
        team = Team.objects.create(name="Old data")
        rep = User.objects.create(username="old-rep")
        rita = OldContact.objects.create(team=team, owner=rep, first_name="Rita", kind="client")
        never = OldContact.objects.create(team=team, owner=rep, first_name="Nora", kind="client")
        for days, who, status in ((0, "Paul", "won"), (5, "Olga", "declined"), (6, "Ida", "asked")):
            OldReferral.objects.create(
                team=team,
                owner=rep,
                referrer=rita,
                prospect=OldContact.objects.create(team=team, owner=rep, first_name=who),
                asked_at=day + timedelta(days=days),
                status=status,
            )
        for days, green in ((0, True), (3, False)):
            OldCheck.objects.create(
                team=team,
                owner=rep,
                client=rita,
                checked_on=day.date() + timedelta(days=days),
                green_light=green,
            )
        migrations.latest()
        facts = dict(Contact.objects.values_list("pk", "last_asked_at"))
        assert facts[rita.pk] == day + timedelta(days=6)
        assert facts[never.pk] is None
        rita_now = Contact.objects.get(pk=rita.pk)
        assert (rita_now.asks_made, rita_now.asks_declined, rita_now.green_light) == (
            1,
            1,
            False,
        )
        never_now = Contact.objects.get(pk=never.pk)
        assert (never_now.asks_made, never_now.asks_declined, never_now.green_light) == (
            0,
            0,
            None,
        )


@pytest.mark.parametrize(
    "command", [("seed_demo",), ("seed", "--size", "dense", "--scale", "0.01")], ids=str
)
def test_the_seeds_leave_each_contacts_facts_right(db, command):
    """The demo (through the services) and the bulk seed (past the signals, then rebuilt)."""
    call_command(*command, stdout=StringIO())
    stored = {row[0]: row[1:] for row in Contact.objects.values_list("pk", *FACTS)}
    assert stored == _facts_by_rows()
    assert any(facts[1] for facts in stored.values())  # some asks were made and answered
