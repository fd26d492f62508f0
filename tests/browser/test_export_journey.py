"""A large export in the browser: alice exports her contacts, which are more than may stream
while she waits, so she lands on the export's page. It says a worker will write the file;
when the worker has done it, the page (polling with htmx) turns into a download link, and
the file she downloads holds every contact, formula-safe. The page passes axe.

The worker's part runs in the test process (exports.services.export_job_run, what the
Celery task calls) once the page has shown the job waiting: the browser tests run no
worker, and the publish to the broker is replaced by nothing so that no message is left
behind for another test's worker."""

import csv
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exports import services as export_services
from exports import tasks as export_tasks
from exports.models import ExportJob
from tests.factories import ContactFactory

from .test_accessibility import _violations


@pytest.fixture
def many_contacts(acme, alice, settings, monkeypatch):
    settings.WARMPATH_EXPORT_INLINE_MAX_ROWS = 5
    # No worker in this test: the job stays waiting until the test runs it below.
    monkeypatch.setattr(
        export_tasks.export_job_run, "apply_async", lambda args, kwargs=None, **options: None
    )
    ContactFactory(team=acme, owner=alice, first_name="Eve", last_name="=HYPERLINK(1)")
    for n in range(11):
        ContactFactory(team=acme, owner=alice, first_name=f"Person{n:02}", last_name="Lee")


def test_a_large_export_is_written_in_the_background_then_downloaded(
    page, login, screenshot, axe_source, many_contacts
):
    login(page, "alice")
    page.goto("/contacts/")
    page.get_by_role("link", name="Export CSV").click()

    expect(page).to_have_url(re.compile(r"/exports/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("contacts-")
    expect(page.get_by_text("written in the background")).to_be_visible()
    expect(page.get_by_text("Waiting for a worker to start the export")).to_be_visible()
    assert not _violations(page, axe_source)
    screenshot(page, "export-waiting")

    job = ExportJob.objects.get()
    export_services.export_job_run(job_id=job.pk)

    # The page polls, sees the export has ended, and reloads into the download link.
    download_link = page.get_by_role("link", name=f"Download {job.file_name}")
    expect(download_link).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Ready")).to_contain_text("12 rows")
    assert not _violations(page, axe_source)
    screenshot(page, "export-ready")

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"contacts-{timezone.localdate().isoformat()}.csv"
    with open(download.path(), newline="", encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    # Every contact of the list: the twelve above.
    assert len(rows) == 12
    assert {row["Last name"] for row in rows} >= {"Lee", "'=HYPERLINK(1)"}

    # Her exports stay listed, from the user menu's "Your exports".
    page.goto("/exports/")
    expect(page.get_by_role("link", name=job.file_name)).to_be_visible()
