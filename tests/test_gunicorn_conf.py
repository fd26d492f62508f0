"""gunicorn as gunicorn.conf.py runs it: a long download (a big CSV export streams for
seconds) is neither cut off by the worker timeout nor blocks the other requests of its
worker. Real gunicorn processes on a free port, serving a small WSGI app of the tests
(tests/fixtures/wsgi/slow_download.py), so no database is involved."""

import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from trust.processes import free_port

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server():
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WARMPATH_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",  # one worker: the quick request must share it
        "GUNICORN_TIMEOUT": "1",  # shorter than the download
        "SLOW_SECONDS": "3",
    }
    process = subprocess.Popen(  # noqa: S603 - our own command, no shell
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(REPO_ROOT / "gunicorn.conf.py"),
            "tests.fixtures.wsgi.slow_download:application",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/quick", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer within 10 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_long_download_completes_and_leaves_the_worker_free(server):
    downloaded = {}

    def download():
        try:
            with urllib.request.urlopen(f"{server}/slow", timeout=10) as response:  # noqa: S310
                downloaded["body"] = response.read()
        except Exception as exc:  # reported by the assertion below
            downloaded["error"] = exc

    slow = threading.Thread(target=download)
    slow.start()
    time.sleep(0.5)  # the download is under way
    started = time.monotonic()
    quick = urllib.request.urlopen(f"{server}/quick", timeout=5).read()  # noqa: S310
    quick_seconds = time.monotonic() - started
    slow.join(timeout=15)

    assert "error" not in downloaded, f"the download was cut off: {downloaded['error']!r}"
    assert quick == b"quick"
    assert quick_seconds < 1, "the quick request waited for the download's worker"
    # Every row arrived: the 1 s timeout did not kill the worker 3 s into the download.
    assert downloaded["body"].decode().splitlines() == [f"row {n}" for n in range(30)]
