"""Big CSV exports on the large data set: what a rep or manager waits for.

Run by bench/run.py (`make bench`) in its own process, settings config.settings.bench,
database warmpath_bench. For each export too big to stream while the user waits (the
team's 200,000 relationships, its 40,000 contacts, the referrals of the last 365 days
for the manager):

- the request to the export URL, through the Django test client (one bounded COUNT, the
  job written, the redirect to its page): median and p95 of a few requests, each in a
  transaction rolled back, so every run creates the job afresh;
- the worker's part (exports.services.export_job_run, what the Celery task calls), once,
  in this process: seconds, rows, rows per second, CSV and stored (gzip) size;
- the download of the stored file through the test client, read to the end.

No message goes to a broker (this process plays the worker) and the jobs are deleted at
the end. No budget is set by the issues for these; they are printed as information.
Results go to bench/results.json under "exports".
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

RESULTS = BENCH / "results.json"
REQUEST_RUNS = 5


class _Rollback(Exception):
    pass


def _timed_request(client, path: str) -> tuple[float, str]:
    """One GET of an export URL inside a transaction rolled back afterwards: (ms, where it
    redirects)."""
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            raise _Rollback
    except _Rollback:
        pass
    if response.status_code != 302:
        raise SystemExit(f"{path} answered {response.status_code}, expected a redirect")
    return elapsed, response["Location"]


def measure_one(client, path: str) -> dict:
    from exports import services
    from exports.models import ExportJob

    times = [_timed_request(client, path)[0] for _ in range(REQUEST_RUNS + 1)][1:]
    response = client.get(path)  # this time kept: the job the worker will write
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])

    started = time.perf_counter()
    services.export_job_run(job_id=job_id)
    worker_s = time.perf_counter() - started
    job = ExportJob.objects.get(pk=job_id)
    if job.status != ExportJob.Status.DONE:
        raise SystemExit(f"export {job_id} ended {job.status}: {job.error}")

    started = time.perf_counter()
    download = client.get(f"/exports/{job_id}/download/")
    size = sum(len(chunk) for chunk in download.streaming_content)
    download_s = time.perf_counter() - started
    if size != job.csv_size:
        raise SystemExit(f"download of export {job_id}: {size} bytes, stored {job.csv_size}")
    figures = {
        "path": path,
        "request_median_ms": round(statistics.median(times), 1),
        "request_p95_ms": round(max(times), 1),  # the slowest of the few requests
        "rows": job.rows_done,
        "worker_s": round(worker_s, 1),
        "rows_per_s": round(job.rows_done / worker_s) if worker_s else None,
        "csv_mb": round(job.csv_size / 1e6, 1),
        "stored_mb": round(len(job.result) / 1e6, 1),
        "download_s": round(download_s, 2),
    }
    job.delete()
    return figures


def main() -> None:
    import scan_bench

    url = scan_bench.bench_database_url()
    scan_bench.setup_django(url)
    import pages
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from exports import services

    services._publish = lambda job_id: None  # this process is the worker
    cast = pages.cast_pick()
    today = timezone.localdate()
    rep, manager = Client(), Client()
    rep.force_login(cast.rep)
    manager.force_login(cast.manager)
    cases = {
        "relationships": (rep, reverse("contacts:relationships-export")),
        "contacts": (rep, reverse("contacts:export")),
        "referrals_last_365_days": (
            manager,
            reverse("dashboard:export-referrals")
            + f"?period=custom&start={today - timedelta(days=364)}&end={today}",
        ),
    }
    figures = {}
    for name, (client, path) in cases.items():
        print(f"export {name}: {path}", flush=True)
        figures[name] = measure_one(client, path)
        print(json.dumps(figures[name]), flush=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["exports"] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
