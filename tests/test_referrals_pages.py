"""The rep's referral work in the browser: roster, readiness, asks and their steps, deals,
referrals given, the ideal client profile — what each page shows, what it refuses, who
may see it, and that its queries do not grow with the data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from contacts import forms as contact_forms
from contacts import views_profile
from contacts.models import Contact, IdealClientProfile
from referrals import forms as referral_forms
from referrals import selectors, services, views
from referrals.models import STEP_TIME_FIELD, Deal, ReadinessCheck, Referral, RosterEntry
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    ReferralGivenFactory,
    RosterEntryFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

Status = Referral.Status


def local_input(moment) -> str:
    """A time as the browser's datetime-local input sends it (the user's zone, UTC here)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def people(acme, alice):
    """Alice's part of Acme's network, with names that need no HTML escaping."""
    company = CompanyFactory(team=acme, name="Initech")
    return {
        "client": ClientFactory(
            team=acme, owner=alice, first_name="Carla", last_name="Client", company=company
        ),
        "prospect": ContactFactory(
            team=acme, owner=alice, first_name="Pete", last_name="Prospect", company=company
        ),
    }


@pytest.fixture
def referral(people):
    return ReferralFactory(referrer=people["client"], prospect=people["prospect"])


# --- Roster -------------------------------------------------------------------------------


def test_adding_an_existing_contact_to_the_roster(alice, alice_client, people):
    response = alice_client.post(
        reverse("referrals:roster-create"),
        {"prospect": people["prospect"].pk, "priority": 1, "reason": "Three new sites"},
    )
    assert response.status_code == 302
    entry = RosterEntry.objects.get()
    assert (entry.owner, entry.prospect, entry.priority) == (alice, people["prospect"], 1)
    assert entry.status == RosterEntry.Status.WANTED
    assert views.ROSTER_ADDED.format(prospect="Pete Prospect") in messages_of(response)


def test_the_prospect_can_be_preselected(alice_client, people):
    response = alice_client.get(
        reverse("referrals:roster-create") + f"?prospect={people['prospect'].pk}"
    )
    assert f'<option value="{people["prospect"].pk}" selected>' in response.content.decode()


def test_adding_a_new_person_creates_the_contact_and_the_entry(alice, alice_client, acme):
    response = alice_client.post(
        reverse("referrals:roster-create"),
        {
            "new_first_name": "Nina",
            "new_last_name": "New",
            "new_company": "Hooli",
            "new_email": "nina@hooli.example",
            "priority": 2,
            "reason": "",
        },
    )
    assert response.status_code == 302
    entry = RosterEntry.objects.select_related("prospect__company").get()
    assert entry.prospect.full_name == "Nina New"
    assert entry.prospect.team == acme
    assert entry.prospect.owner == alice
    assert entry.prospect.company.name == "Hooli"
    assert entry.prospect.email == "nina@hooli.example"


def test_a_new_person_who_duplicates_a_contact_is_refused_and_nothing_is_written(
    alice_client, people
):
    people["prospect"].email = "pete@initech.example"
    people["prospect"].save()
    before = Contact.objects.count()
    response = alice_client.post(
        reverse("referrals:roster-create"),
        {"new_first_name": "Peter", "new_email": "PETE@initech.example", "priority": 2},
    )
    assert response.status_code == 200
    assert "new_email" in response.context["form"].errors
    assert Contact.objects.count() == before
    assert not RosterEntry.objects.exists()


def test_a_prospect_already_on_the_roster_is_refused_with_a_message(alice, alice_client, people):
    RosterEntryFactory(prospect=people["prospect"], owner=alice)
    response = alice_client.post(
        reverse("referrals:roster-create"), {"prospect": people["prospect"].pk, "priority": 2}
    )
    assert response.status_code == 200
    refusal, link = response.context["form"].errors["prospect"]
    assert refusal == services.ALREADY_ON_ROSTER.format(prospect="Pete Prospect")
    assert "Open Pete Prospect&#x27;s roster entry" in link  # tests/test_daily_use_defects.py
    assert RosterEntry.objects.count() == 1


def test_a_contact_of_another_team_cannot_be_rostered(alice_client, globex, charlie):
    outsider = ContactFactory(team=globex, owner=charlie)
    response = alice_client.post(
        reverse("referrals:roster-create"), {"prospect": outsider.pk, "priority": 2}
    )
    assert response.status_code == 200
    assert "prospect" in response.context["form"].errors
    assert not RosterEntry.objects.exists()


def test_the_roster_form_needs_someone(alice_client):
    response = alice_client.post(reverse("referrals:roster-create"), {"priority": 2})
    assert response.context["form"].non_field_errors() == [referral_forms.PICK_OR_CREATE_PROSPECT]


