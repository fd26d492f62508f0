"""The pages of keeping the network warm: a call noted on the contact's page, the last
touch and the readiness history there, the readiness and testimonials page with its CSV
export — behaviour, access and query counts at two sizes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from contacts.models import Activity, Contact
from tests.factories import ClientFactory, ReadinessCheckFactory

pytestmark = [pytest.mark.dates, pytest.mark.now("2026-03-04T10:00:00+00:00")]

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def carla(acme, alice):
    return ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Client")


def test_a_call_noted_on_the_contact_page_is_a_touch(alice_client, carla):
    answer = alice_client.post(
        reverse("contacts:touch-log", args=[carla.pk]),
        {"channel": "phone", "note": "Asked about the renewal"},
    )
    assert answer.status_code == 302
    assert Contact.objects.get(pk=carla.pk).last_touch_at == NOW
    assert Activity.objects.get(contact=carla, verb="touch").description == (
        "Phone: Asked about the renewal"
    )
    page = alice_client.get(answer["Location"]).content.decode()
    assert "Noted: you were in touch with Carla Client." in page
    assert "0 days ago" in page and "every 30 days (usual for a client)" in page


def test_a_bad_channel_changes_nothing(alice_client, carla):
    answer = alice_client.post(reverse("contacts:touch-log", args=[carla.pk]), {"channel": "x"})
    assert answer.status_code == 302
    assert Contact.objects.get(pk=carla.pk).last_touch_at is None
    assert not Activity.objects.filter(verb="touch").exists()


def test_another_teams_contact_cannot_be_touched(charlie_client, carla):
    answer = charlie_client.post(
        reverse("contacts:touch-log", args=[carla.pk]), {"channel": "phone"}
    )
    assert answer.status_code == 404
    assert Contact.objects.get(pk=carla.pk).last_touch_at is None


def test_the_contact_page_shows_the_readiness_history_and_what_may_be_quoted(
    alice_client, alice, carla
):
    ReadinessCheckFactory(
        client=carla, owner=alice, checked_on=date(2025, 6, 1), green_light=False,
        could_improve="Faster answers",
    )  # fmt: skip
    ReadinessCheckFactory(
        client=carla, owner=alice, checked_on=date(2026, 2, 1), green_light=True,
        testimonial="They made our rollout painless.", may_quote=True,
    )  # fmt: skip
    page = alice_client.get(reverse("contacts:detail", args=[carla.pk])).content.decode()
    assert "Readiness history" in page
    assert "“They made our rollout painless.”" in page and "May quote" in page
    assert "Could do better: Faster answers" in page
    assert page.index("They made our rollout") < page.index("Faster answers")  # latest first


def testimonials(alice, bob, acme):
    for n in range(3):
        ReadinessCheckFactory(
            client=ClientFactory(team=acme, owner=alice, first_name=f"Quoted{n}"),
            owner=alice,
            testimonial=f"Great work {n}",
            may_quote=True,
        )
    ReadinessCheckFactory(
        client=ClientFactory(team=acme, owner=alice, first_name="Private"),
        owner=alice,
        testimonial="Not for quoting",
        may_quote=False,
    )
    ReadinessCheckFactory(
        client=ClientFactory(team=acme, owner=bob, first_name="Bobs"),
        owner=bob,
        testimonial="Bob's client",
        may_quote=True,
    )


def test_the_readiness_page_lists_the_reps_conversations_and_filters_testimonials(
    alice_client, alice, bob, acme
):
    testimonials(alice, bob, acme)
    everything = alice_client.get(reverse("referrals:readiness-list"))
    names = {check.client.first_name for check in everything.context["page"]}
    assert names == {"Quoted0", "Quoted1", "Quoted2", "Private"}  # not bob's
    quoted = alice_client.get(reverse("referrals:readiness-list") + "?may_quote=true")
    assert {check.client.first_name for check in quoted.context["page"]} == {
        "Quoted0",
        "Quoted1",
        "Quoted2",
    }
    assert "Testimonials we may quote" in quoted.content.decode()


def test_the_testimonials_export_as_csv_with_the_pages_filters(alice_client, alice, bob, acme):
    testimonials(alice, bob, acme)
    answer = alice_client.get(reverse("referrals:readiness-export") + "?may_quote=true")
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Date,Client,Company,Green light,May quote,Testimonial")
    assert len(lines) == 4
    assert "Great work 0" in text and "Not for quoting" not in text and "Bob's" not in text


def test_a_manager_sees_the_teams_testimonials(maya_client, alice, bob, acme):
    testimonials(alice, bob, acme)
    page = maya_client.get(reverse("referrals:readiness-list") + "?may_quote=true")
    assert len(page.context["page"].object_list) == 4


@pytest.mark.parametrize("size", [3, 30])
def test_readiness_page_queries(maya_client, alice, acme, django_assert_max_num_queries, size):
    for n in range(size):
        ReadinessCheckFactory(
            client=ClientFactory(team=acme, owner=alice), owner=alice, testimonial=f"T{n}"
        )
    # session, user, active membership, visibility memberships, the team's reps for the
    # filter, count, the page of conversations (client, company, owner), the bell.
    with django_assert_max_num_queries(8):
        response = maya_client.get(reverse("referrals:readiness-list"))
    assert len(response.context["page"].object_list) == min(size, 25)


@pytest.mark.parametrize("size", [3, 30])
def test_contact_page_with_its_history_queries(
    alice_client, alice, carla, django_assert_max_num_queries, size
):
    for n in range(size):
        ReadinessCheckFactory(
            client=carla, owner=alice, checked_on=date(2026, 1, 1) - timedelta(days=n)
        )
    # The contact page's 14 (tests/test_contacts_pages.py): the readiness history is the
    # one query the latest readiness was.
    with django_assert_max_num_queries(14):
        response = alice_client.get(reverse("contacts:detail", args=[carla.pk]))
    assert response.status_code == 200
    assert response.context["readiness"].checked_on == date(2026, 1, 1)
