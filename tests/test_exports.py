"""Background CSV exports (the exports app) behind the contacts, relationships and
referrals export URLs.

A small export streams at once, as before; above settings.WARMPATH_EXPORT_INLINE_MAX_ROWS
(3 here) the URL creates an ExportJob, publishes it after commit and sends the user to its
page; the worker writes exactly the rows the page would have streamed, as the owner sees
them, with its progress on the way; the owner alone downloads it. Redelivered messages,
failures, a broker that is down, the nightly purge, the admin and the query counts too.
"""

from __future__ import annotations

import ast
import csv
import io
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from config.schedule import PERIODIC_TASKS
from contacts.exports import CONTACTS_KIND, RELATIONSHIPS_KIND
from contacts.models import Contact
from exports import registry, services, tasks
from exports.models import ExportJob
from exports.views import EXPORT_QUEUED, export_answer
from reporting.exports import REFERRALS
from tests.factories import ClientFactory, ContactFactory, ReferralFactory, RelationshipFactory

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

LIMIT = 3
DANGEROUS = '=HYPERLINK("http://x")'


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.WARMPATH_EXPORT_INLINE_MAX_ROWS = LIMIT
    settings.WARMPATH_EXPORT_KEEP_DAYS = 7


@pytest.fixture
def published(monkeypatch):
    """Job ids handed to the broker (none is: the test runs the worker's part itself)."""
    sent: list[int] = []
    monkeypatch.setattr(
        tasks.export_job_run,
        "apply_async",
        lambda args, kwargs=None, **options: sent.append(args[0]),
    )
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(args, kwargs=None, **options):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.export_job_run, "apply_async", refuse)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def contacts_of(team, owner, count: int) -> list[Contact]:
    made = [ContactFactory(team=team, owner=owner, company=None) for _ in range(count - 1)]
    made.append(ClientFactory(team=team, owner=owner, first_name=DANGEROUS, title="=1+1"))
    return made


def network_of(team, owner, ties: int) -> None:
    people = [ContactFactory(team=team, owner=owner) for _ in range(ties + 1)]
    for one, other in itertools.pairwise(people):
        RelationshipFactory(between=(one, other), notes="@SUM(A1)")


def referrals_of(team, owner, count: int) -> None:
    referrer = ClientFactory(team=team, owner=owner, first_name="-Rita")
    for _ in range(count):
        ReferralFactory(referrer=referrer, asked_at=timezone.now())


def start_export(client, url: str, django_capture_on_commit_callbacks) -> ExportJob:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    return job


def run(job: ExportJob) -> ExportJob:
    tasks.export_job_run(job.pk)  # what the worker does with the message
    job.refresh_from_db()
    return job


# --- Small exports stream as before ------------------------------------------------------------


