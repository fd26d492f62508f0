"""The KPI rollups (reporting/rollups.py): whatever history the services write, the
rollups equal a count of the source rows, and the KPIs read from them equal the
definitions counted on the rows themselves, in any viewer's time zone; a failure to keep
them rolls the write back; the rebuild and the check (command and nightly task) see and
repair what a bulk writer left behind."""

import contextlib
import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.schedule import PERIODIC_TASKS
from core.errors import StateConflict
from followups import services as followup_services
from followups.models import FollowUp
from referrals import services
from referrals.models import Deal, Referral, ReferralGiven
from reporting import kpis, rollups, tasks
from reporting.kpis import Period, Scope
from reporting.models import DailyCount, RollupsBuilt, WeeklyCount
from tests.factories import ClientFactory, ContactFactory

pytestmark = [pytest.mark.dates, pytest.mark.now("2026-03-20T12:00:00+00:00")]

UTC = ZoneInfo("UTC")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham"]
STEPS = [
    Referral.Status.CONFIRMED,
    Referral.Status.CONTACTED,
    Referral.Status.MEETING,
    Referral.Status.WON,
    Referral.Status.LOST,
    Referral.Status.DECLINED,
]

# A minute of a UTC day: any, or one next to a viewer's midnight (UTC's, New York's,
# Kolkata's, Kathmandu's, Chatham's), where a period's edge cuts the day.
MINUTE_OF_DAY = st.one_of(
    st.integers(0, 24 * 60 - 1),
    st.sampled_from([0, 1, 4 * 60 - 1, 4 * 60, 5 * 60, 10 * 60 + 14, 10 * 60 + 15, 18 * 60 + 15,
                     18 * 60 + 29, 18 * 60 + 30, 24 * 60 - 1]),
)  # fmt: skip
ASK = st.tuples(
    st.just("ask"),
    st.integers(0, 3),  # referrer
    st.integers(0, 3),  # prospect
    st.integers(0, 1),  # owner: alice or bob
    st.integers(0, 5),  # days ago: a few, so that periods' edges cut them
    MINUTE_OF_DAY,
    st.sampled_from(["good", "better", "best"]),
)
OTHER = st.lists(
    st.one_of(
        ASK,
        st.tuples(st.just("step"), st.integers(0, 50), st.sampled_from(STEPS), st.floats(0, 1)),
        st.tuples(
            st.just("edit"),
            st.integers(0, 50),
            st.sampled_from(["good", "better", "best"]),
            st.one_of(st.none(), st.integers(0, 10_000)),
        ),
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("thank"), st.integers(0, 50), st.booleans(), st.floats(0, 1)),
        st.tuples(
            st.just("deal"),
            st.sampled_from(["referral", "cold", "inbound"]),
            st.sampled_from(["open", "won", "lost"]),
            st.integers(0, 6),
            st.one_of(st.none(), st.integers(0, 10_000)),
        ),
        st.tuples(st.just("undeal"), st.integers(0, 50)),
        st.tuples(st.just("give"), st.integers(0, 3), st.integers(0, 6)),
        st.tuples(st.just("ungive"), st.integers(0, 50)),
    ),
    max_size=20,
)
OPERATIONS = st.tuples(st.lists(ASK, min_size=1, max_size=8), OTHER).map(
    lambda parts: parts[0] + parts[1]
)


class _Undo(Exception):
    pass


