"""Real processes of Warmpath (gunicorn, Celery worker and beat, manage.py commands) started
the way production starts them, each in its own process group with its output in a log
file. Shared by the tests of real processes (tests/test_processes.py,
tests/test_reminders_integration.py), `make trust` (trust/) and `make bench`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
# Settings a developer or pytest-django may have exported that the children must not inherit.
INHERITED_SETTINGS = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ENV",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DATABASE_URL",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "EMAIL_URL",
    "WARMPATH_VAR_DIR",
    "PORT",
    "WARMPATH_HOST",
    "WEB_CONCURRENCY",
)


class ProcessFailed(RuntimeError):
    """A process exited when it should not have, or a one-shot command failed."""


class Processes:
    """The processes a test or a scenario starts, each in its own process group with its
    output in a log file. Leaving the block stops every one of them; if the block failed,
    their logs are printed (pytest shows them under the failure)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: dict[str, subprocess.Popen] = {}
        self.log_files: dict[str, Path] = {}

    def _log_file(self, name: str) -> Path:
        path = self.log_dir / f"{name}.log"
        self.log_files[name] = path
        return path

    def run(self, name: str, argv: list[str], env: dict[str, str], timeout: int = 60) -> None:
        """Run a one-shot command to completion; it must succeed."""
        with self._log_file(name).open("w") as log:
            completed = subprocess.run(  # noqa: S603 - a fixed argv of our own, no shell
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if completed.returncode:
            raise ProcessFailed(f"{name} exited with {completed.returncode}")

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with self._log_file(name).open("w") as log:
            process = subprocess.Popen(  # noqa: S603 - a fixed argv of our own, no shell
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: children die with it
            )
        self.started[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.log_files.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def assert_running(self) -> None:
        for name, process in self.started.items():
            if process.poll() is not None:
                raise ProcessFailed(f"{name} exited early with {process.returncode}")

    def stop(self, name: str, signal_number: int = signal.SIGTERM, timeout: float = 10) -> None:
        """Stop one process and its group (SIGKILL for a crash, SIGTERM for a shutdown)."""
        process = self.started.pop(name)
        signal_group(process, signal_number)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
        # Also when the leader has exited: prefork children must not outlive it.
        signal_group(process, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.started.values():
            signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.started.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            signal_group(process, signal.SIGKILL)
            process.wait()
        self.started.clear()

    def logs(self) -> str:
        return "\n".join(
            f"----- {name} -----\n{path.read_text(errors='replace')}"
            for name, path in self.log_files.items()
            if path.exists()
        )

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.stop_all()
        if exc_type is not None:
            print(self.logs())


def wait_for(what: str, check, processes: Processes | None, seconds: float, every: float = 0.5):
    """Call check() until it returns something truthy; fail if a process dies first or
    time runs out. A check that cannot connect yet counts as not yet."""
    deadline = time.monotonic() + seconds
    while True:
        if processes is not None:
            processes.assert_running()
        try:
            outcome = check()
        except (ConnectionError, urllib.error.URLError, TimeoutError):
            outcome = None
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up waiting for {what} after {seconds} s")
        time.sleep(every)


def signal_group(process: subprocess.Popen, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def child_env(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_SETTINGS}
    env["PYTHONUNBUFFERED"] = "1"  # logs reach the file as they happen
    env.update(values)
    return env


def with_path(url: str, path: str) -> str:
    """The same server and credentials, another database (PostgreSQL) or db number (Redis)."""
    return urlsplit(url)._replace(path=f"/{path}", query="").geturl()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http://127.0.0.1
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def gunicorn(*args: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "config.wsgi", *args]
