"""Every value Warmpath derives from names fits where it goes, and no name reaches a header.

The whole life of two referrals is run through the real services with the largest names
the columns take (people, companies, users, the team), in several scripts, with accents,
emoji sequences and flags: the asks, every step to meeting and won (the deal's name is
built from two names), the drafted follow-up emails and one sent from its page, the due
reminders and escalations (notifications and emails), the morning digest, the weekly
summary, background exports, a LinkedIn import by a user whose names are longer than a
contact's, and the outbox sending every email. Nothing may raise, every email must be
sent, and afterwards every CharField of every table fits its max_length — the check
PostgreSQL makes (DataError: value too long), which SQLite skips.

Then the same with the names an older Warmpath accepted (a line break and a Bcc header in a
name, direction overrides, zero-width only): everything still runs, and no email gets a
header or a recipient that was not meant. The rules themselves: tests/test_text_rules.py.
"""

import email as email_parsing
from datetime import datetime, timedelta
from itertools import count

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.db.models import Max
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.imports.files import FileRefused
from contacts.imports.jobs import import_commit, import_job_create
from contacts.models import Company, Contact
from contacts.services import company_create, contact_create
from core.names import name_problem
from exports.models import ExportJob
from exports.services import export_job_create, export_job_run
from followups.digests import digests_send
from followups.drafts import draft_for
from followups.models import FollowUp, Notification
from followups.reminders import escalations_send, reminders_scan
from followups.services import followup_email_send
from outbox.models import OutgoingEmail
from outbox.services import SendOutcome, outgoing_email_send
from referrals.models import Deal, Referral
from referrals.services import referral_create, referral_transition
from reporting.weekly_summary import weekly_summaries_send
from tests.factories import MembershipFactory, TeamFactory, UserFactory

# A Monday morning in UTC (every user's zone here): the digest's and the weekly summary's
# window, two days and more after the steps below, so every follow-up is due and overdue.
MONDAY_MORNING = "2026-11-30T09:00:00+00:00"

# Pieces of names, each one character as a reader sees it (some of several code points).
PIECES = [
    "a",
    "Z",
    "é",
    "e\u0301",
    "ß",
    "中",
    "한",
    "ب",
    "ש",
    "कि",
    "👍🏽",
    "👩\u200d💻",
    "🇫🇷",
    "𝔸",
    "-",
    "'",
]
LIMITS = {
    "team": 120,
    "user": 150,
    "contact": 100,
    "company": 200,
}


def maximal(length: int) -> st.SearchStrategy[str]:
    """A name of exactly `length` characters (code points, as the column counts them)."""
    return st.lists(st.sampled_from(PIECES), min_size=length, max_size=length).map(
        lambda pieces: "".join(pieces)[:length]
    )


def repeated(piece: str, length: int) -> str:
    return (piece * length)[:length]


_serial = count()


def _unique(name: str, length: int) -> str:
    """The name, still `length` long, made unique (team names are, company names per team)."""
    return name[: length - 6] + f"{next(_serial):06d}"


def cast(team_name: str, user_names: tuple[str, str], *, email_domain: str = "example.com"):
    """A team, a rep and a manager with these names (written as rows: the factories take
    what an older Warmpath accepted too)."""
    team = TeamFactory(name=team_name)
    first, last = user_names
    serial = next(_serial)
    rep = UserFactory(
        username=f"rep{serial}",
        first_name=first,
        last_name=last,
        email=f"rep{serial}@{email_domain}",
    )
    manager = UserFactory(
        username=f"manager{serial}",
        first_name=first,
        last_name=last,
        email=f"manager{serial}@{email_domain}",
    )
    MembershipFactory(team=team, user=rep, role="rep")
    MembershipFactory(team=team, user=manager, role="manager")
    return team, rep, manager


def people(team, rep, *, first: str, last: str, company: str, through_services: bool = True):
    """Two referrers and two prospects, each with a company, with these names."""
    made = []
    for position in range(4):
        company_name = _unique(company, len(company))
        serial = next(_serial)
        fields = {
            "first_name": first,
            "last_name": last,
            "email": f"person{serial}@example.com",
            "kind": "client" if position < 2 else "prospect",
        }
        if through_services:
            fields["company"] = company_create(team=team, name=company_name)
            made.append(contact_create(team=team, owner=rep, **fields))
        else:
            fields["company"] = Company.objects.create(team=team, name=company_name)
            made.append(Contact.objects.create(team=team, owner=rep, **fields))
    return made