def _nth(queryset, index):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def _play(operations, acme, alice, bob) -> None:
    # Each way of being kept informed: the weekly and monthly updates are skipped in
    # bulk when the referral closes (followups.services), which the rollups must hear.
    referrers = [
        ClientFactory(team=acme, owner=alice, update_cadence=cadence)
        for cadence in ("each_step", "weekly", "monthly", "at_end")
    ]
    prospects = [ContactFactory(team=acme, owner=alice) for _ in range(4)]
    for operation in operations:
        kind = operation[0]
        if kind == "ask":
            _, referrer, prospect, owner, days_ago, minute, quality = operation
            day = datetime.combine(NOW.date() - timedelta(days=days_ago), time.min, UTC)
            asked_at = min(day + timedelta(minutes=minute), NOW)
            with contextlib.suppress(services.DuplicateAsk):
                services.referral_create(
                    owner=(alice, bob)[owner],
                    team=acme,
                    referrer=referrers[referrer],
                    prospect=prospects[prospect],
                    asked_at=asked_at,
                    quality=quality,
                )
        elif kind == "step":
            _, index, to, share = operation
            referral = _nth(Referral.objects.all(), index)
            if referral is not None:
                previous = services.previous_step_time(referral)
                at = previous + (NOW - previous) * share
                value = Decimal(index * 10) if to == Referral.Status.WON else None
                with contextlib.suppress(services.TransitionError):
                    services.referral_transition(referral=referral, to=to, at=at, value=value)
        elif kind == "edit":
            _, index, quality, value = operation
            referral = _nth(Referral.objects.all(), index)
            if referral is not None:
                data = {"quality": quality, "value": None if value is None else Decimal(value)}
                services.referral_update(referral=referral, data=data)
        elif kind == "delete":
            referral = _nth(Referral.objects.all(), operation[1])
            if referral is not None:
                with contextlib.suppress(StateConflict):
                    services.referral_delete(referral=referral)
        elif kind == "thank":
            _, index, done, share = operation
            followup = _nth(FollowUp.objects.filter(status=FollowUp.Status.PENDING), index)
            if followup is not None:
                if done:
                    asked = followup.referral.asked_at
                    followup_services.followup_complete(
                        followup=followup, actor=followup.owner, channel="email",
                        at=asked + (NOW - asked) * share,
                    )  # fmt: skip
                else:
                    followup_services.followup_skip(
                        followup=followup, actor=followup.owner, reason="Not now"
                    )
        elif kind == "deal":
            _, source, outcome, days_ago, value = operation
            opened = NOW.date() - timedelta(days=40)
            services.deal_create(
                owner=alice,
                contact=prospects[days_ago % 4],
                source=source,
                outcome=outcome,
                opened_on=opened,
                closed_on=None if outcome == "open" else NOW.date() - timedelta(days=days_ago),
                value=None if value is None else Decimal(value),
            )
        elif kind == "undeal":
            deal = _nth(Deal.objects.filter(referral__isnull=True), operation[1])
            if deal is not None:
                services.deal_delete(deal=deal)
        elif kind == "give":
            _, client, days_ago = operation
            services.referral_given_record(
                owner=bob,
                client=referrers[client],
                given_on=NOW.date() - timedelta(days=days_ago),
                introduced_name="Someone Else",
            )
        elif kind == "ungive":
            given = _nth(ReferralGiven.objects.all(), operation[1])
            if given is not None:
                services.referral_given_delete(given=given)


def _in(moment, period: Period) -> bool:
    return moment is not None and period.start_at <= moment < period.end_before


def _by_the_rows(period: Period, now: datetime) -> dict:
    """The definitions of DESIGN.md counted on the source rows, in Python."""
    referrals = list(Referral.objects.all())
    won = [r for r in referrals if _in(r.won_at, period)]
    cohort = {r.pk for r in referrals if _in(r.asked_at, period)}
    thanks = [
        f
        for f in FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER, referral__in=cohort)
        if f.status == FollowUp.Status.DONE
        or (f.status == FollowUp.Status.PENDING and f.due_at < now)
    ]
    on_time = [f for f in thanks if f.status == FollowUp.Status.DONE and f.done_at <= f.due_at]
    return {
        "asks": len(cohort),
        "intros": sum(_in(r.confirmed_at, period) for r in referrals),
        "meetings": sum(_in(r.meeting_at, period) for r in referrals),
        "wins": len(won),
        "won_value": str(sum((r.value or Decimal(0) for r in won), Decimal(0)).quantize(
            Decimal("0.01")
        )),
        "referrals_given": ReferralGiven.objects.filter(
            given_on__gte=period.start, given_on__lte=period.end
        ).count(),
        "followup_on_time_rate": kpis.ratio(len(on_time), len(thanks)),
        "cohort_confirmed": sum(
            r.pk in cohort and r.confirmed_at is not None for r in referrals
        ),
        "overdue_followups": FollowUp.objects.filter(
            status=FollowUp.Status.PENDING, due_at__lt=now
        ).count(),
    }  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    operations=OPERATIONS,
    zone=st.sampled_from(ZONES),
    first_day=st.integers(0, 6),
    days=st.integers(1, 4),
)
def test_any_history_keeps_the_rollups_equal_to_the_rows(
    acme, alice, bob, operations, zone, first_day, days
):
    """The class, not the example: whatever asks, steps, edits, deletions, follow-ups,
    deals and referrals given come in, the rollups equal the source rows' counts, and the
    KPIs read from them equal the definitions counted on the rows, in a viewer's zone
    whose days are not UTC's (half and three-quarter hours included)."""
    try:
        with transaction.atomic():
            _play(operations, acme, alice, bob)
            assert rollups.rollups_differences() == []
            start = NOW.date() - timedelta(days=first_day)
            period = Period(start, start + timedelta(days=days - 1), ZoneInfo(zone))
            numbers = kpis.kpis(Scope(team_ids=(acme.pk,)), period, now=NOW)
            expected = _by_the_rows(period, NOW)
            assert {key: numbers[key] for key in expected if key in numbers} == {
                key: value for key, value in expected.items() if key != "cohort_confirmed"
            }
            assert numbers["funnel"]["confirmed"] == expected["cohort_confirmed"]
            trend = kpis.weekly_trend(Scope(team_ids=(acme.pk,)), period.end, ZoneInfo(zone))
            for week in trend:
                week_period = Period(
                    week["week_start"], week["week_start"] + timedelta(days=6), ZoneInfo(zone)
                )
                by_rows = _by_the_rows(week_period, NOW)
                assert (week["asks"], week["intros"], week["wins"]) == (
                    by_rows["asks"],
                    by_rows["intros"],
                    by_rows["wins"],
                )
            # The dashboard reads the period and its 12 weeks in the same queries (the
            # cells summed per stretch between all the spans' bounds): the same numbers.
            totals, _reps = kpis.team_table((acme.pk,), period, now=NOW, with_trend=True)
            assert {key: totals[key] for key in expected if key in totals} == {
                key: numbers[key] for key in expected if key in numbers
            }
            assert totals["trend"] == trend
            raise _Undo
    except _Undo:
        pass


