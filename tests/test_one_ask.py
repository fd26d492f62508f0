"""One ask is one ask (issue #16, section 3): a second *open* ask of the same prospect
through the same referrer is refused — by the database's constraint, so no race gets past
it — on the form (with a link to the open ask), in the API (409 with its id and url) and on
the connectors page's one-click ask. A closed ask does not block a new one. The migration
that adds the constraint closes the duplicates recorded before it.

Cast: alice (rep), bob (her teammate), maya (their manager), all of Acme."""

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contacts.models import Activity
from core.problems import PROBLEM_CONTENT_TYPE
from followups.models import FollowUp
from referrals import forms, services
from referrals.models import ONE_OPEN_ASK, OPEN_STATUSES, Deal, Referral
from tests import migrations
from tests.api_errors import detail, problem_of
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    ReferralFactory,
    TeamFactory,
    UserFactory,
)

Status = Referral.Status
NOW = "2026-11-25T10:00:00+00:00"


@pytest.fixture
def client_contact(acme, alice):
    return ClientFactory(team=acme, owner=alice, first_name="Carla", last_name="Client")


@pytest.fixture
def prospect(acme, alice):
    return ContactFactory(team=acme, owner=alice, first_name="Pete", last_name="Prospect")


def ask(user, team, referrer, prospect, **fields) -> Referral:
    return services.referral_create(
        owner=user, team=team, referrer=referrer, prospect=prospect, **fields
    )


def thank_yous() -> int:
    return FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER).count()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The rule, in the service -----------------------------------------------------------------


def test_a_second_open_ask_is_refused_and_records_nothing(acme, alice, client_contact, prospect):
    first = ask(alice, acme, client_contact, prospect)
    activities = Activity.objects.count()
    with pytest.raises(services.DuplicateAsk) as refused:
        ask(alice, acme, client_contact, prospect, reason="Asked again")
    assert refused.value.existing == first
    assert refused.value.messages == [
        services.DUPLICATE_ASK.format(
            referrer="Carla Client",
            prospect="Pete Prospect",
            owner=services.DUPLICATE_ASK_BY_YOU,
            date=timezone.localtime(first.asked_at).strftime("%Y-%m-%d %H:%M"),
            status="asked",
        )
    ]
    assert Referral.objects.count() == 1
    assert thank_yous() == 1
    assert Activity.objects.count() == activities


@pytest.mark.parametrize("step", [Status.CONFIRMED, Status.CONTACTED, Status.MEETING])
def test_an_ask_under_way_blocks_a_new_one_at_every_open_step(
    acme, alice, client_contact, prospect, step
):
    referral = ask(alice, acme, client_contact, prospect)
    for to in OPEN_STATUSES[1 : OPEN_STATUSES.index(step) + 1]:
        referral = services.referral_transition(referral=referral, to=to)
    with pytest.raises(services.DuplicateAsk) as refused:
        ask(alice, acme, client_contact, prospect)
    assert refused.value.existing == referral
    assert f"still open ({step.label.lower()})" in refused.value.messages[0]