def test_the_roster_is_sorted_by_priority_then_fit(alice, alice_client, acme):
    def entry(name, priority, fit):
        prospect = ContactFactory(team=acme, owner=alice, first_name=name, fit_score=fit)
        return RosterEntryFactory(prospect=prospect, owner=alice, priority=priority)

    low_fit_high = entry("Ann", 1, 40)
    best_fit_low = entry("Bea", 3, 95)
    best_fit_high = entry("Cid", 1, 90)
    medium = entry("Dan", 2, 10)
    response = alice_client.get(reverse("referrals:roster"))
    assert list(response.context["page"].object_list) == [
        best_fit_high,
        low_fit_high,
        medium,
        best_fit_low,
    ]


def test_the_roster_filters_and_searches(alice, alice_client, acme):
    wanted = RosterEntryFactory(
        prospect=ContactFactory(team=acme, owner=alice, first_name="Zelda"), priority=1
    )
    RosterEntryFactory(
        prospect=ContactFactory(team=acme, owner=alice, first_name="Yves"),
        priority=3,
        status=RosterEntry.Status.ASKED,
    )
    url = reverse("referrals:roster")
    assert list(alice_client.get(url, {"q": "zeld"}).context["page"]) == [wanted]
    assert list(alice_client.get(url, {"priority": 1}).context["page"]) == [wanted]
    assert list(alice_client.get(url, {"status": "wanted"}).context["page"]) == [wanted]
    empty = alice_client.get(url, {"q": "nobody"})
    assert "No roster entry matches these filters" in empty.content.decode()


def test_the_empty_roster_says_what_to_do(alice_client):
    response = alice_client.get(reverse("referrals:roster"))
    assert "Your roster is empty" in response.content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "referrals:roster",
        "referrals:pipeline",
        "referrals:deal-list",
        "referrals:given-list",
        "referrals:icp",
    ],
)
def test_the_referral_pages_have_one_navigation_the_main_one(alice_client, url_name):
    page = alice_client.get(reverse(url_name)).content.decode()

    # No second row of tabs repeating the main navigation; the page's own entry is marked
    # current there (inside the "More" menu for the pages it holds).
    assert "nav-tabs" not in page
    assert page.count('aria-current="page"') == 1
    current = page[: page.index('aria-current="page"')].rsplit("<a ", 1)[1]
    assert "active" in current


def test_each_entry_offers_to_ask_for_an_introduction(alice, alice_client, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    response = alice_client.get(reverse("referrals:roster"))
    assert f"{reverse('referrals:referral-create')}?roster={entry.pk}" in response.content.decode()


def test_only_the_entrys_rep_is_offered_the_ask(alice, maya_client, people):
    # An ask from another rep's roster entry is refused (the ask would move their roster):
    # the manager reading the team's roster is not offered one.
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)

    page = maya_client.get(reverse("referrals:roster")).content.decode()

    assert str(people["prospect"]) in page
    assert f"?roster={entry.pk}" not in page


def test_a_manager_sees_the_team_roster_with_owners_and_filters_by_rep(
    alice, bob, maya_client, acme
):
    alices = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice))
    bobs = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=bob))
    response = maya_client.get(reverse("referrals:roster"))
    assert set(response.context["page"]) == {alices, bobs}
    assert response.context["show_owner"]
    only_bob = maya_client.get(reverse("referrals:roster"), {"owner": bob.pk})
    assert list(only_bob.context["page"]) == [bobs]


def test_a_rep_sees_only_their_own_roster(alice, bob, alice_client, acme):
    mine = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice))
    RosterEntryFactory(prospect=ContactFactory(team=acme, owner=bob))
    response = alice_client.get(reverse("referrals:roster"))
    assert list(response.context["page"]) == [mine]
    assert not response.context["show_owner"]
    # No rep picker for a rep (the filter still applies, as in the API: referrals.filters).
    shown = [field.name for field in response.context["filter_form"].visible_fields()]
    assert shown == ["q", "status", "priority"]


