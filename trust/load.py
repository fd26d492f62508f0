"""The load scenario of `make trust`: 50 reps at once for 60 s (15 s with --quick) against
gunicorn (2 workers, production settings) and the throwaway PostgreSQL, with a Celery
worker and beat reminding what comes due meanwhile.

Each simulated rep is a thread with a logged-in session and an API token that, after a
think time of 1–3 s, does one thing picked by weight:

- reads (two thirds): the week, the referral pipeline, the follow-up inbox, the contact
  list, notifications, one of its own new referrals, the referral and follow-up API;
- writes (one third): records an ask on the web form or through the API (asked two days
  ago, so its thank-you is due at once and the scan has work), completes one of its
  pending follow-ups through the API or the inbox's form.

Expected: 0 errors (any answer but the one the action calls for, or none), 0 lost writes
(every referral the server said it created is in the database, every follow-up it said
it completed is done), every due follow-up of those asks reminded exactly once with its
email accepted exactly once; p95 latency reported.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import timedelta

from django.utils import timezone

from trust import ledger
from trust.faults import Traffic, browsers_for, ledger_expectations, wait_for_ledger
from trust.report import Result
from trust.stack import Stack
from trust.traffic import Browser, Recorder, latency, referral_id_from

REPS = 50
THINK_SECONDS = (1.0, 3.0)
SCAN_EVERY_SECONDS = 5
READS = {
    "week": 15,
    "pipeline": 10,
    "inbox": 10,
    "contacts": 8,
    "notifications": 4,
    "own_referral": 5,
    "api_referrals": 8,
    "api_followups": 5,
}
WRITES = {
    "ask_on_the_web": 10,
    "ask_by_api": 5,
    "complete_by_api": 10,
    "complete_on_the_web": 5,
}


class SimulatedRep:
    def __init__(self, rep: ledger.Rep, browser: Browser, rng: random.Random, until: float):
        self.rep = rep
        self.browser = browser
        self.rng = rng
        self.until = until
        self.created: list[int] = []
        self.completed: list[int] = []
        self.actions = list(READS) + list(WRITES)
        self.weights = list(READS.values()) + list(WRITES.values())

    def step(self) -> None:
        time.sleep(self.rng.uniform(*THINK_SECONDS))
        if time.monotonic() >= self.until:
            time.sleep(0.05)  # the run is over: idle until the threads are stopped
            return
        action = self.rng.choices(self.actions, self.weights)[0]
        getattr(self, action)()

    # --- reads ---

    def week(self):
        self.browser.get("week", "/week/")

    def pipeline(self):
        self.browser.get("pipeline", "/referrals/")

    def inbox(self):
        self.browser.get("inbox", "/followups/")

    def contacts(self):
        self.browser.get("contacts", f"/contacts/?page={self.rng.randint(1, 3)}")

    def notifications(self):
        self.browser.get("notifications", "/notifications/")

    def own_referral(self):
        if not self.created:
            return self.pipeline()
        self.browser.get("own_referral", f"/referrals/{self.rng.choice(self.created)}/")

    def api_referrals(self):
        self.browser.api("api_referrals", "GET", "/api/v1/referrals/?page_size=25")

    def api_followups(self):
        self.browser.api("api_followups", "GET", "/api/v1/followups/?status=pending&page_size=25")

    # --- writes ---

    def _ask(self) -> dict:
        return {
            "referrer": self.rng.choice(self.rep.referrers),
            "prospect": self.rng.choice(self.rep.prospects),
            "asked_at": (timezone.now() - timedelta(days=ledger.ASKED_DAYS_AGO)).isoformat(),
            "reason": "make trust: load",
        }

    def ask_on_the_web(self):
        form = {**self._ask(), "quality": "good", "channel": "email"}
        outcome = self.browser.post_form("ask_on_the_web", "/referrals/new/", form)
        if (referral_id := referral_id_from(outcome)) is not None:
            self.created.append(referral_id)

    def ask_by_api(self):
        outcome = self.browser.api(
            "ask_by_api", "POST", "/api/v1/referrals/", self._ask(), expected=(201,)
        )
        if (referral_id := referral_id_from(outcome)) is not None:
            self.created.append(referral_id)

    def _pending_followup(self) -> int | None:
        listing = self.browser.api(
            "api_followups", "GET", "/api/v1/followups/?status=pending&page_size=25"
        )
        if listing.status != 200:
            return None
        ids = [row["id"] for row in json.loads(listing.body)["results"]]
        ids = [pk for pk in ids if pk not in self.completed]
        return self.rng.choice(ids) if ids else None

    def complete_by_api(self):
        if (followup_id := self._pending_followup()) is None:
            return
        outcome = self.browser.api(
            "complete_by_api",
            "POST",
            f"/api/v1/followups/{followup_id}/complete/",
            {"channel": "phone", "note": "make trust: load"},
        )
        if outcome.status == 200:
            self.completed.append(followup_id)

    def complete_on_the_web(self):
        if (followup_id := self._pending_followup()) is None:
            return
        outcome = self.browser.post_form(
            "complete_on_the_web",
            f"/followups/{followup_id}/complete/",
            {"channel": "email", "note": "make trust: load"},
        )
        if outcome.status == 302:
            self.completed.append(followup_id)


def load(stack: Stack, *, rng: random.Random, quick: bool) -> Result:
    from followups.models import FollowUp
    from referrals.models import Referral

    result = Result("6. Load: 50 reps")
    seconds = 15.0 if quick else 60.0
    stack.schedule_every(SCAN_EVERY_SECONDS)
    stack.start_web("s6-web", workers=2)
    stack.start_worker("s6-worker", concurrency=2)
    stack.start_beat("s6-beat")
    reps = ledger.cast(rng=rng)[:REPS]
    result.expect(len(reps) == REPS, f"only {len(reps)} reps seeded")

    # Warm-up, not counted: each gunicorn worker renders every page once.
    warm = browsers_for(stack, reps[:2], Recorder())
    for browser in warm * 2:
        for path in ("/week/", "/referrals/", "/followups/", "/contacts/", "/notifications/"):
            browser.get("warm-up", path)

    recorder = Recorder()
    browsers = browsers_for(stack, reps, recorder)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    until = started + seconds
    simulated = [
        SimulatedRep(rep, browser, random.Random(rng.random()), until)
        for rep, browser in zip(reps, browsers, strict=True)
    ]
    with Traffic([rep.step for rep in simulated]):
        time.sleep(max(0.0, until - time.monotonic()))
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()[0]

    created = [pk for rep in simulated for pk in rep.created]
    completed = [pk for rep in simulated for pk in rep.completed]
    present = Referral.objects.filter(pk__in=created).count()
    done = FollowUp.objects.filter(pk__in=completed).exclude(status="pending").count()
    thank_yous = list(
        FollowUp.objects.filter(
            referral_id__in=created, kind=FollowUp.Kind.THANK_REFERRER
        ).values_list("pk", flat=True)
    )
    # The scan runs every few seconds: the last asks' reminders follow the run.
    reminders = wait_for_ledger(thank_yous, stack.smtp.log, 120, stack)
    summary = recorder.summary()
    writes = [o for o in recorder.outcomes if o.name in WRITES]
    reads = [o for o in recorder.outcomes if o.name not in WRITES]
    result.figures = {
        "requests": summary["requests"],
        "errors": summary["errors"],
        "p95_ms": summary["p95_ms"],
        "error_kinds": summary["error_kinds"],
        "seconds": round(elapsed, 1),
        "machine_load_average (start / end)": f"{load_before:.2f} / {load_after:.2f}",
        "requests_per_s": round(summary["requests"] / elapsed, 1),
        "latency_ms (p50 / p95 / max)": f"{summary['p50_ms']} / {summary['p95_ms']} / "
        f"{summary['max_ms']}",
        "reads p95_ms": latency(reads)["p95_ms"],
        "writes p95_ms": latency(writes)["p95_ms"],
        "p50_ms by action": {
            name: latency([o for o in recorder.outcomes if o.name == name])["p50_ms"]
            for name in sorted({o.name for o in recorder.outcomes})
        },
        "referrals_created": len(created),
        "follow-ups_completed": len(completed),
        "lost_writes": (len(created) - present) + (len(completed) - done),
        "due_thank-yous": reminders["follow-ups"],
        "reminded": reminders["reminded"],
        "done_before_their_reminder": reminders["done_before_reminder"],
        "reminder_emails_sent": reminders["emails_sent"],
        "lost": reminders["lost"] + (len(created) - present) + (len(completed) - done),
        "duplicates": reminders["duplicates"],
    }
    result.expect(summary["errors"] == 0, f"{summary['errors']} errors: {summary['error_kinds']}")
    result.expect(present == len(created), f"{len(created) - present} created referrals missing")
    result.expect(done == len(completed), f"{len(completed) - done} completions not recorded")
    result.expect(bool(created) and bool(completed), "the load wrote nothing")
    ledger_expectations(result, reminders, "reminders under load")
    stack.stop_all()
    return result


SCENARIOS = {"load": load}
