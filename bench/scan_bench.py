"""Benchmark of the reminder scan (followups.reminders.reminders_scan): 1,000,000
follow-ups, of which 5,000 have come due and wait for their reminder. `make bench`.

The scan must cost in proportion to what is due, not to the table (DESIGN.md, "Scale"):
its claim query reads the partial index followup_to_remind_idx (pending follow-ups not
yet reminded), in due order, and stops at the batch size.

Data: the PostgreSQL database warmpath_bench (BENCH_DATABASE_URL, by default on the
server of DATABASE_URL, else postgres://postgres@127.0.0.1:5432), created and migrated
if missing and reused afterwards (other benchmarks share it). Without data it is seeded
with `seed --size large`; if it holds fewer than 1,000,000 follow-ups (a database seeded
before follow-ups existed), bulk COPY adds the missing ones — periodic updates of the
existing referrals, mostly done, some pending in the future, some reminded already.
Then exactly 5,000 pending follow-ups are made due and not reminded.

Each run is a whole scan (every batch of 500: claim, load, write reminders, notifications
and emails, mark reminded) inside a transaction rolled back at the end, so every run finds
the same 5,000 and nothing is published to a broker. The figures: median and 95th
percentile of the runs, and the SQL statements of one run. Writes bench/results.json
(merged with what other benchmarks wrote there) and the EXPLAIN (ANALYZE, BUFFERS) of
the claim query into bench/PLANS.md (its own section, replaced on each run).
"""

# Queries here are built from constant SQL only.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

DATABASE = "warmpath_bench"
FOLLOWUPS = 1_000_000
DUE = 5_000
RESULTS = BENCH / "results.json"
PLANS = BENCH / "PLANS.md"
SECTION_START = "<!-- reminder_scan: start -->"
SECTION_END = "<!-- reminder_scan: end -->"
BENCH_OCCASION = "bench:"


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        server = "postgres://postgres@127.0.0.1:5432/postgres"
    return urlsplit(server)._replace(path=f"/{DATABASE}", query="").geturl()


def database_ensure(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(parts._replace(path="/postgres").geturl())
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                print(f"Creating the database {name}…")
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "false")
    import django

    from config.startup import set_default_settings_module

    set_default_settings_module()
    django.setup()


# --- Data ----------------------------------------------------------------------------------


def data_ensure() -> int:
    from django.core.management import call_command

    from accounts.models import Team
    from followups.models import FollowUp

    call_command("migrate", "--noinput", verbosity=0)
    if not Team.objects.exists():
        print("Seeding the large data set (seed --size large), once…")
        started = time.monotonic()
        call_command("seed", "--size", "large")
        print(f"  seeded in {time.monotonic() - started:.0f} s")
    missing = FOLLOWUPS - FollowUp.objects.count()
    if missing > 0:
        started = time.monotonic()
        followups_add(missing)
        print(f"  added {missing:,} follow-ups in {time.monotonic() - started:.0f} s")
        # Written by COPY, past the services that keep the KPI rollups: counted again
        # from the rows, as the seed does, so the dashboard shows what the rows hold.
        from reporting.rollups import rollups_rebuild

        started = time.monotonic()
        cells = rollups_rebuild()
        print(f"  KPI rollups rebuilt: {cells:,} cells in {time.monotonic() - started:.0f} s")
    return FollowUp.objects.count()


def followups_add(count: int) -> None:
    """COPY `count` periodic updates onto the existing referrals: 88% done, 2% skipped
    over the last two years, 5% pending and due in the coming month (in the partial
    index, not due), 5% pending, past due and reminded already."""
    from django.db import connection
    from django.utils import timezone

    from followups.models import FollowUp
    from referrals.models import Referral

    referrals = list(Referral.objects.values_list("pk", "team_id", "owner_id", "referrer_id"))
    if not referrals:
        raise SystemExit("The bench database has no referrals to attach follow-ups to.")
    now = timezone.now()
    start = FollowUp.objects.filter(occasion__startswith=BENCH_OCCASION).count()
    columns = [
        "team_id",
        "owner_id",
        "referral_id",
        "kind",
        "occasion",
        "recipient_id",
        "due_at",
        "status",
        "channel",
        "note",
        "about",
        "skip_reason",
        "gift_note",
        "done_at",
        "reminded_at",
        "created_at",
        "updated_at",
    ]
    print(f"Adding {count:,} follow-ups with COPY…")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for chunk_start in range(start, start + count, 100_000):
            buffer = io.StringIO()
            for n in range(chunk_start, min(chunk_start + 100_000, start + count)):
                referral, team, owner, referrer = referrals[n % len(referrals)]
                occasion = f"{BENCH_OCCASION}{n // len(referrals)}"
                roll = n % 100
                if roll < 90:
                    due = now - timedelta(minutes=n % (730 * 1440) + 1440)
                    done = due + timedelta(hours=n % 48)
                    status, channel, skip = (
                        ("done", "email", "")
                        if roll < 88
                        else ("skipped", "", "Told them in person")
                    )
                    reminded = due
                elif roll < 95:
                    due = now + timedelta(minutes=n % (30 * 1440) + 60)
                    status, channel, skip, done, reminded = "pending", "", "", None, None
                else:
                    due = now - timedelta(minutes=n % (60 * 1440) + 60)
                    status, channel, skip, done, reminded = "pending", "", "", None, due
                values = [
                    team,
                    owner,
                    referral,
                    "periodic_update",
                    occasion,
                    referrer,
                    due.isoformat(),
                    status,
                    channel,
                    "",
                    "",
                    skip,
                    "",
                    done.isoformat() if done else "\\N",
                    reminded.isoformat() if reminded else "\\N",
                    now.isoformat(),
                    now.isoformat(),
                ]
                buffer.write("\t".join(str(value) for value in values) + "\n")
            buffer.seek(0)
            raw.copy_expert(
                f"COPY {FollowUp._meta.db_table} ({', '.join(columns)}) FROM STDIN", buffer
            )