@pytest.mark.parametrize("closing", [Status.DECLINED, Status.LOST, Status.WON])
def test_a_closed_ask_does_not_block_a_new_one(acme, alice, client_contact, prospect, closing):
    referral = ask(alice, acme, client_contact, prospect)
    path = {
        Status.DECLINED: [Status.DECLINED],
        Status.LOST: [Status.CONFIRMED, Status.LOST],
        Status.WON: [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
    }[closing]
    for to in path:
        referral = services.referral_transition(referral=referral, to=to, value=None)
    again = ask(alice, acme, client_contact, prospect)
    assert again.status == Status.ASKED
    assert Referral.objects.count() == 2


def test_the_same_prospect_through_another_referrer_is_another_ask(
    acme, alice, client_contact, prospect
):
    ask(alice, acme, client_contact, prospect)
    ask(alice, acme, ClientFactory(team=acme, owner=alice), prospect)
    ask(alice, acme, client_contact, ContactFactory(team=acme, owner=alice))
    assert Referral.objects.count() == 3


def test_a_teammates_open_ask_blocks_too_and_the_message_names_them(
    acme, alice, bob, client_contact, prospect
):
    first = ask(alice, acme, client_contact, prospect)
    with pytest.raises(services.DuplicateAsk) as refused:
        ask(bob, acme, client_contact, prospect)
    assert refused.value.existing == first
    assert f"{alice} asked on" in refused.value.messages[0]


def test_the_database_refuses_it_whatever_the_code_path(acme, alice, client_contact, prospect):
    ReferralFactory(referrer=client_contact, prospect=prospect)
    duplicate = Referral(
        team=acme, owner=alice, referrer=client_contact, prospect=prospect, asked_at=timezone.now()
    )
    # A form that validates constraints (the admin's) says it in words...
    with pytest.raises(ValidationError, match=ONE_OPEN_ASK):
        duplicate.full_clean()
    # ...and a write that skips every check still cannot store it.
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    assert Referral.objects.count() == 1


def test_an_ask_closed_between_the_refusal_and_the_look_up_lets_the_new_one_in(
    acme, alice, client_contact, prospect, monkeypatch
):
    first = ask(alice, acme, client_contact, prospect)
    look_up = services.open_ask_for

    def closed_meanwhile(**kwargs):
        # Another request declines the first ask just after the database refused ours.
        Referral.objects.filter(pk=first.pk).update(status=Status.DECLINED)
        monkeypatch.setattr(services, "open_ask_for", look_up)
        return None

    monkeypatch.setattr(services, "open_ask_for", closed_meanwhile)
    second = ask(alice, acme, client_contact, prospect)
    assert second.status == Status.ASKED
    assert Referral.objects.count() == 2


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.integers(0, 2), st.integers(0, 2)),
        st.tuples(
            st.just("step"),
            st.integers(0, 30),
            st.sampled_from([Status.CONFIRMED, Status.DECLINED, Status.LOST]),
        ),
    ),
    max_size=12,
)


class _Undo(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS)
def test_any_sequence_of_asks_and_steps_keeps_one_open_ask_per_pair(acme, alice, bob, operations):
    """The class, not the example: whatever asks and steps come in, in whatever order, by
    whichever teammate, an ask is refused exactly when its pair has an open ask, and a
    pair never has two."""
    try:
        with transaction.atomic():
            referrers = [ClientFactory(team=acme, owner=alice) for _ in range(3)]
            prospects = [ContactFactory(team=acme, owner=alice) for _ in range(3)]
            for number, (kind, first, second) in enumerate(operations):
                if kind == "ask":
                    referrer, prospect = referrers[first], prospects[second]
                    was_open = Referral.objects.filter(
                        referrer=referrer, prospect=prospect, status__in=OPEN_STATUSES
                    ).first()
                    owner = (alice, bob)[number % 2]
                    try:
                        ask(owner, acme, referrer, prospect)
                    except services.DuplicateAsk as refused:
                        assert refused.existing == was_open
                    else:
                        assert was_open is None
                else:
                    referrals = list(Referral.objects.order_by("pk"))
                    if referrals:
                        referral = referrals[first % len(referrals)]
                        with contextlib.suppress(services.TransitionError):
                            services.referral_transition(referral=referral, to=second)
                for referrer in referrers:
                    for prospect in prospects:
                        assert (
                            Referral.objects.filter(
                                referrer=referrer, prospect=prospect, status__in=OPEN_STATUSES
                            ).count()
                            <= 1
                        )
                assert thank_yous() == Referral.objects.count()
            raise _Undo
    except _Undo:
        pass


# --- The form: a double click on "Record the ask" --------------------------------------------


def post_ask(client, referrer, prospect):
    return client.post(
        reverse("referrals:referral-create"),
        {
            "referrer": referrer.pk,
            "prospect": prospect.pk,
            "quality": "better",
            "channel": "email",
            "reason": "They open three sites.",
        },
    )


def test_a_double_click_records_one_ask_and_shows_a_link_to_it(
    alice_client, client_contact, prospect
):
    first = post_ask(alice_client, client_contact, prospect)
    second = post_ask(alice_client, client_contact, prospect)

    referral = Referral.objects.get()
    assert first.status_code == 302
    assert first.url == reverse("referrals:referral-detail", args=[referral.pk])
    assert second.status_code == 200
    errors = second.context["form"].non_field_errors()
    assert len(errors) == 1
    assert "has already been asked for an introduction to Pete Prospect" in errors[0]
    link = f'<a href="{reverse("referrals:referral-detail", args=[referral.pk])}">'
    assert f"{link}{forms.SEE_OPEN_ASK}</a>" in second.content.decode()
    assert thank_yous() == 1


