"""The referral work through the JSON API (DESIGN.md, "JSON API contract"): the same rules
as the pages — the state machine decides, a refused step is a 409, ids of another team
are a 400, another rep's records a 404 — and lists whose queries do not grow."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.serializers import FIXED_AFTER_CREATE
from referrals import services
from referrals.models import (
    STEP_TIME_FIELD,
    Deal,
    ReadinessCheck,
    Referral,
    ReferralGiven,
    RosterEntry,
)
from tests.api_errors import detail, field_errors
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


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def alice_api(alice):
    return api_client(alice)


@pytest.fixture
def people(acme, alice):
    company = CompanyFactory(team=acme, name="Initech")
    return {
        "client": ClientFactory(
            team=acme, owner=alice, first_name="Carla", last_name="Client", company=company
        ),
        "prospect": ContactFactory(
            team=acme,
            owner=alice,
            first_name="Pete",
            last_name="Prospect",
            company=company,
            fit_score=80,
        ),
    }


@pytest.fixture
def outsider(globex, charlie):
    return ContactFactory(team=globex, owner=charlie)


@pytest.fixture
def referral(people):
    return ReferralFactory(referrer=people["client"], prospect=people["prospect"])


def iso(moment) -> str:
    return moment.isoformat()


# --- Roster -------------------------------------------------------------------------------


def test_adding_to_the_roster(alice, alice_api, people):
    response = alice_api.post(
        "/api/v1/roster/",
        {"prospect": people["prospect"].pk, "priority": 1, "reason": "Sites", "status": "won"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["status"] == "wanted"  # read-only: ignored on the way in
    assert response.data["fit_score"] == 80
    assert response.data["owner"] == alice.pk
    entry = RosterEntry.objects.get()
    assert (entry.owner, entry.priority, entry.reason) == (alice, 1, "Sites")


def test_the_same_prospect_twice_is_a_400_with_the_rule(alice, alice_api, people):
    RosterEntryFactory(prospect=people["prospect"], owner=alice)
    response = alice_api.post("/api/v1/roster/", {"prospect": people["prospect"].pk}, format="json")
    assert response.status_code == 400
    assert field_errors(response)["prospect"] == [
        services.ALREADY_ON_ROSTER.format(prospect="Pete Prospect")
    ]


def test_a_prospect_of_another_team_is_a_400(alice_api, outsider):
    response = alice_api.post("/api/v1/roster/", {"prospect": outsider.pk}, format="json")
    assert response.status_code == 400
    assert "prospect" in field_errors(response)
    assert not RosterEntry.objects.exists()


def test_updating_a_roster_entry_never_touches_its_status_or_prospect(
    alice, alice_api, people, acme
):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    other = ContactFactory(team=acme, owner=alice)

    # Another prospect is refused, saying why, and nothing of the update is done.
    response = alice_api.patch(
        f"/api/v1/roster/{entry.pk}/",
        {"priority": 3, "status": "won", "prospect": other.pk},
        format="json",
    )
    assert response.status_code == 400
    assert field_errors(response) == {"prospect": [FIXED_AFTER_CREATE]}
    entry.refresh_from_db()
    assert (entry.priority, entry.status, entry.prospect) == (2, "wanted", people["prospect"])

    # The same prospect (what a client read, sent back) is fine; the status stays the
    # referrals' business.
    response = alice_api.patch(
        f"/api/v1/roster/{entry.pk}/",
        {"priority": 3, "status": "won", "prospect": people["prospect"].pk},
        format="json",
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.priority, entry.status, entry.prospect) == (3, "wanted", people["prospect"])


def test_removing_a_roster_entry(alice, alice_api, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    assert alice_api.delete(f"/api/v1/roster/{entry.pk}/").status_code == 204
    assert not RosterEntry.objects.exists()


def test_the_roster_lists_by_priority_then_fit(alice, alice_api, acme):
    low = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice, fit_score=10))
    high = RosterEntryFactory(prospect=ContactFactory(team=acme, owner=alice, fit_score=90))
    urgent = RosterEntryFactory(
        prospect=ContactFactory(team=acme, owner=alice, fit_score=5), priority=1
    )
    ids = [row["id"] for row in alice_api.get("/api/v1/roster/").data["results"]]
    assert ids == [urgent.pk, high.pk, low.pk]


# --- Readiness ------------------------------------------------------------------------------


def test_recording_a_readiness_check(alice, alice_api, people):
    response = alice_api.post(
        "/api/v1/readiness-checks/",
        {
            "client": people["client"].pk,
            "checked_on": timezone.localdate().isoformat(),
            "green_light": True,
            "went_well": "Fast",
            "could_improve": "Invoices",
            "would_take": "Nothing",
            "testimonial": "Great",
            "may_quote": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    check = ReadinessCheck.objects.get()
    assert (check.owner, check.client, check.green_light, check.may_quote) == (
        alice,
        people["client"],
        True,
        True,
    )
    assert services.referrer_warning(referrer=people["client"]) is None


def test_a_readiness_check_of_another_teams_client_is_a_400(alice_api, outsider):
    response = alice_api.post(
        "/api/v1/readiness-checks/",
        {"client": outsider.pk, "checked_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "client" in field_errors(response)


def test_a_readiness_check_is_recorded_or_deleted_not_edited(alice, alice_api, people):
    check = ReadinessCheckFactory(client=people["client"], owner=alice)
    url = f"/api/v1/readiness-checks/{check.pk}/"
    assert alice_api.patch(url, {"green_light": False}, format="json").status_code == 405
    assert alice_api.delete(url).status_code == 204
    assert not ReadinessCheck.objects.exists()


# --- Referrals ------------------------------------------------------------------------------


def ask(client, people, **extra):
    return client.post(
        "/api/v1/referrals/",
        {
            "referrer": people["client"].pk,
            "prospect": people["prospect"].pk,
            "reason": "Sites",
            "quality": "best",
            "channel": "phone",
            **extra,
        },
        format="json",
    )


def test_asking_without_a_green_light_records_the_ask_with_a_warning(alice, alice_api, people):
    response = ask(alice_api, people)
    assert response.status_code == 201, response.data
    assert response.data["status"] == "asked"
    assert response.data["warning"] == services.NO_GREEN_LIGHT.format(client="Carla Client")
    referral = Referral.objects.get()
    assert (referral.owner, referral.quality, referral.channel) == (alice, "best", "phone")


def test_asking_with_a_green_light_has_no_warning(alice, alice_api, people):
    ReadinessCheckFactory(client=people["client"], owner=alice, green_light=True)
    response = ask(alice_api, people)
    assert response.status_code == 201
    assert response.data["warning"] is None


def test_an_ask_cannot_set_its_status_or_steps(alice_api, people):
    response = ask(alice_api, people, status="won", won_at=iso(timezone.now()))
    assert response.status_code == 201
    referral = Referral.objects.get()
    assert (referral.status, referral.won_at) == ("asked", None)


def test_an_ask_naming_another_teams_contact_is_a_400(alice_api, people, outsider):
    response = ask(alice_api, people, prospect=outsider.pk)
    assert response.status_code == 400
    assert "prospect" in field_errors(response)
    assert not Referral.objects.exists()


def test_an_ask_with_a_roster_entry_of_another_rep_is_a_400(bob, alice_api, people, acme):
    bobs = RosterEntryFactory(prospect=people["prospect"], owner=bob)
    response = ask(alice_api, people, roster_entry=bobs.pk)
    assert response.status_code == 400
    assert "roster_entry" in field_errors(response)


def test_an_ask_in_the_future_is_a_400(alice_api, people):
    response = ask(alice_api, people, asked_at=iso(timezone.now() + timedelta(days=1)))
    assert response.status_code == 400
    assert field_errors(response)["asked_at"] == [services.ASKED_IN_FUTURE]


def test_status_cannot_be_changed_by_put_or_patch(alice_api, referral):
    url = f"/api/v1/referrals/{referral.pk}/"
    patched = alice_api.patch(url, {"status": "won", "reason": "Changed"}, format="json")
    assert patched.status_code == 200
    put = alice_api.put(
        url,
        {
            "referrer": referral.referrer_id,
            "prospect": referral.prospect_id,
            "status": "won",
            "won_at": iso(timezone.now()),
            "quality": "good",
            "channel": "email",
        },
        format="json",
    )
    assert put.status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.won_at, referral.reason, referral.quality) == (
        "asked",
        None,
        "Changed",
        "good",
    )


def transition(client, referral, to, **extra):
    return client.post(
        f"/api/v1/referrals/{referral.pk}/transition/", {"to": to, **extra}, format="json"
    )


WALKS = [
    [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.WON],
    [Status.CONFIRMED, Status.CONTACTED, Status.MEETING, Status.LOST],
    [Status.CONFIRMED, Status.CONTACTED, Status.LOST],
    [Status.CONFIRMED, Status.LOST],
    [Status.DECLINED],
]


@pytest.mark.parametrize("walk", WALKS, ids=lambda walk: "-".join(walk))
def test_every_allowed_transition_succeeds_and_is_dated(alice_api, referral, walk):
    for hours, target in enumerate(walk, start=1):
        moment = referral.asked_at + timedelta(hours=hours)
        response = transition(alice_api, referral, target, at=iso(moment))
        assert response.status_code == 200, response.data
        assert response.data["status"] == target
        field = STEP_TIME_FIELD[target]
        assert response.data[field] is not None
        referral.refresh_from_db()
        assert getattr(referral, field) == moment


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], Status.CONTACTED),
        ([], Status.WON),
        ([Status.CONFIRMED], Status.DECLINED),
        ([Status.CONFIRMED], Status.CONFIRMED),
        ([Status.CONFIRMED, Status.CONTACTED, Status.MEETING], Status.CONTACTED),
        ([Status.DECLINED], Status.CONFIRMED),
        ([Status.CONFIRMED, Status.LOST], Status.WON),
    ],
)
def test_an_impossible_transition_is_a_409_with_the_rule_and_changes_nothing(
    alice_api, referral, path, target
):
    for hours, status in enumerate(path, start=1):
        services.referral_transition(
            referral=referral, to=status, at=referral.asked_at + timedelta(hours=hours)
        )
    referral.refresh_from_db()
    before = Referral.objects.filter(pk=referral.pk).values().get()
    response = transition(alice_api, referral, target, value="10")
    assert response.status_code == 409
    assert detail(response) == services.IMPOSSIBLE_TRANSITION.format(
        current=referral.get_status_display().lower(), to=Status(target).label.lower()
    )
    assert Referral.objects.filter(pk=referral.pk).values().get() == before


def test_a_transition_in_the_future_or_before_the_previous_step_is_a_409(alice_api, referral):
    future = transition(
        alice_api, referral, "confirmed", at=iso(timezone.now() + timedelta(days=1))
    )
    assert (future.status_code, detail(future)) == (409, services.TRANSITION_IN_FUTURE)
    early = transition(
        alice_api, referral, "confirmed", at=iso(referral.asked_at - timedelta(days=1))
    )
    assert early.status_code == 409
    assert detail(early).startswith(services.TRANSITION_BEFORE_PREVIOUS.split("(")[0])
    referral.refresh_from_db()
    assert (referral.status, referral.confirmed_at) == ("asked", None)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"to": "teleported"},
        {"to": "asked"},
        {"to": "confirmed", "at": "yesterday-ish"},
        {"to": "confirmed", "value": "-5"},
        {"to": "confirmed", "value": "lots"},
    ],
)
def test_a_bad_transition_payload_is_a_400(alice_api, referral, payload):
    response = alice_api.post(
        f"/api/v1/referrals/{referral.pk}/transition/", payload, format="json"
    )
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == "asked"


def test_the_deal_opens_at_the_meeting_and_closes_with_the_won_date_and_value(alice_api, referral):
    start = referral.asked_at
    transition(alice_api, referral, "confirmed", at=iso(start + timedelta(days=1)))
    transition(alice_api, referral, "contacted", at=iso(start + timedelta(days=2)))
    transition(alice_api, referral, "meeting", at=iso(start + timedelta(days=3)))
    deal = Deal.objects.get()
    assert (deal.source, deal.outcome, deal.referral) == ("referral", "open", referral)
    won = transition(
        alice_api, referral, "won", at=iso(start + timedelta(days=4)), value="31000.50"
    )
    assert won.data["value"] == "31000.50"
    deal.refresh_from_db()
    referral.refresh_from_db()
    assert (deal.outcome, deal.closed_on, deal.value) == (
        "won",
        timezone.localdate(referral.won_at),
        Decimal("31000.50"),
    )


def test_the_roster_status_follows_the_referral(alice, alice_api, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    created = ask(alice_api, people, roster_entry=entry.pk)
    referral = Referral.objects.get(pk=created.data["id"])
    entry.refresh_from_db()
    assert entry.status == "asked"
    transition(alice_api, referral, "confirmed")
    entry.refresh_from_db()
    assert entry.status == "introduced"
    transition(alice_api, referral, "lost")
    entry.refresh_from_db()
    assert entry.status == "lost"


def test_an_ask_is_deleted_only_while_asked(alice_api, people, acme, alice):
    created = ask(alice_api, people)
    assert alice_api.delete(f"/api/v1/referrals/{created.data['id']}/").status_code == 204
    referral = ReferralFactory(referrer=people["client"], prospect=people["prospect"])
    services.referral_transition(referral=referral, to="confirmed")
    response = alice_api.delete(f"/api/v1/referrals/{referral.pk}/")
    assert response.status_code == 409
    assert detail(response) == services.REFERRAL_DELETE_NOT_ASKED.format(
        status="confirmed by referrer"
    )
    assert Referral.objects.filter(pk=referral.pk).exists()


def test_the_referral_list_filters(alice_api, people, referral, acme, alice):
    # Named, not Faker's: a random "Peterson" would match the search for "Pete".
    olga = ContactFactory(team=acme, owner=alice, first_name="Olga", last_name="Other")
    other = ReferralFactory(referrer=people["client"], prospect=olga, reason="Expansion")
    services.referral_transition(referral=other, to="confirmed")
    ids = lambda **params: [  # noqa: E731
        row["id"] for row in alice_api.get("/api/v1/referrals/", params).data["results"]
    ]
    assert ids(status="confirmed") == [other.pk]
    assert ids(search="Pete") == [referral.pk]
    assert set(ids()) == {referral.pk, other.pk}


# --- Deals ----------------------------------------------------------------------------------


def test_recording_updating_and_deleting_a_deal(alice, alice_api, people):
    response = alice_api.post(
        "/api/v1/deals/",
        {
            "contact": people["prospect"].pk,
            "source": "cold",
            "value": "1000",
            "outcome": "open",
            "opened_on": "2024-03-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    url = f"/api/v1/deals/{response.data['id']}/"
    closed = alice_api.patch(url, {"outcome": "won", "closed_on": "2024-04-01"}, format="json")
    assert closed.status_code == 200
    assert (closed.data["outcome"], closed.data["closed_on"]) == ("won", "2024-04-01")
    bad = alice_api.patch(url, {"closed_on": "2024-01-01"}, format="json")
    assert bad.status_code == 400
    assert field_errors(bad)["closed_on"] == [services.CLOSED_BEFORE_OPENED]
    assert alice_api.delete(url).status_code == 204
    assert not Deal.objects.exists()


def test_a_deal_with_another_teams_contact_is_a_400(alice_api, outsider):
    response = alice_api.post(
        "/api/v1/deals/",
        {"contact": outsider.pk, "source": "cold", "opened_on": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "contact" in field_errors(response)


def test_a_referral_deal_follows_its_referral(alice_api, referral):
    for status in ("confirmed", "contacted", "meeting"):
        services.referral_transition(referral=referral, to=status)
    deal = Deal.objects.get()
    url = f"/api/v1/deals/{deal.pk}/"
    assert alice_api.get(url).data["referral"] == referral.pk
    refused = alice_api.patch(url, {"outcome": "won", "closed_on": "2030-01-01"}, format="json")
    assert refused.status_code == 409
    assert detail(refused) == services.REFERRAL_DEAL_FOLLOWS_REFERRAL
    assert alice_api.patch(url, {"name": "Renamed"}, format="json").status_code == 200
    assert alice_api.delete(url).status_code == 409
    deal.refresh_from_db()
    assert (deal.name, deal.outcome) == ("Renamed", "open")


# --- Referrals given ------------------------------------------------------------------------


def test_recording_and_deleting_a_referral_given(alice, alice_api, people):
    response = alice_api.post(
        "/api/v1/referrals-given/",
        {
            "client": people["client"].pk,
            "introduced": people["prospect"].pk,
            "given_on": timezone.localdate().isoformat(),
            "note": "Their new CFO",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    given = ReferralGiven.objects.get()
    assert (given.owner, given.introduced) == (alice, people["prospect"])
    nobody = alice_api.post(
        "/api/v1/referrals-given/",
        {"client": people["client"].pk, "given_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert nobody.status_code == 400
    assert field_errors(nobody)["introduced_name"] == [services.GIVEN_NEEDS_SOMEONE]
    assert alice_api.delete(f"/api/v1/referrals-given/{given.pk}/").status_code == 204


# --- Visibility -------------------------------------------------------------------------------


@pytest.fixture
def alices_records(alice, people):
    entry = RosterEntryFactory(prospect=people["prospect"], owner=alice)
    return {
        "roster": entry,
        "readiness-checks": ReadinessCheckFactory(client=people["client"], owner=alice),
        "referrals": ReferralFactory(
            referrer=people["client"], prospect=people["prospect"], roster_entry=entry
        ),
        "deals": DealFactory(contact=people["prospect"], owner=alice),
        "referrals-given": ReferralGivenFactory(client=people["client"], owner=alice),
    }


ENDPOINTS = ["roster", "readiness-checks", "referrals", "deals", "referrals-given"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_a_teammate_or_an_outsider_neither_lists_nor_reaches_alices_records(
    request, alices_records, endpoint, who
):
    client = api_client(request.getfixturevalue(who))
    record = alices_records[endpoint]
    assert client.get(f"/api/v1/{endpoint}/").data["count"] == 0
    assert client.get(f"/api/v1/{endpoint}/{record.pk}/").status_code == 404
    assert client.delete(f"/api/v1/{endpoint}/{record.pk}/").status_code == 404
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_a_teammate_or_an_outsider_cannot_move_alices_referral(request, alices_records, who):
    referral = alices_records["referrals"]
    client = api_client(request.getfixturevalue(who))
    assert transition(client, referral, "confirmed").status_code == 404
    assert (
        client.patch(
            f"/api/v1/referrals/{referral.pk}/", {"reason": "x"}, format="json"
        ).status_code
        == 404
    )
    referral.refresh_from_db()
    assert (referral.status, referral.reason) == ("asked", ReferralFactory.reason)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_manager_lists_and_reaches_alices_records(maya, alices_records, endpoint):
    client = api_client(maya)
    record = alices_records[endpoint]
    assert client.get(f"/api/v1/{endpoint}/").data["count"] == 1
    assert client.get(f"/api/v1/{endpoint}/{record.pk}/").status_code == 200


def test_the_manager_can_move_alices_referral(maya, alices_records):
    referral = alices_records["referrals"]
    response = transition(api_client(maya), referral, "confirmed")
    assert response.status_code == 200
    assert response.data["status"] == "confirmed"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_visitors_get_401(alices_records, endpoint):
    client = api_client()
    record = alices_records[endpoint]
    assert client.get(f"/api/v1/{endpoint}/").status_code == 401
    assert client.get(f"/api/v1/{endpoint}/{record.pk}/").status_code == 401
    assert client.post(f"/api/v1/{endpoint}/", {}, format="json").status_code == 401


def test_visitors_cannot_move_a_referral(alices_records):
    referral = alices_records["referrals"]
    assert transition(api_client(), referral, "confirmed").status_code == 401


def test_a_token_works_like_a_session(alice, alices_records):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    assert client.get("/api/v1/referrals/").data["count"] == 1


# --- Queries do not grow with the data ---------------------------------------------------------


def make_rows(alice, acme, rows):
    company = CompanyFactory(team=acme)
    for _ in range(rows):
        client = ClientFactory(team=acme, owner=alice, company=company)
        prospect = ContactFactory(team=acme, owner=alice, company=company)
        entry = RosterEntryFactory(prospect=prospect, owner=alice)
        ReferralFactory(referrer=client, prospect=prospect, roster_entry=entry)
        ReadinessCheckFactory(client=client, owner=alice)
        DealFactory(contact=prospect, owner=alice)
        ReferralGivenFactory(client=client, owner=alice)


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", ["alice", "maya"])
def test_every_list_costs_the_same_whatever_the_size(
    request, alice, acme, rows, endpoint, who, django_assert_max_num_queries
):
    make_rows(alice, acme, rows)
    client = api_client(request.getfixturevalue(who))
    # visibility memberships, count, the page's rows (related ids and the prospect's fit
    # score come joined), the active membership (the serializer scopes related ids to it)
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/{endpoint}/", {"page_size": 100})
    assert response.status_code == 200
    assert len(response.data["results"]) == rows
