"""Benchmark of the reverse search (referrals.connectors) on DESIGN.md's large data set.

    createdb -h 127.0.0.1 -U postgres warmpath_bench      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench \\
        .venv/bin/python manage.py seed --size large           # ~3 minutes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench \\
        .venv/bin/python bench/connectors_bench.py

Targets: "typical" people, whose number of ties is the median of the data set, spread
over the five teams, and the most connected people of the set. Each search runs as a
rep of the target's team, after one warm-up call, `--repeat` times; the figures are the
time of `connectors_for` in the web process (the SQL statement plus the ranking in
Python), median and 95th percentile over every call. The roster's best connector (one
statement for a page of 25 prospects) is measured the same way.

Writes the figures into bench/results.json (merged with what other benchmarks wrote
there) and the EXPLAIN ANALYZE of the heaviest statements into bench/PLANS.md (its own
section, replaced on each run).
"""

# Queries here are built from constant SQL only.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

from config.startup import set_default_settings_module  # noqa: E402

set_default_settings_module()
django.setup()

from django.db import connection  # noqa: E402

from accounts.models import Membership  # noqa: E402
from contacts.models import Contact  # noqa: E402
from referrals import connectors  # noqa: E402
from referrals.models import RosterEntry  # noqa: E402

RESULTS = BENCH / "results.json"
PLANS = BENCH / "PLANS.md"
SECTION_START = "<!-- connectors: start -->"
SECTION_END = "<!-- connectors: end -->"


def degrees_sql() -> str:
    return """
        SELECT node, COUNT(*) AS degree FROM (
            SELECT contact_a_id AS node FROM contacts_relationship
            UNION ALL SELECT contact_b_id FROM contacts_relationship) ends
        GROUP BY node"""


def pick_targets(typical_count: int, connected_count: int) -> tuple[list, list, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY degree) FROM ({degrees_sql()}) d"
        )
        median = cursor.fetchone()[0]
        # Spread over the teams: every k-th person of median degree.
        cursor.execute(
            f"""SELECT node FROM (
                    SELECT d.node, ROW_NUMBER() OVER (PARTITION BY c.team_id ORDER BY d.node) AS n
                    FROM ({degrees_sql()}) d JOIN contacts_contact c ON c.id = d.node
                    WHERE d.degree = %s AND c.user_id IS NULL) spread
                WHERE n %% 97 = 1 ORDER BY n, node LIMIT %s""",
            [median, typical_count],
        )
        typical = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT node FROM ({degrees_sql()}) d ORDER BY degree DESC, node LIMIT %s",
            [connected_count],
        )
        connected = [row[0] for row in cursor.fetchall()]
    load = lambda pks: list(  # noqa: E731
        Contact.objects.select_related("company").filter(pk__in=pks).order_by("pk")
    )
    return load(typical), load(connected), median


def rep_of(team_id: int, cache: dict):
    if team_id not in cache:
        cache[team_id] = (
            Membership.objects.filter(team_id=team_id, role=Membership.Role.REP)
            .select_related("user")
            .order_by("pk")
            .first()
            .user
        )
    return cache[team_id]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(targets: list, hops: int, repeat: int, reps: dict) -> dict:
    times, sizes = [], []
    for target in targets:
        user = rep_of(target.team_id, reps)
        connectors.connectors_for(target=target, user=user, max_hops=hops)  # warm-up
        for _ in range(repeat):
            start = time.perf_counter()
            found = connectors.connectors_for(target=target, user=user, max_hops=hops)
            times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(found))
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "targets": len(targets),
        "calls": len(times),
        "median_connectors": statistics.median(sizes),
        "max_connectors": max(sizes),
    }


def measure_roster(repeat: int, reps: dict, pages: int = 10) -> dict:
    times, found = [], []
    owners = list(
        RosterEntry.objects.values_list("owner_id", flat=True).distinct().order_by("owner_id")
    )[:pages]
    for owner_id in owners:
        entries = list(
            RosterEntry.objects.filter(owner_id=owner_id)
            .select_related("prospect__company", "owner")
            .order_by("priority", "-prospect__fit_score", "-created_at", "-pk")[:25]
        )
        user = entries[0].owner
        prospects = [entry.prospect for entry in entries]
        connectors.best_connectors_for(targets=prospects, user=user)
        for _ in range(repeat):
            start = time.perf_counter()
            best = connectors.best_connectors_for(targets=prospects, user=user)
            times.append((time.perf_counter() - start) * 1000)
        found.append(len(best))
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "pages_of_25": len(owners),
        "calls": len(times),
        "median_prospects_with_a_path": statistics.median(found),
    }


