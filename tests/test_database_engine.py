"""The embedded default (SQLite, what `make run` uses) is a first-class engine: opened
tuned as SQLite deployments are (config/sqlite.py), and its planner statistics kept
current after seeding, after a large import and every night (core/database.py), on
PostgreSQL as well. Issue 20: without statistics, SQLite read a contact's referrals
through the team's date index instead of the prospect's, 313 ms instead of 20 ms."""

from __future__ import annotations

import sqlite3

import pytest
from django.apps import apps
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import tasks as config_tasks
from config.schedule import PERIODIC_TASKS
from config.sqlite import sqlite_options
from contacts.imports import import_commit, import_job_create, jobs
from contacts.models import Contact
from contacts.services import contact_for_user_ensure
from core.database import statistics_refresh, usually_null
from demo.generate import generate
from followups.models import FollowUp
from referrals import connectors
from referrals.models import Referral
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    ReferralFactory,
    UserFactory,
)

on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the test database is PostgreSQL in this run"
)


# --- How SQLite is opened ----------------------------------------------------------------------


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    """A connection to an SQLite file opened with Warmpath's options, as `make run` does
    (its own file, whichever engine the test database uses)."""
    wrapper = SQLiteWrapper(
        {
            "NAME": str(tmp_path / "warmpath.sqlite3"),
            "OPTIONS": sqlite_options(),
            "ENGINE": "django.db.backends.sqlite3",
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "TEST": {},
        },
        alias="sqlite_options_probe",
    )
    with django_db_blocker.unblock():
        wrapper.ensure_connection()
        yield wrapper
        wrapper.close()


def pragma(wrapper, name: str):
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_sqlite_is_opened_as_a_deployment_of_it_is(sqlite_file):
    assert pragma(sqlite_file, "journal_mode") == "wal"  # readers never wait for the writer
    assert pragma(sqlite_file, "synchronous") == 1  # NORMAL: safe under WAL
    assert pragma(sqlite_file, "busy_timeout") == 20_000  # a writer waits, then fails
    assert pragma(sqlite_file, "cache_size") == -64 * 1024  # 64 MB of page cache
    assert pragma(sqlite_file, "temp_store") == 2  # sorts and temporary tables in memory
    assert pragma(sqlite_file, "foreign_keys") == 1
    assert sqlite_file.transaction_mode == "IMMEDIATE"


def test_a_transaction_takes_the_write_lock_when_it_starts(sqlite_file, tmp_path):
    """IMMEDIATE: while one transaction is open, even before it writes, another writer
    waits at BEGIN (up to the busy timeout) instead of failing halfway through its own
    writes when it tries to upgrade a read lock."""
    with sqlite_file.cursor() as cursor:
        cursor.execute("CREATE TABLE probe (n integer)")
    other = sqlite3.connect(tmp_path / "warmpath.sqlite3", timeout=0)
    # What transaction.atomic() does on SQLite to open a transaction.
    sqlite_file.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        sqlite_file.rollback()
        sqlite_file.set_autocommit(True)
        other.close()


def test_the_settings_can_be_tuned_from_the_environment(monkeypatch):
    monkeypatch.setenv("WARMPATH_SQLITE_CACHE_MB", "8")
    monkeypatch.setenv("WARMPATH_SQLITE_BUSY_TIMEOUT_SECONDS", "5")

    options = sqlite_options()

    assert options["timeout"] == 5
    assert "PRAGMA cache_size=-8192" in options["init_command"]


# --- Planner statistics ------------------------------------------------------------------------