def test_editing_and_removing_a_roster_entry(alice, alice_client, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice, priority=2)
    response = alice_client.post(
        reverse("referrals:roster-edit", args=[entry.pk]), {"priority": 1, "reason": "Now"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.priority, entry.reason) == (1, "Now")
    confirm = alice_client.get(reverse("referrals:roster-delete", args=[entry.pk]))
    assert "Remove Pete Prospect from the roster?" in confirm.content.decode()
    assert RosterEntry.objects.exists()
    alice_client.post(reverse("referrals:roster-delete", args=[entry.pk]))
    assert not RosterEntry.objects.exists()
    assert Contact.objects.filter(pk=people["prospect"].pk).exists()


# --- Readiness ------------------------------------------------------------------------------


def test_recording_a_readiness_check_leads_to_the_client_page_showing_it(
    alice, alice_client, people
):
    client = people["client"]
    form = alice_client.get(reverse("referrals:readiness-create") + f"?client={client.pk}")
    assert f'<option value="{client.pk}" selected>' in form.content.decode()
    response = alice_client.post(
        reverse("referrals:readiness-create"),
        {
            "client": client.pk,
            "checked_on": timezone.localdate().isoformat(),
            "went_well": "Fast answers",
            "could_improve": "Invoices",
            "would_take": "Keep it up",
            "testimonial": "They saved our quarter.",
            "may_quote": "on",
            "green_light": "on",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("contacts:detail", args=[client.pk])
    check = ReadinessCheck.objects.get()
    assert (check.owner, check.client, check.green_light, check.may_quote) == (
        alice,
        client,
        True,
        True,
    )
    page = alice_client.get(response.url)
    assert "Green light" in page.content.decode()


def test_a_readiness_check_cannot_be_in_the_future(alice_client, people):
    response = alice_client.post(
        reverse("referrals:readiness-create"),
        {
            "client": people["client"].pk,
            "checked_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "checked_on" in response.context["form"].errors
    assert not ReadinessCheck.objects.exists()


# --- Asking ---------------------------------------------------------------------------------


def ask(client, people, **extra):
    data = {
        "referrer": people["client"].pk,
        "prospect": people["prospect"].pk,
        "reason": "Opening three sites",
        "quality": "better",
        "channel": "phone",
        "message": "Would you introduce me to Pete?",
        **extra,
    }
    return client.post(reverse("referrals:referral-create"), data)


def test_asking_a_client_without_a_green_light_warns_but_records_the_ask(
    alice, alice_client, people
):
    form = alice_client.get(
        reverse("referrals:referral-create") + f"?referrer={people['client'].pk}"
    )
    warning = services.NO_GREEN_LIGHT.format(client="Carla Client")
    assert warning in form.content.decode()
    response = ask(alice_client, people)
    referral = Referral.objects.get()
    assert response.url == reverse("referrals:referral-detail", args=[referral.pk])
    assert (referral.owner, referral.status, referral.channel) == (alice, Status.ASKED, "phone")
    stored = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in stored if str(m) == warning] == ["warning"]


def test_asking_a_client_with_a_green_light_does_not_warn(alice, alice_client, people):
    ReadinessCheckFactory(client=people["client"], owner=alice, green_light=True)
    form = alice_client.get(
        reverse("referrals:referral-create") + f"?referrer={people['client'].pk}"
    )
    assert "has not given a green light" not in form.content.decode()
    response = ask(alice_client, people)
    assert Referral.objects.count() == 1
    assert not any("green light" in message for message in messages_of(response))


def test_the_referrer_warning_follows_the_picked_referrer(alice, alice_client, people):
    url = reverse("referrals:referrer-warning")
    assert (
        "green light" in alice_client.get(url, {"referrer": people["client"].pk}).content.decode()
    )
    ReadinessCheckFactory(client=people["client"], owner=alice, green_light=True)
    assert (
        "green light"
        not in alice_client.get(url, {"referrer": people["client"].pk}).content.decode()
    )


def test_asking_from_the_roster_links_the_entry_and_moves_its_status(alice, alice_client, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice, reason="Sites")
    form = alice_client.get(reverse("referrals:referral-create") + f"?roster={entry.pk}")
    assert form.context["form"].initial["prospect"] == people["prospect"].pk
    ask(alice_client, people, roster_entry=entry.pk)
    referral = Referral.objects.get()
    assert referral.roster_entry == entry
    entry.refresh_from_db()
    assert entry.status == RosterEntry.Status.ASKED


def test_the_referrer_cannot_be_the_prospect(alice_client, people):
    response = ask(alice_client, people, prospect=people["client"].pk)
    assert response.status_code == 200
    assert response.context["form"].errors["prospect"] == [services.REFERRER_IS_PROSPECT]
    assert not Referral.objects.exists()


def test_an_ask_in_the_future_is_refused(alice_client, people):
    response = ask(alice_client, people, asked_at=local_input(timezone.now() + timedelta(days=1)))
    assert response.context["form"].errors["asked_at"] == [services.ASKED_IN_FUTURE]
    assert not Referral.objects.exists()


# --- Steps ----------------------------------------------------------------------------------


def step(client, referral, to, **extra):
    return client.post(
        reverse("referrals:referral-transition", args=[referral.pk]), {"to": to, **extra}
    )


WALKS = [
    [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
    [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.LOST],
    [Status.CONFIRMED, Status.CONTACTED, Status.LOST],
    [Status.CONFIRMED, Status.LOST],
    [Status.DECLINED],
]


@pytest.mark.parametrize("walk", WALKS, ids=lambda walk: "-".join(walk))
def test_every_allowed_step_through_the_page_is_taken_and_dated(alice_client, referral, walk):
    start = referral.asked_at
    for hours, target in enumerate(walk, start=1):
        moment = (start + timedelta(hours=hours)).replace(second=0, microsecond=0)
        extra = {"at": local_input(moment)}
        if target == Status.WON:
            extra["value"] = "25000"
        response = step(alice_client, referral, target, **extra)
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.status == target
        assert getattr(referral, STEP_TIME_FIELD[target]) == moment
    assert referral.activities.count() == len(walk)  # one timeline line per step


def test_a_step_without_a_time_is_dated_now(alice_client, referral):
    before = timezone.now()
    step(alice_client, referral, Status.CONFIRMED)
    referral.refresh_from_db()
    assert before <= referral.confirmed_at <= timezone.now()


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.ASKED, Status.CONTACTED),
        (Status.ASKED, Status.WON),
        (Status.CONFIRMED, Status.DECLINED),
        (Status.CONFIRMED, Status.MEETING),
        (Status.MEETING, Status.CONTACTED),
        (Status.WON, Status.LOST),
        (Status.DECLINED, Status.CONFIRMED),
        (Status.ASKED, Status.ASKED),
    ],
)
def test_an_impossible_step_is_refused_with_the_rule_and_changes_nothing(
    alice_client, referral, current, target
):
    path = {
        Status.ASKED: [],
        Status.CONFIRMED: [Status.CONFIRMED],
        Status.MEETING: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING],
        Status.WON: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
        Status.DECLINED: [Status.DECLINED],
    }[current]
    for hours, status in enumerate(path, start=1):
        services.referral_transition(
            referral=referral, to=status, at=referral.asked_at + timedelta(hours=hours)
        )
    referral.refresh_from_db()
    before = Referral.objects.filter(pk=referral.pk).values().get()
    response = step(alice_client, referral, target, value="100")
    expected = services.IMPOSSIBLE_TRANSITION.format(
        current=Status(current).label.lower(), to=Status(target).label.lower()
    )
    assert messages_of(response) == [expected]
    assert Referral.objects.filter(pk=referral.pk).values().get() == before


def test_a_win_without_its_value_is_a_win_and_a_banner_asks_for_the_value(alice_client, referral):
    for status in (Status.CONFIRMED, Status.CONTACTED, Status.MEETING):
        services.referral_transition(referral=referral, to=status)
    response = step(alice_client, referral, Status.WON)
    referral.refresh_from_db()
    assert referral.status == Status.WON and referral.value is None
    assert not any("Deal value" in message for message in messages_of(response))
    page = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))
    assert referral_forms.WON_VALUE_MISSING in page.content.decode()