def explain(target, hops: int, user) -> str:
    """The search's plan, as `user` (a rep of the target's team) runs it."""
    sql = connectors._search_sql(hops).format(**connectors._tables())
    params = {
        "target": target.pk,
        "user": user.pk,
        "team": target.team_id,
        "level_cap": connectors.LEVEL_CAP,
        "fanout": connectors.FANOUT,
    }
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def write_plans(sections: list[tuple[str, str]], summary: str) -> None:
    body = [SECTION_START, "## Connectors (reverse search)", "", summary, ""]
    for title, plan in sections:
        body += [f"### {title}", "", "```", plan, "```", ""]
    body.append(SECTION_END)
    text = PLANS.read_text() if PLANS.exists() else "# Query plans of the benchmarks\n\n"
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1]
        text = before + "\n".join(body) + after
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(body) + "\n"
    PLANS.write_text(text)


def write_results(figures: dict) -> None:
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current.update(figures)
    RESULTS.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typical", type=int, default=20, help="typical targets")
    parser.add_argument("--connected", type=int, default=5, help="most connected targets")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per target")
    parser.add_argument("--no-write", action="store_true", help="print only")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: DATABASE_URL=postgres://…/warmpath_bench")
    relationships = connection.cursor()
    relationships.execute("SELECT COUNT(*) FROM contacts_relationship")
    total = relationships.fetchone()[0]
    if total < 100_000:
        sys.exit(f"{total} relationships: seed the large set first (manage.py seed --size large)")
    typical, connected, median = pick_targets(options.typical, options.connected)
    reps: dict = {}
    figures: dict = {}
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    load = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures
    for hops, key in ((1, "connectors_1_hop"), (2, "connectors_2_hops"), (3, "connectors_3_hops")):
        figures[key] = {
            "typical": measure(typical, hops, options.repeat, reps),
            "most_connected": measure(connected, hops, options.repeat, reps),
            "relationships": total,
            "median_degree": median,
            "level_cap": connectors.LEVEL_CAP,
            "fanout": connectors.FANOUT,
            "measured_at": now,
            "load_average_at_start": load,
            "command": "DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench "
            ".venv/bin/python bench/connectors_bench.py",
        }
    figures["connectors_roster_best"] = {
        **measure_roster(options.repeat, reps),
        "max_hops": 2,
        "measured_at": now,
    }
    print(json.dumps(figures, indent=2))
    if options.no_write:
        return
    write_results(figures)
    summary = (
        f"Measured {now} on {total:,} relationships (median degree {median}), "
        f"load average {load} at the start on {os.cpu_count()} cores; "
        f"LEVEL_CAP={connectors.LEVEL_CAP}, FANOUT={connectors.FANOUT}. "
        "Time of `connectors_for` in the web process, median / p95 ms:\n\n"
        "| max_hops | typical target | most connected |\n|---|---|---|\n"
        + "\n".join(
            f"| {hops} | {figures[key]['typical']['median_ms']} / "
            f"{figures[key]['typical']['p95_ms']} | "
            f"{figures[key]['most_connected']['median_ms']} / "
            f"{figures[key]['most_connected']['p95_ms']} |"
            for hops, key in (
                (1, "connectors_1_hop"),
                (2, "connectors_2_hops"),
                (3, "connectors_3_hops"),
            )
        )
        + f"\n\nRoster best connector, a page of 25 prospects in one statement: "
        f"{figures['connectors_roster_best']['median_ms']} / "
        f"{figures['connectors_roster_best']['p95_ms']} ms."
    )
    write_plans(
        [
            (
                f"3 hops, the most connected person (contact {connected[0].pk})",
                explain(connected[0], 3, rep_of(connected[0].team_id, reps)),
            ),
            (
                f"3 hops, a typical person (contact {typical[0].pk})",
                explain(typical[0], 3, rep_of(typical[0].team_id, reps)),
            ),
        ],
        summary,
    )


if __name__ == "__main__":
    main()