def due_prepare(now) -> list[int]:
    """Exactly DUE pending follow-ups due by `now` and not reminded; every other one that
    has come due (time passed since the last run) counts as reminded."""
    from django.db import connection, transaction

    from followups.models import FollowUp, Reminder

    with transaction.atomic():
        FollowUp.objects.filter(status="pending", reminded_at__isnull=True, due_at__lte=now).update(
            reminded_at=now
        )
        ids = list(
            FollowUp.objects.filter(status="pending")
            .order_by("pk")
            .values_list("pk", flat=True)[:DUE]
        )
        if len(ids) < DUE:
            raise SystemExit(f"Only {len(ids)} pending follow-ups; the bench needs {DUE}.")
        with connection.cursor() as cursor:
            # Spread over the last two days: some long overdue, some just due.
            cursor.execute(
                f"UPDATE {FollowUp._meta.db_table} SET reminded_at = NULL,"
                " due_at = %s - (id %% 2880) * interval '1 minute'"
                " WHERE id = ANY(%s)",
                [now, ids],
            )
        Reminder.objects.filter(followup_id__in=ids, kind=Reminder.Kind.DUE).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {FollowUp._meta.db_table}")
    return ids


# --- Measuring -----------------------------------------------------------------------------


class Rollback(Exception):
    pass


def scan_once(now) -> tuple[float, int, dict]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from followups.reminders import reminders_scan

    result = None
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                started = time.perf_counter()
                result = reminders_scan(now=now)
                elapsed = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
    # Transaction control (the wrapper's BEGIN and ROLLBACK, each batch's savepoint — its
    # own BEGIN and COMMIT outside the wrapper) is not counted: 7 statements per batch.
    statements = [
        q
        for q in queries.captured_queries
        if "SAVEPOINT" not in q["sql"] and q["sql"] not in ("BEGIN", "ROLLBACK")
    ]
    return elapsed * 1000, len(statements), result.as_dict()


def claim_plan(now) -> tuple[str, str]:
    from django.db import connection, transaction

    from followups.reminders import SCAN_BATCH, due_followups_to_remind

    queryset = (
        due_followups_to_remind(now=now)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:SCAN_BATCH]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        printable = cursor.mogrify(sql, params).decode()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return printable, plan


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def write_results(figures: dict) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["reminder_scan"] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def write_plan(sql: str, plan: str, figures: dict) -> None:
    section = "\n".join(
        [
            SECTION_START,
            "## Reminder scan: the claim query",
            "",
            f"`make bench` (bench/scan_bench.py): {figures['followups']:,} follow-ups, "
            f"{figures['due']:,} due and not reminded. A whole scan (every batch of "
            f"{figures['batch']}) takes {figures['median_ms']:.0f} ms (median of "
            f"{figures['runs']} runs; p95 {figures['p95_ms']:.0f} ms) in "
            f"{figures['queries']} SQL statements. Each batch starts with this claim, read "
            "from the partial index `followup_to_remind_idx`:",
            "",
            "```sql",
            sql,
            "```",
            "",
            "```",
            plan,
            "```",
            SECTION_END,
        ]
    )
    text = PLANS.read_text() if PLANS.exists() else "# Query plans of the benchmarks\n"
    if SECTION_START in text:
        before, rest = text.split(SECTION_START, 1)
        after = rest.split(SECTION_END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PLANS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="whole scans measured (default 7)")
    arguments = parser.parse_args()

    url = bench_database_url()
    database_ensure(url)
    setup_django(url)
    from django.utils import timezone

    from followups.reminders import SCAN_BATCH

    total = data_ensure()
    now = timezone.now()
    due_prepare(now)
    print(f"{total:,} follow-ups, {DUE:,} due. Warming up, then {arguments.runs} scans…")
    scan_once(now)  # warm-up: caches, templates
    runs = [scan_once(now) for _ in range(arguments.runs)]
    times = [elapsed for elapsed, _queries, _result in runs]
    _elapsed, queries, result = runs[0]
    assert result["reminded"] == DUE, result
    sql, plan = claim_plan(now)
    assert "followup_to_remind_idx" in plan, plan
    figures = {
        "followups": total,
        "due": DUE,
        "batch": SCAN_BATCH,
        "runs": arguments.runs,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": queries,
        "reminded": result["reminded"],
        "emails": result["emails"],
        "per_followup_ms": round(statistics.median(times) / DUE, 3),
    }
    write_results(figures)
    write_plan(sql, plan, figures)
    print(json.dumps({"reminder_scan": figures}, indent=2))
    print(plan)
    print(f"Wrote {RESULTS.relative_to(BENCH.parent)} and {PLANS.relative_to(BENCH.parent)}.")


if __name__ == "__main__":
    main()