def test_a_step_in_the_future_is_refused(alice_client, referral):
    response = step(
        alice_client, referral, Status.CONFIRMED, at=local_input(timezone.now() + timedelta(days=1))
    )
    assert messages_of(response) == [services.TRANSITION_IN_FUTURE]
    referral.refresh_from_db()
    assert referral.status == Status.ASKED


def test_a_step_before_the_previous_one_is_refused(alice_client, referral):
    response = step(
        alice_client,
        referral,
        Status.CONFIRMED,
        at=local_input(referral.asked_at - timedelta(days=1)),
    )
    (message,) = messages_of(response)
    assert message.startswith(services.TRANSITION_BEFORE_PREVIOUS.split("(")[0])
    referral.refresh_from_db()
    assert (referral.status, referral.confirmed_at) == (Status.ASKED, None)


def test_a_bad_step_name_is_an_error_not_a_crash(alice_client, referral):
    response = step(alice_client, referral, "teleported")
    assert response.status_code == 302
    assert len(messages_of(response)) == 1
    referral.refresh_from_db()
    assert referral.status == Status.ASKED


def test_the_pipeline_steps_come_back_to_the_pipeline(alice_client, referral):
    back = reverse("referrals:pipeline") + "?status=asked"
    response = step(alice_client, referral, Status.CONFIRMED, next=back)
    assert response.url == back
    elsewhere = step(alice_client, referral, Status.CONTACTED, next="https://evil.example/")
    assert elsewhere.url == reverse("referrals:referral-detail", args=[referral.pk])


def test_the_pipelines_step_buttons_post_to_the_referral_and_return_to_the_same_list(
    alice_client, referral
):
    here = reverse("referrals:pipeline") + "?status=asked&quality="
    page = alice_client.get(here).content.decode()

    transition = reverse("referrals:referral-transition", args=[referral.pk])
    assert page.count(f'action="{transition}"') == len(services.allowed_transitions(referral))
    assert f'name="next" value="{here.replace("&", "&amp;")}"' in page
    assert f'href="{reverse("referrals:referral-detail", args=[referral.pk])}"' in page


def test_the_deal_opens_at_the_meeting_and_closes_at_won_with_the_same_date_and_value(
    alice_client, referral
):
    start = referral.asked_at
    step(alice_client, referral, Status.CONFIRMED, at=local_input(start + timedelta(days=1)))
    step(alice_client, referral, Status.CONTACTED, at=local_input(start + timedelta(days=2)))
    assert not Deal.objects.exists()
    meeting = start + timedelta(days=3)
    step(alice_client, referral, Status.MEETING, at=local_input(meeting))
    deal = Deal.objects.get()
    assert (deal.referral, deal.source, deal.outcome) == (referral, "referral", "open")
    assert deal.opened_on == timezone.localdate(meeting)
    won = start + timedelta(days=5)
    step(alice_client, referral, Status.WON, at=local_input(won), value="42000")
    deal.refresh_from_db()
    referral.refresh_from_db()
    assert (deal.outcome, deal.closed_on, deal.value) == (
        "won",
        timezone.localdate(referral.won_at),
        Decimal("42000"),
    )
    assert referral.value == Decimal("42000")


