"""Server time and SQL of every main page, API list and write on the large data set.

Called by bench/run.py (`make bench`) once Django is set up with config.settings.bench on
the database warmpath_bench. Each case is requested through the Django test client as a
typical rep (or the manager of the rep's team) logged in once with force_login: the
whole request — middleware, view, SQL, template — is timed inside the client call,
after WARMUP requests, RUNS times; median and p95. The manager dashboard (12 weeks) is
timed cold, as its budget says: each run on a fresh database connection, its set-up
included (its warm median beside it). The statements of one request are
captured (CaptureQueriesContext); the heaviest SELECT is then run alone, the same
number of times, for "the database's floor": the rest of the median is ours.

Writes (POSTs: a referral created, a follow-up completed) run in a transaction rolled
back after each request, so every run finds the same data and nothing is published.

Who is typical: the rep whose number of referrals is the median among the reps of the
data set; the target of the connectors is a contact of that rep's team whose number of
ties is the median of a sample of the team; the contact list is searched for the
team's most common last name among prospects.
"""

# Queries here are built from constant SQL or captured from Django itself.
# ruff: noqa: S608

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

WARMUP = 3
RUNS = 15
# Issue 20, on PostgreSQL and on SQLite alike: every page and API list ≤ 50 ms (the
# follow-up inbox and a manager's deals list included), a contact's page ≤ 30 ms.
PAGE_BUDGET_MS = 50
CONTACT_PAGE_BUDGET_MS = 30
# The dashboard and its numbers read the KPI rollups, so they cost the same on a team of
# any activity — the dense team's included.
DASHBOARD_BUDGET_MS = 50
KPI_API_BUDGET_MS = 50
# The team of `seed --size dense` (demo/plan.py): ~7,000 asks a week.
DENSE_TEAM = "Wingtip Volume"
CONNECTORS_BUDGET_MS = {1: 50, 2: 50, 3: 150}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass
class Case:
    name: str
    path: str
    budget_ms: float
    who: str = "rep"  # rep | manager | dense_manager
    method: str = "get"
    data: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    expect: tuple[int, ...] = (200,)
    # Cold: each timed request on a fresh database connection (its set-up and the new
    # server process's empty caches in the figure), then warm runs for comparison.
    cold: bool = False


@dataclass
class Cast:
    rep: object
    manager: object
    team: object
    target: object
    contact: object
    search: str
    referrer: object
    prospect: object
    followup: object
    facts: dict
    dense_manager: object = None  # the manager of the dense team, when it is seeded


# --- Who and what is typical ----------------------------------------------------------------


def dense_ensure() -> None:
    """The dense team (`seed --size dense`), seeded once beside the large set."""
    from django.core.management import call_command

    from accounts.models import Team

    if not Team.objects.filter(name=DENSE_TEAM).exists():
        print("Seeding the dense team (seed --size dense), once…", flush=True)
        started = time.monotonic()
        call_command("seed", "--size", "dense")
        print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)


