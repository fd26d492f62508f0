"""An admin in the browser: logs into Django's admin, finds the reminder scan among the
periodic tasks (django-celery-beat) and moves it from every 2 minutes to every 5, creating
the new interval from the task's own form; the change is stored, shown, and flagged for
beat to reload."""

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks
from playwright.sync_api import expect

from config.schedule import PERIODIC_TASKS
from tests.factories import TEST_PASSWORD

REMINDERS = next(task for task in PERIODIC_TASKS if task.task == "followups.tasks.reminders_scan")


@pytest.fixture
def beat_schedule(db):
    call_command("setup_periodic_tasks", stdout=io.StringIO())
    return PeriodicTask.objects.get(name=REMINDERS.name)


def _watch(popup, browser_problems):
    """The popup window is a page of its own: record its problems too."""
    popup.on("console", browser_problems.on_console)
    popup.on("pageerror", browser_problems.on_page_error)
    popup.on("requestfailed", browser_problems.on_request_failed)
    popup.on("response", browser_problems.on_response)


def test_an_admin_changes_the_reminder_schedule(
    page, admin_user, beat_schedule, browser_problems, screenshot
):
    assert (beat_schedule.interval.every, beat_schedule.interval.period) == (
        REMINDERS.every_seconds,
        "seconds",
    )
    before = timezone.now()

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/"))
    expect(page).to_have_title("Log in | Warmpath admin")
    page.get_by_label("Username").fill(admin_user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    page.get_by_role("link", name="Periodic tasks", exact=True).click()
    row = page.get_by_role("row").filter(has_text=REMINDERS.name)
    expect(row).to_contain_text(f"every {REMINDERS.every_seconds} seconds")
    screenshot(page, "admin-periodic-tasks")

    row.get_by_role("link", name=re.compile(REMINDERS.name)).click()
    interval = page.get_by_label("Interval Schedule")
    expect(interval.locator("option:checked")).to_have_text(
        f"every {REMINDERS.every_seconds} seconds"
    )
    expect(page.get_by_label("Enabled")).to_be_checked()

    # No interval of 5 minutes yet: the admin adds one from the task's form (a popup).
    with page.expect_popup() as popup_info:
        page.get_by_title("Add another interval").click()
    popup = popup_info.value
    _watch(popup, browser_problems)
    expect(popup).to_have_title("Add interval | Warmpath admin")
    popup.get_by_label("Number of Periods").fill("5")
    popup.get_by_label("Interval Period").select_option(label="Minutes")
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save", exact=True).click()
    expect(interval.locator("option:checked")).to_have_text("every 5 minutes")
    screenshot(page, "admin-reminder-schedule")

    page.get_by_role("button", name="Save", exact=True).click()

    expect(
        page.get_by_text(
            f"The periodic task “{REMINDERS.name}: every 5 minutes” was changed successfully."
        )
    ).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=REMINDERS.name)).to_contain_text(
        "every 5 minutes"
    )
    beat_schedule.refresh_from_db()
    assert (beat_schedule.interval.every, beat_schedule.interval.period) == (5, "minutes")
    assert beat_schedule.enabled and beat_schedule.task == REMINDERS.task
    # Beat's database scheduler reloads its schedule when this stamp moves.
    assert PeriodicTasks.last_change() >= before
    # The other jobs kept their schedule.
    drain = PeriodicTask.objects.get(task="outbox.tasks.outgoing_emails_drain")
    assert (drain.interval.every, drain.interval.period) == (120, "seconds")

    # Opened again, the task shows the new schedule.
    page.get_by_role("row").filter(has_text=REMINDERS.name).get_by_role("link").click()
    expect(page.get_by_label("Interval Schedule").locator("option:checked")).to_have_text(
        "every 5 minutes"
    )