def analyzed_rows(table: str) -> int | None:
    """What the planner believes the table holds, from the statistics last gathered."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s AND idx IS NULL", [table])
            row = cursor.fetchone()
            if row is None:  # a table with indexes has its figures on each index's row
                cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
                row = cursor.fetchone()
            return int(row[0].split()[0]) if row else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
        return int(row[0]) if row and row[0] >= 0 else None


@pytest.mark.django_db
def test_statistics_refresh_tells_the_planner_what_the_tables_hold(acme, alice):
    table = Contact._meta.db_table
    ContactFactory.create_batch(30, team=acme, owner=alice)
    expected = Contact.objects.count()

    ran = statistics_refresh(tables=[table])

    assert analyzed_rows(table) == expected
    assert ran.startswith("ANALYZE")
    if connection.vendor == "sqlite":
        assert ran.endswith("PRAGMA optimize")


@pytest.mark.django_db
@on_sqlite
def test_with_statistics_a_contacts_referrals_are_read_through_the_prospect_index(acme, alice):
    """The issue's case: many referrals in the team, two of them about this prospect.
    Without statistics SQLite may take the team's date index; with them, the prospect's."""
    now = timezone.now()
    referrer = ClientFactory(team=acme, owner=alice)
    prospects = ContactFactory.create_batch(150, team=acme, owner=alice)
    Referral.objects.bulk_create(
        Referral(team=acme, owner=alice, referrer=referrer, prospect=p, reason="V", asked_at=now)
        for p in prospects
    )
    contact = prospects[0]
    query = Referral.objects.filter(Q(team=acme) & Q(prospect=contact)).order_by("-asked_at").query
    statistics_refresh()

    with connection.cursor() as cursor:
        sql, params = query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())

    assert "prospect" in plan, plan


@pytest.mark.django_db
def test_contacts_who_are_nobodys_user_are_the_same_rows_read_without_the_users_index(
    acme, alice, bob
):
    """usually_null(): the same contacts as `user IS NULL`, and on SQLite — where the
    unique index of Contact.user looks like a lookup of a few rows for IS NULL, though
    nearly every contact matches it — read without that index once statistics exist."""
    # As on a real team: a few contacts are users (so the unique index holds a few keys,
    # NULL one of them), most are not; many clients.
    ContactFactory.create_batch(50, team=acme, owner=alice)
    ClientFactory.create_batch(40, team=acme, owner=alice)
    for user in [bob, *UserFactory.create_batch(9)]:
        ContactFactory(team=acme, owner=alice, user=user)
    statistics_refresh()
    plain = Contact.objects.filter(team=acme, user__isnull=True, kind="client")
    steered = Contact.objects.filter(usually_null("user"), team=acme, kind="client")

    assert set(steered.values_list("pk", flat=True)) == set(plain.values_list("pk", flat=True))
    assert set(Contact.objects.filter(usually_null("user")).values_list("pk", flat=True)) == set(
        Contact.objects.filter(user__isnull=True).values_list("pk", flat=True)
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            sql, params = steered.query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(row[-1] for row in cursor.fetchall())
        assert "autoindex" not in plan, plan


@pytest.mark.django_db
def test_seeding_leaves_fresh_statistics(monkeypatch):
    refreshed = []
    monkeypatch.setattr("demo.generate.statistics_refresh", lambda: refreshed.append(True))

    generate("small", seed=3)

    assert refreshed == [True]


@pytest.mark.django_db
def test_a_large_import_refreshes_the_statistics_of_what_it_wrote_once_committed(
    acme, alice, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(jobs, "statistics_refresh", lambda **kw: calls.append(kw))
    monkeypatch.setattr(jobs, "STATISTICS_MIN_ROWS", 3)
    header = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"

    def linkedin(count: int, start: int) -> bytes:
        rows = [
            f"Ada{n},Lovelace{n},,ada{n}@example.com,Analytical,Engineer,01 Jan 2024"
            for n in range(start, start + count)
        ]
        return ("\n".join([header, *rows]) + "\n").encode()

    small = import_job_create(
        team=acme, owner=alice, kind="linkedin", file_name="a.csv", data=linkedin(1, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_commit(job=small)
    assert calls == []  # one row: the nightly refresh is enough

    job = import_job_create(
        team=acme, owner=alice, kind="linkedin", file_name="b.csv", data=linkedin(3, 10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_commit(job=job)

    assert len(calls) == 1
    assert set(calls[0]["tables"]) >= {Contact._meta.db_table, "contacts_relationship"}


@pytest.mark.django_db
def test_the_statistics_are_refreshed_every_night():
    (entry,) = [e for e in PERIODIC_TASKS if e.task == "config.tasks.database_statistics_refresh"]
    assert entry.crontab == {"minute": "41", "hour": "3"}

    ran = config_tasks.database_statistics_refresh()

    assert ran.startswith("ANALYZE")


# Rows per table as ANALYZE writes them into sqlite_stat1: the medium×5 and the large sets.
DATABASE_SIZES = {
    "medium_x5": {"contacts_contact": "100000", "contacts_relationship": "500000"},
    "large": {"contacts_contact": "240000", "contacts_relationship": "1200000"},
}
SEARCHES = {
    "roster's best paths": lambda targets, user: connectors.best_connectors_for(
        targets=targets, user=user
    ),
    "connectors, 2 hops": lambda targets, user: connectors.connectors_for(
        target=targets[0], user=user, max_hops=2
    ),
    "connectors, 3 hops": lambda targets, user: connectors.connectors_for(
        target=targets[0], user=user, max_hops=3
    ),
}


@on_sqlite
@pytest.mark.django_db
@pytest.mark.parametrize("size", list(DATABASE_SIZES))
@pytest.mark.parametrize("search", list(SEARCHES))
def test_no_reverse_search_reads_every_row_of_a_table_on_sqlite(acme, alice, size, search):
    """SQLite 3.38+ may join through a Bloom filter, built by reading every row of the
    joined table: the best paths of a roster page (referrals.connectors) did so for the
    contacts of the whole database (50 of 80 ms on the large set) to test 600 of them,
    and a 2-hop search for the 500,000 relationships of medium×5 (60 ms instead of 2).
    With the statistics of either set (written into sqlite_stat1 as ANALYZE would), no
    search's plan builds one."""
    targets = ContactFactory.create_batch(3, team=acme, owner=alice)
    contact_for_user_ensure(user=alice, team=acme)
    statistics_refresh()
    with connection.cursor() as cursor:
        for table, stat in DATABASE_SIZES[size].items():
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [table])
            cursor.execute("INSERT INTO sqlite_stat1 VALUES (%s, NULL, %s)", [table, stat])
        cursor.execute("ANALYZE sqlite_schema")  # reload the statistics
    with CaptureQueriesContext(connection) as queries:
        SEARCHES[search](targets, alice)
    (sql,) = [q["sql"] for q in queries.captured_queries if "level1" in q["sql"]]

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = [row[-1] for row in cursor.fetchall()]

    assert not [step for step in plan if "BLOOM FILTER" in step], plan


