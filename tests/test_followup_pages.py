"""The follow-up pages: the inbox's sections in the rep's own time zone (daylight-saving
days included), completing and skipping in place with htmx or by a plain POST, the drafted
messages and sending them, the manager's overdue list by rep, the referral page's list,
who may see what, and that every page costs the same whatever the number of rows."""

from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from contacts.models import Activity, Channel, UpdateCadence
from followups import drafts, forms, selectors, services, views
from followups.models import FollowUp
from outbox import tasks as outbox_tasks
from outbox.models import OutgoingEmail
from referrals import services as referral_services
from referrals.models import STEP_TIME_FIELD, Referral
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    MembershipFactory,
    ReferralFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

Kind = FollowUp.Kind
NEW_YORK = ZoneInfo("America/New_York")
HX = {"HTTP_HX_REQUEST": "true"}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def referral(acme, alice):
    referrer = ClientFactory(
        team=acme,
        owner=alice,
        first_name="Carla",
        last_name="Client",
        email="carla@example.com",
        preferred_channel=Channel.PHONE,
    )
    prospect = ContactFactory(team=acme, owner=alice, first_name="Pete", last_name="Prospect")
    return ReferralFactory(referrer=referrer, prospect=prospect)


def followup_of(referral, *, due_in: timedelta = timedelta(hours=-3), **fields) -> FollowUp:
    return FollowUpFactory(referral=referral, due_at=timezone.now() + due_in, **fields)


@pytest.fixture
def overdue(referral):
    return followup_of(referral)


