"""The connectors' model (referrals/ranking.py, docs/ranking.md) and the five invariants of
issue 17, each a hypothesis property over generated graphs of the team (kinds, owners,
green lights, touches, the rep's own ties), plus worked examples:

1. no detour: a connector who would only introduce someone the rep can ask ranks below
   that person, unless the model says the extra step is worth it (and then exactly then);
2. fewer favours first when the first people are alike: one tie of strength 3 or more
   beats any two-step chain with a link of 2 or less;
3. never through ourselves: nobody is ever to be introduced to a team client, a teammate
   or the rep; the ask starts with the last of them on the path;
4. monotone: a stronger tie, a green light or a recent touch never lowers anyone;
5. one ranking: the page, the API, the roster's best path and the rep's week agree.
"""

import itertools
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contacts.models import Contact, ContactKind, Relationship
from contacts.services import contact_for_user_ensure
from referrals import ranking
from referrals.connectors import Person, ask_plan, best_connectors_for, connectors_for
from referrals.models import ReadinessCheck
from tests.factories import ContactFactory, ReadinessCheckFactory, RelationshipFactory

pytestmark = [pytest.mark.dates, pytest.mark.now("2026-03-04T10:00:00+00:00")]

TODAY = date(2026, 3, 4)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EPSILON = 1e-12


# --- Generated graphs ------------------------------------------------------------------------

profiles = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(ContactKind.values),
        "mine": st.booleans(),  # owned by the rep (alice) or by her teammate (bob)
        "green": st.sampled_from([None, True, False]),
        "touched": st.one_of(st.none(), st.integers(min_value=0, max_value=800)),
        "rep_tie": st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    }
)


@st.composite
def graphs(draw, min_people=3, max_people=8):
    count = draw(st.integers(min_value=min_people, max_value=max_people))
    pairs = list(itertools.combinations(range(count), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=1, max_size=len(pairs)))
    edges = [(i, j, draw(st.integers(min_value=1, max_value=5))) for i, j in chosen]
    people = draw(st.lists(profiles, min_size=count, max_size=count))
    people[0]["kind"] = ContactKind.PROSPECT  # the target
    return {"edges": edges, "people": people}


def build(graph, *, team, rep, teammate):
    """The contacts (index 0 the target), their ties, readiness, touches and the rep's own
    ties to them (through her contact record)."""
    me = contact_for_user_ensure(user=rep, team=team)
    contacts = []
    for index, profile in enumerate(graph["people"]):
        owner = rep if profile["mine"] else teammate
        contact = ContactFactory(
            team=team,
            owner=owner,
            first_name=f"P{index}",
            last_name="Node",
            kind=profile["kind"],
            company=None,
        )
        if profile["touched"] is not None:
            moment = timezone.now() - timedelta(days=profile["touched"])
            Contact.objects.filter(pk=contact.pk).update(last_touch_at=moment)
        if profile["green"] is not None and index:
            ReadinessCheckFactory(client=contact, owner=owner, green_light=profile["green"])
        if profile["rep_tie"] is not None and index:
            RelationshipFactory(between=(me, contact), strength=profile["rep_tie"])
        contacts.append(contact)
    for first, second, strength in graph["edges"]:
        RelationshipFactory(between=(contacts[first], contacts[second]), strength=strength)
    return me, contacts


def scores(results) -> dict[int, float]:
    return {result.connector.pk: result.score for result in results}


def first_step(result) -> float:
    """Reach × fade × disposition: the first three factors of a row (ranking.evaluate)."""
    return math.prod(factor.value for factor in result.factors[:3])


# --- 1. No detour ----------------------------------------------------------------------------