def run_everything(team, rep, manager, contacts, client):
    """The life of two referrals and everything derived from it; returns the emails sent."""
    now = timezone.now()
    referrer_a, referrer_b, prospect_a, prospect_b = contacts
    for referrer, prospect, steps in (
        (referrer_a, prospect_a, ("confirmed", "contacted", "meeting")),
        (referrer_b, prospect_b, ("confirmed", "contacted", "meeting", "won")),
    ):
        referral = referral_create(
            owner=rep,
            team=team,
            referrer=referrer,
            prospect=prospect,
            asked_at=now - timedelta(days=10),
            value=1000,
        )
        for days_later, step in enumerate(steps, start=1):
            referral_transition(
                referral=referral, to=step, at=now - timedelta(days=10 - days_later)
            )
        assert Deal.objects.filter(referral=referral).exists()

    # Every pending follow-up's draft fits the send form; one is sent from its page.
    pending = FollowUp.objects.filter(team=team, status="pending").order_by("pk")
    assert pending
    for followup in pending:
        drafted = draft_for(followup)
        assert 0 < len(drafted.subject) <= 300 and "\n" not in drafted.subject
    on_page = pending.filter(recipient__email__gt="").first()
    page = reverse("followups:draft", args=[on_page.pk])
    shown = client.get(page)
    assert shown.status_code == 200
    form = shown.context["form"]
    posted = client.post(page, {"subject": form.initial["subject"], "body": form.initial["body"]})
    assert posted.status_code == 302, posted.context["form"].errors if posted.context else ""
    assert OutgoingEmail.objects.filter(followup=on_page, purpose="followup").exists()
    # And one through the service with a subject typed with line breaks.
    typed = pending.exclude(pk=on_page.pk).filter(recipient__email__gt="").first()
    if typed is not None:
        followup_email_send(
            followup=typed, actor=rep, subject="Hi\r\nBcc: someone@example.com", body="Hello"
        )

    reminders_scan(now=now)
    escalations_send(now=now)
    assert digests_send(now=now) >= 1
    assert weekly_summaries_send(now=now) >= 1
    assert Notification.objects.filter(user__in=[rep, manager]).exists()

    # Background exports of the team's contacts and referrals, named after the team.
    for kind, params in (
        ("contacts", {"team_id": team.pk, "filters": {}}),
        (
            "referrals",
            {
                "team_ids": [team.pk],
                "start": (now - timedelta(days=30)).date().isoformat(),
                "end": now.date().isoformat(),
            },
        ),
    ):
        job = export_job_create(
            owner=manager, team_id=team.pk, kind=kind, params=params, file_name=f"{team.name}.csv"
        )
        export_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == ExportJob.Status.DONE, job.error
        assert job.file_name.endswith(".csv")

    # The rep imports their LinkedIn connections: their own contact record is made from
    # their user's names (150 characters each; a contact's take 100).
    first, last, company = (
        contacts[0].first_name,
        contacts[0].last_name,
        contacts[0].company.name,
    )
    linkedin = (
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        f'"{first}","{last}",https://www.linkedin.com/in/someone-{next(_serial)},,'
        f'"{company}",Buyer,12 Mar 2024\n'
    ).encode()
    try:
        job = import_job_create(
            team=team, owner=rep, kind="linkedin", file_name=f"{team.name}.csv", data=linkedin
        )
    except FileRefused as refused:
        # A file holding a control character is refused whole, with the row and the
        # character (contacts.imports.files): nothing of it is written.
        assert "control character" in " ".join(refused.messages)
    else:
        import_commit(job=job)
        assert Contact.objects.filter(user=rep).exists()

    # The outbox sends every email, whatever the names in it.
    sent_before = len(mail.outbox)
    queued = OutgoingEmail.objects.filter(status="queued").values_list("pk", flat=True)
    for email_id in queued:
        assert outgoing_email_send(email_id=email_id) == SendOutcome.SENT, (
            OutgoingEmail.objects.get(pk=email_id).last_error
        )
    assert not OutgoingEmail.objects.exclude(status="sent").exists()
    return mail.outbox[sent_before:]


def assert_every_char_field_fits():
    """What PostgreSQL checks on every write (varchar(n)) and SQLite does not."""
    too_long = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField) and field.max_length:
                longest = model._default_manager.aggregate(longest=Max(Length(field.attname)))
                if (longest["longest"] or 0) > field.max_length:
                    too_long.append(f"{model._meta.label}.{field.name}: {longest['longest']}")
    assert not too_long


def assert_only_the_recipient_and_one_line(messages):
    assert messages
    for message in messages:
        raw = message.message().as_bytes()
        parsed = email_parsing.message_from_bytes(raw)
        assert parsed.get_all("Bcc") is None
        assert parsed.get_all("Cc") is None
        assert len(parsed.get_all("Subject")) == 1
        assert message.recipients() == message.to and len(message.to) == 1
        assert "\n" not in message.subject and "\r" not in message.subject


# --- The largest names the columns take ---------------------------------------------------------


