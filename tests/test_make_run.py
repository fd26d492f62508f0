"""`make run` as a newcomer uses it: started, stopped with Ctrl-C, started again.

It runs the README's command itself (on the embedded SQLite and filesystem broker, in a
scratch WARMPATH_VAR_DIR), so it needs no server, only the virtualenv `make test` built. The
second start must find its data and schedule (it once stopped on MultipleObjectsReturned),
and Ctrl-C must stop every process cleanly: no process killed, no error, no warning that
would worry a newcomer.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from trust.processes import child_env, free_port, http_get, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 120
STOP_SECONDS = 30
# What a clean start and stop never prints.
ALARMING = ("Traceback", "ERROR", "SIGKILL", "Error 130", "Interrupt", "WARNING", "Warning")
# Celery's warning when started as root: about the machine (CI runs as root), not Warmpath.
ROOT_ONLY = "SecurityWarning: You're running the worker with superuser privileges"


def make_run(var_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = child_env(WARMPATH_VAR_DIR=str(var_dir))
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return subprocess.Popen(  # noqa: S603 - make, on our own Makefile
        [shutil.which("make") or "make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # Its own process group, like a terminal's foreground job: Ctrl-C reaches all of it.
        start_new_session=True,
    )


def healthy(port: int):
    status, body = http_get(f"http://127.0.0.1:{port}/health/")
    answer = json.loads(body) if status == 200 else {}
    return answer.get("status") == "ok" and answer.get("worker_heartbeat") and answer


def ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=STOP_SECONDS)


def alarming_lines(log: Path) -> list[str]:
    return [
        line
        for line in log.read_text().splitlines()
        if any(word in line for word in ALARMING) and not (os.geteuid() == 0 and ROOT_ONLY in line)
    ]


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_twice_keeps_its_data_and_stops_cleanly_on_ctrl_c(tmp_path):
    var_dir, port = tmp_path / "var", free_port()
    database = var_dir / "warmpath.sqlite3"

    first_log = tmp_path / "first.log"
    first = make_run(var_dir, port, first_log)
    try:
        wait_for("the first make run", lambda: healthy(port), None, START_SECONDS)
    finally:
        ctrl_c(first)
    first_output = first_log.read_text()
    assert "Warmpath is ready" in first_output
    assert "Warmpath stopped." in first_output, first_output[-3000:]
    assert alarming_lines(first_log) == []
    contacts, tasks = (
        count(database, "contacts_contact"),
        count(database, "django_celery_beat_periodictask"),
    )
    assert contacts > 0

    second_log = tmp_path / "second.log"
    second = make_run(var_dir, port, second_log)
    try:
        answer = wait_for("the second make run", lambda: healthy(port), None, START_SECONDS)
    finally:
        ctrl_c(second)
    second_output = second_log.read_text()
    assert answer["schedule"] == "ok"
    assert "already there; kept as it is" in second_output
    assert ": created" not in second_output  # the schedule was kept, not written again
    assert "Warmpath stopped." in second_output, second_output[-3000:]
    assert alarming_lines(second_log) == []
    assert count(database, "contacts_contact") == contacts
    # Beat's own entries (celery.backend_cleanup) may join ours; none of ours is doubled.
    assert count(database, "django_celery_beat_periodictask") >= tasks