def test_a_small_export_streams_at_once(alice_client, acme, alice, published):
    contacts_of(acme, alice, LIMIT)

    response = alice_client.get(reverse("contacts:export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    stamp = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="contacts-{stamp}.csv"'
    assert len(rows_of(body_of(response))) == LIMIT + 1
    assert not ExportJob.objects.exists()
    assert published == []


# --- Large exports go to a worker ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url", "make", "kind"),
    [
        pytest.param(
            "alice",
            lambda: reverse("contacts:export") + "?kind=client",
            lambda team, owner: [
                ClientFactory(team=team, owner=owner, first_name=name)
                for name in (DANGEROUS, "+1 555", "Ann", "Ben", "\tcmd")
            ],
            CONTACTS_KIND,
            id="contacts",
        ),
        pytest.param(
            "alice",
            lambda: reverse("contacts:relationships-export"),
            lambda team, owner: network_of(team, owner, LIMIT + 2),
            RELATIONSHIPS_KIND,
            id="relationships",
        ),
        pytest.param(
            "maya",
            lambda: reverse("dashboard:export-referrals") + "?period=this_week",
            lambda team, owner: referrals_of(team, owner, LIMIT + 2),
            REFERRALS,
            id="referrals",
        ),
    ],
)
def test_a_large_export_is_written_by_a_worker_with_the_same_rows(
    request,
    settings,
    acme,
    alice,
    bob,
    maya,
    charlie,
    published,
    django_capture_on_commit_callbacks,
    who,
    url,
    make,
    kind,
):
    client = request.getfixturevalue(f"{who}_client")
    make(acme, alice)
    make(charlie.memberships.get().team, charlie)  # another team's: never in the file
    ContactFactory(team=acme, owner=bob, kind="prospect")  # filtered out of ?kind=client
    settings.WARMPATH_EXPORT_INLINE_MAX_ROWS = 1000
    inline = client.get(url())
    expected = body_of(inline)
    settings.WARMPATH_EXPORT_INLINE_MAX_ROWS = LIMIT

    job = start_export(client, url(), django_capture_on_commit_callbacks)

    assert (job.kind, job.status, job.owner.username) == (kind, ExportJob.Status.QUEUED, who)
    assert job.team_id == acme.pk
    assert published == [job.pk]  # after commit, once
    page = client.get(reverse("exports:detail", args=[job.pk]), follow=True)
    assert EXPORT_QUEUED.format(limit=LIMIT, days=7) in page.content.decode()
    assert "Waiting for a worker" in page.content.decode()

    job = run(job)

    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file_name == inline["Content-Disposition"].split('"')[1]
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == inline["Content-Disposition"]
    data = body_of(download)
    assert data == expected  # byte for byte what the page streams
    assert int(download["Content-Length"]) == len(data) == job.csv_size
    rows = rows_of(data)
    assert job.rows_done == job.rows_total == len(rows) - 1 > LIMIT
    # Formula-safe, as the inline export.
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)
    assert any(cell.startswith("'") for cell in cells)


def test_the_worker_reports_progress_every_chunk(
    alice_client, acme, alice, published, monkeypatch, django_capture_on_commit_callbacks
):
    contacts_of(acme, alice, 7)
    monkeypatch.setattr(services, "EXPORT_CHUNK_ROWS", 2)
    reported = []
    report = services._report_progress
    monkeypatch.setattr(
        services,
        "_report_progress",
        lambda job_id, rows_done: (reported.append(rows_done), report(job_id, rows_done)),
    )
    job = start_export(alice_client, reverse("contacts:export"), django_capture_on_commit_callbacks)

    job = run(job)

    assert reported == [1, 3, 5, 7]  # the header rides in the first chunk of two lines
    assert (job.rows_done, job.rows_total) == (7, 7)