@pytest.fixture
def an_ask(acme, alice):
    return services.referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice),
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=NOW - timedelta(days=2),
    )


def _asks_on(day: date) -> int:
    row = DailyCount.objects.filter(measure="asks", day=day).first()
    return row.count if row else 0


def test_an_ask_counts_in_the_same_transaction(an_ask):
    assert _asks_on(an_ask.asked_at.date()) == 1
    assert rollups.rollups_differences() == []


def test_a_failure_to_count_rolls_the_ask_back(acme, alice, monkeypatch):
    def broken(changes):
        raise RuntimeError("the rollups are unavailable")

    monkeypatch.setattr(rollups, "rollups_apply", broken)
    with pytest.raises(RuntimeError):
        services.referral_create(
            owner=alice,
            team=acme,
            referrer=ClientFactory(team=acme, owner=alice),
            prospect=ContactFactory(team=acme, owner=alice),
            asked_at=NOW - timedelta(days=2),
        )
    assert not Referral.objects.exists()
    assert not FollowUp.objects.exists()


def test_a_failure_to_count_a_step_leaves_the_referral_where_it_was(an_ask, monkeypatch):
    def broken(changes):
        raise RuntimeError("the rollups are unavailable")

    monkeypatch.setattr(rollups, "rollups_apply", broken)
    with pytest.raises(RuntimeError):
        services.referral_transition(referral=an_ask, to=Referral.Status.CONFIRMED)
    an_ask.refresh_from_db()
    assert an_ask.status == Referral.Status.ASKED and an_ask.confirmed_at is None


def test_the_check_finds_a_bulk_write_and_the_rebuild_repairs_it(an_ask):
    # A bulk writer (queryset.update) bypasses the signals the rollups follow.
    Referral.objects.filter(pk=an_ask.pk).update(asked_at=NOW - timedelta(days=5))

    with pytest.raises(CommandError, match="KPI rollup cells differ"):
        call_command("rollups_check", stdout=StringIO(), stderr=StringIO())

    out = StringIO()
    call_command("rollups_rebuild", stdout=out)
    assert "rebuilt" in out.getvalue()
    call_command("rollups_check", stdout=StringIO())
    assert _asks_on((NOW - timedelta(days=5)).date()) == 1
    assert _asks_on((NOW - timedelta(days=2)).date()) == 0


def test_the_rebuild_of_one_team_leaves_the_others(an_ask, globex, charlie):
    services.referral_create(
        owner=charlie,
        team=globex,
        referrer=ClientFactory(team=globex, owner=charlie),
        prospect=ContactFactory(team=globex, owner=charlie),
        asked_at=NOW - timedelta(days=1),
    )
    DailyCount.objects.all().update(count=99)

    call_command("rollups_rebuild", "--team", str(globex.pk), stdout=StringIO())

    assert DailyCount.objects.get(team=globex, measure="asks").count == 1
    assert DailyCount.objects.get(team=an_ask.team, measure="asks").count == 99
    assert rollups.rollups_differences(team_ids=[globex.pk]) == []