def cast_pick() -> Cast:
    from django.db import connection
    from django.db.models import Count

    from accounts.models import Membership
    from contacts.models import Contact, ContactKind, Relationship
    from followups.models import FollowUp
    from referrals.models import Referral

    reps = list(
        Membership.objects.filter(role=Membership.Role.REP, user__is_active=True)
        .select_related("user", "team")
        .order_by("pk")
    )
    if not reps:
        raise SystemExit("The bench database has no reps: seed it with `seed --size large`.")
    asks = dict(
        Referral.objects.values_list("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    reps.sort(key=lambda m: (asks.get(m.user_id, 0), m.pk))
    membership = reps[len(reps) // 2]
    rep, team = membership.user, membership.team
    manager_membership = (
        Membership.objects.filter(team=team, role=Membership.Role.MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    manager = manager_membership.user if manager_membership else rep

    # A target of median degree among a sample of the team's contacts.
    everyone = list(
        Contact.objects.filter(team=team, user__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sample = everyone[:: max(1, len(everyone) // 400)][:400]
    # IN (…) rather than PostgreSQL's = ANY(array): the same cast on SQLite (--sqlite).
    listed = ", ".join(["%s"] * len(sample))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT node, COUNT(*) FROM (
                    SELECT contact_a_id AS node FROM {Relationship._meta.db_table}
                        WHERE contact_a_id IN ({listed})
                    UNION ALL SELECT contact_b_id FROM {Relationship._meta.db_table}
                        WHERE contact_b_id IN ({listed})) ends
                GROUP BY node ORDER BY COUNT(*), node""",
            [*sample, *sample],
        )
        degrees = cursor.fetchall()
    target_pk, target_degree = degrees[len(degrees) // 2]
    target = Contact.objects.get(pk=target_pk)

    # The team's most common last name among its prospects: a search that finds a page.
    common = (
        Contact.objects.filter(team=team, kind=ContactKind.PROSPECT)
        .values("last_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "last_name")
        .first()
    )
    search = common["last_name"] if common else "a"

    referral = (
        Referral.objects.filter(team=team, owner=rep)
        .order_by("-pk")
        .select_related("referrer")
        .first()
    )
    referrer = referral.referrer if referral else target
    # A prospect the rep has not asked about yet: the create succeeds (then rolls back).
    asked = Referral.objects.filter(team=team).values("prospect_id")
    prospect = (
        Contact.objects.filter(team=team, kind=ContactKind.PROSPECT)
        .exclude(pk__in=asked)
        .exclude(pk=referrer.pk)
        .order_by("pk")
        .first()
    )
    followup = (
        FollowUp.objects.filter(owner=rep, status=FollowUp.Status.PENDING)
        .order_by("due_at", "pk")
        .first()
    )
    contact = Contact.objects.filter(pk=referrer.pk).first()
    dense = (
        Membership.objects.filter(team__name=DENSE_TEAM, role=Membership.Role.MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    facts = {
        "rep": rep.username,
        "rep_referrals": asks.get(rep.pk, 0),
        "team": team.name,
        "manager": manager.username,
        "target": target.pk,
        "target_ties": target_degree,
        "contact": contact.pk,
        "search": search,
        "contacts_in_team": Contact.objects.filter(team=team).count(),
        "referrals_in_team": Referral.objects.filter(team=team).count(),
        "followups_of_rep": FollowUp.objects.filter(owner=rep).count(),
        "dense_manager": dense.user.username if dense else None,
        "referrals_in_dense_team": (
            Referral.objects.filter(team=dense.team).count() if dense else None
        ),
    }
    return Cast(
        rep=rep,
        manager=manager,
        team=team,
        target=target,
        contact=contact,
        search=search,
        referrer=referrer,
        prospect=prospect,
        followup=followup,
        facts=facts,
        dense_manager=dense.user if dense else None,
    )


# --- The cases ------------------------------------------------------------------------------


def cases_build(cast: Cast) -> list[Case]:
    from django.urls import reverse

    from accounts.zones import zone_of
    from contacts.models import ContactKind
    from reporting import kpis

    contacts = reverse("contacts:list")
    connectors = reverse("contacts:connectors", args=[cast.target.pk])
    cases = [
        # "/" sends a rep to their week: that page is the rep's home.
        Case("rep_home", reverse("rep-week"), PAGE_BUDGET_MS),
        # Its "whom to ask about next", which the week asks for once it shows (htmx): the
        # best path to each waiting prospect of the rep's roster.
        Case(
            "rep_home_next_asks",
            reverse("dashboard:next-asks"),
            PAGE_BUDGET_MS,
            headers={"HX-Request": "true"},
        ),
        Case("contact_list", contacts, PAGE_BUDGET_MS),
        Case(
            "contact_list_search",
            f"{contacts}?q={cast.search}&kind={ContactKind.PROSPECT}",
            PAGE_BUDGET_MS,
        ),
        Case("contact_list_page_40", f"{contacts}?page=40", PAGE_BUDGET_MS),
        Case(
            "contact_detail",
            reverse("contacts:detail", args=[cast.contact.pk]),
            CONTACT_PAGE_BUDGET_MS,
        ),
        Case("company_list", reverse("contacts:company-list"), PAGE_BUDGET_MS),
        Case("roster", reverse("referrals:roster"), PAGE_BUDGET_MS),
        Case("pipeline", reverse("referrals:pipeline"), PAGE_BUDGET_MS),
        Case("pipeline_open", f"{reverse('referrals:pipeline')}?status=open", PAGE_BUDGET_MS),
        Case("deal_list", reverse("referrals:deal-list"), PAGE_BUDGET_MS),
        Case("given_list", reverse("referrals:given-list"), PAGE_BUDGET_MS),
        Case("followup_inbox", reverse("followups:inbox"), PAGE_BUDGET_MS),
        Case("notifications", reverse("followups:notifications"), PAGE_BUDGET_MS),
        Case("export_list", reverse("exports:list"), PAGE_BUDGET_MS),
        # The same lists as the team's manager sees them: the whole team's rows.
        Case("pipeline_manager", reverse("referrals:pipeline"), PAGE_BUDGET_MS, who="manager"),
        Case(
            "pipeline_open_manager",
            f"{reverse('referrals:pipeline')}?status=open",
            PAGE_BUDGET_MS,
            who="manager",
        ),
        Case("deal_list_manager", reverse("referrals:deal-list"), PAGE_BUDGET_MS, who="manager"),
        Case("followup_inbox_manager", reverse("followups:inbox"), PAGE_BUDGET_MS, who="manager"),
        Case(
            "notifications_manager",
            reverse("followups:notifications"),
            PAGE_BUDGET_MS,
            who="manager",
        ),
        Case("export_list_manager", reverse("exports:list"), PAGE_BUDGET_MS, who="manager"),
        Case("team_overdue", reverse("followups:team-overdue"), PAGE_BUDGET_MS, who="manager"),
        Case("connectors_page_1_hop", f"{connectors}?max_hops=1", CONNECTORS_BUDGET_MS[1]),
        Case("connectors_page_2_hops", f"{connectors}?max_hops=2", CONNECTORS_BUDGET_MS[2]),
        Case("connectors_page_3_hops", f"{connectors}?max_hops=3", CONNECTORS_BUDGET_MS[3]),
        # The figure: 12 weeks, cold, under 300 ms.
        Case(
            "manager_dashboard_12_weeks",
            f"{reverse('manager-dashboard')}?period=last_12_weeks",
            DASHBOARD_BUDGET_MS,
            who="manager",
            cold=True,
        ),
        # Its top referrers and reciprocity, which the page asks for once it shows (htmx):
        # ranked from the period's intros, so held to the page budget, not the rollups'.
        Case(
            "manager_dashboard_referrers",
            f"{reverse('dashboard:referrers')}?period=last_12_weeks",
            PAGE_BUDGET_MS,
            who="manager",
            headers={"HX-Request": "true"},
        ),
        Case("api_contacts", "/api/v1/contacts/", PAGE_BUDGET_MS),
        Case("api_referrals", "/api/v1/referrals/", PAGE_BUDGET_MS),
        Case("api_followups", "/api/v1/followups/", PAGE_BUDGET_MS),
        Case("api_deals", "/api/v1/deals/", PAGE_BUDGET_MS),
        Case("api_notifications", "/api/v1/notifications/", PAGE_BUDGET_MS),
        Case("api_referrals_manager", "/api/v1/referrals/", PAGE_BUDGET_MS, who="manager"),
        Case("api_deals_manager", "/api/v1/deals/", PAGE_BUDGET_MS, who="manager"),
        Case("api_followups_manager", "/api/v1/followups/", PAGE_BUDGET_MS, who="manager"),
        Case(
            "api_connectors_3_hops",
            f"/api/v1/contacts/{cast.target.pk}/connectors/?max_hops=3",
            CONNECTORS_BUDGET_MS[3],
        ),
    ]
    # The dashboard's numbers as JSON, the same 12 weeks in the manager's calendar: held
    # to the API budget.
    twelve_weeks = kpis.named_period(
        "last_12_weeks", today=kpis.today_for(cast.manager), zone=zone_of(cast.manager)
    )
    cases.append(
        Case(
            "kpi_api_12_weeks",
            f"/api/v1/kpis/?start={twelve_weeks.start}&end={twelve_weeks.end}",
            KPI_API_BUDGET_MS,
            who="manager",
        )
    )
    if cast.dense_manager is not None:
        # The same two for the manager of the dense team: the same budget.
        dense_weeks = kpis.named_period(
            "last_12_weeks",
            today=kpis.today_for(cast.dense_manager),
            zone=zone_of(cast.dense_manager),
        )
        cases += [
            Case(
                "manager_dashboard_12_weeks_dense",
                f"{reverse('manager-dashboard')}?period=last_12_weeks",
                DASHBOARD_BUDGET_MS,
                who="dense_manager",
                cold=True,
            ),
            Case(
                "manager_dashboard_referrers_dense",
                f"{reverse('dashboard:referrers')}?period=last_12_weeks",
                PAGE_BUDGET_MS,
                who="dense_manager",
                headers={"HX-Request": "true"},
            ),
            Case(
                "kpi_api_12_weeks_dense",
                f"/api/v1/kpis/?start={dense_weeks.start}&end={dense_weeks.end}",
                KPI_API_BUDGET_MS,
                who="dense_manager",
            ),
        ]
    if cast.prospect is not None:
        cases.append(
            Case(
                "referral_create_post",
                reverse("referrals:referral-create"),
                PAGE_BUDGET_MS,
                method="post",
                data={
                    "referrer": cast.referrer.pk,
                    "prospect": cast.prospect.pk,
                    "reason": "Bench: they talked about this at the fair.",
                    "quality": "better",
                    "channel": "email",
                },
                expect=(302,),
            )
        )
    if cast.followup is not None:
        cases.append(
            Case(
                "followup_complete_post",
                reverse("followups:complete", args=[cast.followup.pk]),
                PAGE_BUDGET_MS,
                method="post",
                data={"channel": "email", "note": "Bench: thanked them."},
                expect=(302,),
            )
        )
    return cases


# --- Measuring ------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _request(client, case: Case, *, cold: bool = False) -> tuple[float, int, list[dict]]:
    from django.db import connection, connections, transaction
    from django.test.utils import CaptureQueriesContext

    call: Callable = getattr(client, case.method)
    kwargs = {"data": case.data} if case.method == "post" else {}
    response = None
    if cold:
        connections.close_all()
    with CaptureQueriesContext(connection) as queries:
        try:
            started = time.perf_counter()  # cold: the connection is opened in the figure
            with transaction.atomic():
                if not cold:
                    started = time.perf_counter()
                response = call(case.path, **kwargs, **case.headers)
                elapsed = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
    if response.status_code not in case.expect:
        raise AssertionError(
            f"{case.name}: {case.method.upper()} {case.path} answered {response.status_code}"
        )
    statements = [
        q
        for q in queries.captured_queries
        if "SAVEPOINT" not in q["sql"] and q["sql"] not in ("BEGIN", "ROLLBACK", "COMMIT")
    ]
    return elapsed * 1000, len(statements), statements


def heaviest_select(statements: list[dict]) -> str | None:
    selects = [q for q in statements if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    if not selects:
        return None
    return max(selects, key=lambda q: float(q["time"]))["sql"]


def floor_ms(sql: str, runs: int) -> float:
    """The statement alone, on a warm cache: median of `runs` executions."""
    from django.db import connection, transaction

    times = []
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
        transaction.set_rollback(True)
    return statistics.median(times[1:])


def explain(sql: str) -> str:
    """The plan as the engine tells it: PostgreSQL's EXPLAIN (ANALYZE, BUFFERS), SQLite's
    EXPLAIN QUERY PLAN (its steps indented as the tree they form)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            depth, lines = {0: -1}, []
            for node, parent, _unused, detail in cursor.fetchall():
                depth[node] = depth.get(parent, -1) + 1
                lines.append(f"{'  ' * depth[node]}{detail}")
            plan = "\n".join(["QUERY PLAN", *lines])
        else:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def measure(
    only: set[str] | None = None, runs: int = RUNS, warmup: int = WARMUP
) -> tuple[dict, dict, dict]:
    """{name: figures}, {name: (heaviest sql, plan)}, facts about the cast."""
    from django.db import connection
    from django.test import Client

    cast = cast_pick()
    clients = {}
    people = (("rep", cast.rep), ("manager", cast.manager), ("dense_manager", cast.dense_manager))
    for who, user in people:
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        clients[who] = client
    results, plans = {}, {}
    for case in cases_build(cast):
        if only and case.name not in only:
            continue
        client = clients[case.who]
        for _ in range(warmup):
            _request(client, case)
        runs_ = [_request(client, case, cold=case.cold) for _ in range(runs)]
        times = [elapsed for elapsed, _n, _s in runs_]
        counts = sorted({n for _e, n, _s in runs_})
        statements = runs_[len(runs_) // 2][2]
        sql = heaviest_select(statements)
        floor = round(floor_ms(sql, runs=max(5, runs // 2)), 1) if sql else 0.0
        results[case.name] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "queries": counts[-1],
            "queries_stable": len(counts) == 1,
            "heaviest_query_ms": floor,
            "budget_ms": case.budget_ms,
            "runs": runs,
            "method": case.method.upper(),
            "path": case.path,
            "who": case.who,
            "cold": case.cold,
            "engine": connection.vendor,
        }
        if case.cold:
            warm = [_request(client, case)[0] for _ in range(runs)]
            results[case.name]["warm_median_ms"] = round(statistics.median(warm), 1)
        if sql:
            plans[case.name] = (sql, explain(sql))
    return results, plans, cast.facts