def test_the_progress_partial_shows_the_numbers(alice_client, acme, alice, published):
    job = ExportJob.objects.create(
        owner=alice,
        team=acme,
        kind=RELATIONSHIPS_KIND,
        params={"team_id": acme.pk},
        file_name="relationships.csv",
        status=ExportJob.Status.RUNNING,
        rows_done=2000,
        rows_total=5000,
    )
    url = reverse("exports:status", args=[job.pk])

    html = alice_client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert "2,000 of 5,000 rows" in html
    assert 'value="40"' in html and 'hx-trigger="every 1s"' in html
    page = alice_client.get(reverse("exports:detail", args=[job.pk])).content.decode()
    assert 'id="export-status"' in page and "<script" not in page.split("</main>")[0]

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DONE)
    finished = alice_client.get(url, HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"  # the page reloads to show the download


def test_the_same_export_asked_again_is_the_same_job(
    alice_client, acme, alice, published, django_capture_on_commit_callbacks
):
    contacts_of(acme, alice, LIMIT + 1)
    job = start_export(alice_client, reverse("contacts:export"), django_capture_on_commit_callbacks)

    again = alice_client.get(reverse("contacts:export"))  # a reload, a double click

    assert again["Location"] == reverse("exports:detail", args=[job.pk])
    assert ExportJob.objects.count() == 1 and published == [job.pk]
    # Other filters are another export.
    other = alice_client.get(reverse("contacts:export") + "?q=person")
    assert other.status_code == 302 and ExportJob.objects.count() == 2


def test_the_worker_reads_as_the_owner_is_now(maya_client, acme, alice, maya, published):
    referrals_of(acme, alice, LIMIT + 1)
    maya_client.get(reverse("dashboard:export-referrals"))
    job = ExportJob.objects.get()
    # Before the worker runs, maya is no longer the team's manager.
    Membership.objects.filter(user=maya).update(role=Membership.Role.REP)

    job = run(job)

    assert job.status == ExportJob.Status.DONE
    assert job.rows_done == 0  # the header only: the team's referrals are not hers to see


def test_staff_export_every_teams_referrals(
    admin_client_, acme, alice, charlie, published, django_capture_on_commit_callbacks
):
    referrals_of(acme, alice, 2)
    referrals_of(charlie.memberships.get().team, charlie, 2)

    job = start_export(
        admin_client_, reverse("dashboard:export-referrals"), django_capture_on_commit_callbacks
    )

    assert job.team is None and job.params["team_ids"] is None
    assert run(job).rows_done == 4
    assert admin_client_.get(reverse("exports:download", args=[job.pk])).status_code == 200


# --- Delivered twice, failing, broker down -----------------------------------------------------


def queued_job(team, owner) -> ExportJob:
    return ExportJob.objects.create(
        owner=owner,
        team=team,
        kind=CONTACTS_KIND,
        params={"team_id": team.pk, "filters": {"q": "", "kind": "", "owner_id": None,
                                                "industry": "", "company_id": None}},
        file_name="contacts.csv",
    )  # fmt: skip


def test_a_redelivered_message_does_nothing(acme, alice):
    contacts_of(acme, alice, 5)
    job = run(queued_job(acme, alice))
    ContactFactory(team=acme, owner=alice)  # would change the file if it were written again

    again = run(job)

    assert again.status == ExportJob.Status.DONE
    assert (again.rows_done, again.finished_at, bytes(again.result)) == (
        5,
        job.finished_at,
        bytes(ExportJob.objects.get(pk=job.pk).result),
    )
    tasks.export_job_run(job.pk + 1000)  # a job purged meanwhile: nothing to do


def test_a_running_job_is_left_alone_unless_its_worker_died(acme, alice, monkeypatch):
    contacts_of(acme, alice, 5)
    job = queued_job(acme, alice)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress_at=now)
    countdowns = []

    def retry(**options):
        countdowns.append(options["countdown"])
        return Retry()

    monkeypatch.setattr(tasks.export_job_run, "retry", retry)

    # Another worker is on it: the message comes back later to look again, once that
    # worker would count as dead if it has stopped reporting.
    assert services.export_job_run(job_id=job.pk) is services.RunOutcome.BUSY
    with pytest.raises(Retry):
        run(job)
    assert countdowns == [tasks.BUSY_RECHECK_SECONDS]
    assert services.STALE_AFTER.total_seconds() < tasks.BUSY_RECHECK_SECONDS < 60 * 60
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING

    ExportJob.objects.filter(pk=job.pk).update(progress_at=now - services.STALE_AFTER * 2)
    job = run(job)  # its worker died; the message came back (acks_late)
    assert (job.status, job.rows_done) == (ExportJob.Status.DONE, 5)


def test_a_killed_worker_given_its_message_back_at_once_finishes_the_export_later(acme, alice):
    """reject_on_worker_lost gives a killed worker's message back at once, while the job
    still looks alive: the new delivery looks again later, then takes the job over."""
    contacts_of(acme, alice, 5)
    job = queued_job(acme, alice)
    killed_at = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, progress_at=killed_at, rows_done=2
    )
    with pytest.raises(Retry):
        run(job)  # at once: the job still looks alive

    # The retry comes BUSY_RECHECK_SECONDS later, with no sign of life meanwhile: the
    # last one is that much further in the past.
    ExportJob.objects.filter(pk=job.pk).update(
        progress_at=killed_at - timedelta(seconds=tasks.BUSY_RECHECK_SECONDS)
    )
    job = run(job)

    assert (job.status, job.rows_done) == (ExportJob.Status.DONE, 5)