@pytest.fixture
def frozen(monkeypatch):
    """Set 'now' for the pages (timezone.now everywhere)."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


# --- The inbox ----------------------------------------------------------------------------


def test_the_inbox_sorts_follow_ups_into_overdue_today_and_upcoming(
    alice, alice_client, referral, frozen
):
    alice.time_zone = "Europe/Paris"
    alice.save()
    now = datetime(2025, 6, 10, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    frozen(now)
    late = FollowUpFactory(referral=referral, due_at=now - timedelta(hours=1))
    today = FollowUpFactory(referral=referral, due_at=now + timedelta(hours=11))
    tomorrow = FollowUpFactory(referral=referral, due_at=now + timedelta(hours=13))
    in_two_weeks = FollowUpFactory(referral=referral, due_at=now + timedelta(days=14))
    FollowUpFactory(referral=referral, due_at=now + timedelta(days=16))  # beyond the horizon
    FollowUpFactory(referral=referral, due_at=now - timedelta(days=1), status="done", done_at=now)

    response = alice_client.get(reverse("followups:inbox"))

    sections = {name: list(page.object_list) for name, _, _, page in response.context["sections"]}
    assert sections == {"overdue": [late], "today": [today], "upcoming": [tomorrow, in_two_weeks]}
    page = response.content.decode()
    assert "Carla Client" in page
    assert "prefers phone" in page
    assert 'hx-post="/followups/' in page


def test_due_today_follows_the_reps_day_when_clocks_spring_forward(
    alice, alice_client, referral, frozen
):
    alice.time_zone = "America/New_York"
    alice.save()
    # Sunday 9 March 2025 is 23 hours long in New York: it ends at 04:00 UTC, not 05:00.
    now = datetime(2025, 3, 9, 23, 30, tzinfo=NEW_YORK)
    frozen(now)
    earlier = FollowUpFactory(
        referral=referral, due_at=datetime(2025, 3, 9, 22, 0, tzinfo=NEW_YORK)
    )
    tonight = FollowUpFactory(
        referral=referral, due_at=datetime(2025, 3, 9, 23, 45, tzinfo=NEW_YORK)
    )
    after_midnight = FollowUpFactory(
        referral=referral, due_at=datetime(2025, 3, 10, 0, 30, tzinfo=NEW_YORK)
    )

    response = alice_client.get(reverse("followups:inbox"))

    sections = {name: list(page.object_list) for name, _, _, page in response.context["sections"]}
    assert sections == {"overdue": [earlier], "today": [tonight], "upcoming": [after_midnight]}


def test_due_today_follows_the_reps_day_when_clocks_fall_back(alice, referral):
    alice.time_zone = "America/New_York"
    # Sunday 2 November 2025 is 25 hours long: 23:40 that evening is still today.
    now = datetime(2025, 11, 2, 23, 10, tzinfo=NEW_YORK)
    late_evening = FollowUpFactory(
        referral=referral, due_at=datetime(2025, 11, 2, 23, 40, tzinfo=NEW_YORK)
    )
    next_morning = FollowUpFactory(
        referral=referral, due_at=datetime(2025, 11, 3, 0, 10, tzinfo=NEW_YORK)
    )

    sections = selectors.inbox_for_user(alice, team=None, now=now)
    counts = selectors.due_counts_for_user(alice, team=None, now=now)

    assert list(sections["today"]) == [late_evening]
    assert list(sections["upcoming"]) == [next_morning]
    assert counts == {"overdue": 0, "today": 1}
    start, end, day = selectors.today_bounds(alice, now=now)
    utc = ZoneInfo("UTC")
    assert (end.astimezone(utc) - start.astimezone(utc), str(day)) == (
        timedelta(hours=25),
        "2025-11-02",
    )


def test_the_same_moment_is_today_for_one_rep_and_tomorrow_for_another(alice, bob, referral):
    now = datetime(2025, 6, 10, 20, 0, tzinfo=ZoneInfo("UTC"))
    due = now + timedelta(hours=3)  # 23:00 UTC: still the 10th in New York, the 11th in Paris
    alice.time_zone = "America/New_York"
    bob.time_zone = "Europe/Paris"
    FollowUpFactory(referral=referral, due_at=due)
    FollowUpFactory(
        referral=ReferralFactory(referrer=ClientFactory(team=referral.team, owner=bob)), due_at=due
    )

    assert selectors.due_counts_for_user(alice, team=None, now=now)["today"] == 1
    assert selectors.due_counts_for_user(bob, team=None, now=now)["today"] == 0


def test_the_inbox_shows_only_the_reps_own_follow_ups(alice, bob, bob_client, overdue):
    response = bob_client.get(reverse("followups:inbox"))
    sections = {name: list(page.object_list) for name, _, _, page in response.context["sections"]}
    assert sections == {"overdue": [], "today": [], "upcoming": []}
    assert "Nothing overdue" in response.content.decode()


def test_the_inbox_filters_by_kind_and_name(alice_client, referral):
    thanks = followup_of(referral, kind=Kind.THANK_REFERRER)
    report = followup_of(referral, kind=Kind.STATUS_REPORT)
    other = followup_of(
        ReferralFactory(
            referrer=ClientFactory(team=referral.team, owner=referral.owner, first_name="Zed")
        )
    )

    by_kind = alice_client.get(reverse("followups:inbox"), {"kind": Kind.STATUS_REPORT})
    by_name = alice_client.get(reverse("followups:inbox"), {"q": "Zed"})

    assert list(by_kind.context["sections"][0][3].object_list) == [report]
    assert list(by_name.context["sections"][0][3].object_list) == [other]
    assert thanks not in by_name.context["sections"][0][3].object_list


def test_each_section_pages_on_its_own(alice_client, referral):
    for _ in range(views.SECTION_PAGE_SIZE + 3):
        followup_of(referral)

    first = alice_client.get(reverse("followups:inbox"))
    second = alice_client.get(reverse("followups:inbox"), {"overdue_page": 2})

    assert len(first.context["sections"][0][3].object_list) == views.SECTION_PAGE_SIZE
    assert len(second.context["sections"][0][3].object_list) == 3
    assert "overdue_page=2" in first.content.decode()


def test_the_navigation_leads_to_the_inbox(alice_client):
    page = alice_client.get(reverse("rep-week")).content.decode()
    assert f'href="{reverse("followups:inbox")}">Follow-ups</a>' in page


# Mid-morning: "in 30 minutes" is still today (at 23:45 it would be tomorrow's).
@pytest.mark.now("2026-11-25T10:00:00+00:00")
@pytest.mark.parametrize("rows", [3, 30])
def test_the_inbox_costs_the_same_whatever_the_number_of_follow_ups(
    alice_client, referral, rows, django_assert_max_num_queries
):
    for index in range(rows):
        followup_of(referral, due_in=timedelta(hours=-2))
        followup_of(referral, due_in=timedelta(minutes=30 + index))
        followup_of(referral, due_in=timedelta(days=3))
    # session, user, membership (active team), memberships for the visibility rules,
    # the bell's unread notifications, then per section (overdue, today, upcoming) its
    # count and its page of follow-ups with their referral, people and owner.
    with django_assert_max_num_queries(11):
        response = alice_client.get(reverse("followups:inbox"))
    assert response.status_code == 200
    assert [page.paginator.count for _, _, _, page in response.context["sections"]] == [rows] * 3


# --- Completing and skipping ----------------------------------------------------------------


def test_completing_with_htmx_swaps_the_item_in_place(alice, alice_client, overdue, referral):
    response = alice_client.post(
        reverse("followups:complete", args=[overdue.pk]),
        {"channel": Channel.PHONE, "note": "Called her, she was glad", "next": "/followups/"},
        **HX,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="followup-{overdue.pk}"' in body
    assert "Done · phone" in body
    overdue.refresh_from_db()
    assert (overdue.status, overdue.channel, overdue.note) == (
        "done",
        Channel.PHONE,
        "Called her, she was glad",
    )
    activity = Activity.objects.get(verb="followup_done")
    assert (activity.referral, activity.contact, activity.actor) == (
        referral,
        referral.referrer,
        alice,
    )


def test_the_complete_form_starts_on_the_recipients_preferred_channel(alice_client, overdue):
    page = alice_client.get(reverse("followups:inbox")).content.decode()
    # Carla prefers the phone: that is the channel picked until the rep changes it.
    assert '<option value="phone" selected>' in page
    assert '<option value="email" selected>' not in page


def test_a_rejected_completion_shows_its_form_again_with_the_channel_it_was_sent(
    alice_client, overdue
):
    # A note too long is refused: the item comes back with the rep's channel still picked.
    url = reverse("followups:complete", args=[overdue.pk])
    body = alice_client.post(url, {"channel": Channel.EMAIL, "note": "x" * 2001}, **HX)
    body = body.content.decode()
    assert '<option value="email" selected>' in body
    assert '<option value="phone" selected>' not in body
    # A channel that is none (a tampered form) picks nothing, and is not written back.
    body = alice_client.post(url, {"channel": '"><script>'}, **HX).content.decode()
    assert " selected>" not in body
    assert "<script>" not in body
    overdue.refresh_from_db()
    assert overdue.status == "pending"


def test_completions_show_on_the_referral_and_the_referrers_timelines(alice_client, acme, referral):
    thanks = followup_of(referral, kind=Kind.THANK_REFERRER)
    thank_prospect = followup_of(
        referral, kind=Kind.THANK_PROSPECT, occasion="contacted", recipient=referral.prospect
    )
    alice_client.post(
        reverse("followups:complete", args=[thanks.pk]),
        {"channel": Channel.PHONE, "note": "She was delighted"},
        **HX,
    )
    alice_client.post(
        reverse("followups:skip", args=[thank_prospect.pk]), {"reason": "Met him at lunch"}, **HX
    )

    done_line = "Thank the referrer — done by phone: She was delighted"
    skipped_line = "Thank the prospect — skipped: Met him at lunch"
    referral_page = alice_client.get(
        reverse("referrals:referral-detail", args=[referral.pk])
    ).content.decode()
    referrer_page = alice_client.get(
        reverse("contacts:detail", args=[referral.referrer_id])
    ).content.decode()
    prospect_page = alice_client.get(
        reverse("contacts:detail", args=[referral.prospect_id])
    ).content.decode()
    for page in (referral_page, referrer_page, prospect_page):
        assert done_line in page
        assert skipped_line in page


def test_completing_without_javascript_redirects_with_a_message(alice_client, overdue):
    response = alice_client.post(
        reverse("followups:complete", args=[overdue.pk]),
        {"channel": Channel.EMAIL, "next": "/followups/?kind=thank_referrer"},
    )

    assert response.status_code == 302
    assert response.url == "/followups/?kind=thank_referrer"
    assert views.COMPLETED.format(kind="Thank the referrer", recipient="Carla Client") in (
        messages_of(response)
    )


def test_completing_ignores_a_next_address_off_the_site(alice_client, overdue):
    response = alice_client.post(
        reverse("followups:complete", args=[overdue.pk]),
        {"channel": Channel.EMAIL, "next": "https://evil.example/"},
    )
    assert response.url == reverse("followups:inbox")


def test_completing_twice_says_it_is_already_done(alice_client, overdue):
    url = reverse("followups:complete", args=[overdue.pk])
    alice_client.post(url, {"channel": Channel.EMAIL})

    again = alice_client.post(url, {"channel": Channel.PHONE}, **HX)
    plain = alice_client.post(url, {"channel": Channel.PHONE})

    assert again.status_code == 200
    assert "already done" in again.content.decode()
    assert any("already done" in message for message in messages_of(plain))
    overdue.refresh_from_db()
    assert overdue.channel == Channel.EMAIL
    assert Activity.objects.filter(verb="followup_done").count() == 1


def test_skipping_needs_a_reason(alice_client, overdue):
    url = reverse("followups:skip", args=[overdue.pk])

    htmx = alice_client.post(url, {"reason": "  "}, **HX)
    plain = alice_client.post(url, {"reason": ""})

    assert htmx.status_code == 200
    assert services.SKIP_NEEDS_REASON in htmx.content.decode()
    assert '<details class="followup-action" open>' in htmx.content.decode()
    assert services.SKIP_NEEDS_REASON in messages_of(plain)
    overdue.refresh_from_db()
    assert overdue.status == "pending"


def test_skipping_with_a_reason(alice_client, overdue):
    response = alice_client.post(
        reverse("followups:skip", args=[overdue.pk]), {"reason": "Thanked her at lunch"}, **HX
    )

    assert "Skipped" in response.content.decode()
    assert "Thanked her at lunch" in response.content.decode()
    overdue.refresh_from_db()
    assert (overdue.status, overdue.skip_reason) == ("skipped", "Thanked her at lunch")
    assert Activity.objects.filter(verb="followup_skipped", contact=overdue.recipient).exists()


def test_a_bad_channel_is_a_form_error_not_a_500(alice_client, overdue):
    response = alice_client.post(
        reverse("followups:complete", args=[overdue.pk]), {"channel": "pigeon"}, **HX
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    overdue.refresh_from_db()
    assert overdue.status == "pending"


def test_complete_and_skip_answer_only_post(alice_client, overdue):
    assert alice_client.get(reverse("followups:complete", args=[overdue.pk])).status_code == 405
    assert alice_client.get(reverse("followups:skip", args=[overdue.pk])).status_code == 405


def test_the_closing_thanks_form_asks_about_a_gift(alice_client, referral):
    closing = followup_of(referral, kind=Kind.CLOSING_THANKS)
    thanks = followup_of(referral, kind=Kind.THANK_REFERRER)

    page = alice_client.get(reverse("followups:inbox")).content.decode()

    assert f'id="id_complete_{closing.pk}_gift_cost"' in page
    assert f'id="id_complete_{thanks.pk}_gift_cost"' not in page
    alice_client.post(
        reverse("followups:complete", args=[closing.pk]),
        {"channel": Channel.LETTER, "gift_note": "Wine", "gift_cost": "40"},
    )
    closing.refresh_from_db()
    assert (closing.gift_note, str(closing.gift_cost)) == ("Wine", "40.00")


class _Fields(HTMLParser):
    """The labels and form inputs of a page: {for: label text}, [input attributes]."""

    def __init__(self):
        super().__init__()
        self.labels, self.inputs, self._label = {}, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label = attrs.get("for")
            self.labels[self._label] = ""
        elif tag in ("input", "select") and attrs.get("type") != "hidden":
            self.inputs.append(attrs)

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None

    def handle_data(self, data):
        if self._label is not None and not self.labels[self._label]:
            self.labels[self._label] = data.strip()


def test_each_items_forms_say_what_the_forms_fields_say(alice_client, referral):
    """The items' inputs are written by the template (no form object per item): each has
    its own id, a label saying the field's label, and the field's placeholder and limit."""
    closing = followup_of(referral, kind=Kind.CLOSING_THANKS)
    thanks = followup_of(referral, kind=Kind.THANK_REFERRER)
    page = _Fields()
    page.feed(alice_client.get(reverse("followups:inbox")).content.decode())
    fields = {**forms.CompleteForm.base_fields, **forms.SkipForm.base_fields}
    drawn = {}
    for attrs in page.inputs:
        if attrs.get("id", "").startswith(("id_complete_", "id_skip_")):
            drawn[attrs["id"]] = attrs
    expected = {
        f"id_{form}_{item.pk}_{name}"
        for item in (closing, thanks)
        for form, names in (("complete", ["channel", "note"]), ("skip", ["reason"]))
        for name in names
    } | {f"id_complete_{closing.pk}_gift_note", f"id_complete_{closing.pk}_gift_cost"}
    assert set(drawn) == expected
    for field_id, attrs in drawn.items():
        field = fields[attrs["name"]]
        assert page.labels[field_id] == field.label
        assert attrs.get("placeholder", "") == field.widget.attrs.get("placeholder", "")
        if getattr(field, "max_length", None):
            assert attrs["maxlength"] == str(field.max_length)
        assert "value" not in attrs or attrs["value"] == ""


def test_a_refused_item_shows_back_what_was_typed_and_why(alice_client, referral):
    closing = followup_of(referral, kind=Kind.CLOSING_THANKS)
    url = reverse("followups:complete", args=[closing.pk])

    body = alice_client.post(
        url,
        {"channel": Channel.LETTER, "note": "Sent <b>flowers</b>", "gift_note": "x" * 301},
        **HX,
    ).content.decode()

    assert 'value="Sent &lt;b&gt;flowers&lt;/b&gt;"' in body
    assert f'id="id_complete_{closing.pk}_gift_note" maxlength="300" value="{"x" * 301}"' in body
    assert "is-invalid" in body and "at most 300 characters" in body
    assert '<details class="followup-action" open>' in body
    closing.refresh_from_db()
    assert closing.status == "pending"


# --- Visibility ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "status"),
    [("alice_client", 200), ("bob_client", 404), ("maya_client", 200), ("charlie_client", 404)],
)
def test_who_may_open_a_follow_ups_draft(request, overdue, client_name, status):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("followups:draft", args=[overdue.pk])).status_code == status


@pytest.mark.parametrize("client_name", ["bob_client", "charlie_client"])
def test_others_cannot_complete_or_skip_alices_follow_ups(request, overdue, client_name):
    client = request.getfixturevalue(client_name)

    complete = client.post(reverse("followups:complete", args=[overdue.pk]), {"channel": "email"})
    skip = client.post(reverse("followups:skip", args=[overdue.pk]), {"reason": "nope"})

    assert (complete.status_code, skip.status_code) == (404, 404)
    overdue.refresh_from_db()
    assert overdue.status == "pending"


def test_the_manager_may_complete_a_reps_follow_up(maya, maya_client, overdue):
    response = maya_client.post(
        reverse("followups:complete", args=[overdue.pk]), {"channel": "email"}, **HX
    )
    assert response.status_code == 200
    assert Activity.objects.get(verb="followup_done").actor == maya
    assert "· Alice" in response.content.decode()  # the owner is named when it is not you


def test_an_unknown_follow_up_is_a_404(alice_client):
    assert alice_client.get(reverse("followups:draft", args=[999999])).status_code == 404


# --- Drafts -------------------------------------------------------------------------------


def test_the_draft_names_the_people_and_what_happened(alice, alice_client, overdue):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()

    response = alice_client.get(reverse("followups:draft", args=[overdue.pk]))

    form = response.context["form"]
    body = form.initial["body"]
    assert body.startswith("Hi Carla,")
    assert "Pete Prospect" in body
    assert body.rstrip().endswith("Alice Archer")
    page = response.content.decode()
    assert "Send by email to carla@example.com" in page
    assert 'data-copy-target="#id_body"' in page
    assert "js/followups.js" in page
    assert "<script>" not in page  # no inline JavaScript


def _moved(referral, *steps):
    for to in steps:
        referral.status = to
        setattr(referral, STEP_TIME_FIELD[to], timezone.now())
    referral.save()
    return referral


@pytest.mark.parametrize(
    ("kind", "occasion", "steps", "expected"),
    [
        (Kind.THANK_REFERRER, "asked", [], ["Hi Carla,", "Pete Prospect", "Thank you"]),
        (
            Kind.STATUS_REPORT,
            "contacted",
            ["confirmed", "contacted"],
            ["Hi Carla,", "got in touch with Pete Prospect"],
        ),
        (
            Kind.STATUS_REPORT,
            "meeting",
            ["confirmed", "contacted", "meeting"],
            ["Pete Prospect and I met on"],
        ),
        (
            Kind.STATUS_REPORT,
            "lost",
            ["confirmed", "lost"],
            ["hear this from me first", "Pete Prospect", "not to go ahead"],
        ),
        (
            Kind.CLOSING_THANKS,
            "won",
            ["confirmed", "contacted", "meeting", "won"],
            ["Good news", "Pete Prospect decided to work with us"],
        ),
        (
            Kind.THANK_PROSPECT,
            "contacted",
            ["confirmed", "contacted"],
            ["Hi Pete,", "Carla Client spoke highly of you"],
        ),
        (
            Kind.PERIODIC_UPDATE,
            "meeting",
            ["confirmed", "contacted", "meeting"],
            ["Hi Carla,", "Pete Prospect and I met on"],
        ),
        (
            Kind.PERIODIC_UPDATE,
            "periodic:1",
            ["confirmed", "contacted"],
            ["Hi Carla,", "A short update on Pete Prospect", "I have been in touch"],
        ),
    ],
)
def test_each_kind_has_its_own_draft(alice, referral, kind, occasion, steps, expected):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    referral = _moved(referral, *steps)
    followup = followup_of(referral, kind=kind, occasion=occasion)
    if kind == Kind.THANK_PROSPECT:
        followup.recipient = referral.prospect

    draft = drafts.draft_for(followup)

    for text in expected:
        assert text in draft.body
    assert "Pete Prospect" in draft.subject or kind == Kind.THANK_PROSPECT
    assert draft.body.rstrip().endswith("Alice Archer")
    assert "&" not in draft.body  # nothing escaped by hand


def test_names_are_escaped_by_the_page_not_the_draft(acme, alice, alice_client):
    referrer = ClientFactory(team=acme, owner=alice, first_name="Bo<b>", last_name="O'Hara")
    followup = followup_of(ReferralFactory(referrer=referrer))

    draft = drafts.draft_for(followup)
    page = alice_client.get(reverse("followups:draft", args=[followup.pk])).content.decode()

    assert "Hi Bo<b>," in draft.body
    assert "Hi Bo&lt;b&gt;," in page
    assert "<b>," not in page


@pytest.fixture
def published(monkeypatch):
    """Email ids handed to the broker (the broker is not under test here)."""
    ids = []
    monkeypatch.setattr(
        outbox_tasks.outgoing_email_send,
        "apply_async",
        lambda args, kwargs=None, **options: ids.append(args[0]),
    )
    return ids


def test_sending_the_draft_logs_one_email_and_marks_it_done(
    alice_client, overdue, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("followups:draft", args=[overdue.pk]),
            {"subject": "Thank you, Carla", "body": "Hi Carla,\n\nThank you!\n\nAlice"},
        )

    assert response.status_code == 302
    email = OutgoingEmail.objects.get()
    assert (email.to, email.subject, email.purpose, email.followup_id) == (
        "carla@example.com",
        "Thank you, Carla",
        "followup",
        overdue.pk,
    )
    # The rep's words, then (the referral is still asked) the links Carla answers it with.
    typed, links = email.body.split("\n\n---\n")
    assert typed == "Hi Carla,\n\nThank you!\n\nAlice"
    assert links.count("/r/") == 3
    assert published == [email.pk]
    overdue.refresh_from_db()
    assert (overdue.status, overdue.channel) == ("done", Channel.EMAIL)
    assert views.EMAIL_QUEUED.format(recipient="Carla Client", email="carla@example.com") in (
        messages_of(response)
    )


def test_a_done_follow_up_cannot_be_sent_again(alice_client, overdue, published):
    services.followup_complete(followup=overdue, actor=overdue.owner, channel=Channel.PHONE)

    page = alice_client.get(reverse("followups:draft", args=[overdue.pk])).content.decode()
    response = alice_client.post(
        reverse("followups:draft", args=[overdue.pk]), {"subject": "S", "body": "B"}
    )

    assert "already done" in page
    assert "disabled" in page
    assert response.status_code == 200
    assert "already done" in response.content.decode()
    assert not OutgoingEmail.objects.exists()


def test_no_send_button_for_someone_without_an_email_address(alice_client, overdue, published):
    overdue.recipient.email = ""
    overdue.recipient.save()

    page = alice_client.get(reverse("followups:draft", args=[overdue.pk])).content.decode()
    response = alice_client.post(
        reverse("followups:draft", args=[overdue.pk]), {"subject": "S", "body": "B"}
    )

    assert "disabled" in page
    assert "has no email address in Warmpath" in page
    assert response.status_code == 200
    assert "has no email address" in response.content.decode()
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_draft_page_costs_the_same_whatever_the_history(
    alice_client, referral, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        followup_of(referral, status="done", done_at=timezone.now())
    followup = followup_of(referral)
    # session, user, membership, memberships for the visibility rules, the follow-up
    # with its referral, people and owner, the bell's unread notifications
    with django_assert_max_num_queries(6):
        response = alice_client.get(reverse("followups:draft", args=[followup.pk]))
    assert response.status_code == 200


# --- The team's overdue follow-ups ------------------------------------------------------------


def test_the_manager_sees_the_teams_overdue_follow_ups_by_rep(
    acme, alice, bob, maya_client, referral, charlie
):
    for _ in range(2):
        followup_of(referral)
    bobs = followup_of(ReferralFactory(referrer=ClientFactory(team=acme, owner=bob)))
    followup_of(referral, due_in=timedelta(hours=5))  # not overdue yet
    followup_of(
        ReferralFactory(referrer=ClientFactory(team=charlie.memberships.get().team, owner=charlie))
    )

    response = maya_client.get(reverse("followups:team-overdue"))

    assert response.status_code == 200
    by_rep = {row["name"]: row["overdue"] for row in response.context["by_rep"]}
    assert by_rep == {str(alice): 2, str(bob): 1}
    assert response.context["page"].paginator.count == 3
    only_bob = maya_client.get(reverse("followups:team-overdue"), {"rep": bob.pk})
    assert list(only_bob.context["page"].object_list) == [bobs]
    assert only_bob.context["page"].paginator.count == 1


def test_the_team_page_is_for_managers(alice_client, charlie_client):
    assert alice_client.get(reverse("followups:team-overdue")).status_code == 404
    assert charlie_client.get(reverse("followups:team-overdue")).status_code == 404


def test_the_team_page_says_when_nobody_is_behind(maya_client):
    page = maya_client.get(reverse("followups:team-overdue")).content.decode()
    assert "No overdue follow-ups in the team" in page


@pytest.mark.parametrize("reps", [3, 30])
def test_the_team_page_costs_the_same_whatever_the_team_size(
    acme, maya_client, reps, django_assert_max_num_queries
):
    for membership in MembershipFactory.create_batch(reps, team=acme):
        rep_referral = ReferralFactory(referrer=ClientFactory(team=acme, owner=membership.user))
        followup_of(rep_referral)
        followup_of(rep_referral)
    # session, user, membership, memberships for the visibility rules, the bell's unread
    # notifications, the overdue counts per rep (one aggregate, which also gives the
    # list's length), the page of them with their referral, people and owner.
    with django_assert_max_num_queries(7):
        response = maya_client.get(reverse("followups:team-overdue"))
    assert len(response.context["by_rep"]) == reps
    assert response.context["page"].paginator.count == 2 * reps


# --- The referral page -------------------------------------------------------------------------


def test_the_referral_page_lists_its_follow_ups_with_their_state(alice, acme, alice_client):
    referrer = ClientFactory(
        team=acme, owner=alice, first_name="Carla", update_cadence=UpdateCadence.AT_END
    )
    referral = referral_services.referral_create(
        owner=alice,
        team=acme,
        referrer=referrer,
        prospect=ContactFactory(team=acme, owner=alice),
        asked_at=timezone.now() - timedelta(days=3),
    )
    thanks = FollowUp.objects.get(referral=referral)

    page = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))
    alice_client.post(reverse("followups:complete", args=[thanks.pk]), {"channel": "phone"})
    after = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))

    assert "Thank the referrer" in page.content.decode()
    assert reverse("followups:complete", args=[thanks.pk]) in page.content.decode()
    assert "Done · phone" in after.content.decode()
    assert referral.status == Referral.Status.ASKED


# --- Admin --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 30])
def test_the_admin_lists_follow_ups_with_filters_at_a_fixed_cost(
    admin_client_, referral, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        followup_of(referral)
    followup_of(referral, due_in=timedelta(days=2))
    # session, user, the filtered count, the count of all, the page with its joined rows,
    # the active membership, the date hierarchy's range and its days
    with django_assert_max_num_queries(8):
        response = admin_client_.get(
            "/admin/followups/followup/", {"overdue": "yes", "kind__exact": "thank_referrer"}
        )
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows
    assert admin_client_.get("/admin/followups/followup/add/").status_code == 403