def test_a_teammate_is_told_who_asked_without_a_link_they_could_not_follow(
    alice, bob_client, client_contact, prospect, acme
):
    ask(alice, acme, client_contact, prospect)
    response = post_ask(bob_client, client_contact, prospect)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{alice} asked on" in page
    assert forms.SEE_OPEN_ASK not in page
    assert Referral.objects.count() == 1


def test_the_manager_gets_the_link_to_a_reps_ask(
    alice, maya_client, client_contact, prospect, acme
):
    referral = ask(alice, acme, client_contact, prospect)
    page = post_ask(maya_client, client_contact, prospect).content.decode()
    assert reverse("referrals:referral-detail", args=[referral.pk]) in page


# --- The API ---------------------------------------------------------------------------------


def api_ask(client, referrer, prospect, **headers):
    return client.post(
        "/api/v1/referrals/",
        {"referrer": referrer.pk, "prospect": prospect.pk},
        format="json",
        headers=headers,
    )


def test_two_api_posts_make_one_ask_and_a_409_with_its_link(alice, client_contact, prospect):
    client = api(alice)
    created = api_ask(client, client_contact, prospect)
    refused = api_ask(client, client_contact, prospect)

    assert created.status_code == 201
    assert refused.status_code == 409
    body = problem_of(refused)
    referral_id = created.json()["id"]
    assert body["existing_referral"] == {
        "id": referral_id,
        "url": f"http://testserver/api/v1/referrals/{referral_id}/",
    }
    assert "has already been asked" in body["detail"]
    assert client.get(body["existing_referral"]["url"]).status_code == 200
    assert Referral.objects.count() == 1
    assert thank_yous() == 1


def test_a_teammates_409_names_who_asked_and_has_no_link(
    acme, alice, bob, client_contact, prospect
):
    ask(alice, acme, client_contact, prospect)
    refused = api_ask(api(bob), client_contact, prospect)
    assert refused.status_code == 409
    assert problem_of(refused)["existing_referral"] is None
    assert f"{alice} asked on" in detail(refused)


def test_the_schema_documents_the_409_of_a_create():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    conflict = schema["paths"]["/api/v1/referrals/"]["post"]["responses"]["409"]
    ref = conflict["content"][PROBLEM_CONTENT_TYPE]["schema"]["$ref"].split("/")[-1]
    components = schema["components"]["schemas"]
    # A problem (core.problems), plus the open ask in the way.
    assert set(components[ref]["properties"]) == set(components["Problem"]["properties"]) | {
        "existing_referral"
    }


# --- The dashboard counts one ask ------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_dashboard_and_the_kpis_count_a_double_click_once(
    alice_client, maya_client, client_contact, prospect
):
    post_ask(alice_client, client_contact, prospect)
    post_ask(alice_client, client_contact, prospect)
    api_ask(api(client_contact.owner), client_contact, prospect)

    today = timezone.localdate()
    dashboard = maya_client.get(f"/dashboard/?period=custom&start={today}&end={today}")
    rows = {row.user.username: row.numbers for row in dashboard.context["reps"]}
    assert rows["alice"]["asks"] == 1
    kpis = maya_client.get(f"/api/v1/kpis/?start={today}&end={today}").json()
    assert kpis["asks"] == 1


# --- 20 at once, on PostgreSQL --------------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL"
)


def at_once(count: int, work) -> list:
    """Run `work()` in `count` threads released together, each with its own connection."""
    results, errors = [None] * count, []
    start = threading.Barrier(count)

    def run(number):
        try:
            start.wait()
            results[number] = work()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_api_posts_make_one_ask_and_nineteen_409s():
    team = TeamFactory(name="Race")
    rep = MembershipFactory(team=team, user=UserFactory(username="racer")).user
    referrer = ClientFactory(team=team, owner=rep)
    prospect = ContactFactory(team=team, owner=rep)
    token = Token.objects.create(user=rep).key

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api_ask(client, referrer, prospect)
        return response.status_code, response.json()

    results = at_once(20, post)

    referral = Referral.objects.get()
    assert sorted(status for status, _ in results) == [201] + [409] * 19
    for status, body in results:
        if status == 409:
            assert body["existing_referral"]["id"] == referral.pk
            assert body["existing_referral"]["url"].endswith(f"/api/v1/referrals/{referral.pk}/")
    assert FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER).count() == 1
    assert Activity.objects.filter(verb="asked").count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_form_posts_make_one_ask():
    team = TeamFactory(name="Race")
    rep = MembershipFactory(team=team, user=UserFactory(username="racer")).user
    referrer = ClientFactory(team=team, owner=rep)
    prospect = ContactFactory(team=team, owner=rep)

    def post():
        client = Client()
        client.force_login(rep)
        return post_ask(client, referrer, prospect).status_code

    results = at_once(20, post)
    assert sorted(results) == [200] * 19 + [302]
    assert Referral.objects.count() == 1
    assert FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER).count() == 1