def test_the_owner_may_start_a_stalled_export_again_but_not_a_live_one(
    alice_client, acme, alice, published, django_capture_on_commit_callbacks
):
    contacts_of(acme, alice, 5)
    job = queued_job(acme, alice)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress_at=now)
    url = reverse("exports:detail", args=[job.pk])

    assert "Try again" not in alice_client.get(url).content.decode()
    response = alice_client.post(reverse("exports:restart", args=[job.pk]), follow=True)
    assert services.CANNOT_RESTART in response.content.decode()
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.RUNNING

    ExportJob.objects.filter(pk=job.pk).update(progress_at=now - services.STALE_AFTER * 2)
    page = alice_client.get(url).content.decode()
    assert "the worker writing it may have stopped" in page
    assert "Try again" in page
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("exports:restart", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ExportJob.Status.QUEUED, 0)
    assert published == [job.pk]


def test_a_failing_export_is_shown_as_failed_and_can_be_tried_again(
    alice_client, acme, alice, published, monkeypatch, django_capture_on_commit_callbacks
):
    contacts_of(acme, alice, 5)
    job = queued_job(acme, alice)
    export_for = services.export_for
    monkeypatch.setattr(services, "export_for", lambda **kwargs: 1 / 0)

    job = run(job)

    assert job.status == ExportJob.Status.FAILED
    assert job.error == services.EXPORT_FAILED
    page = alice_client.get(reverse("exports:detail", args=[job.pk])).content.decode()
    assert services.EXPORT_FAILED in page and "Try again" in page

    monkeypatch.setattr(services, "export_for", export_for)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("exports:restart", args=[job.pk]))
    assert response.status_code == 302 and published == [job.pk]
    assert run(job).status == ExportJob.Status.DONE


def test_with_the_broker_down_the_job_waits_and_can_be_started_again(
    alice_client, acme, alice, monkeypatch, broker_down, django_capture_on_commit_callbacks
):
    contacts_of(acme, alice, 5)

    job = start_export(alice_client, reverse("contacts:export"), django_capture_on_commit_callbacks)

    assert job.status == ExportJob.Status.QUEUED
    page = alice_client.get(reverse("exports:detail", args=[job.pk])).content.decode()
    assert "Try again" in page
    sent = []
    monkeypatch.setattr(
        tasks.export_job_run,
        "apply_async",
        lambda args, kwargs=None, **options: sent.append(args[0]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("exports:restart", args=[job.pk]))
    assert sent == [job.pk]


def test_a_finished_export_is_not_started_again(alice_client, acme, alice, published):
    contacts_of(acme, alice, 2)
    job = run(queued_job(acme, alice))

    response = alice_client.post(reverse("exports:restart", args=[job.pk]), follow=True)

    assert services.CANNOT_RESTART in response.content.decode()
    assert published == [] and ExportJob.objects.get().status == ExportJob.Status.DONE


def test_a_download_before_the_file_is_ready_goes_to_the_progress_page(alice_client, acme, alice):
    job = queued_job(acme, alice)

    response = alice_client.get(reverse("exports:download", args=[job.pk]))

    assert response["Location"] == reverse("exports:detail", args=[job.pk])


# --- Only the owner ------------------------------------------------------------------------------


def job_urls(job) -> list[str]:
    return [
        reverse("exports:detail", args=[job.pk]),
        reverse("exports:status", args=[job.pk]),
        reverse("exports:download", args=[job.pk]),
    ]


@pytest.mark.parametrize("other", ["bob", "maya", "charlie"])
def test_nobody_but_the_owner_sees_an_export(request, acme, alice, other):
    job = run(queued_job(acme, alice))
    client = request.getfixturevalue(f"{other}_client")

    for url in job_urls(job):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("exports:restart", args=[job.pk])).status_code == 404
    assert job.file_name not in client.get(reverse("exports:list")).content.decode()


def test_the_owner_sees_and_downloads_it(alice_client, acme, alice):
    job = run(queued_job(acme, alice))

    for url in job_urls(job):
        assert alice_client.get(url).status_code == 200, url
    listed = alice_client.get(reverse("exports:list")).content.decode()
    assert reverse("exports:download", args=[job.pk]) in listed


