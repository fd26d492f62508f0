"""`make bench`: Warmpath at scale, measured against its budgets.

1. The PostgreSQL database warmpath_bench (BENCH_DATABASE_URL, else on the server of
   DATABASE_URL, else postgres://postgres@127.0.0.1:5432) is created, migrated and seeded
   with `seed --size large` (about 1,000,000 follow-ups; scan_bench.py tops them up to
   exactly 1,000,000) if it is missing or empty (about four minutes once); afterwards it
   is reused as it is.
2. Pages, API lists and writes (bench/pages.py): Django test client, settings
   config.settings.bench, a typical rep / their manager; median and p95 server time, SQL
   statements per request, and the heaviest statement run alone (the database's floor).
3. The reminder scan (bench/scan_bench.py), the reverse search itself
   (bench/connectors_bench.py) and the big CSV exports that a worker writes
   (bench/export_bench.py: the request, the worker's time, the download), each in its
   own process.
4. Load (bench/load.py): gunicorn with 2 workers, 32 connections for 20 s on the contact
   list and on the rep's home; requests/s, latency, errors.

Prints one table (name | median ms | p95 ms | queries | heaviest query ms | budget |
verdict), writes bench/results.json ({name: figures}, merged with what the other benches
wrote; each page's figures name their engine) and the plans of the heaviest page
statements into bench/PLANS.md (section "pages"). Exits 1 naming every offender when a
budget is broken:

- every page and API list: median ≤ 50 ms (a contact's page ≤ 30 ms), the same
  statements on every request (bench/pages.py);
- the manager dashboard (12 weeks, cold) and the KPI API ≤ 50 ms, for a team of the large
  set and for the dense team (`seed --size dense`, ~7,000 asks a week, seeded once beside
  the large set): both read the KPI rollups, so neither grows with the team's activity;
- connectors ≤ 50 ms up to 2 hops, ≤ 150 ms at 3;
- the scan of 5,000 due among 1,000,000 follow-ups ≤ 2 s;
- no error under load.

`--sqlite` (`make bench BENCH_ARGS=--sqlite`): the same pages on SQLite, the embedded
default a new user meets, against the same budgets, on the same rows: the file
var/bench.sqlite3 (or the path given) is made once by copying warmpath_bench
(bench/sqlite_copy.py; run `make bench` on PostgreSQL first). Its figures go to
results.json under "sqlite", its plans (EXPLAIN QUERY PLAN) to PLANS.md's section
"pages on SQLite", and each page is also held to SQLITE_RATIO × its last PostgreSQL
median. The scan, connectors, exports and load benches are PostgreSQL's (COPY, the
server's concurrency) and are not run on SQLite.

Another data set, such as the issue's medium×5 (fewer relationships per database, more
referrals per team, and plans SQLite chose differently there): seed it into a database
of its own, then point the bench at it, and give SQLite a file of its own too (a file
that already holds teams is measured as it is, never copied again):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench_m5 \
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench_m5 \
        .venv/bin/python manage.py seed --size medium --scale 5
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench_m5 \
        make bench BENCH_ARGS="--skip scan connectors exports load"
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmpath_bench_m5 \
        make bench BENCH_ARGS="--sqlite var/bench_m5.sqlite3"

The follow-ups are topped up to 1,000,000 and the dense team added there as well.

The machine's load average is printed and recorded: other work on a 2-core machine
shows in every figure.
"""

# ruff: noqa: S603 - subprocesses of our own scripts, no shell; constant SQL

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

RESULTS = BENCH / "results.json"
PLANS = BENCH / "PLANS.md"
SECTION_START = "<!-- pages: start -->"
SECTION_END = "<!-- pages: end -->"
SCAN_BUDGET_MS = 2000
CONNECTORS_FUNCTION_BUDGET_MS = {"connectors_1_hop": 50, "connectors_2_hops": 50}
CONNECTORS_FUNCTION_BUDGET_MS["connectors_3_hops"] = 150
LOAD_PAGES = ("contact_list", "rep_home")
PLAN_FLOOR_MS = 5.0  # plans recorded for statements at least this heavy
SQLITE_SECTION = ("<!-- pages sqlite: start -->", "<!-- pages sqlite: end -->")
SQLITE_DEFAULT_PATH = ROOT / "var" / "bench.sqlite3"
SQLITE_RATIO = 1.5  # no page slower on SQLite than this many times PostgreSQL (issue 20)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def setup(url: str) -> int:
    import scan_bench

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    scan_bench.database_ensure(url)
    scan_bench.setup_django(url)
    followups = scan_bench.data_ensure()
    import pages

    pages.dense_ensure()
    return followups


