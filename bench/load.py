"""Throughput under load: gunicorn (2 sync workers, config.settings.bench) on a free
localhost port against warmpath_bench, 32 concurrent keep-alive connections per page for
a bounded time, logged in with a session made in the database beforehand (no login
POSTs: django-axes never counts a failure). Requests per second, errors (anything but
200, and broken connections), p50/p95 latency as the client sees it.

    from bench import load; load.measure(paths, session_key)

Gunicorn is always stopped, whatever happens (its process group is killed).
"""

# ruff: noqa: S603 - gunicorn from our own virtualenv, no shell

from __future__ import annotations

import http.client
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Shared with make trust: a free port, a logged-in session made in the database.
from trust.processes import free_port  # noqa: E402
from trust.traffic import session_key_for  # noqa: E402, F401 - bench/run.py uses it from here

CONNECTIONS = 32
WORKERS = 2
SECONDS = 20.0


class Gunicorn:
    def __init__(self, database_url: str, port: int, workers: int = WORKERS):
        self.port = port
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "WARMPATH_HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "PYTHONPATH": str(ROOT),
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                # Keep-alive is what the load test's connections expect (sync workers
                # close after each response otherwise — counted as reconnects, not errors).
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "gunicorn stopped at start: " + self.process.stderr.read().decode()[-2000:]
                )
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health/")
                connection.getresponse().read()
                connection.close()
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()


def _hammer(port: int, path: str, cookie: str, until: float, latencies: list, errors: list):
    connection = None
    while time.monotonic() < until:
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as error:
            errors.append(type(error).__name__)
            if connection is not None:
                connection.close()
            connection = None
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            errors.append(str(status))
    if connection is not None:
        connection.close()


def load_one(port: int, path: str, cookie: str, seconds: float, connections: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()  # list.append is atomic; the lock only guards the copy below
    started = time.monotonic()
    until = started + seconds
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for _ in range(connections):
            pool.submit(_hammer, port, path, cookie, until, latencies, errors)
    elapsed = time.monotonic() - started
    with lock:
        done = sorted(latencies)
    return {
        "requests": len(done),
        "rps": round(len(done) / elapsed, 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "median_ms": round(statistics.median(done), 1) if done else None,
        "p50_ms": round(statistics.median(done), 1) if done else None,
        "p95_ms": round(done[int(0.95 * (len(done) - 1))], 1) if done else None,
        "connections": connections,
        "seconds": seconds,
        "workers": WORKERS,
    }


def measure(
    database_url: str,
    paths: dict[str, str],
    session_key: str,
    seconds: float = SECONDS,
    connections: int = CONNECTIONS,
) -> dict:
    """{name: figures} for each path, one after the other, against one gunicorn."""
    cookie = f"sessionid={session_key}"
    results = {}
    with Gunicorn(database_url, free_port()) as server:
        for name, path in paths.items():
            # A short warm-up: both workers import, compile templates, open connections.
            load_one(server.port, path, cookie, 2.0, WORKERS * 2)
            results[name] = {
                "path": path,
                **load_one(server.port, path, cookie, seconds, connections),
            }
    return results