def test_anonymous_is_sent_to_login(client, acme, alice):
    job = queued_job(acme, alice)

    for url in [*job_urls(job), reverse("exports:list")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert client.post(reverse("exports:restart", args=[job.pk])).status_code == 302


def test_someone_who_left_the_team_no_longer_downloads_its_export(alice_client, acme, alice):
    job = run(queued_job(acme, alice))
    Membership.objects.filter(user=alice).delete()

    assert alice_client.get(reverse("exports:download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1e3", str(10**30), "%00"])
def test_hostile_ids_and_pages(alice_client, acme, alice, value):
    queued_job(acme, alice)
    for path in ("", "status/", "download/"):
        response = alice_client.get(f"/exports/{value}/{path}")
        assert response.status_code == 404, (value, path)
    assert alice_client.post(f"/exports/{value}/restart/").status_code == 404
    assert alice_client.get(reverse("exports:list") + f"?page={value}").status_code == 200


def test_the_user_menu_links_to_the_exports(alice_client):
    page = alice_client.get(reverse("contacts:list")).content.decode()
    assert reverse("exports:list") in page


# --- The registry: apps register their kinds; exports knows none of them -------------------------


@pytest.fixture
def own_registry(monkeypatch):
    """The registry as the apps left it, restored after the test registers its own kinds."""
    monkeypatch.setattr(registry, "_kinds", dict(registry._kinds))


def test_each_app_registers_its_kinds():
    labels = {kind.kind: kind.label for kind in registry.kinds()}

    assert labels == {
        CONTACTS_KIND: "Contacts",
        RELATIONSHIPS_KIND: "Relationships",
        REFERRALS: "Referrals of a period",
        "readiness": "Readiness and testimonials",
    }


def test_the_registry_refuses_a_kind_twice(own_registry):
    build = registry.kind_get(CONTACTS_KIND).build

    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.register(CONTACTS_KIND, label="Other contacts", build=build)
    with pytest.raises(ImproperlyConfigured):
        registry.register("x" * (registry.KIND_MAX_LENGTH + 1), label="Too long", build=build)
    assert registry.kind_get(CONTACTS_KIND).label == "Contacts"  # the first one stays


def test_an_unknown_kind_is_a_404_not_a_server_error(rf, alice):
    request = rf.get("/")
    request.user = alice

    with pytest.raises(Http404):
        export_answer(request, kind="gone", params={}, team_id=None, file_name="gone.csv")
    with pytest.raises(registry.UnknownExportKind):
        services.export_job_create(
            owner=alice, team_id=None, kind="gone", params={}, file_name="gone.csv"
        )
    assert not ExportJob.objects.exists()


def test_a_job_of_a_kind_no_longer_registered_fails_clearly(alice_client, acme, alice, published):
    job = ExportJob.objects.create(
        owner=alice, team=acme, kind="gone", params={}, file_name="gone.csv"
    )

    job = run(job)

    assert (job.status, job.error) == (ExportJob.Status.FAILED, registry.UNKNOWN_KIND)
    page = alice_client.get(reverse("exports:detail", args=[job.pk]))
    assert page.status_code == 200 and "gone" in page.content.decode()  # shown as stored
    response = alice_client.post(reverse("exports:restart", args=[job.pk]), follow=True)
    assert registry.UNKNOWN_KIND in response.content.decode()
    assert published == []


def test_a_registered_kind_is_exported_like_the_apps_own(own_registry, alice_client, acme, alice):
    contacts_of(acme, alice, 2)
    contacts = registry.kind_get(CONTACTS_KIND).build
    registry.register("test-kind", label="A test kind", build=contacts)
    request_params = {"team_id": acme.pk, "filters": {}}

    job = run(
        ExportJob.objects.create(
            owner=alice, team=acme, kind="test-kind", params=request_params, file_name="t.csv"
        )
    )

    assert (job.status, job.rows_done) == (ExportJob.Status.DONE, 2)
    listed = alice_client.get(reverse("exports:list")).content.decode()
    assert "A test kind" in listed


def test_the_exports_app_imports_no_app_above_it():
    """Plumbing: exports may import accounts and core, never the apps that register kinds
    (import-linter checks it too, in `make lint`)."""
    package = Path(registry.__file__).resolve().parent
    project = {init.parent.name for init in package.parent.glob("*/__init__.py")}
    allowed = {"exports", "accounts", "core"}
    imported = set()
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])

    assert imported & project <= allowed, imported & project - allowed


