"""The audit trail: who changed what, and when, on contacts, referrals and follow-ups —
recorded with the user of the page or API request, shown on a history page to the
record's owner, the team's managers and admins, and read-only in the admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.audit import FIRST_RECORDED, HISTORY_PAGE_SIZE
from contacts.models import Contact
from followups.models import FollowUp
from followups.services import followups_for_event
from referrals.models import Referral
from referrals.services import referral_transition
from tests.factories import ClientFactory, CompanyFactory, ContactFactory, ReferralFactory
from tests.test_contacts_pages import contact_form_data


@pytest.fixture
def ann(acme, alice):
    return ClientFactory(team=acme, owner=alice, first_name="Ann", last_name="Client", title="CFO")


@pytest.fixture
def referral(acme, alice, ann):
    return ReferralFactory(
        team=acme,
        owner=alice,
        referrer=ann,
        prospect=ContactFactory(team=acme, owner=alice, first_name="Pat", last_name="Prospect"),
    )


def edit_contact(client: Client, contact: Contact, **changes):
    data = contact_form_data(
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        title=contact.title,
        kind=contact.kind,
        company=contact.company_id or "",
        owner=contact.owner_id,
    )
    data.update(changes)
    response = client.post(reverse("contacts:edit", args=[contact.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    return response


def history_url(obj) -> str:
    if isinstance(obj, Referral):
        return reverse("referrals:referral-history", args=[obj.pk])
    return reverse("contacts:contact-history", args=[obj.pk])


# --- What is recorded --------------------------------------------------------------------------


def test_a_contact_edit_is_recorded_with_its_author(alice, alice_client, ann):
    edit_contact(alice_client, ann, title="Chief Financial Officer")

    latest = ann.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == alice
    delta = latest.diff_against(latest.prev_record)
    assert {(c.field, c.old, c.new) for c in delta.changes} >= {
        ("title", "CFO", "Chief Financial Officer")
    }


def test_a_referral_step_is_recorded_with_its_author(alice, alice_client, referral):
    response = alice_client.post(
        reverse("referrals:referral-transition", args=[referral.pk]), {"to": "confirmed"}
    )

    assert response.status_code == 302
    latest = referral.history.latest()
    assert latest.history_user == alice
    assert latest.status == Referral.Status.CONFIRMED
    assert latest.prev_record.status == Referral.Status.ASKED


def test_an_api_edit_is_recorded_with_the_token_user(alice, ann):
    from accounts.security import api_token_create

    key = api_token_create(user=alice).key
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").patch(
        f"/api/v1/contacts/{ann.pk}/", {"title": "CEO"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert ann.history.latest().history_user == alice
    assert ann.history.latest().title == "CEO"


def test_a_completed_follow_up_is_recorded_with_its_author(alice, alice_client, referral):
    followup = followups_for_event(referral=referral, event="asked")[0]

    response = alice_client.post(
        reverse("followups:complete", args=[followup.pk]), {"channel": "email", "note": "Thanked"}
    )

    assert response.status_code == 302
    latest = FollowUp.history.filter(id=followup.pk).latest()
    assert latest.history_user == alice
    assert latest.status == FollowUp.Status.DONE
    assert latest.prev_record.status == FollowUp.Status.PENDING


def test_a_change_outside_a_request_is_recorded_without_a_user(referral):
    referral_transition(referral=referral, to=Referral.Status.DECLINED)

    assert referral.history.latest().history_user is None


# --- The history page -------------------------------------------------------------------------


def test_the_history_page_says_who_changed_which_field_from_what_to_what(
    alice_client, maya_client, ann
):
    edit_contact(alice_client, ann, title="Chief Financial Officer")

    response = maya_client.get(history_url(ann))

    assert response.status_code == 200
    entries = response.context["entries"]
    assert [entry.action for entry in entries] == ["Changed", "Created"]
    assert entries[0].who.username == "alice"
    changes = {change.label: (change.old, change.new) for change in entries[0].changes}
    assert changes["Title"] == ("CFO", "Chief Financial Officer")
    page = response.content.decode()
    assert "Chief Financial Officer" in page
    assert "Alice" in page


def test_the_history_shows_names_and_labels_not_ids_and_codes(
    acme, alice, bob, maya_client, alice_client, ann
):
    new_company = CompanyFactory(team=acme, name="Globodyne")
    edit_contact(alice_client, ann, company=new_company.pk, owner=bob.pk, kind="former_client")

    entries = maya_client.get(history_url(ann)).context["entries"]

    changes = {change.label: (change.old, change.new) for change in entries[0].changes}
    assert changes["Company"] == (ann.company.name, "Globodyne")
    assert changes["Owner"] == (str(alice), str(bob))
    assert changes["Kind"] == ("Client", "Former client")


def test_a_referral_history_shows_each_step(alice_client, referral):
    referral_transition(referral=referral, to=Referral.Status.CONFIRMED)
    referral_transition(referral=referral, to=Referral.Status.CONTACTED)

    response = alice_client.get(history_url(referral))

    statuses = [
        change.new
        for entry in response.context["entries"]
        for change in entry.changes
        if change.label == "Status"
    ]
    assert statuses[:2] == ["Prospect contacted", "Confirmed by referrer"]


def test_records_made_in_bulk_start_their_history_at_the_first_edit(acme, alice, alice_client):
    (bulk,) = Contact.objects.bulk_create(
        [Contact(team=acme, owner=alice, first_name="Bulk", last_name="Import", title="CTO")]
    )
    empty = alice_client.get(history_url(bulk))
    assert empty.status_code == 200
    assert empty.context["entries"] == []
    assert "No recorded changes yet" in empty.content.decode()

    edit_contact(alice_client, bulk, title="CEO")

    (first,) = alice_client.get(history_url(bulk)).context["entries"]
    assert first.note == FIRST_RECORDED


def test_the_history_is_paginated_and_diffs_across_pages(alice_client, ann):
    for number in range(HISTORY_PAGE_SIZE + 5):
        edit_contact(alice_client, ann, title=f"Title {number}")

    first_page = alice_client.get(history_url(ann))
    second_page = alice_client.get(history_url(ann), {"page": 2})

    assert len(first_page.context["entries"]) == HISTORY_PAGE_SIZE
    oldest_on_first = first_page.context["entries"][-1]
    # Its "before" comes from the newest record of page 2.
    assert {c.label: c.old for c in oldest_on_first.changes}["Title"] == "Title 4"
    assert second_page.context["entries"][-1].action == "Created"
    assert 'rel="next"' in first_page.content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_the_history_page_costs_the_same_whatever_the_history(
    acme, alice, bob, maya_client, alice_client, ann, django_assert_max_num_queries, size
):
    companies = CompanyFactory.create_batch(3, team=acme)
    for number in range(size):
        edit_contact(
            alice_client,
            ann,
            title=f"Title {number}",
            company=companies[number % 3].pk,
            owner=alice.pk,
        )

    # 1. session, 2. user, 3. maya's memberships (visibility), 4. the contact, 5. the
    # active membership with its team, 6. unread notifications (the bell), 7. history
    # count, 8. the page's history rows with their users, 9. the companies named, 10. the
    # users named (owner, linked user).
    with django_assert_max_num_queries(10):
        response = maya_client.get(history_url(ann))

    assert response.status_code == 200
    assert len(response.context["entries"]) == min(size + 1, HISTORY_PAGE_SIZE)


@pytest.mark.parametrize("size", [3, 30])
def test_the_referral_history_page_costs_the_same_whatever_the_history(
    maya_client, referral, django_assert_max_num_queries, size
):
    for number in range(size):
        referral.value = number
        referral.asked_at = referral.asked_at - timedelta(minutes=1)
        referral.save()

    # 1. session, 2. user, 3. memberships (visibility), 4. the referral with its
    # contacts, 5. the active membership, 6. unread notifications, 7. history count,
    # 8. the page's history rows with their users, then one per kind of linked record
    # named in the changes: 9. users (owner), 10. contacts (referrer, prospect),
    # 11. roster entries.
    with django_assert_max_num_queries(11):
        response = maya_client.get(history_url(referral))

    assert response.status_code == 200


# --- Who may see it --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("alice", 200), ("bob", 404), ("maya", 200), ("charlie", 404), ("admin_user", 200)],
)
def test_who_sees_a_referrals_history(request, referral, viewer, status):
    client = Client()
    client.force_login(request.getfixturevalue(viewer))

    assert client.get(history_url(referral)).status_code == status


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("alice", 200), ("bob", 404), ("maya", 200), ("charlie", 404), ("admin_user", 200)],
)
def test_who_sees_a_contacts_history(request, ann, viewer, status):
    # The contact is shared with the team, its audit trail is not: owner, managers, admins.
    client = Client()
    client.force_login(request.getfixturevalue(viewer))

    assert client.get(history_url(ann)).status_code == status


def test_visitors_are_sent_to_log_in(client, referral):
    response = client.get(history_url(referral))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("garbage", ["999999", "0"])
def test_unknown_ids_are_404(alice_client, garbage, db):
    assert alice_client.get(f"/referrals/{garbage}/history/").status_code == 404
    assert alice_client.get(f"/contacts/{garbage}/history/").status_code == 404


def test_the_detail_pages_link_to_the_history(alice_client, bob_client, maya_client, ann, referral):
    referral_page = alice_client.get(reverse("referrals:referral-detail", args=[referral.pk]))
    assert history_url(referral) in referral_page.content.decode()
    for client in (alice_client, maya_client):
        contact_page = client.get(reverse("contacts:detail", args=[ann.pk]))
        assert history_url(ann) in contact_page.content.decode()
    # A teammate sees the contact but not its history: no link to a 404.
    teammate_page = bob_client.get(reverse("contacts:detail", args=[ann.pk]))
    assert teammate_page.status_code == 200
    assert history_url(ann) not in teammate_page.content.decode()


# --- Admin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "admin_path", ["contacts/contact", "referrals/referral", "followups/followup"]
)
def test_the_admin_history_is_there_and_read_only(
    admin_client_, alice_client, referral, admin_path
):
    followup = followups_for_event(referral=referral, event="asked")[0]
    referral_transition(referral=referral, to=Referral.Status.CONFIRMED)
    obj = {"contacts/contact": referral.referrer, "referrals/referral": referral}.get(
        admin_path, followup
    )
    record = type(obj).history.filter(id=obj.pk).earliest()

    listing = admin_client_.get(f"/admin/{admin_path}/{obj.pk}/history/")
    version = admin_client_.get(f"/admin/{admin_path}/{obj.pk}/history/{record.history_id}/")
    revert = admin_client_.post(f"/admin/{admin_path}/{obj.pk}/history/{record.history_id}/", {})

    assert listing.status_code == 200
    assert version.status_code == 200
    assert "Revert" not in version.content.decode()
    assert revert.status_code == 403
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CONFIRMED


def test_history_times_are_kept(alice_client, ann):
    before = timezone.now()
    edit_contact(alice_client, ann, title="CEO")

    assert ann.history.latest().history_date >= before