def test_the_nightly_check_is_scheduled_and_logs_each_difference(an_ask, caplog):
    assert "reporting.tasks.rollups_check" in {entry.task for entry in PERIODIC_TASKS}
    # Run twice: a check only reads.
    assert tasks.rollups_check() == 0
    assert tasks.rollups_check() == 0

    DailyCount.objects.filter(measure="asks").update(count=3)
    with caplog.at_level(logging.ERROR, logger="reporting.rollups"):
        assert tasks.rollups_check() == 1
    assert "asks: stored 3" in caplog.text


def test_a_won_referrals_value_edited_moves_its_deals_won_value(an_ask):
    """The referral's deal follows its value (referrals.services.referral_update): the won
    value of the deals counted from the rollups follows too."""
    for step in ("confirmed", "contacted", "meeting", "won"):
        services.referral_transition(
            referral=an_ask, to=step, at=NOW - timedelta(days=1),
            value=Decimal(100) if step == "won" else None,
        )  # fmt: skip
    services.referral_update(referral=an_ask, data={"value": Decimal(250)})

    assert rollups.rollups_differences() == []
    cell = DailyCount.objects.get(measure="deals_referral_won_valued")
    assert cell.amount == Decimal("250.00")


def test_updates_skipped_when_a_referral_closes_are_no_longer_pending(acme, alice):
    """A weekly referrer's pending update is skipped when the referral is lost: it no
    longer counts among the follow-ups pending (and so, once due, overdue)."""
    referral = services.referral_create(
        owner=alice,
        team=acme,
        referrer=ClientFactory(team=acme, owner=alice, update_cadence="weekly"),
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=NOW - timedelta(days=3),
    )
    services.referral_transition(referral=referral, to="confirmed", at=NOW - timedelta(days=2))
    update = FollowUp.objects.get(kind=FollowUp.Kind.PERIODIC_UPDATE)
    services.referral_transition(referral=referral, to="lost", at=NOW - timedelta(days=1))

    update.refresh_from_db()
    assert update.status == FollowUp.Status.SKIPPED
    assert rollups.rollups_differences() == []
    assert not DailyCount.objects.filter(
        measure="pending_due", day=update.due_at.date(), count__gt=0
    ).exists()


def test_deleting_a_team_takes_its_rollups_along(an_ask, acme):
    assert DailyCount.objects.filter(team=acme).exists()
    Referral.objects.filter(team=acme).delete()
    assert rollups.rollups_differences() == []
    acme.delete()
    assert not DailyCount.objects.exists()
    assert not WeeklyCount.objects.exists()


def test_each_week_adds_up_its_days_and_the_check_sees_a_week_gone_wrong(an_ask, caplog):
    """An ask counts in its day's cell and in its week's (Monday to Sunday); the nightly
    check compares the weeks with the source rows too."""
    asked = an_ask.asked_at.date()  # Wednesday 18 March 2026
    week = WeeklyCount.objects.get(measure="asks")
    assert (week.week, week.count) == (asked - timedelta(days=asked.weekday()), 1)

    WeeklyCount.objects.filter(measure="asks").update(count=4)
    with caplog.at_level(logging.ERROR, logger="reporting.rollups"):
        assert tasks.rollups_check() == 1
    assert "the week of 2026-03-16, asks: stored 4 (0.00), source 1" in caplog.text
    rollups.rollups_rebuild()
    assert WeeklyCount.objects.get(measure="asks").count == 1


