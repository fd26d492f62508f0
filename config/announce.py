"""`make run` helper: wait until the web process answers, then say where to go.

Runs as a Procfile process so the message comes after the noisy start-up logs of the
web, worker and beat processes. It stays alive afterwards because honcho stops every
process as soon as one of them exits.
"""

import os
import sys
import time
import urllib.error
import urllib.request

WAIT_SECONDS = 120


def main() -> int:
    host = os.environ.get("WARMPATH_HOST", "127.0.0.1")
    port = os.environ.get("WARMPATH_PORT", "8000")
    url = f"http://{host}:{port}/"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "health/", timeout=2):  # noqa: S310 - our own URL
                break
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    else:
        print(f"The web process did not answer at {url} within {WAIT_SECONDS} s.", flush=True)
    print(
        "\n"
        f"  Warmpath is ready: {url}\n"
        "  Demo logins (password warmpath-demo): ravi or sofia (reps), maria (manager).\n"
        "  Press Ctrl-C to stop the web app, the Celery worker and beat.\n",
        flush=True,
    )
    while True:  # see the module docstring
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