def setup_sqlite(path: Path, postgresql_url: str) -> int:
    """Django on the SQLite file `path`, migrated; filled from the PostgreSQL bench
    database when it holds no team yet. Returns the number of follow-ups."""
    import psycopg2
    import scan_bench

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    path.parent.mkdir(parents=True, exist_ok=True)
    scan_bench.setup_django(f"sqlite:///{path}")
    from django.core.management import call_command

    from accounts.models import Team
    from followups.models import FollowUp

    call_command("migrate", "--noinput", verbosity=0)
    if not Team.objects.exists():
        try:
            source = psycopg2.connect(postgresql_url)
        except psycopg2.OperationalError as error:
            raise SystemExit(f"No PostgreSQL bench database to copy: {error}") from None
        with source, source.cursor() as cursor:
            cursor.execute("SELECT to_regclass('accounts_team') IS NOT NULL")
            ready = cursor.fetchone()[0]
            if ready:
                cursor.execute("SELECT EXISTS (SELECT 1 FROM accounts_team)")
                ready = cursor.fetchone()[0]
        source.close()
        if not ready:
            raise SystemExit(
                "The PostgreSQL bench database is empty: run `make bench` once (it seeds "
                "warmpath_bench), then `make bench BENCH_ARGS=--sqlite` copies it."
            )
        import sqlite_copy

        print(f"Copying {postgresql_url.rsplit('/', 1)[-1]} into {path}, once…", flush=True)
        sqlite_copy.copy_from_postgresql(postgresql_url)
    return FollowUp.objects.count()


def statistics() -> None:
    """SQLite's counterpart of vacuum(): the planner statistics, as the nightly task
    gathers them (core/database.py)."""
    from core.database import statistics_refresh

    started = time.monotonic()
    ran = statistics_refresh()
    print(f"{ran} in {time.monotonic() - started:.0f} s", flush=True)