@PROPERTY
@given(graph=graphs())
def test_no_detour(acme, alice, bob, graph):
    with transaction.atomic():
        _me, contacts = build(graph, team=acme, rep=alice, teammate=bob)
        results = connectors_for(target=contacts[0], user=alice, max_hops=3)
        place = {result.connector.pk: index for index, result in enumerate(results)}
        by_pk = {result.connector.pk: result for result in results}
        for result in results:
            if result.hops < 2 or result.start is None:
                continue
            nearer = by_pk[result.path[1].pk]  # X: the person C would introduce
            assert nearer.path_ids == result.path_ids[1:]  # X's own path is the rest
            if result.start > 0:
                # Through someone ours (or after the rep's own record): the same chain as
                # theirs, and theirs comes first (one favour fewer).
                assert result.score == pytest.approx(by_pk[result.path[result.start].pk].score)
                assert place[result.path[result.start].pk] < place[result.connector.pk]
                continue
            if nearer.start != 0:
                continue  # X's own row begins further on (someone ours after X)
            # The extra step is worth it exactly when C's first step times C's tie to X
            # beats X's own first step (docs/ranking.md, "When a detour is worth it").
            worth_it = first_step(result) * ranking.TIE_CHANCE[result.strengths[0]]
            if worth_it > first_step(nearer) + EPSILON:
                assert place[result.connector.pk] < place[nearer.connector.pk]
            else:
                assert place[nearer.connector.pk] < place[result.connector.pk]
        transaction.set_rollback(True)


def test_the_rep_asks_alexandra_not_jessica_to_ask_alexandra(acme, alice, bob):
    # The Shelly case, rebuilt: alice knows Alexandra (a client) fairly well, who
    # barely knows Shelly; Jessica, a green-light client of a teammate, knows Alexandra
    # barely. Asking Alexandra is one favour instead of two, and the same first person.
    me = contact_for_user_ensure(user=alice, team=acme)
    shelly = ContactFactory(team=acme, owner=alice, first_name="Shelly", last_name="Dixon")
    alexandra = ContactFactory(
        team=acme, owner=bob, first_name="Alexandra", last_name="Petersen", kind="client"
    )
    jessica = ContactFactory(
        team=acme, owner=bob, first_name="Jessica", last_name="Clark", kind="client"
    )
    ReadinessCheckFactory(client=jessica, owner=bob, green_light=True)
    RelationshipFactory(between=(me, alexandra), strength=3)
    RelationshipFactory(between=(alexandra, shelly), strength=1)
    RelationshipFactory(between=(jessica, alexandra), strength=1)
    results = connectors_for(target=shelly, user=alice)
    assert results[0].connector.pk == alexandra.pk
    assert results[0].reason.startswith("You know Alexandra fairly well; Alexandra barely knows")
    jessica_row = next(r for r in results if r.connector.pk == jessica.pk)
    plan = ask_plan(jessica_row.path, user=alice)
    assert plan.referrer.pk == alexandra.pk and plan.reaches_target
    assert "Alexandra Petersen is already your team's client" in jessica_row.reason


def test_a_detour_is_worth_it_when_the_first_step_is_much_likelier(acme, alice, bob):
    # X is a teammate's contact alice never met, with no touch on record; C is alice's own
    # green-light client she knows very well and who knows X very well: asking C first
    # is likelier (0.9 × 0.6 × 1 × 0.9 > 0.45 × 0.6 × 0.5; no touch on record for either).
    target = ContactFactory(team=acme, owner=alice, first_name="Tara", last_name="Target")
    stranger = ContactFactory(team=acme, owner=bob, first_name="Xavier", last_name="Stranger")
    client = ContactFactory(team=acme, owner=alice, first_name="Cora", last_name="Client")
    Contact.objects.filter(pk=client.pk).update(kind=ContactKind.CLIENT)
    ReadinessCheckFactory(client=client, owner=alice, green_light=True)
    me = contact_for_user_ensure(user=alice, team=acme)
    RelationshipFactory(between=(me, client), strength=5)
    RelationshipFactory(between=(client, stranger), strength=5)
    RelationshipFactory(between=(stranger, target), strength=3)
    names = [r.connector.first_name for r in connectors_for(target=target, user=alice)]
    assert names.index("Cora") < names.index("Xavier")


# --- 2. Fewer favours first --------------------------------------------------------------------