def test_every_index_that_carries_columns_carries_them_on_every_engine():
    """SQLite has no INCLUDE (Django leaves it out there): an index declared with
    `include=` covers its reads on PostgreSQL only, and SQLite reads every row it finds
    from the table. core.database.covering_index carries them as key columns instead."""
    declared = [
        f"{model._meta.label}.{index.name}"
        for model in apps.get_models()
        for index in model._meta.indexes
        if index.include
    ]

    assert declared == []


# --- A model's constants as literals on SQLite (core.database._ChoiceExact/_ChoiceIn) ------


def _partial_indexes_on_choices():
    """Every partial index whose condition tests a field with choices."""
    found = []
    for model in apps.get_models():
        for index in model._meta.indexes:
            if index.condition is None:
                continue
            names = [name for name, _value in _leaves(index.condition)]
            fields = [model._meta.get_field(name.split("__")[0]) for name in names]
            if any(field.choices for field in fields):
                found.append(pytest.param(model, index, id=f"{model._meta.label}.{index.name}"))
    return found


def _leaves(q):
    for child in q.children:
        yield from _leaves(child) if isinstance(child, Q) else [child]


def _table_columns_read(sql: str, params, table: str) -> list[int]:
    """The columns (by position) SQLite's program for `sql` reads from the table `table`
    itself, not from an index: EXPLAIN's Column steps on a cursor opened on the table's
    root page."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = %s", [table]
        )
        (root,) = cursor.fetchone()
        cursor.execute(f"EXPLAIN {sql}", params)
        program = cursor.fetchall()
    on_table = {p1 for _addr, op, p1, p2, *_rest in program if op == "OpenRead" and p2 == root}
    return [p2 for _addr, op, p1, p2, *_rest in program if op == "Column" and p1 in on_table]


@on_sqlite
@pytest.mark.django_db
@pytest.mark.parametrize(("model", "index"), _partial_indexes_on_choices())
def test_a_partial_index_on_constants_answers_from_the_index_alone_on_sqlite(model, index):
    """A query on a partial index's own condition, as the ORM writes it, reading only
    the index's columns, never reads the table: SQLite sees the constants of the
    condition (the values are written as literals), drops the test they make, and never
    fetches the row. Bound as parameters, SQLite tested each row's status again, read from
    the table (the dense team's overdue of the day: 2.4 ms instead of 0.7)."""
    columns = [name.lstrip("-") for name in index.fields]
    queryset = model.objects.filter(index.condition).order_by().values(*columns)
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    # Through that index, whatever the planner would pick on a table of a few rows.
    sql = sql.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index.name}", 1)

    assert _table_columns_read(sql, params, model._meta.db_table) == [], sql


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wanted=st.lists(
        st.one_of(
            st.sampled_from(FollowUp.Status.values),
            # Any text a request can carry and PostgreSQL hold: no lone surrogate (not
            # UTF-8), no NUL (the forms and the API turn it away before a query is
            # written: tests/test_hostile_input.py).
            st.text(
                st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                max_size=12,
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_choice_field_tested_against_any_value_finds_exactly_its_rows(acme, alice, wanted):
    """Literals for the model's own choices, parameters for anything else: whatever the
    value — a choice, a quote, a %, an injection attempt — equality and IN find exactly
    the rows a reading in Python finds, on both engines."""
    if not FollowUp.objects.exists():
        referral = ReferralFactory(team=acme, owner=alice)
        for status in FollowUp.Status.values:
            done_at = None if status == FollowUp.Status.PENDING else timezone.now()
            FollowUpFactory(referral=referral, status=status, done_at=done_at)
    statuses = dict(FollowUp.objects.values_list("pk", "status"))

    first = wanted[0]
    assert set(FollowUp.objects.filter(status=first).values_list("pk", flat=True)) == {
        pk for pk, status in statuses.items() if status == first
    }
    assert set(FollowUp.objects.filter(status__in=wanted).values_list("pk", flat=True)) == {
        pk for pk, status in statuses.items() if status in wanted
    }
    assert set(FollowUp.objects.exclude(status__in=wanted).values_list("pk", flat=True)) == {
        pk for pk, status in statuses.items() if status not in wanted
    }
