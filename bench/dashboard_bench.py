"""Benchmark of the referral KPIs: the manager dashboard over 12 weeks and /api/v1/kpis/.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench \
        .venv/bin/python bench/dashboard_bench.py

Runs against the large data set already in warmpath_bench (300,000 referrals, 1,000,000
follow-ups, 200,000 deals; never dropped nor reseeded here — only `migrate`, for the
KPI indexes). A manager of the first team asks for /dashboard/?period=last_12_weeks
through Django's test client with the bench settings (DEBUG off, no page cache):
- cold: every run on a fresh database connection (connections closed before it), so
  the connection set-up and the session's first planning are in the figure (after one
  unmeasured request that warms the process: templates compiled, URLs resolved);
- warm: runs on the same connection.
Server time = the time the client's request takes in process (no network). Reports
median and p95, the number of SQL statements, writes them into bench/results.json under
"dashboard_bench" (`make bench` measures the same pages itself, as
"manager_dashboard_12_weeks" and "kpi_api_12_weeks") and the EXPLAIN (ANALYZE, BUFFERS)
of the slowest statement into its own section of bench/PLANS.md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

RESULTS = BENCH / "results.json"
PLANS = BENCH / "PLANS.md"
SECTION_START = "<!-- manager_dashboard: start -->"
SECTION_END = "<!-- manager_dashboard: end -->"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/warmpath_bench"
BUDGET_MS = 50
DENSE_TEAM = "Wingtip Volume"  # bench/pages.py, `seed --size dense`
COLD_RUNS = 11
WARM_RUNS = 15


def setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(client, path: str, *, cold: bool, runs: int):
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    times, queries, slowest = [], set(), ("", 0.0)
    for _ in range(runs):
        if cold:
            connections.close_all()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        times.append(elapsed)
        queries.add(len(captured))
        for query in captured.captured_queries:
            if float(query["time"]) * 1000 > slowest[1]:
                slowest = (query["sql"], float(query["time"]) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "runs": runs,
        "queries": max(queries),
        "queries_stable": len(queries) == 1,
    }, slowest


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Membership
    from accounts.zones import zone_of
    from referrals.models import Referral
    from reporting import kpis

    call_command("migrate", "--noinput", verbosity=0)  # the KPI indexes and rollups
    managers = Membership.objects.filter(role=Membership.Role.MANAGER).select_related("user")
    dense = managers.filter(team__name=DENSE_TEAM).order_by("pk").first()
    teams = [("", managers.order_by("team_id").first().user)]
    if dense is not None:
        teams.append(("_dense", dense.user))
    figures = {}
    slowest_overall = ("", 0.0)
    for suffix, manager in teams:
        client = Client()
        client.force_login(manager)
        today = kpis.today_for(manager)
        period = kpis.named_period("last_12_weeks", today=today, zone=zone_of(manager))
        dashboard_path = "/dashboard/?period=last_12_weeks"
        api_path = f"/api/v1/kpis/?start={period.start}&end={period.end}"
        # One request first, unmeasured: the process's own first-time work (templates
        # compiled and cached, URL resolver, imports) is not the connection's coldness.
        client.get(dashboard_path)
        client.get(api_path)
        asks = Referral.objects.filter(
            team__memberships__user=manager,
            asked_at__gte=period.start_at,
            asked_at__lt=period.end_before,
        ).count()
        for name, path in (
            (f"manager_dashboard_12_weeks{suffix}", dashboard_path),
            (f"kpi_api{suffix}", api_path),
        ):
            cold, slow_cold = measure(client, path, cold=True, runs=COLD_RUNS)
            warm, slow_warm = measure(client, path, cold=False, runs=WARM_RUNS)
            figures[name] = {
                "path": path,
                "who": f"manager {manager.username}",
                "budget_ms": BUDGET_MS,
                "cold_median_ms": cold["median_ms"],
                "cold_p95_ms": cold["p95_ms"],
                "median_ms": warm["median_ms"],
                "p95_ms": warm["p95_ms"],
                "runs": cold["runs"] + warm["runs"],
                "queries": warm["queries"],
                "queries_stable": cold["queries_stable"] and warm["queries_stable"],
                "asks_in_the_12_weeks": asks,
            }
            for candidate in (slow_cold, slow_warm):
                if candidate[1] > slowest_overall[1]:
                    slowest_overall = candidate
            print(name, json.dumps(figures[name]), flush=True)
    figures["manager_dashboard_12_weeks"]["heaviest_query_ms"] = round(slowest_overall[1], 1)

    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["dashboard_bench"] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    dash = figures["manager_dashboard_12_weeks"]
    section = "\n".join(
        [
            SECTION_START,
            "## Manager dashboard, 12 weeks (reporting/kpis.py)",
            "",
            "`DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench .venv/bin/python "
            "bench/dashboard_bench.py`: one team of the large set (60,000 of the 300,000 "
            "referrals, 10 reps), `/dashboard/?period=last_12_weeks` as its manager "
            "(the dense team's figures are in bench/results.json): "
            f"cold {dash['cold_median_ms']:.0f} ms (median; p95 {dash['cold_p95_ms']:.0f} ms), "
            f"warm {dash['median_ms']:.0f} ms (p95 {dash['p95_ms']:.0f} ms), "
            f"{dash['queries']} SQL statements; load average during the run "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work on the machine "
            "shows in these figures). The slowest statement "
            f"({dash['heaviest_query_ms']:.1f} ms in the run):",
            "",
            "```sql",
            slowest_overall[0],
            "```",
            "",
            "```",
            explain(slowest_overall[0]),
            "```",
            SECTION_END,
        ]
    )
    text = PLANS.read_text() if PLANS.exists() else "# Query plans of the benchmarks\n"
    if SECTION_START in text:
        before, rest = text.split(SECTION_START, 1)
        text = before + section + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PLANS.write_text(text)


if __name__ == "__main__":
    main()
