"""The small defects of issue 21 ("Built for daily use"), each where it was seen: a
notification that stayed "New", closed prospects on top of the roster with "Ask for an
introduction", the deal value box, the roster's duplicate error without a link, a
sentence in lower case. (What the user sees of them: tests/browser/test_daily_use.py.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from followups import services as followup_services
from followups.models import FollowUp, Notification, Reminder
from referrals import forms as referral_forms
from referrals import services as referral_services
from referrals.models import Referral, RosterEntry
from tests.factories import (
    ClientFactory,
    ContactFactory,
    FollowUpFactory,
    ReferralFactory,
    RosterEntryFactory,
)

NOW = "2026-03-04T10:00:00+00:00"


def _notified(followup: FollowUp, user) -> Notification:
    reminder = Reminder.objects.create(followup=followup, kind=Reminder.Kind.DUE, recipient=user)
    return Notification.objects.create(
        user=user, reminder=reminder, message=f"Due: {followup}", url="/followups/"
    )


@pytest.mark.now(NOW)
@pytest.mark.parametrize("close", ["complete", "skip"])
def test_a_notification_is_no_longer_new_once_its_followup_is_closed(
    acme, alice, alice_client, close
):
    followup = FollowUpFactory(referral=ReferralFactory(referrer=ClientFactory(owner=alice)))
    other = FollowUpFactory(referral=ReferralFactory(referrer=ClientFactory(owner=alice)))
    notification, untouched = _notified(followup, alice), _notified(other, alice)

    if close == "complete":
        followup_services.followup_complete(followup=followup, actor=alice, channel="email")
    else:
        followup_services.followup_skip(followup=followup, actor=alice, reason="Met at lunch")

    notification.refresh_from_db()
    untouched.refresh_from_db()
    assert notification.read_at is not None
    assert untouched.read_at is None
    page = alice_client.get(reverse("followups:notifications")).content.decode()
    assert page.count(">New</span>") == 1  # only the other follow-up's


@pytest.fixture
def roster(acme, alice):
    def entry(name, status, priority):
        return RosterEntryFactory(
            prospect=ContactFactory(team=acme, owner=alice, first_name=name),
            status=status,
            priority=priority,
        )

    return [
        entry("Wendy", RosterEntry.Status.WON, 1),
        entry("Lars", RosterEntry.Status.LOST, 1),
        entry("Ada", RosterEntry.Status.WANTED, 3),
        entry("Ian", RosterEntry.Status.INTRODUCED, 2),
    ]


@pytest.mark.now(NOW)
def test_won_and_lost_prospects_go_to_the_end_of_the_roster_without_an_ask(roster, alice_client):
    page = alice_client.get(reverse("referrals:roster")).content.decode()
    order = sorted(["Wendy", "Lars", "Ada", "Ian"], key=page.index)
    # Open entries first (by priority), then the won and lost ones.
    assert order[:2] == ["Ian", "Ada"] and set(order[2:]) == {"Wendy", "Lars"}
    asks = page.count("Ask for an introduction<span")
    assert asks == 2  # Ian and Ada only


@pytest.mark.now(NOW)
def test_the_roster_api_lists_closed_entries_last_too(roster, alice_client):
    rows = alice_client.get("/api/v1/roster/").json()["results"]
    statuses = [row["status"] for row in rows]
    assert statuses[-2:] in (["won", "lost"], ["lost", "won"])


@pytest.mark.now(NOW)
def test_adding_someone_already_on_the_roster_links_to_them(acme, alice, alice_client, roster):
    ada = roster[2]
    response = alice_client.post(
        reverse("referrals:roster-create"),
        {"prospect": ada.prospect.pk, "priority": 2, "reason": "Again"},
    )
    page = response.content.decode()
    assert referral_services.ALREADY_ON_ROSTER.format(prospect=ada.prospect) in page
    link = reverse("referrals:roster-edit", args=[ada.pk])
    assert f'<a href="{link}">' in page
    assert escape(referral_forms.SEE_ROSTER_ENTRY.format(name=ada.prospect)) in page


@pytest.mark.now(NOW)
def test_adding_a_new_person_whose_email_is_taken_links_to_that_contact(acme, alice, alice_client):
    existing = ContactFactory(team=acme, owner=alice, first_name="Nora", email="nora@example.com")
    response = alice_client.post(
        reverse("referrals:roster-create"),
        {"new_first_name": "Nora", "new_email": "NORA@example.com", "priority": 2},
    )
    page = response.content.decode()
    assert f'<a href="{reverse("contacts:detail", args=[existing.pk])}">' in page
    assert not RosterEntry.objects.exists()


@pytest.fixture
def asked(acme, alice):
    return ReferralFactory(
        referrer=ClientFactory(team=acme, owner=alice),
        asked_at=timezone.now() - timedelta(days=3),
    )


@pytest.mark.now(NOW)
def test_the_value_box_waits_for_the_step_where_won_is_possible(asked, alice, alice_client):
    url = reverse("referrals:referral-detail", args=[asked.pk])
    for step in ("confirmed", "contacted"):
        assert 'name="value"' not in alice_client.get(url).content.decode(), asked.status
        asked = referral_services.referral_transition(referral=asked, to=step, actor=alice)
    asked = referral_services.referral_transition(referral=asked, to="meeting", actor=alice)
    deal = asked.deal
    deal.value = Decimal("4200")
    deal.save()

    page = alice_client.get(url).content.decode()
    assert 'name="value"' in page and 'value="4200' in page  # filled in from the deal

    alice_client.post(reverse("referrals:referral-transition", args=[asked.pk]), {"to": "won"})
    asked.refresh_from_db()
    assert asked.status == Referral.Status.WON
    page = alice_client.get(url).content.decode()
    assert referral_forms.WON_VALUE_MISSING in page and 'role="status"' in page


@pytest.mark.now(NOW)
def test_the_connectors_empty_state_starts_its_sentence_with_a_capital(acme, alice, alice_client):
    nobody = ContactFactory(team=acme, owner=alice, first_name="Zed")
    page = alice_client.get(
        reverse("contacts:connectors", args=[nobody.pk]) + "?max_hops=3"
    ).content.decode()
    assert "Add the people Zed knows" in page
    assert " add the people" not in page.replace(", or\n  add the people", "")
