"""`make run`: the web app, the Celery worker and beat together (the Procfile), under honcho.

Ctrl-C is how a person stops them. honcho then sends each process SIGTERM and kills what is
still running 5 seconds later: too soon for a worker on the embedded broker, whose warm
shutdown first waits out its current 2-second poll of the queue folder and one more (about
5.5 s in all), so it was killed half-way and make reported "Error 130". Here the processes get
WORKER_STOP_SECONDS, and a stop by Ctrl-C ends with one plain line, not an error.
"""

import sys

from honcho import command, manager

WORKER_STOP_SECONDS = 20
# honcho's exit status after SIGINT: a person pressed Ctrl-C, nothing failed.
STOPPED_BY_CTRL_C = 130


def main() -> int:
    manager.KILL_WAIT = WORKER_STOP_SECONDS
    try:
        command.main(["start", "--procfile", "Procfile"])
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    else:
        status = 0
    if status in (0, STOPPED_BY_CTRL_C):
        print("Warmpath stopped.")
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