@PROPERTY
@given(
    profile=profiles,
    direct=st.integers(min_value=3, max_value=5),
    links=st.tuples(st.integers(1, 5), st.integers(1, 5)).filter(lambda pair: min(pair) <= 2),
)
def test_one_strong_tie_beats_a_two_step_chain_with_a_weak_link(
    acme, alice, bob, profile, direct, links
):
    with transaction.atomic():
        # C1 and C2 alike (the same drawn profile); X, between C2 and the target, is
        # nobody's in particular.
        graph = {
            "people": [
                {**profile, "kind": ContactKind.PROSPECT, "green": None, "rep_tie": None},
                profile,
                profile,
                {
                    "kind": ContactKind.OTHER,
                    "mine": False,
                    "green": None,
                    "touched": None,
                    "rep_tie": None,
                },
            ],
            "edges": [(1, 0, direct), (2, 3, links[0]), (3, 0, links[1])],
        }
        _me, contacts = build(graph, team=acme, rep=alice, teammate=bob)
        order = [r.connector.pk for r in connectors_for(target=contacts[0], user=alice)]
        assert order.index(contacts[1].pk) < order.index(contacts[2].pk)
        transaction.set_rollback(True)


def test_one_favour_of_strength_three_beats_two_of_two_and_five():
    chance = ranking.TIE_CHANCE
    assert chance[3] > chance[2] * chance[5]
    # …and every other chain of two with a link of 2 or less.
    assert all(chance[3] > chance[a] * chance[b] for a in range(1, 6) for b in (1, 2))


# --- 3. Never through ourselves ------------------------------------------------------------------


@PROPERTY
@given(graph=graphs())
def test_nobody_is_introduced_to_someone_already_ours(acme, alice, bob, graph):
    with transaction.atomic():
        contact_for_user_ensure(user=bob, team=acme)  # bob's record may sit on paths too
        _me, contacts = build(graph, team=acme, rep=alice, teammate=bob)
        bob_record = Contact.objects.get(user=bob, team=acme)
        # Let paths run through bob's record and the rep's: tie them to random people.
        RelationshipFactory(between=(bob_record, contacts[-1]), strength=4)
        for result in connectors_for(target=contacts[0], user=alice, max_hops=3):
            plan = ask_plan(result.path, user=alice)
            if plan is None:
                assert result.path[-2].user_id == alice.pk  # alice knows the target
                continue
            if not plan.reaches_target:
                assert not ranking.is_ours(plan.prospect, user=alice)
            assert plan.prospect.user_id is None
            # Nobody ours stands between the person asked and the target.
            asked_at = result.path_ids.index(plan.referrer.pk)
            for person in result.path[asked_at + 1 : -1]:
                assert not ranking.is_ours(person, user=alice)
        transaction.set_rollback(True)


def test_a_path_through_a_team_client_goes_to_that_client(acme, alice, bob, alice_client):
    # The Priya case: Henry is already a client of the team (bob's): alice is
    # never told to "be introduced to Henry"; she asks Henry, through bob.
    priya = ContactFactory(team=acme, owner=alice, first_name="Priya", last_name="Raman")
    henry = ContactFactory(team=acme, owner=bob, first_name="Henry", last_name="Fritz")
    Contact.objects.filter(pk=henry.pk).update(kind=ContactKind.CLIENT)
    jessica = ContactFactory(team=acme, owner=alice, first_name="Jessica", last_name="Clark")
    RelationshipFactory(between=(jessica, henry), strength=5)
    RelationshipFactory(between=(henry, priya), strength=3)
    me = contact_for_user_ensure(user=alice, team=acme)
    RelationshipFactory(between=(me, jessica), strength=5)
    results = connectors_for(target=priya, user=alice)
    assert results[0].connector.pk == henry.pk
    for result in results:
        plan = ask_plan(result.path, user=alice)
        assert plan.prospect.pk != henry.pk
        assert plan.referrer.pk == henry.pk
        assert plan.through == bob.get_full_name()  # bob looks after Henry
    page = alice_client.get(reverse("contacts:connectors", args=[priya.pk])).content.decode()
    assert "introduce Henry" not in page
    assert "Ask Henry to introduce you" in page
    assert "looks after Henry: the ask goes through them" in page


# --- 4. Monotone ----------------------------------------------------------------------------------


changes = st.sampled_from(["tie", "green_light", "touch", "rep_tie", "rep_tie_touch"])


