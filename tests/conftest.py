"""The cast, reused by every test (see STYLE.md):

- alice: a rep of team Acme (the owner of most records in tests)
- bob: another rep of Acme (alice's teammate)
- maya: the manager of Acme
- charlie: a rep of another team, Globex (the outsider)
- admin: Django staff, no team
"""

import fcntl
import os
import tempfile
from pathlib import Path

import factory.random
import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory


def services_available() -> bool:
    return bool(os.environ.get("DATABASE_URL")) and bool(
        os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
    )


# Tests that start processes (a worker, beat, gunicorn, `make run`) or share something fixed
# (Redis databases 12-15, the database warmpath_compose_smoke) run one at a time, also
# when pytest-xdist runs the suite in several processes (`make test`: -n auto): a lock
# file, not xdist's own groups (--dist loadgroup), which pytest 9 defeats (xdist renames
# a grouped test's node id, which pytest 9 no longer lets it change) and which would run
# only one of the Schemathesis tests (all 64 have the same node id).
ONE_AT_A_TIME = ("services", "slow")


def one_at_a_time(item) -> bool:
    return any(item.get_closest_marker(name) for name in ONE_AT_A_TIME)


def xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_collection_modifyitems(config, items):
    if xdist_worker(config):
        # xdist hands each process a run of consecutive tests: with these first, they
        # usually fall to one process, back to back, so none waits for the lock below, and
        # the longest tests start early instead of holding up the end of the run.
        items.sort(key=lambda item: not one_at_a_time(item))
    if services_available():
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


def _one_at_a_time_lock_path(config) -> Path:
    # In the session's temporary folder, which holds each worker's own (pytest-<n>/popen-gw0).
    if config.option.basetemp:
        return Path(config.option.basetemp).parent / "one-at-a-time.lock"
    run = config.workerinput["testrunuid"]
    return Path(tempfile.gettempdir()) / f"warmpath-one-at-a-time-{run}.lock"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not (xdist_worker(item.config) and one_at_a_time(item)):
        return (yield)
    # Held from the test's setup to its teardown; the kernel drops it if a process dies.
    with _one_at_a_time_lock_path(item.config).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return (yield)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _factories_repeat_themselves(request):
    # Each test gets the same Faker names on every run (seeded by its own id): a name that
    # happens to contain a searched word fails every time, not one day in fifty.
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def _empty_cache():
    # One local-memory cache per test process: each test starts from an empty one, so a
    # throttle's count (the API token endpoint) or a cached value never leaks into the next.
    cache.clear()


@pytest.fixture
def acme(db):
    return TeamFactory(name="Acme")


@pytest.fixture
def globex(db):
    return TeamFactory(name="Globex")


@pytest.fixture
def alice(acme):
    return MembershipFactory(
        team=acme, role=Membership.Role.REP, user=UserFactory(username="alice", first_name="Alice")
    ).user


@pytest.fixture
def bob(acme):
    return MembershipFactory(
        team=acme, role=Membership.Role.REP, user=UserFactory(username="bob", first_name="Bob")
    ).user


@pytest.fixture
def maya(acme):
    return MembershipFactory(
        team=acme,
        role=Membership.Role.MANAGER,
        user=UserFactory(username="maya", first_name="Maya"),
    ).user


@pytest.fixture
def charlie(globex):
    return MembershipFactory(
        team=globex,
        role=Membership.Role.REP,
        user=UserFactory(username="charlie", first_name="Charlie"),
    ).user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return _client_for(alice)


@pytest.fixture
def bob_client(bob):
    return _client_for(bob)


@pytest.fixture
def maya_client(maya):
    return _client_for(maya)


@pytest.fixture
def charlie_client(charlie):
    return _client_for(charlie)


@pytest.fixture
def admin_client_(admin_user):
    return _client_for(admin_user)