def test_old_exports_are_purged_and_twice_is_harmless(acme, alice, bob):
    old, recent = run(queued_job(acme, alice)), queued_job(acme, bob)
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    ExportJob.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=6))

    with CaptureQueriesContext(connection) as queries:
        assert tasks.export_jobs_purge() == 1
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not any('"result"' in query["sql"] for query in queries)  # files are not read
    assert tasks.export_jobs_purge() == 0  # beat ticking twice


def test_the_purge_is_in_the_schedule():
    entry = next(e for e in PERIODIC_TASKS if e.task == tasks.export_jobs_purge.name)
    assert entry.crontab


def test_the_admin_lists_exports_without_their_files(admin_client_, acme, alice):
    job = run(queued_job(acme, alice))

    with CaptureQueriesContext(connection) as queries:
        listing = admin_client_.get("/admin/exports/exportjob/")
        change = admin_client_.get(f"/admin/exports/exportjob/{job.pk}/change/")

    assert listing.status_code == change.status_code == 200
    assert job.file_name in listing.content.decode()
    assert not any('"result"' in query["sql"] for query in queries)
    assert admin_client_.get("/admin/exports/exportjob/add/").status_code == 403


# --- Query counts --------------------------------------------------------------------------------


def many_jobs(team, owner, count: int) -> ExportJob:
    """`count` jobs of the owner, every other one done; the last one still running."""
    jobs = [queued_job(team, owner) for _ in range(count)]
    for job in jobs[::2]:
        run(job)
    ExportJob.objects.filter(pk=jobs[-1].pk).update(
        status=ExportJob.Status.RUNNING, rows_done=10, rows_total=20
    )
    return jobs[-1]


@pytest.mark.parametrize("size", [3, 30])
def test_exports_list_query_count(alice_client, acme, alice, django_assert_max_num_queries, size):
    many_jobs(acme, alice, size)

    # 1. session, 2. user, 3. visibility memberships, 4. the count, 5. the page of jobs
    # (without their files), 6. the active membership, 7. the unread notifications.
    with django_assert_max_num_queries(7):
        response = alice_client.get(reverse("exports:list"))

    assert len(response.context["page"].object_list) == min(size, 25)


@pytest.mark.parametrize("size", [3, 30])
def test_export_page_and_status_query_count(
    alice_client, acme, alice, django_assert_max_num_queries, size
):
    job = many_jobs(acme, alice, size)

    # 1. session, 2. user, 3. visibility memberships, 4. the job (without its file),
    # 5. the active membership, 6. the unread notifications.
    with django_assert_max_num_queries(6):
        alice_client.get(reverse("exports:detail", args=[job.pk]))
    # 1.-4. as above, 5. the active membership (read by a context processor).
    with django_assert_max_num_queries(5):
        response = alice_client.get(
            reverse("exports:status", args=[job.pk]), HTTP_HX_REQUEST="true"
        )
    assert "10 of 20 rows" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?q=a%00b",
        "?q=" + "x" * 5000,
        "?owner=abc&company=" + str(10**30),
        "?kind=%00&industry=%00",
        "?team=%00",
        "?team=" + str(10**30),
        "?period=custom&start=2026-13-01&end=%00",
        "?period=%00",
    ],
)
@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("alice", "contacts:export"),
        ("alice", "contacts:relationships-export"),
        ("maya", "dashboard:export-referrals"),
    ],
)
def test_hostile_export_queries(request, acme, alice, published, who, name, query):
    contacts_of(acme, alice, LIMIT + 1)
    client = request.getfixturevalue(f"{who}_client")

    response = client.get(reverse(name) + query)

    assert response.status_code in (200, 302, 400, 404), response.status_code
    if response.status_code == 200:
        body_of(response)  # the stream itself does not fail half-way