def test_whole_weeks_are_read_a_week_at_a_time_and_the_other_days_a_day_at_a_time(an_ask):
    """Which cells a period reads: its whole weeks (Monday to Sunday) from the weekly
    cells, its other days from the daily ones — shown by a weekly cell that says 4 where
    its days say 1."""
    WeeklyCount.objects.filter(measure="asks").update(count=4)
    scope = Scope(team_ids=(an_ask.team_id,))

    def asks(first: date, last: date) -> int:
        return kpis.kpis(scope, Period(first, last, UTC), now=NOW)["asks"]

    assert asks(date(2026, 3, 16), date(2026, 3, 22)) == 4  # the whole week
    assert asks(date(2026, 3, 2), date(2026, 3, 29)) == 4  # four whole weeks
    assert asks(date(2026, 3, 17), date(2026, 3, 23)) == 1  # Tuesday to Monday: days
    assert asks(date(2026, 3, 18), date(2026, 3, 18)) == 1  # the day itself
    # A viewer whose Monday starts on a UTC Sunday reads that week's days.
    assert (
        kpis.kpis(
            scope, Period(date(2026, 3, 16), date(2026, 3, 22), ZoneInfo("Asia/Kolkata")), now=NOW
        )["asks"]
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_follow_up_states_of_the_moment_are_counted_from_their_indexes_alone(
    an_ask, maya_client
):
    """The dashboard's follow-ups overdue earlier today and thank-yous not yet due are
    states of the moment, counted from the follow-ups themselves on every request: on
    PostgreSQL, from the partial indexes that find them, never from the table (the dense
    team's overdue of the day: 3.5 ms through the table, 0.6 ms from the index alone).
    Committed and vacuumed, as a running database's rows are, and with the table scans
    priced out, a count that needs a column no index holds shows as a read of the table."""
    if connection.vendor != "postgresql":
        pytest.skip("covering (INCLUDE) indexes are PostgreSQL's")
    FollowUp.objects.filter(referral=an_ask).update(due_at=NOW - timedelta(hours=1))
    with CaptureQueriesContext(connection) as queries:
        assert maya_client.get("/dashboard/?period=last_12_weeks").status_code == 200
    (sql,) = [q["sql"] for q in queries.captured_queries if '"reporting_weeklycount"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) followups_followup, referrals_referral")
        with transaction.atomic():
            for method in ("seqscan", "bitmapscan"):
                cursor.execute(f"SET LOCAL enable_{method} = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = [row[0] for row in cursor.fetchall()]
    reads = [line.strip() for line in plan if " on followups_followup" in line]
    assert len(reads) == 2, plan
    assert all(line.startswith("->  Index Only Scan") for line in reads), "\n".join(plan)


def test_the_demo_seed_leaves_the_rollups_right(db):
    call_command("seed_demo", stdout=StringIO())
    assert DailyCount.objects.exists()
    assert rollups.rollups_differences() == []


def test_the_bulk_seed_leaves_the_rollups_right_and_the_dense_team_is_busy(db):
    out = StringIO()
    call_command("seed", "--size", "dense", "--scale", "0.01", stdout=out)
    assert "KPI rollups" in out.getvalue()
    assert rollups.rollups_differences() == []
    # Its asks are recent: most of them in the twelve weeks the dashboard shows.
    recent = Referral.objects.filter(asked_at__gte=NOW - timedelta(weeks=12)).count()
    assert recent > 0.6 * Referral.objects.count()


# --- A database from before the rollups, or before a measure -----------------------------


def test_migrate_rebuilds_rollups_that_predate_the_measures(an_ask, acme):
    # An upgraded database: its referrals were written before the rollups existed (or
    # before today's measures), so none of them is counted yet.
    DailyCount.objects.all().delete()
    RollupsBuilt.objects.all().delete()
    week = Period(NOW.date() - timedelta(days=6), NOW.date(), ZoneInfo("UTC"))
    assert kpis.kpis(Scope(team_ids=(acme.pk,)), week, now=NOW)["asks"] == 0

    call_command("migrate", verbosity=0)

    assert kpis.kpis(Scope(team_ids=(acme.pk,)), week, now=NOW)["asks"] == 1
    assert RollupsBuilt.objects.get().measures == rollups.MEASURES_BUILT
    assert rollups.rollups_differences() == []


def test_a_new_measure_is_counted_from_the_rows_at_the_next_migrate(an_ask):
    RollupsBuilt.objects.update_or_create(pk=1, defaults={"measures": "asks,intros"})
    DailyCount.objects.all().delete()

    assert rollups.rollups_rebuild_if_outdated() >= 1

    assert rollups.rollups_differences() == []


def test_current_rollups_are_left_alone_after_migrate(an_ask, django_assert_num_queries):
    rollups.rollups_rebuild()
    DailyCount.objects.all().update(count=7)  # a rebuild would put it back to 1

    with django_assert_num_queries(1):  # the stored list of measures, nothing more
        assert rollups.rollups_rebuild_if_outdated() is None

    assert set(DailyCount.objects.values_list("count", flat=True)) == {7}
