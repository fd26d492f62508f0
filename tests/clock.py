"""The suite's clock: run it as if now were any moment, and pin a test's own moment.

No test may depend on the day it runs. Two tools keep that true, both backed by
time-machine (which moves `time.time`, `datetime.now`, `date.today` and, for a moment in a
named zone, the process's `TZ`):

- `pytest --now 2026-12-06T23:30 --now-tz America/Los_Angeles` runs the session as if the
  wall clock read that local time in that zone (the machine's time zone included); the
  clock keeps ticking from there. Without `--now-tz` the moment is UTC. `.ci/run` runs the
  tests marked `dates` at several hostile moments this way (a Sunday night and a Monday
  morning west of UTC, the DST switches, New Year's Eve, 29 February).
- `@pytest.mark.now("2026-11-30T07:05:00+00:00")` pins one test's clock (frozen: it does
  not tick), so a test written about a given week reads that week whatever day it is. The
  `time_machine` fixture (time-machine's own) moves a pinned clock within a test.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine


def pytest_addoption(parser):
    group = parser.getgroup("warmpath clock")
    group.addoption(
        "--now",
        default=None,
        help="Run the suite as if the wall clock read this ISO 8601 moment (local to --now-tz).",
    )
    group.addoption(
        "--now-tz",
        default=None,
        help="The machine's time zone for --now (an IANA name such as America/Los_Angeles).",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "now(moment): pin this test's clock to an ISO 8601 moment (frozen; see tests/clock.py)",
    )
    config.addinivalue_line(
        "markers",
        "dates: depends on the calendar (weeks, days, due times); .ci/run also runs these at "
        "hostile moments with --now",
    )


def session_moment(config) -> datetime | None:
    """The moment --now/--now-tz ask for, zone-aware, or None for the real clock."""
    text, zone_name = config.getoption("--now"), config.getoption("--now-tz")
    if text is None:
        if zone_name is not None:
            raise pytest.UsageError("--now-tz needs --now")
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise pytest.UsageError(f"--now {text!r} is not an ISO 8601 moment: {error}") from None
    if zone_name is not None:
        if moment.tzinfo is not None:
            raise pytest.UsageError("give --now without an offset when --now-tz names a zone")
        moment = moment.replace(tzinfo=ZoneInfo(zone_name))
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment


def pytest_report_header(config):
    moment = session_moment(config)
    if moment is not None:
        return f"clock: as if now were {moment.isoformat()} ({moment.tzinfo}), ticking"
    return None


@pytest.fixture(scope="session", autouse=True)
def _session_clock(pytestconfig):
    moment = session_moment(pytestconfig)
    if moment is None:
        yield None
        return
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _pinned_clock(request):
    marker = request.node.get_closest_marker("now")
    if marker is None:
        yield
        return
    moment = datetime.fromisoformat(marker.args[0])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(moment, tick=False):
        yield
