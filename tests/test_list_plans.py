"""Every list is read in the order it shows from an index and cut at the page: the
database never sorts all of a team's rows to show the first 25 (issue 20: a manager's
deals list sorted the team's 50,000 deals on every request).

Each list — pipeline, deals, inbox, the API's follow-ups, notifications, exports; the
page and the API; a rep's and a manager's — is requested as that person, the statement
that reads the list's page (its ORDER BY … LIMIT) is taken from what the request ran, and
the database is asked how it would run it:

- PostgreSQL, with sorting priced out of the planner's reach (enable_sort and
  enable_incremental_sort off: a plan that still sorts has no index to read the order
  from): the plan must hold no Sort node;
- SQLite: EXPLAIN QUERY PLAN must not say "USE TEMP B-TREE FOR ORDER BY" (nor for its
  right part), after ANALYZE as the running application has it (core/database.py).

The tables hold a handful of rows here; what is checked is that an index able to give
the order exists and matches the statement, which is what keeps the cost at the page on
the large data set (bench/PLANS.md shows those plans with their times).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from core.database import statistics_refresh
from exports.models import ExportJob
from followups.models import FollowUp, Notification
from referrals import services as referral_services
from referrals.models import Deal, Referral, RosterEntry
from tests import migrations
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    ExportJobFactory,
    FollowUpFactory,
)

# name → (who asks, path, the list's table)
LISTS = {
    "pipeline, a rep's": ("alice", lambda: reverse("referrals:pipeline"), Referral),
    "pipeline, a manager's": ("maya", lambda: reverse("referrals:pipeline"), Referral),
    "pipeline open, a manager's": (
        "maya",
        lambda: reverse("referrals:pipeline") + "?status=open",
        Referral,
    ),
    "referral API, a rep's": ("alice", lambda: reverse("referral-list"), Referral),
    "referral API, a manager's": ("maya", lambda: reverse("referral-list"), Referral),
    "deals, a rep's": ("alice", lambda: reverse("referrals:deal-list"), Deal),
    "deals, a manager's": ("maya", lambda: reverse("referrals:deal-list"), Deal),
    "deal API, a rep's": ("alice", lambda: reverse("deal-list"), Deal),
    "deal API, a manager's": ("maya", lambda: reverse("deal-list"), Deal),
    "inbox, a rep's": ("alice", lambda: reverse("followups:inbox"), FollowUp),
    "inbox, a manager's": ("maya", lambda: reverse("followups:inbox"), FollowUp),
    "follow-up API, a rep's": ("alice", lambda: reverse("followup-list"), FollowUp),
    "follow-up API, a manager's": ("maya", lambda: reverse("followup-list"), FollowUp),
    "team overdue, a manager's": ("maya", lambda: reverse("followups:team-overdue"), FollowUp),
    "notifications, a rep's": ("alice", lambda: reverse("followups:notifications"), Notification),
    "notifications unread, a manager's": (
        "maya",
        lambda: reverse("followups:notifications") + "?show=unread",
        Notification,
    ),
    "notification API, a rep's": ("alice", lambda: reverse("notification-list"), Notification),
    "exports, a rep's": ("alice", lambda: reverse("exports:list"), ExportJob),
    "exports, a manager's": ("maya", lambda: reverse("exports:list"), ExportJob),
    "roster, a rep's": ("alice", lambda: reverse("referrals:roster"), RosterEntry),
    "roster, a manager's": ("maya", lambda: reverse("referrals:roster"), RosterEntry),
    "roster API, a rep's": ("alice", lambda: reverse("roster-list"), RosterEntry),
    "roster API, a manager's": ("maya", lambda: reverse("roster-list"), RosterEntry),
    "whom to ask next, a rep's week": (
        "alice",
        lambda: reverse("dashboard:next-asks"),
        RosterEntry,
    ),
}


def data_make(acme, people) -> None:
    """A few of each listed record for the rep, a teammate and the manager."""
    now = timezone.now()
    for index, owner in enumerate(people):
        for n in range(3):
            referrer = ClientFactory(team=acme, owner=owner)
            prospect = ContactFactory(team=acme, owner=owner)
            referral_services.roster_entry_create(owner=owner, team=acme, prospect=prospect)
            referral = referral_services.referral_create(
                owner=owner, team=acme, referrer=referrer, prospect=prospect, reason="Plans"
            )
            FollowUpFactory(referral=referral, due_at=now - timedelta(days=n + 1))
            FollowUpFactory(referral=referral, due_at=now + timedelta(hours=n + 1))
            FollowUpFactory(referral=referral, due_at=now + timedelta(days=n + 2))
            DealFactory(contact=referrer, team=acme, owner=owner)
            Notification.objects.create(user=owner, message=f"Note {index}/{n}", url="/")
            ExportJobFactory(team=acme, owner=owner)


def list_statements(client, path: str, table: str) -> list[str]:
    """The statements of one request that read a page of `table` in an order."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        if re.search(rf'\bFROM "{table}"', sql) and " ORDER BY " in sql and " LIMIT " in sql:
            found.append(sql)
    return found