# --- The migration closes the duplicates recorded before the constraint -----------------------

BEFORE = ("referrals", "0007_names_follow_the_rule_of_names")


@pytest.mark.now(NOW)
@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_furthest_ask_open_and_closes_the_duplicates():
    # Referrals as they were before the constraint, with whatever depends on them.
    with migrations.as_before(BEFORE) as apps:
        Team = apps.get_model("accounts", "Team")
        User = apps.get_model("accounts", "User")
        Contact = apps.get_model("contacts", "Contact")
        OldReferral = apps.get_model("referrals", "Referral")
        OldFollowUp = apps.get_model("followups", "FollowUp")
        OldDeal = apps.get_model("referrals", "Deal")

        team = Team.objects.create(name="Old data")
        rep = User.objects.create(username="old-rep")
        referrer = Contact.objects.create(team=team, owner=rep, first_name="Rita", kind="client")
        prospect = Contact.objects.create(team=team, owner=rep, first_name="Paul", kind="prospect")
        other_prospect = Contact.objects.create(team=team, owner=rep, first_name="Olga")
        day = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

        def old_ask(status="asked", minutes=0, who=prospect, **steps):
            return OldReferral.objects.create(
                team=team,
                owner=rep,
                referrer=referrer,
                prospect=who,
                asked_at=day + timedelta(minutes=minutes),
                status=status,
                **steps,
            )

        # A double click: two asks a second apart; the rep then moved the second along.
        first = old_ask(minutes=0)
        moved_on = old_ask("confirmed", minutes=1, confirmed_at=day + timedelta(days=1))
        third = old_ask(minutes=2)
        met = old_ask(
            "meeting",
            minutes=3,
            confirmed_at=day + timedelta(days=1),
            contacted_at=day + timedelta(days=2),
            meeting_at=day + timedelta(days=3),
        )
        # (That one, further still, wins: a meeting is more than a confirmation.)
        deal_of_moved_on = OldDeal.objects.create(
            team=team, owner=rep, contact=prospect, referral=moved_on, source="referral",
            opened_on=day.date(),
        )  # fmt: skip
        closed_before = old_ask("declined", minutes=-60, declined_at=day)
        alone = old_ask(who=other_prospect)
        thank_you = OldFollowUp.objects.create(
            team=team, owner=rep, referral=first, recipient=referrer, kind="thank_referrer",
            occasion="asked", due_at=day + timedelta(days=1),
        )  # fmt: skip

        migrations.latest()

        statuses = dict(Referral.objects.values_list("pk", "status"))
        assert statuses == {
            first.pk: "declined",
            moved_on.pk: "lost",
            third.pk: "declined",
            met.pk: "meeting",
            closed_before.pk: "declined",
            alone.pk: "asked",
        }
        duplicate = Referral.objects.get(pk=first.pk)
        assert duplicate.declined_at is not None
        note = Activity.objects.get(referral=duplicate)
        assert f"duplicate of the ask of 2026-10-01 09:03 (referral #{met.pk})" in note.description
        assert duplicate.history.first().history_change_reason.startswith(
            f"Duplicate of referral #{met.pk}"
        )
        assert FollowUp.objects.get(pk=thank_you.pk).status == FollowUp.Status.SKIPPED
        assert Deal.objects.get(pk=deal_of_moved_on.pk).outcome == Deal.Outcome.LOST
        assert Referral.objects.get(pk=moved_on.pk).confirmed_at is not None  # nothing lost
        # And from now on the database refuses a second open ask.
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.create(
                team_id=team.pk, owner_id=rep.pk, referrer_id=referrer.pk, prospect_id=prospect.pk,
                asked_at=day,
            )  # fmt: skip
