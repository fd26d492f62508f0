"""The admin of the referral work: every changelist opens for staff at a cost that does not
grow with the rows, and a referral's status moves only through the state machine."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from referrals import services
from referrals.models import (
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
    WeeklyGoal,
)
from tests.factories import (
    ClientFactory,
    ContactFactory,
    DealFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    ReferralGivenFactory,
    RosterEntryFactory,
)

MODELS = [
    RosterEntry,
    ReadinessCheck,
    Referral,
    Deal,
    ReferralGiven,
    WeeklyGoal,
]


def changelist(model) -> str:
    return reverse(f"admin:referrals_{model._meta.model_name}_changelist")


def make_rows(alice, acme, rows):
    for week in range(rows):
        client = ClientFactory(team=acme, owner=alice)
        prospect = ContactFactory(team=acme, owner=alice)
        entry = RosterEntryFactory(prospect=prospect, owner=alice)
        ReferralFactory(referrer=client, prospect=prospect, roster_entry=entry)
        ReadinessCheckFactory(client=client, owner=alice)
        DealFactory(contact=prospect, owner=alice)
        ReferralGivenFactory(client=client, owner=alice)
        WeeklyGoal.objects.create(
            team=acme, rep=alice, week_start=f"2024-{1 + week // 4:02d}-{1 + week % 4 * 7:02d}"
        )


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_changelist_opens_for_staff_at_a_bounded_cost(
    admin_client_, alice, acme, rows, model, django_assert_max_num_queries
):
    make_rows(alice, acme, rows)
    # session, user, the team filter's choices, count, count of all, the page's rows
    # (related rows joined), the active membership (navigation), and for a date hierarchy
    # its range and its days — never one per row.
    with django_assert_max_num_queries(9):
        response = admin_client_.get(changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelists_are_for_staff_only(alice_client, model):
    response = alice_client.get(changelist(model))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.fixture
def referral(acme, alice):
    return ReferralFactory(
        referrer=ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Client"),
        prospect=ContactFactory(team=acme, owner=alice, first_name="Pete", last_name="Prospect"),
    )


def act(admin_client_, action, *referrals):
    return admin_client_.post(
        changelist(Referral),
        {"action": action, "_selected_action": [referral.pk for referral in referrals]},
    )


def test_the_admin_action_moves_a_referral_through_the_state_machine(
    admin_client_, admin_user, referral
):
    response = act(admin_client_, "mark_confirmed", referral)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "confirmed"
    assert referral.confirmed_at is not None
    assert referral.activities.get(verb="confirmed").actor == admin_user


def test_the_admin_action_refuses_an_impossible_transition(admin_client_, referral):
    response = act(admin_client_, "mark_won", referral)
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    expected = services.IMPOSSIBLE_TRANSITION.format(current="asked", to="won")
    assert messages == [f"Refused for 1: Carla Client → Pete Prospect: {expected}"]
    referral.refresh_from_db()
    assert (referral.status, referral.won_at) == ("asked", None)


def test_the_admin_action_reports_each_referral(admin_client_, referral, acme, alice):
    declined = ReferralFactory(referrer=referral.referrer, prospect=ContactFactory(team=acme))
    services.referral_transition(referral=declined, to="declined")
    response = act(admin_client_, "mark_confirmed", referral, declined)
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages[0] == "1 marked “Confirmed by referrer”."
    assert messages[1].startswith("Refused for 1:")


def test_the_status_is_not_editable_in_the_admin(admin_client_, referral):
    url = reverse("admin:referrals_referral_change", args=[referral.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "status" not in form.fields
    assert "confirmed_at" not in form.fields
    response = admin_client_.post(
        url,
        {
            "reason": "Edited in admin",
            "quality": "best",
            "channel": "phone",
            "message": "",
            "value": "",
            "status": "won",
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.reason, referral.quality, referral.status) == (
        "Edited in admin",
        "best",
        "asked",
    )


def test_referrals_are_not_added_in_the_admin(admin_client_):
    assert admin_client_.get(reverse("admin:referrals_referral_add")).status_code == 403


def test_a_referral_deal_is_read_only_where_it_follows_the_referral(admin_client_, referral):
    for status in ("confirmed", "contacted", "meeting"):
        services.referral_transition(referral=referral, to=status)
    deal = Deal.objects.get()
    page = admin_client_.get(reverse("admin:referrals_deal_change", args=[deal.pk]))
    assert set(page.context["adminform"].form.fields) == {"team", "owner", "name"}
