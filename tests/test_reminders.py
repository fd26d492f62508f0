"""Reminders, exactly once: the due scan and the emails it logs, the escalation to
managers, the morning digest; and the notifications (page, bell, API, admin). Every
periodic job is run twice (STYLE.md). The weekly summary to managers:
tests/test_weekly_summary.py; sending the emails, the drain and the outbox's admin:
tests/test_outbox.py.

Nothing here reaches a broker: the `published` fixture records what would have been
handed to Celery. Real workers, Redis and PostgreSQL: tests/test_reminders_integration.py.
"""

import threading
from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Membership
from followups import digests, reminders
from followups.context_processors import notifications as notifications_context
from followups.models import FollowUp, Notification, Reminder
from followups.notifications import UNREAD_COUNT_CAP, unread_notification_count
from outbox import services as outbox
from outbox import tasks as outbox_tasks
from outbox.models import OutgoingEmail
from tests.factories import (
    ClientFactory,
    MembershipFactory,
    ReferralFactory,
    TeamFactory,
    UserFactory,
)

_occasions = count()
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
# The clock reads NOW in every test here, as the jobs are told: records made "now" by a
# factory default fall where the test means them to (tests/clock.py).
pytestmark = [pytest.mark.django_db, pytest.mark.dates, pytest.mark.now(NOW.isoformat())]


# --- Arranging ---------------------------------------------------------------------------


def make_followup(owner, *, due_at, team=None, referral=None, **fields) -> FollowUp:
    """A pending follow-up of `owner`: thank the referrer of a fresh referral."""
    if referral is None:
        team = team or owner.memberships.first().team
        referral = ReferralFactory(referrer=ClientFactory(team=team, owner=owner))
    return FollowUp.objects.create(
        team_id=referral.team_id,
        owner=owner,
        referral=referral,
        kind=fields.pop("kind", FollowUp.Kind.THANK_REFERRER),
        occasion=fields.pop("occasion", f"test:{next(_occasions)}"),
        recipient=referral.referrer,
        due_at=due_at,
        **fields,
    )


def make_notification(user, **fields) -> Notification:
    return Notification.objects.create(user=user, message=fields.pop("message", "Hello"), **fields)


@pytest.fixture(autouse=True)
def published(monkeypatch):
    """Email ids handed to the broker (nothing is really sent to one)."""
    sent: list[int] = []

    def apply_async(args, kwargs=None, **options):
        sent.append(args[0])

    monkeypatch.setattr(outbox_tasks.outgoing_email_send, "apply_async", apply_async)
    return sent


@pytest.fixture(autouse=True)
def tasks_keep_the_test_connection():
    """Tasks run eagerly here (task.apply()); around a real task, config.celery_app closes
    a connection in a transaction — which, in a test, is the test's own."""
    from celery.signals import task_postrun, task_prerun

    from config.celery_app import close_stale_connections

    task_prerun.disconnect(close_stale_connections)
    task_postrun.disconnect(close_stale_connections)
    yield
    task_prerun.connect(close_stale_connections)
    task_postrun.connect(close_stale_connections)


@pytest.fixture
def broker_down(monkeypatch):
    calls: list[int] = []

    def apply_async(args, kwargs=None, **options):
        calls.append(args[0])
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(outbox_tasks.outgoing_email_send, "apply_async", apply_async)
    return calls


def scan(now=NOW, **options) -> reminders.ScanResult:
    return reminders.reminders_scan(now=now, **options)


# --- The due scan ------------------------------------------------------------------------


