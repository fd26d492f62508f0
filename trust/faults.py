"""The fault scenarios of `make trust`: real PostgreSQL, Redis, Celery and SMTP, each
broken on purpose while Warmpath runs, and the figures that say whether anything was
lost, sent twice, or left hanging.

Each scenario starts the processes it needs (trust/stack.py), does its damage, checks
its expectations (a Result), and stops its processes again; the servers are shared by
the whole run and left as they were found (running, accepting).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connections

from demo import DEMO_PASSWORD
from trust import ledger
from trust.processes import wait_for
from trust.report import Result
from trust.stack import Stack
from trust.traffic import (
    Browser,
    Outcome,
    Recorder,
    api_token_for,
    referral_id_from,
    session_key_for,
)

# A request that hangs longer than this during an outage has not "failed cleanly".
CLEAN_FAILURE_BOUND_SECONDS = 10.0
READ_PAGES = (
    ("week", "/week/"),
    ("referrals", "/referrals/"),
    ("followups", "/followups/"),
    ("api_referrals", "/api/v1/referrals/?page_size=20"),
)


def browsers_for(stack: Stack, reps: list[ledger.Rep], recorder: Recorder) -> list[Browser]:
    from accounts.models import User

    users = User.objects.in_bulk([rep.user_id for rep in reps])
    return [
        Browser(
            stack.web_port,
            session_key=session_key_for(users[rep.user_id]),
            api_token=api_token_for(users[rep.user_id]),
            recorder=recorder,
        )
        for rep in reps
    ]


class Traffic:
    """One thread per step function, each calling it in a loop until stopped."""

    def __init__(self, steps: list[Callable[[], None]]):
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(step,), daemon=True) for step in steps
        ]

    def _loop(self, step) -> None:
        while not self.stopping.is_set():
            step()

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def wait_for_ledger(followup_ids, smtp_log, seconds: float, stack: Stack) -> dict:
    """The ledger once nothing is lost any more (or when time is up), then a few seconds
    more, so a late duplicate has its chance to show."""

    def complete():
        figures = ledger.reminder_ledger(followup_ids, smtp_log)
        return figures if figures["lost"] == 0 else None

    with contextlib.suppress(TimeoutError):
        wait_for("every reminder sent", complete, stack.processes, seconds, every=0.5)
    time.sleep(3)
    return ledger.reminder_ledger(followup_ids, smtp_log)


def ledger_expectations(result: Result, figures: dict, what: str) -> None:
    result.expect(figures["lost"] == 0, f"{what}: {figures['lost']} lost")
    result.expect(figures["duplicates"] == 0, f"{what}: {figures['duplicates']} duplicates")


# --- 1. PostgreSQL restarted while requests run ---------------------------------------------


def postgres_restart(stack: Stack, *, rng: random.Random, quick: bool) -> Result:
    """gunicorn (2 workers), a worker and beat run; eight reps read pages and the API
    without pause; PostgreSQL is stopped (an operator's fast shutdown), left down for a
    few seconds and started again. Nothing of Warmpath is restarted.

    Expected: during the outage every request that needs the database gets a 503 with
    Retry-After (JSON on the API, a page for people) within CLEAN_FAILURE_BOUND_SECONDS;
    none hangs or loses its connection. Once PostgreSQL accepts connections again, every
    request succeeds (CONN_HEALTH_CHECKS: a broken connection is replaced before use),
    and the worker and beat carry on (connections closed around each task): asks
    recorded after the restart are reminded once each. "errors" counts failures outside
    the outage only."""
    result = Result("1. PostgreSQL restarted")
    outage_seconds = 3.0 if quick else 5.0
    stack.schedule_every(2)
    stack.start_web("s1-web")
    stack.start_worker("s1-worker")
    stack.start_beat("s1-beat")
    reps = ledger.cast(rng=rng)
    recorder = Recorder()
    browsers = browsers_for(stack, rng.sample(reps, 8), recorder)

    def read(browser: Browser) -> None:
        name, path = rng.choice(READ_PAGES)
        if name.startswith("api_"):
            browser.api(name, "GET", path, expected=None)
        else:
            browser.get(name, path, expected=None)
        time.sleep(0.05)

    with Traffic([functools.partial(read, browser) for browser in browsers]):
        time.sleep(3)
        stopping_at = time.monotonic()
        stack.postgres.stop(mode="fast")
        stopped_at = time.monotonic()
        time.sleep(outage_seconds)
        stack.postgres.start()
        back_at = time.monotonic()
        time.sleep(8)
    connections.close_all()  # the driver's own connection died with the server

    outcomes = sorted(recorder.outcomes, key=lambda outcome: outcome.started)
    before = [o for o in outcomes if o.finished < stopping_at]
    during = [o for o in outcomes if o.finished >= stopping_at and o.started < back_at]
    after = [o for o in outcomes if o.started >= back_at]
    failed_during = [o for o in during if not _ok(o)]
    unclean = [o for o in failed_during if not _unavailable_answer(o)]
    slowest = max((o.seconds for o in during), default=0.0)
    first_success = next((o for o in after if _ok(o)), None)
    errors_after = [o for o in after if not _ok(o)]

    # The worker and beat, untouched since before the outage: do they work again?
    followup_ids = ledger.asks_recorded_late(reps=reps, count=10, rng=rng)
    reminders = wait_for_ledger(followup_ids, stack.smtp.log, 60, stack)

    result.figures = {
        "requests": len(outcomes),
        "errors": len(errors_after) + sum(1 for o in before if not _ok(o)),
        "p95_ms": _p95(outcomes),
        "outage_s": round(back_at - stopping_at, 1),
        "requests_during_outage": len(during),
        "errors_during_outage": len(failed_during),
        "answers_during_outage": _statuses(during),
        "slowest_during_outage_s": round(slowest, 2),
        "errors_after_recovery": len(errors_after),
        "requests_after_recovery": len(after),
        "time_to_recover_s": round(first_success.finished - back_at, 2) if first_success else None,
        "server_stop_s": round(stopped_at - stopping_at, 2),
        "worker_tasks_failed_during_outage": stack.log("s1-worker").count("raised unexpected"),
        "reminders_after_restart": f"{reminders['reminded']}/{reminders['follow-ups']}",
        "lost": reminders["lost"],
        "duplicates": reminders["duplicates"],
    }
    result.expect(
        not [o for o in before if not _ok(o)], "errors before the outage (baseline broken)"
    )
    result.expect(bool(during), "no request ran during the outage")
    result.expect(
        not unclean,
        f"{len(unclean)} requests during the outage got no 503 with Retry-After: "
        f"{_statuses(unclean)}",
    )
    result.expect(
        slowest <= CLEAN_FAILURE_BOUND_SECONDS,
        f"a request during the outage took {slowest:.1f} s (> {CLEAN_FAILURE_BOUND_SECONDS:g})",
    )
    result.expect(
        not errors_after, f"{len(errors_after)} errors after recovery: {_statuses(errors_after)}"
    )
    result.expect(first_success is not None, "no successful request after the restart")
    ledger_expectations(result, reminders, "reminders after the restart")
    stack.stop_all()
    return result


def _unavailable_answer(outcome: Outcome) -> bool:
    """503 with Retry-After, JSON for the API and a page for people (config/unavailable.py)."""
    wanted = "application/json" if outcome.name.startswith("api_") else "text/html"
    return (
        outcome.status == 503
        and bool(outcome.retry_after)
        and outcome.content_type.startswith(wanted)
    )


def _ok(outcome: Outcome) -> bool:
    return outcome.status is not None and outcome.status < 400


def _statuses(outcomes: list[Outcome]) -> dict:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        key = str(outcome.status) if outcome.status is not None else outcome.error
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _p95(outcomes: list[Outcome]) -> float | None:
    from trust.traffic import latency

    return latency(outcomes)["p95_ms"]


# --- 2. Two beat processes at once ----------------------------------------------------


def two_beats(stack: Stack, *, rng: random.Random, quick: bool) -> Result:
    """Two beat processes (an operator started a second by mistake, or a failover left
    the old one running) both send the reminder scan every second, to a worker of two
    processes; asks recorded late arrive in bursts meanwhile.

    Expected: every due follow-up reminded exactly once, each reminder's email accepted
    exactly once by the SMTP server."""
    result = Result("2. Two beats at once")
    stack.schedule_every(1)
    stack.start_worker("s2-worker", concurrency=2)
    stack.start_beat("s2-beat-1")
    stack.start_beat("s2-beat-2")
    reps = ledger.cast(rng=rng)
    followup_ids: list[int] = []
    bursts = 3 if quick else 5
    for _ in range(bursts):
        followup_ids += ledger.asks_recorded_late(reps=reps, count=20, rng=rng)
        time.sleep(1)
    figures = wait_for_ledger(followup_ids, stack.smtp.log, 90, stack)
    scans = [
        stack.log(name).count("Sending due task Remind due follow-ups")
        for name in ("s2-beat-1", "s2-beat-2")
    ]
    result.figures = {
        "follow-ups_due": figures["follow-ups"],
        "reminded": figures["reminded"],
        "emails_sent": figures["emails_sent"],
        "scans_sent_by_each_beat": scans,
        "lost": figures["lost"],
        "duplicates": figures["duplicates"],
    }
    result.expect(min(scans) >= 3, f"both beats should have sent scans: {scans}")
    result.expect(
        figures["emails"] == figures["reminded"] == figures["follow-ups"],
        "every follow-up should have its reminder and email: "
        f"{figures['reminded']} reminded, {figures['emails']} emails",
    )
    ledger_expectations(result, figures, "two beats")
    stack.stop_all()
    return result


# --- 3. Redis stopped ---------------------------------------------------------------------

# What a rep does while Redis is down; each must answer as usual (the health check
# excepted: it reports the cache down, as it should) and as fast as with Redis up.
REDIS_DOWN_SLOWER_BOUND_SECONDS = 1.5


def redis_stopped(stack: Stack, *, rng: random.Random, quick: bool) -> Result:
    """gunicorn, a worker and beat run; Redis (broker and cache) is stopped. Without it
    no task can be published and beat's scans go nowhere. A rep reads pages, records an
    ask on the web form and through the API, completes a follow-up, sends a follow-up
    message by email (a publish inside the request), gets an API token; asks recorded
    late pile up. Redis comes back empty (no persistence: every queued task is gone).

    Expected: every action answers as usual and no slower than with Redis up (the health
    check says 503, cache unavailable); once Redis is back, every due follow-up is
    reminded exactly once and every email — the reminders and the message sent during
    the outage — is accepted exactly once."""
    from accounts.models import User

    result = Result("3. Redis stopped")
    outage_seconds = 5.0 if quick else 10.0
    stack.schedule_every(2)
    stack.start_web("s3-web")
    stack.start_worker("s3-worker")
    stack.start_beat("s3-beat")
    reps = ledger.cast(rng=rng)
    rep = reps[0]
    recorder = Recorder()
    (browser,) = browsers_for(stack, [rep], recorder)
    username = User.objects.get(pk=rep.user_id).username

    def actions(phase: str) -> tuple[dict[str, Outcome], list[int], list[int]]:
        """One round of a rep's work; returns the outcomes by action, the follow-ups it
        made due, and the emails it sent."""
        done: dict[str, Outcome] = {}
        for name, path in READ_PAGES:
            if name.startswith("api_"):
                done[name] = browser.api(name, "GET", path)
            else:
                done[name] = browser.get(name, path)
        asked = (timezone_now() - timedelta(days=ledger.ASKED_DAYS_AGO)).isoformat()
        referrer, prospect = ledger.pair_to_ask(rep, rng=rng)
        form = {
            "referrer": referrer,
            "prospect": prospect,
            "asked_at": asked,
            "reason": f"make trust, Redis {phase}",
            "quality": "better",
            "channel": "email",
        }
        done["ask_on_the_web"] = browser.post_form("ask_on_the_web", "/referrals/new/", form)
        # Another pair: asking the same again while the first is open is refused (409).
        referrer, prospect = ledger.pair_to_ask(rep, rng=rng)
        done["ask_by_api"] = browser.api(
            "ask_by_api",
            "POST",
            "/api/v1/referrals/",
            {"referrer": referrer, "prospect": prospect, "asked_at": asked},
            expected=(201,),
        )
        made_due = [
            followup_of(referral_id_from(done["ask_on_the_web"])),
            followup_of(referral_id_from(done["ask_by_api"])),
        ]
        # A message to a referrer with an email address, sent from its draft: the email
        # is published to the broker after commit, inside this request.
        (to_send,) = ledger.asks_recorded_late(reps=[rep], count=1, rng=rng, with_email=True)
        done["send_by_email"] = browser.post_form(
            "send_by_email",
            f"/followups/{to_send}/draft/",
            {"subject": "Thank you", "body": f"Thank you for the introduction ({phase})."},
        )
        (to_complete,) = ledger.asks_recorded_late(reps=[rep], count=1, rng=rng)
        done["complete_by_api"] = browser.api(
            "complete_by_api",
            "POST",
            f"/api/v1/followups/{to_complete}/complete/",
            {"channel": "phone", "note": f"Called ({phase})."},
        )
        done["api_token"] = browser.request(
            "api_token",
            "POST",
            "/api/v1/auth/token/",
            body=json.dumps({"username": username, "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            expected=(200,),
        )
        health_expected = (200,) if phase == "up" else (503,)
        done["health"] = browser.request("health", "GET", "/health/", expected=health_expected)
        return done, made_due, ledger.emails_of_followups([to_send], purpose="followup")

    def rounds(phase: str) -> tuple[dict[str, float], list[int], list[int]]:
        """Three rounds, each action's slowest time counted: a slow path taken now and
        then (the second publish of one web process, say) must show. Every follow-up and
        message of every round is checked."""
        slowest: dict[str, float] = {}
        made_due, sent = [], []
        for _ in range(3):
            done, due, messages = actions(phase)
            for name, outcome in done.items():
                slowest[name] = max(slowest.get(name, 0.0), outcome.seconds)
            made_due += due
            sent += messages
        return slowest, made_due, sent

    with_redis, due_up, sent_up = rounds("up")
    stack.redis.stop()
    down_at = time.monotonic()
    without_redis, due_down, sent_down = rounds("down")
    # Asks recorded late while Redis is down: nothing can tell the worker about them.
    piled_up = ledger.asks_recorded_late(reps=reps, count=10, rng=rng)
    time.sleep(max(0.0, outage_seconds - (time.monotonic() - down_at)))
    stack.redis.start()
    back_at = time.monotonic()
    followup_ids = [*due_up, *due_down, *piled_up]
    figures = wait_for_ledger(followup_ids, stack.smtp.log, 90, stack)
    caught_up_in = time.monotonic() - back_at
    messages = sent_up + sent_down
    sent, duplicate_messages, lost_messages = stack.smtp.log.copies(messages)
    slower = {name: round(without_redis[name] - with_redis[name], 2) for name in without_redis}
    summary = recorder.summary()
    result.figures = {
        "requests": summary["requests"],
        "errors": summary["errors"],
        "p95_ms": summary["p95_ms"],
        "error_kinds": summary["error_kinds"],
        "redis_down_s": round(back_at - down_at, 1),
        "send_by_email_slowest_s (up / down)": (
            f"{with_redis['send_by_email']:.2f} / {without_redis['send_by_email']:.2f}"
        ),
        "slowest_action_down_s": "{} {:.2f}".format(
            *max(without_redis.items(), key=lambda kv: kv[1])
        ),
        "most_slowed_down_s": "{} {:+.2f}".format(*max(slower.items(), key=lambda kv: kv[1])),
        "follow-ups_due": figures["follow-ups"],
        "reminded": figures["reminded"],
        "messages_sent": f"{sent}/{len(messages)}",
        "caught_up_in_s": round(caught_up_in, 1),
        "lost": figures["lost"] + lost_messages,
        "duplicates": figures["duplicates"] + duplicate_messages,
    }
    result.expect(summary["errors"] == 0, f"errors: {summary['error_kinds']}")
    for name, extra in slower.items():
        result.expect(
            extra < REDIS_DOWN_SLOWER_BOUND_SECONDS,
            f"{name} took {extra:.2f} s longer with Redis down",
        )
    result.expect(len(messages) == 6, f"expected 6 messages sent by email, found {len(messages)}")
    ledger_expectations(result, figures, "reminders after Redis came back")
    result.expect(lost_messages == 0, f"{lost_messages} messages never sent")
    result.expect(duplicate_messages == 0, f"{duplicate_messages} messages sent twice")
    stack.stop_all()
    return result


def followup_of(referral_id: int | None) -> int:
    from followups.models import FollowUp

    if referral_id is None:
        raise RuntimeError("the ask was not recorded")
    return FollowUp.objects.get(referral_id=referral_id, kind=FollowUp.Kind.THANK_REFERRER).pk


def timezone_now():
    from django.utils import timezone

    return timezone.now()


# --- 4. A worker killed in the middle of sending ---------------------------------------------


def worker_killed(stack: Stack, *, rng: random.Random, quick: bool) -> Result:
    """A worker of two processes sends reminders to an SMTP server that takes 8 s to
    answer each message; while two messages wait for their answer the whole worker is
    killed (SIGKILL: no clean-up, no acknowledgement). A new worker starts.

    Expected: no message lost (the interrupted ones are sent again: the drain takes
    over rows left 'sending', the broker hands the unacknowledged tasks out again) and
    none accepted twice (a message cut off before the server's answer does not count,
    as a real server drops it; every resend claims its row first)."""
    from outbox.models import OutgoingEmail

    result = Result("4. Worker killed mid-send")
    stack.schedule_every(2)
    stack.smtp.mode, stack.smtp.slow_seconds = "slow", 8.0
    stack.start_worker("s4-worker-killed", concurrency=2)
    stack.start_beat("s4-beat")
    reps = ledger.cast(rng=rng)
    cut_before = stack.smtp.log.cut_off
    attempts_before = stack.smtp.log.total_attempts()
    followup_ids = ledger.asks_recorded_late(reps=reps, count=12, rng=rng)
    wait_for(
        "a message waiting for the server's answer",
        lambda: stack.smtp.log.total_attempts() >= attempts_before + 2,
        stack.processes,
        60,
        every=0.1,
    )
    stack.stop("s4-worker-killed", signal.SIGKILL)
    killed_at = time.monotonic()
    stack.smtp.mode = "accept"
    emails = ledger.emails_of_followups(followup_ids)
    interrupted = list(
        OutgoingEmail.objects.filter(pk__in=emails, status="sending").values_list("pk", flat=True)
    )
    stack.start_worker("s4-worker-new", concurrency=2)
    figures = wait_for_ledger(followup_ids, stack.smtp.log, 90, stack)
    recovered_in = time.monotonic() - killed_at
    # The killed worker's unacknowledged tasks come back after the visibility timeout;
    # they must find nothing left to do.
    from django.conf import settings

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    time.sleep(max(0.0, killed_at + visibility + 5 - time.monotonic()))
    figures = ledger.reminder_ledger(followup_ids, stack.smtp.log)
    new_log = stack.log("s4-worker-new")
    attempts = dict(OutgoingEmail.objects.filter(pk__in=interrupted).values_list("pk", "attempts"))
    result.figures = {
        "follow-ups_due": figures["follow-ups"],
        "reminded": figures["reminded"],
        "emails_sent": figures["emails_sent"],
        "sends_cut_off_by_the_kill": stack.smtp.log.cut_off - cut_before,
        "rows_left_sending": len(interrupted),
        "their_attempts": sorted(attempts.values()),
        "all_sent_after_kill_s": round(recovered_in, 1),
        "redelivered_tasks_found_nothing": new_log.count("'not_claimed'"),
        "lost": figures["lost"],
        "duplicates": figures["duplicates"],
    }
    result.expect(bool(interrupted), "the kill interrupted no send (nothing was tested)")
    ledger_expectations(result, figures, "worker killed")
    stack.stop_all()
    return result


# --- 5. An SMTP server that refuses -------------------------------------------------------------


def smtp_refuses(stack: Stack, *, rng: random.Random, quick: bool) -> Result:
    """The SMTP server answers every message with 451 (try again later) until each
    reminder has been refused twice, then accepts again. An admin looks at the outgoing
    email list meanwhile.

    Expected: each send retried with a growing wait (the backoff), the refusal and the
    attempts shown in the admin's list while it lasts, every email sent exactly once
    after the server accepts again."""
    from accounts.models import User
    from outbox.models import OutgoingEmail

    result = Result("5. SMTP server refusing")
    stack.schedule_every(2)
    stack.smtp.mode = "refuse"
    stack.start_web("s5-web")
    stack.start_worker("s5-worker", concurrency=2)
    stack.start_beat("s5-beat")
    reps = ledger.cast(rng=rng)
    refused_before = stack.smtp.log.refused
    followup_ids = ledger.asks_recorded_late(reps=reps, count=10, rng=rng)
    wait_for(
        "every reminder email known",
        lambda: len(ledger.emails_of_followups(followup_ids)) == 10,
        stack.processes,
        30,
    )
    emails = ledger.emails_of_followups(followup_ids)

    def refused_three_times():
        attempts = OutgoingEmail.objects.filter(pk__in=emails).values_list("attempts", flat=True)
        return min(attempts) >= 3

    wait_for("each email refused three times", refused_three_times, stack.processes, 60)

    # What an admin sees meanwhile: the outgoing email list, not yet sent.
    admin, _ = User.objects.get_or_create(
        username="trust-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    recorder = Recorder()
    page = Browser(stack.web_port, session_key=session_key_for(admin), recorder=recorder).get(
        "admin_outbox", "/admin/outbox/outgoingemail/?status__exact=queued"
    )
    shown = page.body.decode(errors="replace")
    admin_sees = page.status == 200 and "451" in shown and "try again later" in shown
    stack.smtp.mode = "accept"
    accepting_at = time.monotonic()
    figures = wait_for_ledger(followup_ids, stack.smtp.log, 60, stack)
    intervals = stack.smtp.log.intervals(emails)
    attempts = list(OutgoingEmail.objects.filter(pk__in=emails).values_list("attempts", flat=True))
    growing = all(
        all(later > earlier * 1.2 for earlier, later in itertools.pairwise(gaps))
        for gaps in intervals.values()
        if len(gaps) >= 2
    )
    example = next(iter(intervals.values()), [])
    result.figures = {
        "emails": len(emails),
        "refusals": stack.smtp.log.refused - refused_before,
        "attempts_per_email": f"{min(attempts)}–{max(attempts)}",
        "waits_between_tries_s (one email)": ", ".join(f"{gap:.1f}" for gap in example),
        "admin_list_shows_the_error": admin_sees,
        "sent_after_accepting_s": round(time.monotonic() - accepting_at, 1),
        "emails_sent": figures["emails_sent"],
        "requests": recorder.summary()["requests"],
        "errors": recorder.summary()["errors"],
        "lost": figures["lost"],
        "duplicates": figures["duplicates"],
    }
    result.expect(growing, f"the waits between tries should grow: {intervals}")
    result.expect(admin_sees, "the admin's outgoing email list does not show the refusal")
    ledger_expectations(result, figures, "after the server accepted again")
    stack.stop_all()
    return result


SCENARIOS = {
    "postgres": postgres_restart,
    "beats": two_beats,
    "redis": redis_stopped,
    "worker": worker_killed,
    "smtp": smtp_refuses,
}