@pytest.mark.now(MONDAY_MORNING)
@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    team_name=maximal(LIMITS["team"]),
    user_first=maximal(LIMITS["user"]),
    user_last=maximal(LIMITS["user"]),
    first=maximal(LIMITS["contact"]),
    last=maximal(LIMITS["contact"]),
    company=maximal(LIMITS["company"]),
)
def test_the_largest_names_go_through_everything(
    client, team_name, user_first, user_last, first, last, company
):
    team, rep, manager = cast(_unique(team_name, LIMITS["team"]), (user_first, user_last))
    contacts = people(team, rep, first=first, last=last, company=company)
    client.force_login(rep)

    messages = run_everything(team, rep, manager, contacts, client)

    assert_only_the_recipient_and_one_line(messages)
    assert_every_char_field_fits()
    for name in Deal.objects.filter(team=team).values_list("name", flat=True):
        assert name_problem(name) is None
        assert name.endswith("…")  # 100 + 100 + 100 + 100 characters of names: shortened
    for first_name, last_name in Contact.objects.filter(user=rep).values_list(
        "first_name", "last_name"
    ):
        assert len(first_name) <= 100 and len(last_name) <= 100


@pytest.mark.now(MONDAY_MORNING)
@pytest.mark.django_db
@pytest.mark.parametrize(
    "piece",
    ["x", "é", "e\u0301", "👩\u200d💻", "🇫🇷", "한"],
    ids=["ascii", "accented", "combining", "zwj-emoji", "flag", "hangul"],
)
def test_the_largest_names_of_one_script_go_through_everything(client, piece):
    team, rep, manager = cast(
        _unique(repeated(piece, LIMITS["team"]), LIMITS["team"]),
        (repeated(piece, LIMITS["user"]), repeated(piece, LIMITS["user"])),
    )
    contacts = people(
        team,
        rep,
        first=repeated(piece, LIMITS["contact"]),
        last=repeated(piece, LIMITS["contact"]),
        company=repeated(piece, LIMITS["company"]),
    )
    client.force_login(rep)

    messages = run_everything(team, rep, manager, contacts, client)

    assert_only_the_recipient_and_one_line(messages)
    assert_every_char_field_fits()
    deal = Deal.objects.filter(team=team).first()
    assert deal.name.startswith(contacts[2].first_name[:50])


# --- Names an older Warmpath accepted ------------------------------------------------------------

HOSTILE = {
    "header-injection": "Ref\nBcc: someone@example.com",
    "crlf": "Ref\r\nBcc: someone@example.com\r\n",
    # (No NUL: PostgreSQL never stored one, and forms and the API always refused it.)
    "controls": "Ada\x1b[31m\x85\u2028\x7fLovelace\t",
    "bidi-override": "\u202eecilA\u202c",
    "zero-width-only": "\u200b\u200d",
}


@pytest.mark.now(MONDAY_MORNING)
@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_rows_with_names_refused_today_still_go_through_everything(client, name):
    """Rows written before the rule of names (core.names): nothing breaks, no email is
    stuck, and no email gets a header or a recipient that was not meant."""
    team, rep, manager = cast(f"Acme {name}", (name, name))
    contacts = people(
        team, rep, first=name, last=name, company=f"Initech {name}", through_services=False
    )
    client.force_login(rep)

    messages = run_everything(team, rep, manager, contacts, client)

    assert_only_the_recipient_and_one_line(messages)
    assert all(message.to[0].endswith("@example.com") for message in messages)
    assert "someone@example.com" not in {m.to[0] for m in messages}
    assert_every_char_field_fits()
    for deal_name in Deal.objects.filter(team=team).values_list("name", flat=True):
        assert name_problem(deal_name) is None


@pytest.mark.django_db
def test_an_ask_step_to_meeting_with_the_longest_names_opens_its_deal(acme, alice):
    """The issue's example: 100 + 100 characters for each person, the deal's name made of
    both, the step to "meeting" failed on PostgreSQL for ever."""
    long = "Bartholomew-Maximilian " * 5
    referrer, prospect = (
        contact_named(acme, alice, long[:100], long[:100], kind) for kind in ("client", "prospect")
    )
    referral = referral_create(owner=alice, team=acme, referrer=referrer, prospect=prospect)
    for step in ("confirmed", "contacted", "meeting"):
        referral_transition(referral=referral, to=step)

    deal = Deal.objects.get(referral=referral)
    assert len(deal.name) == Deal._meta.get_field("name").max_length
    assert deal.name.startswith(f"{prospect.full_name[:100]}")
    assert deal.name.endswith("…")
    assert Referral.objects.get(pk=referral.pk).status == "meeting"


def contact_named(team, owner, first, last, kind):
    return contact_create(team=team, owner=owner, first_name=first, last_name=last, kind=kind)


@pytest.mark.now(MONDAY_MORNING)
@pytest.mark.django_db
def test_a_team_name_with_a_line_break_gives_a_one_line_weekly_summary():
    _team, _rep, manager = cast("Acme\nBcc: someone@example.com", ("Maya", "Manager"))
    assert weekly_summaries_send(now=datetime.fromisoformat(MONDAY_MORNING)) == 1
    email = OutgoingEmail.objects.get(purpose="weekly_summary", to=manager.email)
    assert "\n" not in email.subject and email.subject.startswith("Acme Bcc:")
    assert outgoing_email_send(email_id=email.pk) == SendOutcome.SENT
    assert_only_the_recipient_and_one_line(mail.outbox)