def vacuum() -> None:
    """VACUUM (ANALYZE) the whole bench database before measuring, as production's
    autovacuum would have. The benches write and roll back (each scan: 5,000 updates and
    15,000 inserts undone), and a freshly seeded database has no visibility map, which
    index-only scans need (the KPIs read theirs from indexes alone). The bench server may
    run without autovacuum; then, unvacuumed, every run would measure the last runs'
    debris. A table already clean costs next to nothing."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        # VACUUM cannot run in a transaction; Django's connection is in autocommit here.
        cursor.execute("VACUUM (ANALYZE)")
    print(
        f"VACUUM (ANALYZE) of the database in {time.monotonic() - started:.0f} s "
        f"(autovacuum {autovacuum} on this server)",
        flush=True,
    )


def run_script(name: str, url: str, *arguments: str) -> None:
    print(f"\n$ {name} {' '.join(arguments)}", flush=True)
    env = {**os.environ, "DATABASE_URL": url, "BENCH_DATABASE_URL": url}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    completed = subprocess.run(
        [sys.executable, str(BENCH / name), *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        print(completed.stdout[-3000:], completed.stderr[-3000:])
        raise SystemExit(f"{name} failed ({completed.returncode})")


def verdicts(results: dict) -> tuple[list[tuple], list[str]]:
    """Rows of the table, and the offenders."""
    rows, offenders = [], []

    def row(name, median, p95, queries, floor, budget, ok, note=""):
        rows.append((name, median, p95, queries, floor, budget, "ok" if ok else "OVER", note))
        if not ok:
            offenders.append(f"{name} ({note or f'{median} ms > {budget}'})")

    reference = results.get("postgresql_pages") or {}
    for name, figures in results.get("pages", {}).items():
        over_time = figures["median_ms"] > figures["budget_ms"]
        unstable = not figures["queries_stable"]
        note = "queries vary between requests" if unstable else ""
        row(
            name,
            figures["median_ms"],
            figures["p95_ms"],
            figures["queries"],
            figures["heaviest_query_ms"],
            f"≤ {figures['budget_ms']:g}",
            not (over_time or unstable),
            note,
        )
        if name in reference:
            # The embedded default against the server: no page slower than SQLITE_RATIO×.
            ratio = figures["median_ms"] / max(reference[name]["median_ms"], 0.1)
            row(
                f"{name} (SQLite / PostgreSQL {reference[name]['median_ms']} ms)",
                figures["median_ms"],
                "",
                "",
                "",
                f"≤ {SQLITE_RATIO:g}×",
                ratio <= SQLITE_RATIO,
                f"{ratio:.2f}× PostgreSQL > {SQLITE_RATIO:g}×",
            )
    scan = results.get("reminder_scan")
    if scan:
        row(
            f"reminder_scan ({scan['due']:,} due / {scan['followups']:,})",
            scan["median_ms"],
            scan["p95_ms"],
            scan["queries"],
            "",
            f"≤ {SCAN_BUDGET_MS}",
            scan["median_ms"] <= SCAN_BUDGET_MS,
        )
    for key, budget in CONNECTORS_FUNCTION_BUDGET_MS.items():
        figures = results.get(key)
        if not figures:
            continue
        typical, connected = figures["typical"], figures["most_connected"]
        row(
            f"{key} (function, typical)",
            typical["median_ms"],
            typical["p95_ms"],
            1,
            "",
            f"≤ {budget}",
            typical["median_ms"] <= budget,
        )
        rows.append(
            (
                f"{key} (function, most connected)",
                connected["median_ms"],
                connected["p95_ms"],
                1,
                "",
                f"({budget})",
                "info",
                "",
            )
        )
    # Big exports (bench/export_bench.py): no budget, information beside the pages. The
    # request that starts one is a page like the others; the worker's time is what the
    # user waits for on the progress bar.
    for name, figures in (results.get("exports") or {}).items():
        rows.append(
            (
                f"export {name}: request",
                figures["request_median_ms"],
                figures["request_p95_ms"],
                "",
                "",
                "",
                "info",
                "",
            )
        )
        rows.append(
            (
                f"export {name}: worker, {figures['rows']:,} rows",
                round(figures["worker_s"] * 1000),
                "",
                "",
                "",
                "",
                "info",
                "",
            )
        )
    for name, figures in results.get("load", {}).items():
        ok = figures["errors"] == 0
        rows.append(
            (
                f"load {name}: {figures['rps']} req/s, {figures['errors']} errors",
                figures["p50_ms"],
                figures["p95_ms"],
                "",
                "",
                "0 errors",
                "ok" if ok else "OVER",
                "",
            )
        )
        if not ok:
            offenders.append(f"load {name} ({figures['errors']} errors: {figures['error_kinds']})")
    return rows, offenders


def table(rows: list[tuple]) -> str:
    header = ("name", "median ms", "p95 ms", "queries", "heaviest query ms", "budget", "verdict")
    cells = [header] + [tuple("" if v is None else str(v) for v in r[:7]) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(7)]
    lines = []
    for n, c in enumerate(cells):
        lines.append(
            " | ".join(c[i].ljust(widths[i]) if i == 0 else c[i].rjust(widths[i]) for i in range(7))
        )
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def write_plans(
    plans: dict,
    pages: dict,
    facts: dict,
    measured: str,
    *,
    section: tuple[str, str] = (SECTION_START, SECTION_END),
    engine: str = "PostgreSQL",
) -> None:
    start, end = section
    heavy = sorted(
        (name for name in plans if pages[name]["heaviest_query_ms"] >= PLAN_FLOOR_MS),
        key=lambda name: -pages[name]["heaviest_query_ms"],
    )
    title = "## Pages: the heaviest statement of each page"
    command = "`make bench`"
    if engine != "PostgreSQL":
        title += f", on {engine}"
        command = "`make bench BENCH_ARGS=--sqlite` (EXPLAIN QUERY PLAN; the same rows)"
    parts = [
        start,
        title,
        "",
        f"{command} (bench/run.py, bench/pages.py), {measured}. The typical rep "
        f"{facts['rep']} ({facts['rep_referrals']:,} referrals) of {facts['team']} "
        f"({facts['contacts_in_team']:,} contacts, {facts['referrals_in_team']:,} referrals), "
        f"manager {facts['manager']}; connectors of contact {facts['target']} "
        f"({facts['target_ties']} ties). Statements of at least {PLAN_FLOOR_MS:g} ms alone, "
        "heaviest first; the page's median beside it.",
    ]
    for name in heavy:
        sql, plan = plans[name]
        figures = pages[name]
        parts += [
            "",
            f"### {name}: {figures['heaviest_query_ms']} ms alone, page "
            f"{figures['median_ms']} ms, {figures['queries']} statements",
            "",
            f"`{figures['method']} {figures['path']}`",
            "",
            "```sql",
            sql if len(sql) < 3000 else sql[:3000] + " …",
            "```",
            "",
            "```",
            plan,
            "```",
        ]
    parts.append(end)
    section = "\n".join(parts)
    text = PLANS.read_text() if PLANS.exists() else "# Query plans of the benchmarks\n"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PLANS.write_text(text)


def main() -> int:
    import scan_bench

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed requests per page")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="per page under load")
    parser.add_argument("--quick", action="store_true", help="5 runs, 5 s of load, 3 scans")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["pages", "scan", "connectors", "exports", "load"],
    )
    parser.add_argument(
        "--sqlite",
        nargs="?",
        const=str(SQLITE_DEFAULT_PATH),
        default=None,
        metavar="PATH",
        help=f"the pages on SQLite (a copy of warmpath_bench; default {SQLITE_DEFAULT_PATH})",
    )
    parser.add_argument(
        "--no-statistics",
        action="store_true",
        help="with --sqlite: measure the file as it is, without ANALYZE first (what a "
        "database that never gathered statistics costs)",
    )
    options = parser.parse_args()
    if options.quick:
        options.runs, options.load_seconds = 5, 5.0
    if options.sqlite:
        options.skip = sorted({*options.skip, "scan", "connectors", "exports", "load"})

    started = time.monotonic()
    measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"make bench — {measured}; load average {load_average()}", flush=True)
    url = scan_bench.bench_database_url()
    if options.sqlite:
        path = Path(options.sqlite).resolve()
        followups = setup_sqlite(path, url)
        print(f"SQLite {path}: {followups:,} follow-ups", flush=True)
        if not options.no_statistics:
            statistics()
    else:
        followups = setup(url)
        print(f"Database {url.rsplit('/', 1)[-1]}: {followups:,} follow-ups", flush=True)
        vacuum()

    import load
    import pages

    results: dict = {"load_average_at_start": load_average(), "measured_at": measured}
    if "pages" not in options.skip:
        print(f"Pages: {options.runs} requests each after warm-up…", flush=True)
        page_results, plans, facts = pages.measure(runs=options.runs)
        results["pages"] = page_results
        results["cast"] = facts
        if options.sqlite:
            write_plans(
                plans, page_results, facts, measured, section=SQLITE_SECTION, engine="SQLite"
            )
        else:
            write_plans(plans, page_results, facts, measured)
    if "scan" not in options.skip:
        run_script("scan_bench.py", url, "--runs", "3" if options.quick else "7")
    if "connectors" not in options.skip:
        run_script("connectors_bench.py", url, *(["--typical", "5"] if options.quick else []))
    if "exports" not in options.skip:
        run_script("export_bench.py", url)
    if "load" not in options.skip:
        from accounts.models import User

        rep = User.objects.get(
            username=results.get("cast", {}).get("rep") or pages.cast_pick().facts["rep"]
        )
        session = load.session_key_for(rep)
        paths = {
            name: results["pages"][name]["path"]
            for name in LOAD_PAGES
            if name in results.get("pages", {})
        }
        if not paths:
            from django.urls import reverse

            paths = {"contact_list": reverse("contacts:list"), "rep_home": reverse("rep-week")}
        print(
            f"Load: {load.CONNECTIONS} connections, {options.load_seconds:g} s per page…",
            flush=True,
        )
        results["load"] = load.measure(url, paths, session, seconds=options.load_seconds)

    # Merge: the scan and connectors benches wrote their own keys meanwhile. PostgreSQL's
    # pages at the top (as ever), SQLite's under "sqlite"; each figure names its engine.
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    postgresql_pages = {
        name: figures
        for name, figures in merged.items()
        if isinstance(figures, dict) and "median_ms" in figures and "budget_ms" in figures
    }
    pages_key = "sqlite" if options.sqlite else None
    for name, figures in results.get("pages", {}).items():
        if pages_key:
            merged.setdefault(pages_key, {})[name] = figures
        else:
            merged[name] = figures
    merged.update({f"load_{name}": figures for name, figures in results.get("load", {}).items()})
    bench_key = "sqlite_bench" if options.sqlite else "bench"
    merged[bench_key] = {
        "engine": "sqlite" if options.sqlite else "postgresql",
        "measured_at": measured,
        "load_average_at_start": results["load_average_at_start"],
        "load_average_at_end": load_average(),
        "cast": results.get("cast"),
        "seconds": round(time.monotonic() - started),
    }
    view = {
        "pages": results.get("pages", {}),
        "postgresql_pages": postgresql_pages if options.sqlite else {},
        "load": results.get("load", {}),
        "reminder_scan": merged.get("reminder_scan") if "scan" not in options.skip else None,
        **{
            key: merged.get(key)
            for key in CONNECTORS_FUNCTION_BUDGET_MS
            if "connectors" not in options.skip
        },
        "exports": merged.get("exports") if "exports" not in options.skip else None,
    }
    rows, offenders = verdicts(view)
    merged[bench_key]["offenders"] = offenders
    RESULTS.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")

    print()
    print(table(rows))
    print(
        f"\nLoad average {merged[bench_key]['load_average_at_start']} at the start, "
        f"{merged[bench_key]['load_average_at_end']} at the end; "
        f"{merged[bench_key]['seconds']} s. Wrote bench/results.json and bench/PLANS.md."
    )
    if offenders:
        print("\nOVER BUDGET: " + "; ".join(offenders))
        return 1
    print("\nEvery budget holds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