@PROPERTY
@given(graph=graphs(), change=changes, data=st.data())
def test_a_stronger_tie_a_green_light_or_a_recent_touch_never_lowers_anyone(
    acme, alice, bob, graph, change, data
):
    with transaction.atomic():
        me, contacts = build(graph, team=acme, rep=alice, teammate=bob)
        target = contacts[0]
        before = scores(connectors_for(target=target, user=alice, max_hops=3))
        ties = list(Relationship.objects.filter(team=acme).order_by("pk"))
        if change == "tie":
            chosen = data.draw(st.sampled_from(ties))
            chosen.strength = data.draw(st.integers(min_value=chosen.strength, max_value=5))
            chosen.save(update_fields=["strength"])
        elif change == "green_light":
            who = data.draw(st.sampled_from(contacts[1:]))
            ReadinessCheckFactory(
                client=who, owner=alice, green_light=True, checked_on=TODAY + timedelta(days=0)
            )
            # The latest conversation is the one that counts: make this one the latest.
            ReadinessCheck.objects.filter(client=who).exclude(green_light=True).update(
                checked_on=TODAY - timedelta(days=30)
            )
        elif change == "touch":
            who = data.draw(st.sampled_from(contacts[1:]))
            Contact.objects.filter(pk=who.pk).update(last_touch_at=timezone.now())
        else:
            mine = [tie for tie in ties if me.pk in (tie.contact_a_id, tie.contact_b_id)]
            if not mine:
                transaction.set_rollback(True)
                return
            chosen = data.draw(st.sampled_from(mine))
            if change == "rep_tie":
                chosen.strength = data.draw(st.integers(min_value=chosen.strength, max_value=5))
                chosen.save(update_fields=["strength"])
            else:
                Relationship.objects.filter(pk=chosen.pk).update(last_touch_at=timezone.now())
        after = scores(connectors_for(target=target, user=alice, max_hops=3))
        assert set(after) == set(before)
        for pk, value in before.items():
            assert after[pk] >= value - EPSILON, (change, pk)
        transaction.set_rollback(True)


def test_the_model_is_monotone_in_each_factor():
    today = TODAY
    fades = [ranking.fade(today - timedelta(days=d), today=today) for d in range(0, 2000, 7)]
    assert fades == sorted(fades, reverse=True)
    assert ranking.fade(None, today=today) <= min(fades)
    chances = [ranking.TIE_CHANCE[s] for s in range(1, 6)]
    assert chances == sorted(chances) and len(set(chances)) == 5

    def person(**fields):
        base = {
            "pk": 1,
            "first_name": "Ann",
            "last_name": "Example",
            "kind": ContactKind.CLIENT,
            "owner_id": 2,
        }
        return Person(**(base | fields))

    assert ranking.disposition(person(green_light=True)) >= ranking.disposition(person())
    assert ranking.disposition(person()) >= ranking.disposition(person(green_light=False))
    assert ranking.disposition(person(asks_yes=2)) >= ranking.disposition(person(asks_yes=1))
    assert ranking.disposition(person(asks_no=1)) <= ranking.disposition(person())

    class Rep:
        pk = 2

    for strength in range(1, 5):
        assert ranking.reach(person(rep_tie=strength + 1), user=Rep) >= ranking.reach(
            person(rep_tie=strength), user=Rep
        )


class _Rep:
    pk = 2


people = st.builds(
    Person,
    pk=st.integers(10, 10_000),
    first_name=st.just("Ann"),
    last_name=st.just("Example"),
    kind=st.sampled_from(ContactKind.values),
    user_id=st.sampled_from([None, None, None, 2, 3]),
    green_light=st.sampled_from([None, True, False]),
    last_touch_at=st.one_of(
        st.none(),
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 3, 4)).map(
            lambda moment: moment.replace(tzinfo=UTC)
        ),
    ),
    owner_id=st.sampled_from([None, 2, 3]),
    asks_yes=st.integers(0, 20),
    asks_no=st.integers(0, 20),
    rep_tie=st.one_of(st.none(), st.integers(1, 5)),
)


@settings(max_examples=300, deadline=None, database=None)
@given(path=st.lists(people, min_size=2, max_size=4), data=st.data())
def test_no_touch_or_answer_lifts_a_path_above_its_ceiling(path, data):
    """The roster leaves out a path whose ceiling is below a chance already found
    (connectors.best_connectors_for): the ceiling must bound the chance of every path."""
    strengths = data.draw(
        st.lists(st.integers(1, 5), min_size=len(path) - 1, max_size=len(path) - 1)
    )
    start, value = ranking.chance(path, strengths, user=_Rep, today=TODAY)
    if start is not None:
        first = path[start]
        reach = ranking.reach_of(first.user_id, first.owner_id, first.rep_tie, user=_Rep)
        assert reach == ranking.reach(first, user=_Rep)
        assert value <= ranking.ceiling(reach, strengths[start:]) + 1e-12


