"""`make trust` (python -m trust): Warmpath's fault and load scenarios against an
installation of its own — a throwaway PostgreSQL cluster and Redis on free ports under a
temporary folder, a local SMTP server, gunicorn, Celery workers and beat with production
settings — torn down at the end, also on failure or Ctrl-C. The machine's own PostgreSQL
and Redis are never touched.

Scenarios (each prints its figures; the run exits 1 naming every scenario whose
expectation failed):

1. postgres — PostgreSQL restarted while requests run: clean 5xx during the outage, no
   error after it, no restart of gunicorn or the worker.
2. beats    — two beat processes at once: every due follow-up reminded once, each
   email sent once.
3. redis    — Redis stopped: pages and writes keep working and stay fast; reminders catch
   up once it is back.
4. worker   — a worker killed (SIGKILL) in the middle of sending: nothing lost, nothing
   sent twice.
5. smtp     — an SMTP server that refuses: retried with backoff, visible to admins,
   everything sent once it accepts again.
6. load     — 50 reps for 60 s (15 s with --quick), reads and writes: 0 errors, 0 lost
   writes, every due follow-up reminded once, p95 latency.

Process logs are kept in var/trust/ (the last run's).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

from trust.report import Result, figures_block, summary_table

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "trust"


def scenarios() -> dict:
    from trust import faults, load

    return {**faults.SCENARIOS, **load.SCENARIOS}


def outbox_audit(stack) -> Result:
    """The whole run's outgoing emails against what the SMTP server accepted: every email
    sent, none twice, none the database thinks unsent."""
    from trust import ledger

    result = Result("Outbox of the whole run")
    figures = ledger.all_emails_ledger(stack.smtp.log)
    unsent = sum(figures["unsent"].values())
    result.figures = {
        "emails": figures["emails"],
        "sent": figures["sent"],
        "unsent": dict(figures["unsent"]),
        "lost": unsent + figures["marked_sent_never_accepted"],
        "duplicates": figures["duplicates"] + figures["accepted_not_marked_sent"],
    }
    result.expect(unsent == 0, f"{unsent} emails never sent: {dict(figures['unsent'])}")
    result.expect(
        figures["marked_sent_never_accepted"] == 0,
        f"{figures['marked_sent_never_accepted']} marked sent but never accepted",
    )
    result.expect(figures["duplicates"] == 0, f"{figures['duplicates']} accepted twice")
    result.expect(
        figures["accepted_not_marked_sent"] == 0,
        f"{figures['accepted_not_marked_sent']} accepted but not marked sent (would go again)",
    )
    return result


def main(argv: list[str] | None = None) -> int:
    names = list(scenarios())
    parser = argparse.ArgumentParser(prog="python -m trust", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 s of load, shorter outages")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=names,
        default=names,
        metavar="SCENARIO",
        help=f"run only these ({', '.join(names)})",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the traffic")
    options = parser.parse_args(argv)

    started = time.monotonic()
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    rng = random.Random(options.seed)
    print(
        f"make trust{' --quick' if options.quick else ''}: load average "
        f"{' '.join(f'{value:.2f}' for value in os.getloadavg())} on {os.cpu_count()} cores",
        flush=True,
    )
    from trust.stack import Stack

    results: list[Result] = []
    with Stack(LOG_DIR) as stack:
        print(
            f"Throwaway PostgreSQL on port {stack.postgres.port}, Redis on "
            f"{stack.redis.port}, SMTP on {stack.smtp.port} (under {stack.folder})",
            flush=True,
        )
        timings = stack.prepare()
        print(
            "Prepared: "
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()),
            flush=True,
        )
        available = scenarios()
        for name in options.only:
            scenario_started = time.monotonic()
            try:
                result = available[name](stack, rng=rng, quick=options.quick)
            except Exception as error:  # a scenario that crashes is a failed scenario
                result = Result(name)
                result.failures.append(f"crashed: {type(error).__name__}: {error}")
            stack.restore()
            result.seconds = time.monotonic() - scenario_started
            results.append(result)
            print(figures_block(result), flush=True)
        results.append(outbox_audit(stack))
        print(figures_block(results[-1]), flush=True)

    print()
    print(summary_table(results))
    failed = [result.name for result in results if not result.ok]
    print(f"\nTotal {time.monotonic() - started:.0f} s; process logs in {LOG_DIR}.")
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print("Every expectation holds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