def test_a_lost_meeting_closes_the_deal_lost(alice_client, referral):
    for status in (Status.CONFIRMED, Status.CONTACTED, Status.MEETING):
        step(alice_client, referral, status)
    step(alice_client, referral, Status.LOST)
    deal = Deal.objects.get()
    referral.refresh_from_db()
    assert (deal.outcome, deal.closed_on) == ("lost", timezone.localdate(referral.lost_at))


@pytest.mark.parametrize(
    ("walk", "roster_status"),
    [
        ([], RosterEntry.Status.ASKED),
        ([Status.CONFIRMED], RosterEntry.Status.INTRODUCED),
        ([Status.CONFIRMED, Status.CONTACTED, Status.MEETING], RosterEntry.Status.MEETING),
        ([Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON], RosterEntry.Status.WON),
        ([Status.CONFIRMED, Status.LOST], RosterEntry.Status.LOST),
        ([Status.DECLINED], RosterEntry.Status.WANTED),
    ],
)
def test_the_roster_status_follows_the_referral(alice, alice_client, people, walk, roster_status):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    ask(alice_client, people, roster_entry=entry.pk)
    referral = Referral.objects.get()
    for status in walk:
        step(alice_client, referral, status, value="1000")
    entry.refresh_from_db()
    assert entry.status == roster_status


def test_the_detail_page_shows_the_steps_the_next_ones_and_the_timeline(alice_client, referral):
    services.referral_transition(referral=referral, to=Status.CONFIRMED)
    response = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))
    page = response.content.decode()
    assert "Carla Client → Pete Prospect" in page
    assert response.context["next_steps"] == [
        (Status.CONTACTED, Status.CONTACTED.label),
        (Status.LOST, Status.LOST.label),
    ]
    assert [s["label"] for s in response.context["steps"] if s["done"]] == [
        Status.ASKED.label,
        Status.CONFIRMED.label,
    ]
    assert "confirmed the introduction to Pete Prospect" in page
    assert 'name="to" value="contacted"' in page


def test_a_final_referral_offers_no_step(alice_client, referral):
    services.referral_transition(referral=referral, to=Status.DECLINED)
    response = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))
    assert response.context["next_steps"] == []
    assert "no step left" in response.content.decode()