# --- 5. One ranking everywhere ------------------------------------------------------------------


@PROPERTY
@given(graph=graphs())
def test_the_page_the_api_and_the_roster_rank_alike(acme, alice, bob, graph):
    with transaction.atomic():
        _me, contacts = build(graph, team=acme, rep=alice, teammate=bob)
        target = contacts[0]
        for max_hops in (2, 3):
            ranked = connectors_for(target=target, user=alice, max_hops=max_hops)
            api = APIClient()
            api.force_authenticate(alice)
            body = api.get(
                f"/api/v1/contacts/{target.pk}/connectors/",
                {"max_hops": max_hops, "page_size": 500},
            ).json()
            assert [row["connector"] for row in body["results"]] == [r.connector.pk for r in ranked]
            assert [row["reason"] for row in body["results"]] == [r.reason for r in ranked]
            assert [row["score"] for row in body["results"]] == pytest.approx(
                [r.score for r in ranked]
            )
        best = best_connectors_for(targets=[target], user=alice).get(target.pk)
        ranked = connectors_for(target=target, user=alice, max_hops=2)
        if ranked:
            assert best.path_ids == ranked[0].path_ids
            assert best.score == pytest.approx(ranked[0].score)
            assert best.reason == ranked[0].reason
        else:
            assert best is None
        transaction.set_rollback(True)


def test_the_page_shows_the_api_order(acme, alice, bob, alice_client):
    graph = {
        "people": [
            {"kind": "prospect", "mine": True, "green": None, "touched": None, "rep_tie": None},
            {"kind": "client", "mine": False, "green": True, "touched": 3, "rep_tie": None},
            {"kind": "other", "mine": True, "green": None, "touched": 40, "rep_tie": 4},
            {"kind": "partner", "mine": True, "green": None, "touched": None, "rep_tie": None},
        ],
        "edges": [(1, 0, 3), (2, 0, 2), (3, 2, 5), (3, 1, 4)],
    }
    _me, contacts = build(graph, team=acme, rep=alice, teammate=bob)
    target = contacts[0]
    page = alice_client.get(reverse("contacts:connectors", args=[target.pk]))
    api = APIClient()
    api.force_authenticate(alice)
    body = api.get(f"/api/v1/contacts/{target.pk}/connectors/").json()
    assert [row["result"].connector.pk for row in page.context["rows"]] == [
        row["connector"] for row in body["results"]
    ]
    text = page.content.decode().replace("&#x27;", "'")
    for row, shown in zip(body["results"], page.context["rows"], strict=True):
        if shown["same_as"] is None:  # a repeated ask points to its first row instead
            assert row["reason"] in text


def test_reasons_read_as_a_rep_would_say_them():
    class Rep:
        pk = 7

    def person(pk, first, **fields):
        return Person(**({"kind": "other"} | fields), pk=pk, first_name=first, last_name="Example")

    alexandra = person(2, "Alexandra", kind=ContactKind.CLIENT, owner_id=8, rep_tie=4)
    shelly = person(3, "Shelly", kind=ContactKind.PROSPECT)
    verdict = ranking.evaluate([alexandra, shelly], [2], user=Rep, today=TODAY)
    assert verdict.reason.startswith("You know Alexandra well; Alexandra knows Shelly a little.")
    assert verdict.reason.endswith("No touch on record.")
    touched = person(2, "Alexandra", owner_id=7, last_touch_at=datetime(2026, 2, 25, 9, 0))
    verdict = ranking.evaluate([touched, shelly], [5], user=Rep, today=TODAY)
    assert verdict.reason == (
        "Alexandra Example is your contact; Alexandra knows Shelly very well. "
        "Last in touch 7 days ago."
    )
    assert verdict.score == pytest.approx(
        ranking.REACH_OWN_CONTACT
        * ranking.fade(date(2026, 2, 25), today=TODAY)
        * ranking.KIND_DISPOSITION["other"]
        * ranking.TIE_CHANCE[5]
    )