def plan_steps(sql: str, *, priced_out: tuple[str, ...] = ()) -> list[str]:
    """The plan's steps as the engine tells them: PostgreSQL's EXPLAIN, with the planner
    methods `priced_out` switched off (a plan that still uses one has no other way),
    SQLite's EXPLAIN QUERY PLAN."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for method in priced_out:
                cursor.execute(f"SET LOCAL enable_{method} = off")
            cursor.execute(f"EXPLAIN {sql}")
            steps = [row[0].strip() for row in cursor.fetchall()]
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            steps = [row[-1] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return steps


def sorts_in_plan(sql: str) -> list[str]:
    """The plan's sorting steps (empty: the order comes from an index)."""
    if connection.vendor == "postgresql":
        steps = plan_steps(sql, priced_out=("sort", "incremental_sort"))
        return [step for step in steps if re.search(r"\bSort\b", step)]
    return [step for step in plan_steps(sql) if "TEMP B-TREE FOR" in step and "ORDER BY" in step]


@pytest.fixture
def lists_data(acme, alice, bob, maya):
    data_make(acme, [alice, bob, maya])
    # As the running application keeps them (core/database.py); on SQLite the planner
    # would otherwise guess.
    statistics_refresh()


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_is_read_in_index_order(name, lists_data, alice_client, maya_client):
    who, path, model = LISTS[name]
    table = model._meta.db_table
    client = {"alice": alice_client, "maya": maya_client}[who]

    statements = list_statements(client, path(), table)

    assert statements, f"{name}: no statement read a page of {table} in an order"
    for sql in statements:
        sorts = sorts_in_plan(sql)
        assert not sorts, f"{name} sorts instead of reading an index in order: {sorts}\n{sql}"


@pytest.mark.django_db
def test_without_its_index_the_managers_deals_list_would_sort(lists_data, maya_client):
    """The check has teeth: the same statement, its indexes dropped (in a transaction
    rolled back), is seen sorting."""
    (sql,) = list_statements(maya_client, reverse("referrals:deal-list"), Deal._meta.db_table)
    assert not sorts_in_plan(sql)
    with transaction.atomic(), connection.cursor() as cursor:
        for name in ("deal_team_list_idx", "deal_owner_list_idx"):
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        statistics_refresh(tables=[Deal._meta.db_table])
        assert sorts_in_plan(sql)
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?q=person", "?q=person&kind=prospect"])
def test_a_search_on_sqlite_reads_the_name_index_alone_in_order(
    lists_data, alice_client, globex, query
):
    """SQLite has no trigram index: a search reads the list's name index (contacts
    migration 0019: it carries the email and the company too) in the list's order, from
    the index alone, and stops at the page, instead of reading every contact of the team
    from the table and sorting the matches; of the companies, it reads the names of the
    team's only, found by team, not every team's. PostgreSQL finds the matches through
    its trigram indexes and sorts those few, which is the better plan there."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL searches through trigram indexes (contacts migration 0006)")
    CompanyFactory.create_batch(200, team=globex)  # another team's, as on a shared server
    statistics_refresh()
    path = reverse("contacts:list") + query
    (sql,) = list_statements(alice_client, path, Contact._meta.db_table)
    assert not sorts_in_plan(sql)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = [row[-1] for row in cursor.fetchall()]
        (index,) = [
            re.search(r"USING (?:COVERING )?INDEX (\w+)", line).group(1)
            for line in plan
            if line.startswith("SEARCH contacts_contact USING")
        ]
        cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(index)})")
        columns = [row[2] for row in cursor.fetchall()]
    # Every column the search tests is in the index: a row is read only once it matches.
    assert {"first_name", "last_name", "email", "company_id"} <= set(columns), (index, columns)
    # The company names searched are those of the user's teams, found by team, not every
    # team's companies read one by one (contact_search_filter's `user`).
    companies = [line for line in plan if re.match(r"(SCAN|SEARCH) U0\b", line)]
    assert companies and all(line.startswith("SEARCH U0") for line in companies), plan


def _index_columns(name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(name)})")
        return [row[2] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_name_indexes_go_back_to_their_declared_columns():
    """Contacts migration 0019 is undone as it is done: the models' columns back on
    SQLite, the search's columns again once migrated forward."""
    if connection.vendor != "sqlite":
        pytest.skip("the migration changes nothing on PostgreSQL")
    name = "contacts_co_team_id_1b94da_idx"
    with migrations.as_before(("contacts", "0018_clients_asked_index_on_every_engine")):
        assert _index_columns(name) == ["team_id", "last_name", "first_name"]
    assert _index_columns(name)[-3:] == ["id", "email", "company_id"]


def groupings_in_plan(sql: str) -> list[str]:
    """The plan's steps that gather rows to group them (empty: each group is counted as
    the index is read, in its order)."""
    if connection.vendor == "postgresql":
        priced_out = ("hashagg", "sort", "incremental_sort", "seqscan", "bitmapscan")
        steps = plan_steps(sql, priced_out=priced_out)
        return [step for step in steps if re.search(r"\b(Sort|HashAggregate)\b", step)]
    return [step for step in plan_steps(sql) if "TEMP B-TREE FOR GROUP BY" in step]


@pytest.mark.django_db
def test_a_managers_pipeline_counts_each_status_as_it_reads_the_index(lists_data, maya_client):
    """The pipeline's tabs count the team's referrals per status: for a manager, the whole
    team's (100,000 on a team of medium×5). Read in status order from the (team, status)
    index, each count is made as the index is read; through (team, owner, status) the
    rows were gathered and grouped first (PostgreSQL 14.6 -> 9.9 ms, SQLite 19.6 -> 8.1)."""
    with CaptureQueriesContext(connection) as queries:
        assert maya_client.get(reverse("referrals:pipeline")).status_code == 200
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if re.search(r'\bFROM "referrals_referral"', q["sql"]) and "GROUP BY" in q["sql"]
    ]

    assert not groupings_in_plan(sql), sql