def test_editing_a_referral_changes_what_was_asked_never_the_status(alice_client, referral):
    response = alice_client.post(
        reverse("referrals:referral-edit", args=[referral.pk]),
        {"reason": "New reason", "quality": "best", "channel": "video", "status": "won"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.reason, referral.quality, referral.status) == ("New reason", "best", "asked")


def test_the_pipeline_counts_and_filters(alice, alice_client, people, acme):
    other = ContactFactory(team=acme, owner=alice, first_name="Olga", last_name="Other")
    asked = ReferralFactory(referrer=people["client"], prospect=people["prospect"])
    confirmed = ReferralFactory(referrer=people["client"], prospect=other, quality="best")
    services.referral_transition(referral=confirmed, to=Status.CONFIRMED)
    url = reverse("referrals:pipeline")
    response = alice_client.get(url)
    stages = {status: count for status, _, count in response.context["stages"]}
    assert (stages["asked"], stages["confirmed"], stages["won"]) == (1, 1, 0)
    assert response.context["open_total"] == 2
    assert list(alice_client.get(url, {"status": "confirmed"}).context["page"]) == [confirmed]
    assert list(alice_client.get(url, {"quality": "best"}).context["page"]) == [confirmed]
    assert list(alice_client.get(url, {"q": "olga"}).context["page"]) == [confirmed]
    assert set(alice_client.get(url, {"status": "open"}).context["page"]) == {asked, confirmed}
    today = timezone.localdate().isoformat()
    assert list(alice_client.get(url, {"asked_from": today}).context["page"]) == []
    assert (
        "No referral matches these filters"
        in alice_client.get(url, {"asked_from": today}).content.decode()
    )


def test_the_empty_pipeline_says_what_to_do(alice_client):
    assert "No asks yet" in alice_client.get(reverse("referrals:pipeline")).content.decode()


# --- Deals and referrals given --------------------------------------------------------------


def test_recording_and_editing_a_deal(alice, alice_client, people):
    response = alice_client.post(
        reverse("referrals:deal-create"),
        {
            "contact": people["prospect"].pk,
            "name": "Pilot",
            "source": "inbound",
            "value": "5000",
            "outcome": "open",
            "opened_on": "2024-01-10",
        },
    )
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert (deal.owner, deal.source, deal.value) == (alice, "inbound", Decimal("5000"))
    response = alice_client.post(
        reverse("referrals:deal-edit", args=[deal.pk]),
        {
            "name": "Pilot",
            "source": "inbound",
            "value": "6000",
            "outcome": "won",
            "opened_on": "2024-01-10",
            "closed_on": "2024-01-09",
        },
    )
    assert response.context["form"].errors["closed_on"] == [services.CLOSED_BEFORE_OPENED]
    alice_client.post(
        reverse("referrals:deal-edit", args=[deal.pk]),
        {
            "name": "Pilot",
            "source": "inbound",
            "value": "6000",
            "outcome": "won",
            "opened_on": "2024-01-10",
            "closed_on": "2024-02-01",
        },
    )
    deal.refresh_from_db()
    assert (deal.outcome, deal.value) == ("won", Decimal("6000"))


def test_a_referral_deal_shows_its_referral_and_only_its_name_can_change(alice_client, referral):
    for status in (Status.CONFIRMED, Status.CONTACTED, Status.MEETING):
        services.referral_transition(referral=referral, to=status)
    deal = Deal.objects.get()
    listing = alice_client.get(reverse("referrals:deal-list")).content.decode()
    assert reverse("referrals:referral-detail", args=[referral.pk]) in listing
    form = alice_client.get(reverse("referrals:deal-edit", args=[deal.pk]))
    assert set(form.context["form"].fields) == {"name"}
    alice_client.post(
        reverse("referrals:deal-edit", args=[deal.pk]), {"name": "Big one", "outcome": "won"}
    )
    deal.refresh_from_db()
    assert (deal.name, deal.outcome) == ("Big one", "open")


def test_the_deal_list_filters(alice, alice_client, people):
    cold = DealFactory(contact=people["prospect"], owner=alice, source="cold", name="Cold one")
    DealFactory(contact=people["client"], owner=alice, source="event", name="Event one")
    url = reverse("referrals:deal-list")
    assert list(alice_client.get(url, {"source": "cold"}).context["page"]) == [cold]
    assert list(alice_client.get(url, {"q": "cold"}).context["page"]) == [cold]
    assert len(alice_client.get(url, {"outcome": "open"}).context["page"]) == 2


def test_recording_a_referral_given(alice, alice_client, people):
    response = alice_client.post(
        reverse("referrals:given-create"),
        {
            "client": people["client"].pk,
            "introduced_name": "Dr. Who",
            "given_on": timezone.localdate().isoformat(),
            "note": "Their accountant",
        },
    )
    assert response.status_code == 302
    listing = alice_client.get(reverse("referrals:given-list"))
    (given,) = listing.context["page"]
    assert (given.owner, given.client, given.introduced_name) == (
        alice,
        people["client"],
        "Dr. Who",
    )
    empty = alice_client.post(
        reverse("referrals:given-create"),
        {"client": people["client"].pk, "given_on": timezone.localdate().isoformat()},
    )
    assert empty.context["form"].errors["introduced_name"] == [services.GIVEN_NEEDS_SOMEONE]


# --- The ideal client profile ---------------------------------------------------------------


def test_a_manager_saves_the_profile_and_the_team_is_rescored(maya_client, acme, alice):
    fits = ContactFactory(team=acme, owner=alice, company=CompanyFactory(team=acme))
    response = maya_client.post(
        reverse("referrals:icp"),
        {
            "industries": ["software"],
            "regions": "Northeast, DACH",
            "min_employees": "100",
            "max_employees": "1000",
            "situation_keywords": "",
            "weight_industry": 25,
            "weight_region": 15,
            "weight_size": 20,
            "weight_function": 15,
            "weight_person_type": 15,
            "weight_situation": 10,
        },
    )
    assert response.status_code == 302
    profile = IdealClientProfile.objects.get(team=acme)
    assert profile.regions == ["Northeast", "DACH"]
    fits.refresh_from_db()
    assert fits.fit_score == 100
    assert views_profile.ICP_SAVED.format(count=1, threshold=70) in messages_of(response)
    page = maya_client.get(reverse("referrals:icp")).content.decode()
    assert "<strong>1</strong> contact of your team fit well" in page


def test_the_profile_refuses_a_size_range_upside_down(maya_client):
    response = maya_client.post(
        reverse("referrals:icp"),
        {"min_employees": 500, "max_employees": 10, **dict.fromkeys(WEIGHTS, 10)},
    )
    assert response.context["form"].errors["max_employees"] == [contact_forms.MIN_ABOVE_MAX]
    assert not IdealClientProfile.objects.exists()


WEIGHTS = [
    "weight_industry",
    "weight_region",
    "weight_size",
    "weight_function",
    "weight_person_type",
    "weight_situation",
]


def test_a_rep_reads_the_profile_and_how_the_score_works_but_cannot_change_it(alice_client, acme):
    IdealClientProfile.objects.create(team=acme, industries=["finance"])
    response = alice_client.get(reverse("referrals:icp"))
    page = response.content.decode()
    assert response.context["form"] is None
    assert "How the fit score is computed" in page
    assert "Banking and finance" in page
    refused = alice_client.post(reverse("referrals:icp"), {"industries": ["software"]})
    assert refused.status_code == 403
    assert IdealClientProfile.objects.get().industries == ["finance"]


# --- Contact pickers --------------------------------------------------------------------------


def test_the_contact_picker_searches_the_team_only_and_is_bounded(
    alice, alice_client, charlie, charlie_client, acme, globex
):
    ContactFactory.create_batch(25, team=acme, owner=alice, first_name="Sam")
    outsider = ContactFactory(team=globex, owner=charlie, first_name="Sam")
    response = alice_client.get(reverse("referrals:contact-options"), {"q": "sam"})
    options = [value for value, _ in response.context["options"]]
    assert len(options) == 20
    assert outsider.pk not in options
    assert set(Contact.objects.filter(pk__in=options).values_list("team", flat=True)) == {acme.pk}
    theirs = charlie_client.get(reverse("referrals:contact-options"), {"q": "sam"})
    assert [value for value, _ in theirs.context["options"]] == [outsider.pk]


def test_the_referrer_picker_lists_clients_first(alice, alice_client, acme):
    ContactFactory.create_batch(3, team=acme, owner=alice, first_name="Sam", fit_score=90)
    client = ClientFactory(team=acme, owner=alice, first_name="Sam", fit_score=0)
    response = alice_client.get(
        reverse("referrals:contact-options"), {"q": "sam", "kind": "client"}
    )
    assert response.context["options"][0][0] == client.pk


def test_the_forms_never_list_the_whole_team(alice, alice_client, acme):
    ContactFactory.create_batch(30, team=acme, owner=alice)
    response = alice_client.get(reverse("referrals:referral-create"))
    # The prompt of each picker, and the channels.
    assert response.content.decode().count("<option") == 2 + 6


# --- Visibility -------------------------------------------------------------------------------


@pytest.fixture
def alices_records(alice, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    referral = ReferralFactory(
        referrer=people["client"], prospect=people["prospect"], roster_entry=entry
    )
    return {
        "entry": entry,
        "referral": referral,
        "deal": DealFactory(contact=people["prospect"], owner=alice),
        "given": ReferralGivenFactory(client=people["client"], owner=alice),
        "check": ReadinessCheckFactory(client=people["client"], owner=alice),
    }


def owned_pages(records):
    entry, referral, deal = records["entry"], records["referral"], records["deal"]
    return [
        reverse("referrals:roster-edit", args=[entry.pk]),
        reverse("referrals:roster-delete", args=[entry.pk]),
        reverse("referrals:referral-detail", args=[referral.pk]),
        reverse("referrals:referral-edit", args=[referral.pk]),
        reverse("referrals:deal-edit", args=[deal.pk]),
        reverse("referrals:referral-create") + f"?roster={entry.pk}",
    ]


def test_a_teammate_gets_404_on_alices_records_and_does_not_list_them(bob_client, alices_records):
    for url in owned_pages(alices_records):
        assert bob_client.get(url).status_code == 404, url
    referral = alices_records["referral"]
    assert step(bob_client, referral, Status.CONFIRMED).status_code == 404
    assert (
        bob_client.post(
            reverse("referrals:roster-delete", args=[alices_records["entry"].pk])
        ).status_code
        == 404
    )
    for name in ("roster", "pipeline", "deal-list", "given-list"):
        assert len(bob_client.get(reverse(f"referrals:{name}")).context["page"]) == 0, name
    referral.refresh_from_db()
    assert referral.status == Status.ASKED
    assert RosterEntry.objects.filter(pk=alices_records["entry"].pk).exists()


def test_the_manager_sees_and_works_on_alices_records(maya, maya_client, alices_records):
    for url in owned_pages(alices_records):
        assert maya_client.get(url).status_code == 200, url
    for name in ("roster", "pipeline", "deal-list", "given-list"):
        assert len(maya_client.get(reverse(f"referrals:{name}")).context["page"]) == 1, name
    referral = alices_records["referral"]
    step(maya_client, referral, Status.CONFIRMED)
    referral.refresh_from_db()
    assert referral.status == Status.CONFIRMED
    assert referral.activities.filter(verb="confirmed").get().actor == maya


def test_an_outsider_gets_404_everywhere(charlie_client, alices_records):
    for url in owned_pages(alices_records):
        assert charlie_client.get(url).status_code == 404, url
    assert step(charlie_client, alices_records["referral"], Status.CONFIRMED).status_code == 404
    for name in ("roster", "pipeline", "deal-list", "given-list"):
        assert len(charlie_client.get(reverse(f"referrals:{name}")).context["page"]) == 0, name
    # Alice's contacts are not Charlie's to pick: preselecting one shows nothing.
    client_pk = alices_records["check"].client_id
    form = charlie_client.get(reverse("referrals:readiness-create") + f"?client={client_pk}")
    assert f'value="{client_pk}"' not in form.content.decode()


def test_visitors_are_sent_to_the_login_page(client, alices_records):
    urls = [
        *owned_pages(alices_records),
        *(
            reverse(f"referrals:{name}")
            for name in (
                "roster",
                "roster-create",
                "pipeline",
                "referral-create",
                "readiness-create",
                "deal-list",
                "deal-create",
                "given-list",
                "given-create",
                "icp",
            )
        ),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert step(client, alices_records["referral"], Status.CONFIRMED).status_code == 302


# --- Queries do not grow with the data ---------------------------------------------------------
# The common part of every page: the session, the user, the active membership (navigation),
# and the memberships behind accounts.visibility.


def make_rows(alice, acme, rows):
    company = CompanyFactory(team=acme)
    for number in range(rows):
        client = ClientFactory(team=acme, owner=alice, company=company)
        prospect = ContactFactory(team=acme, owner=alice, company=company, fit_score=number)
        entry = RosterEntryFactory(prospect=prospect, owner=alice)
        referral = ReferralFactory(referrer=client, prospect=prospect, roster_entry=entry)
        if number % 2:
            services.referral_transition(referral=referral, to=Status.CONFIRMED)
        DealFactory(contact=prospect, owner=alice)
        ReferralGivenFactory(client=client, owner=alice)


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # session, user, membership, visibility memberships, count, the page's rows, the
        # best connector of every prospect on the page (one statement, referrals.connectors),
        # the bell's unread notifications
        ("roster", 8),
        # … + the counts per status (one aggregate)
        ("pipeline", 8),
        ("deal-list", 7),
        ("given-list", 7),
    ],
)
def test_list_pages_cost_the_same_whatever_the_size(
    alice, alice_client, maya_client, acme, rows, name, queries, django_assert_max_num_queries
):
    make_rows(alice, acme, rows)
    url = reverse(f"referrals:{name}")
    with django_assert_max_num_queries(queries):
        response = alice_client.get(url)
    assert len(response.context["page"]) == min(rows, views.PAGE_SIZE)
    with django_assert_max_num_queries(queries):
        alice_client.get(url, {"q": "a", "page": 2})
    # A manager's list also has the team's reps (the owner filter): + the reps, + the rep
    # picked in the filter.
    with django_assert_max_num_queries(queries + 2):
        response = maya_client.get(url, {"owner": alice.pk})
    assert len(response.context["page"]) == min(rows, views.PAGE_SIZE)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_referral_page_costs_the_same_whatever_its_history(
    alice, alice_client, referral, rows, django_assert_max_num_queries
):
    for number in range(rows):
        services.activity_record(
            team=referral.team, verb="note", description=f"Note {number}", referral=referral
        )
    # session, user, membership, visibility memberships, the referral (with its people,
    # roster entry and deal), the referrer's latest readiness check (the green-light
    # warning), the timeline, the bell's unread notifications, the referral's follow-ups
    # (templates/followups/_referral_followups.html)
    with django_assert_max_num_queries(9):
        response = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))
    assert len(response.context["timeline"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_the_profile_page_costs_the_same_whatever_the_team_size(
    alice, acme, maya_client, rows, django_assert_max_num_queries
):
    ContactFactory.create_batch(rows, team=acme, owner=alice)
    IdealClientProfile.objects.create(team=acme, industries=["software"])
    # session, user, membership, the profile, the count of good fits, the bell's unread
    # notifications
    with django_assert_max_num_queries(6):
        response = maya_client.get(reverse("referrals:icp"))
    assert response.status_code == 200


def test_the_roster_form_costs_the_same_whatever_the_team_size(
    alice, acme, alice_client, django_assert_max_num_queries
):
    ContactFactory.create_batch(30, team=acme, owner=alice)
    # session, user, membership, visibility memberships, the bell's unread notifications —
    # the pickers list no contact until one is searched for
    with django_assert_max_num_queries(5):
        alice_client.get(reverse("referrals:roster-create"))


# --- Selectors the rep's week builds on --------------------------------------------------------


def test_pipeline_counts_is_one_query_with_every_status(
    alice, bob, acme, people, django_assert_num_queries
):
    ReferralFactory(referrer=people["client"], prospect=people["prospect"])
    confirmed = ReferralFactory(referrer=people["client"])
    services.referral_transition(referral=confirmed, to=Status.CONFIRMED)
    ReferralFactory(referrer=ClientFactory(team=acme, owner=bob))  # bob's: not alice's
    selectors.roster_for_user(alice)  # warm the visibility cache of this user object
    with django_assert_num_queries(1):
        counts = selectors.pipeline_counts(alice)
    assert counts == {**dict.fromkeys(Status.values, 0), "asked": 1, "confirmed": 1}


def test_referrals_for_user_filters_by_one_status_or_several(alice, people):
    declined = ReferralFactory(referrer=people["client"], prospect=people["prospect"])
    services.referral_transition(referral=declined, to=Status.DECLINED)
    asked = ReferralFactory(referrer=people["client"], prospect=people["prospect"])
    assert list(selectors.referrals_for_user(alice, status="asked")) == [asked]
    assert set(selectors.referrals_for_user(alice, status=["asked", "declined"])) == {
        asked,
        declined,
    }