def test_a_due_followup_reminds_its_owner_once_in_the_app_and_by_email(
    alice, published, django_capture_on_commit_callbacks
):
    followup = make_followup(alice, due_at=NOW - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        result = scan()

    assert (result.reminded, result.emails) == (1, 1)
    reminder = Reminder.objects.get()
    assert (reminder.followup, reminder.kind, reminder.recipient) == (
        followup,
        Reminder.Kind.DUE,
        alice,
    )
    notification = Notification.objects.get()
    assert notification.user == alice
    assert notification.reminder == reminder
    assert str(followup.recipient) in notification.message
    assert notification.url == reverse("referrals:referral-detail", args=[followup.referral_id])
    email = OutgoingEmail.objects.get()
    assert (email.to, email.purpose, email.status) == (alice.email, "reminder", "queued")
    assert (email.reminder, email.followup) == (reminder, followup)
    assert email.subject == f"Due: Thank the referrer — {followup.recipient}"
    assert f"http://localhost:8000{notification.url}" in email.body
    followup.refresh_from_db()
    assert followup.reminded_at == NOW
    # Published after commit, once.
    assert published == [email.pk]


def test_the_scan_run_twice_reminds_nothing_more(alice, published):
    make_followup(alice, due_at=NOW - timedelta(hours=1))
    scan()

    again = scan()
    later = scan(now=NOW + timedelta(days=3))

    assert again.reminded == later.reminded == 0
    assert (Reminder.objects.count(), Notification.objects.count()) == (1, 1)
    assert OutgoingEmail.objects.count() == 1


def test_the_scan_leaves_what_is_not_due_done_skipped_or_reminded(alice):
    make_followup(alice, due_at=NOW + timedelta(minutes=1))
    make_followup(alice, due_at=NOW - timedelta(days=1), status="done", done_at=NOW)
    make_followup(alice, due_at=NOW - timedelta(days=1), status="skipped", done_at=NOW)
    make_followup(alice, due_at=NOW - timedelta(days=1), reminded_at=NOW - timedelta(hours=2))
    due_now = make_followup(alice, due_at=NOW)

    assert scan().reminded == 1
    assert Reminder.objects.get().followup == due_now


def test_the_scan_works_through_batches_oldest_first(alice, bob, published):
    followups = [make_followup(alice, due_at=NOW - timedelta(minutes=m)) for m in range(7)]
    followups += [make_followup(bob, due_at=NOW - timedelta(hours=1))]

    result = scan(batch=3)

    assert (result.reminded, result.emails, result.batches) == (8, 8, 3)
    assert set(Reminder.objects.values_list("followup_id", flat=True)) == {f.pk for f in followups}
    assert Notification.objects.filter(user=bob).count() == 1
    assert not FollowUp.objects.filter(reminded_at__isnull=True).exists()


def test_the_scan_stops_at_its_limit_and_the_next_scan_goes_on(alice):
    for minutes in range(5):
        make_followup(alice, due_at=NOW - timedelta(minutes=minutes))

    assert scan(batch=2, max_per_run=3).reminded == 3
    assert scan(batch=2, max_per_run=3).reminded == 2
    assert Reminder.objects.count() == 5


def test_an_owner_without_email_gets_the_notification_only(alice):
    alice.email = ""
    alice.save()
    make_followup(alice, due_at=NOW)

    result = scan()

    assert (result.reminded, result.emails) == (1, 0)
    assert Notification.objects.filter(user=alice).count() == 1
    assert not OutgoingEmail.objects.exists()


def test_a_followup_reminded_before_is_not_reminded_again_if_its_mark_was_cleared(alice):
    followup = make_followup(alice, due_at=NOW - timedelta(hours=1))
    scan()
    FollowUp.objects.filter(pk=followup.pk).update(reminded_at=None)  # by hand, say

    assert scan().reminded == 1  # claimed, and found reminded already
    assert (Reminder.objects.count(), Notification.objects.count()) == (1, 1)
    assert OutgoingEmail.objects.count() == 1
    assert FollowUp.objects.get(pk=followup.pk).reminded_at == NOW


def test_the_reminder_email_shows_the_due_time_in_the_owners_time_zone(alice):
    alice.time_zone = "America/New_York"
    alice.save()
    make_followup(alice, due_at=datetime(2026, 11, 26, 13, 30, tzinfo=UTC))

    scan()

    body = OutgoingEmail.objects.get().body
    assert "Thursday 26 November, 08:30 (America/New_York)" in body
    assert "&amp;" not in body and "&#x27;" not in body  # plain text, not HTML-escaped


def test_names_are_not_html_escaped_in_plain_text_emails(alice, acme):
    referrer = ClientFactory(team=acme, owner=alice, first_name="O'Brien", last_name="& Sons")
    make_followup(alice, due_at=NOW, referral=ReferralFactory(referrer=referrer))

    scan()

    email = OutgoingEmail.objects.get()
    assert "O'Brien & Sons" in email.subject
    assert "O'Brien & Sons" in email.body


@pytest.mark.parametrize("due", [3, 30])
def test_the_scan_costs_the_same_whatever_is_due(alice, due, django_assert_max_num_queries):
    for minutes in range(due):
        make_followup(alice, due_at=NOW - timedelta(minutes=minutes))
    # One batch: lock the due rows, load them with owner/recipient/referral people, the
    # reminders that exist, insert reminders, notifications, emails, set reminded_at;
    # then the empty lock that ends the loop. SQLite splits no insert of 30 rows. Inside
    # the test's transaction each batch's own is a savepoint: + 2 statements per batch.
    with django_assert_max_num_queries(8 + 2 * 2):
        assert scan().reminded == due


def test_with_the_broker_down_the_scan_still_claims_and_the_emails_wait(
    alice, bob, broker_down, django_capture_on_commit_callbacks
):
    make_followup(alice, due_at=NOW)
    make_followup(bob, due_at=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        result = scan()

    assert result.reminded == 2
    # One publish tried, then the rest left to the drain: the scan does not wait twice.
    assert len(broker_down) == 1
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"queued"}
    assert Notification.objects.count() == 2


@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="row locks with SKIP LOCKED: PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_share_the_work_and_remind_each_followup_once():
    team = TeamFactory(name="Race")
    owner = MembershipFactory(team=team, user=UserFactory(username="racer")).user
    for minutes in range(40):
        make_followup(owner, team=team, due_at=NOW - timedelta(minutes=minutes))
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            results.append(scan(batch=3))
        except Exception as error:  # reported below, with the thread's traceback lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result.reminded for result in results) == 40
    assert Reminder.objects.count() == Notification.objects.count() == 40
    assert OutgoingEmail.objects.count() == 40


# --- The outbox catches up ---------------------------------------------------------------


def test_after_the_broker_came_back_the_drain_sends_what_the_scan_claimed(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    make_followup(alice, due_at=NOW)

    def down(args, kwargs=None, **options):
        raise OperationalError("Connection refused.")

    monkeypatch.setattr(outbox_tasks.outgoing_email_send, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        scan()
    assert OutgoingEmail.objects.get().status == "queued"

    # Back up: a worker runs what is published.
    monkeypatch.setattr(
        outbox_tasks.outgoing_email_send,
        "apply_async",
        lambda args, kwargs=None, **options: outbox_tasks.outgoing_email_send.apply(args=args),
    )
    outbox.outgoing_emails_drain(now=timezone.now() + timedelta(minutes=2))

    assert OutgoingEmail.objects.get().status == "sent"
    assert len(mail.outbox) == 1


# --- Escalation --------------------------------------------------------------------------


def test_overdue_by_more_than_two_days_escalates_once_to_the_manager(alice, maya, published):
    followup = make_followup(alice, due_at=NOW - timedelta(days=2, minutes=1))
    make_followup(alice, due_at=NOW - timedelta(days=1, hours=23))  # not yet

    result = reminders.escalations_send(now=NOW)
    again = reminders.escalations_send(now=NOW + timedelta(hours=1))

    assert (result.reminded, result.emails, again.reminded) == (1, 1, 0)
    reminder = Reminder.objects.get(kind=Reminder.Kind.ESCALATION)
    assert (reminder.followup, reminder.recipient) == (followup, maya)
    notification = Notification.objects.get(user=maya)
    assert "Alice" in notification.message
    email = OutgoingEmail.objects.get(purpose="escalation")
    assert email.to == maya.email
    assert "overdue by 2 days" in email.body
    followup.refresh_from_db()
    assert followup.escalated_at == NOW
    assert not Notification.objects.filter(user=alice).exists()


def test_escalation_and_the_due_reminder_are_separate_once_each(alice, maya):
    make_followup(alice, due_at=NOW - timedelta(days=3))

    scan()
    reminders.escalations_send(now=NOW)
    scan()
    reminders.escalations_send(now=NOW)

    assert sorted(Reminder.objects.values_list("kind", flat=True)) == ["due", "escalation"]


def test_a_team_without_a_manager_marks_the_followup_escalated_and_tells_nobody(charlie):
    followup = make_followup(charlie, due_at=NOW - timedelta(days=5))

    assert reminders.escalations_send(now=NOW).reminded == 1

    assert not Reminder.objects.exists()
    assert FollowUp.objects.get(pk=followup.pk).escalated_at == NOW


def test_a_managers_own_overdue_followup_goes_to_another_manager(acme, maya):
    other = MembershipFactory(
        team=acme, role=Membership.Role.MANAGER, user=UserFactory(username="omar")
    ).user
    make_followup(maya, due_at=NOW - timedelta(days=3))

    reminders.escalations_send(now=NOW)

    assert Reminder.objects.get().recipient == other


def test_done_followups_are_not_escalated(alice, maya):
    make_followup(alice, due_at=NOW - timedelta(days=3), status="done", done_at=NOW)

    assert reminders.escalations_send(now=NOW).reminded == 0


# --- The morning digest ------------------------------------------------------------------


@pytest.fixture
def paris_alice(alice):
    alice.time_zone = "Europe/Paris"
    alice.save()
    return alice


PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_the_digest_goes_out_at_seven_local_time_with_due_today_and_overdue(paris_alice):
    today_morning = make_followup(paris_alice, due_at=paris(2026, 11, 26, 9, 0))
    today_late = make_followup(paris_alice, due_at=paris(2026, 11, 26, 23, 30))
    overdue = make_followup(paris_alice, due_at=paris(2026, 11, 23, 10, 0))
    make_followup(paris_alice, due_at=paris(2026, 11, 27, 0, 30))  # tomorrow
    make_followup(paris_alice, due_at=paris(2026, 11, 25, 9, 0), status="done", done_at=NOW)

    assert digests.digests_send(now=paris(2026, 11, 26, 6, 0)) == 0  # 6:00: not yet
    assert digests.digests_send(now=paris(2026, 11, 26, 7, 0)) == 1

    email = OutgoingEmail.objects.get()
    assert email.dedupe_key == f"digest:{paris_alice.pk}:2026-11-26"
    assert (email.to, email.purpose) == (paris_alice.email, "digest")
    assert email.subject == "Your follow-ups for Thursday 26 November: 2 due today, 1 overdue"
    assert "Due today (2):" in email.body
    assert "Overdue (1):" in email.body
    assert "3 days late" in email.body
    for followup in (today_morning, today_late, overdue):
        assert str(followup.recipient) in email.body
    assert "09:00" in email.body and "23:30" in email.body  # Paris time


def test_the_digest_run_hourly_goes_out_once_a_day(paris_alice, published):
    make_followup(paris_alice, due_at=paris(2026, 11, 26, 9, 0))

    sent = [digests.digests_send(now=paris(2026, 11, 26, hour, 0)) for hour in range(0, 24)]
    sent += [digests.digests_send(now=paris(2026, 11, 26, 7, 30))]  # beat ticked twice

    assert sum(sent) == 1
    assert OutgoingEmail.objects.count() == 1


def test_a_missed_seven_oclock_run_is_caught_up_before_noon(paris_alice):
    make_followup(paris_alice, due_at=paris(2026, 11, 26, 15, 0))

    assert digests.digests_send(now=paris(2026, 11, 26, 10, 0)) == 1


def test_no_digest_when_nothing_is_due_or_overdue(paris_alice, bob):
    make_followup(paris_alice, due_at=paris(2026, 11, 27, 9, 0))  # tomorrow only

    assert digests.digests_send(now=paris(2026, 11, 26, 7, 0)) == 0
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize(
    ("utc_now", "local_day"),
    [
        # Paris leaves winter time on 29 March 2026: 7:00 is 6:00 UTC before, 5:00 after.
        (datetime(2026, 3, 28, 6, 0, tzinfo=UTC), "2026-03-28"),
        (datetime(2026, 3, 30, 5, 0, tzinfo=UTC), "2026-03-30"),
        # And returns to it on 25 October.
        (datetime(2026, 10, 24, 5, 0, tzinfo=UTC), "2026-10-24"),
        (datetime(2026, 10, 26, 6, 0, tzinfo=UTC), "2026-10-26"),
    ],
)
def test_the_digest_follows_daylight_saving_time(paris_alice, utc_now, local_day):
    make_followup(paris_alice, due_at=utc_now + timedelta(hours=3))

    assert digests.digests_send(now=utc_now - timedelta(hours=1)) == 0  # 6:00 local
    assert digests.digests_send(now=utc_now) == 1  # 7:00 local

    assert OutgoingEmail.objects.get().dedupe_key == f"digest:{paris_alice.pk}:{local_day}"


def test_each_rep_gets_the_digest_at_seven_in_their_own_zone(paris_alice, bob):
    bob.time_zone = "America/Los_Angeles"
    bob.save()
    make_followup(paris_alice, due_at=paris(2026, 11, 26, 12, 0))
    make_followup(bob, due_at=paris(2026, 11, 26, 22, 0))

    digests.digests_send(now=paris(2026, 11, 26, 7, 0))  # 22:00 the day before in LA
    digests.digests_send(now=paris(2026, 11, 26, 16, 0))  # 7:00 in LA

    assert sorted(OutgoingEmail.objects.values_list("to", flat=True)) == sorted(
        [paris_alice.email, bob.email]
    )


def test_the_digest_skips_people_without_email_or_team(paris_alice):
    paris_alice.email = ""
    paris_alice.save()
    make_followup(paris_alice, due_at=paris(2026, 11, 26, 9, 0))
    UserFactory(username="loner")

    assert digests.digests_send(now=paris(2026, 11, 26, 7, 0)) == 0


# --- Notifications: page, bell, API ------------------------------------------------------


def test_the_notifications_page_lists_my_notifications_only(alice, bob, alice_client):
    mine = make_notification(alice, message="Due: thank Ann", url="/referrals/1/")
    make_notification(bob, message="Bob's own")

    response = alice_client.get(reverse("followups:notifications"))

    assert response.status_code == 200
    assert list(response.context["page"]) == [mine]
    assert b"Due: thank Ann" in response.content
    assert b"Bob&#x27;s own" not in response.content


def test_the_bell_shows_the_unread_count(alice, alice_client):
    make_notification(alice)
    make_notification(alice)
    make_notification(alice, read_at=timezone.now())

    response = alice_client.get(reverse("followups:notifications"))

    assert b'id="notification-badge"' in response.content
    assert response.context["unread_notifications"].count == 2
    assert response.context["unread_notifications"].label == "2"


def test_the_bell_caps_its_count(alice):
    Notification.objects.bulk_create(
        [Notification(user=alice, message=str(n)) for n in range(UNREAD_COUNT_CAP + 5)]
    )

    assert unread_notification_count(alice) == UNREAD_COUNT_CAP
    request = RequestFactory().get("/")
    request.user = alice
    assert notifications_context(request)["unread_notifications"].label == "99+"


def test_the_unread_count_is_one_query_per_request(alice, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = alice

    with django_assert_num_queries(1):
        first = notifications_context(request)["unread_notifications"].count
        second = notifications_context(request)["unread_notifications"].count

    assert first == second == 0


def test_anonymous_visitors_have_no_bell():
    request = RequestFactory().get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()

    assert notifications_context(request) == {}


def test_an_empty_list_says_what_happens_next(alice_client):
    response = alice_client.get(reverse("followups:notifications"))

    assert b"When a follow-up comes due, Warmpath reminds you here" in response.content
    response = alice_client.get(reverse("followups:notifications"), {"show": "unread"})
    assert b"Nothing unread" in response.content


def test_the_unread_filter(alice, alice_client):
    unread = make_notification(alice)
    make_notification(alice, read_at=timezone.now())

    response = alice_client.get(reverse("followups:notifications"), {"show": "unread"})

    assert list(response.context["page"]) == [unread]


def test_marking_a_notification_read(alice, alice_client):
    notification = make_notification(alice)

    response = alice_client.post(reverse("followups:notification-read", args=[notification.pk]))

    assert response.status_code == 302
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_marking_read_with_htmx_swaps_the_row_and_the_bell(alice, alice_client):
    notification = make_notification(alice)
    make_notification(alice)

    response = alice_client.post(
        reverse("followups:notification-read", args=[notification.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="notification-{notification.pk}"' in content
    assert 'hx-swap-oob="true"' in content
    assert ">1<" in content  # one unread left


def test_nobody_marks_someone_elses_notification(alice, bob_client, maya_client):
    notification = make_notification(alice)
    url = reverse("followups:notification-read", args=[notification.pk])

    assert bob_client.post(url).status_code == 404
    assert maya_client.post(url).status_code == 404  # not even the manager
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_marking_all_read(alice, bob, alice_client):
    make_notification(alice)
    make_notification(alice)
    bobs = make_notification(bob)

    response = alice_client.post(reverse("followups:notifications-read-all"), follow=True)

    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=bobs.pk).read_at is None
    assert "2 notifications marked read" in response.content.decode()


def test_the_notification_pages_need_a_login_and_post(client, alice_client):
    assert client.get(reverse("followups:notifications")).status_code == 302
    assert alice_client.get(reverse("followups:notifications-read-all")).status_code == 405


@pytest.mark.parametrize("rows", [3, 30])
def test_the_notifications_page_costs_the_same_whatever_its_length(
    alice, alice_client, rows, django_assert_max_num_queries
):
    for n in range(rows):
        make_notification(alice, message=f"Note {n}")
    # Session, user, membership (navigation), the count and the page of notifications with
    # their reminders, the bell's unread count.
    with django_assert_max_num_queries(6):
        response = alice_client.get(reverse("followups:notifications"))
    assert len(response.context["page"]) == min(rows, 25)


def test_the_api_lists_my_notifications(alice, bob, alice_client):
    followup = make_followup(alice, due_at=NOW)
    scan()
    make_notification(bob)

    response = alice_client.get("/api/v1/notifications/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert (item["kind"], item["followup"], item["read_at"]) == ("due", followup.pk, None)
    assert set(item) == {"id", "message", "url", "kind", "followup", "created_at", "read_at"}


def test_the_api_marks_read_one_or_all(alice, alice_client):
    first = make_notification(alice)
    make_notification(alice)
    make_notification(alice)

    response = alice_client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    unread = alice_client.get("/api/v1/notifications/", {"unread": "true"}).json()
    assert unread["count"] == 2

    response = alice_client.post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked_read": 2}
    assert alice_client.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 0


def test_the_api_hides_other_peoples_notifications(alice, bob_client, maya_client, client):
    notification = make_notification(alice)

    assert bob_client.get(f"/api/v1/notifications/{notification.pk}/").status_code == 404
    assert maya_client.post(f"/api/v1/notifications/{notification.pk}/read/").status_code == 404
    assert client.get("/api/v1/notifications/").status_code == 401


@pytest.mark.parametrize("rows", [3, 30])
def test_the_api_list_costs_the_same_whatever_its_length(
    alice, alice_client, rows, django_assert_max_num_queries
):
    for n in range(rows):
        make_notification(alice, message=f"Note {n}")
    # Session, user, the count, the page with reminders.
    with django_assert_max_num_queries(4):
        response = alice_client.get("/api/v1/notifications/")
    assert response.json()["count"] == rows


# --- Admin -------------------------------------------------------------------------------


def test_the_admin_lists_reminders_notifications_and_emails(admin_client_, alice):
    make_followup(alice, due_at=NOW)
    scan()

    for path in ("followups/reminder", "followups/notification", "outbox/outgoingemail"):
        response = admin_client_.get(f"/admin/{path}/")
        assert response.status_code == 200, path
    response = admin_client_.get("/admin/outbox/outgoingemail/", {"status__exact": "queued"})
    assert b"Due: Thank the referrer" in response.content
