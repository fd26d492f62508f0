"""Referrals in reverse (referrals.connectors): who can lead the rep to a target, how well,
and the one-click ask.

The search is checked against answers known by construction: a breadth-first search in
Python over the same graph (fixed graphs, and random graphs from hypothesis), cycles,
isolated targets and ties of another team; the ranking criterion by criterion; the
pages and the API for visibility, validation and query counts at two graph sizes.
"""

import itertools
import math
from collections import deque

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contacts.models import Channel, ContactKind, Relationship
from contacts.services import contact_for_user_ensure
from followups.models import FollowUp
from referrals import connectors
from referrals.connectors import Person, ask_plan, best_connectors_for, connectors_for
from referrals.forms import SEE_OPEN_ASK
from referrals.models import Quality, Referral
from referrals.ranking import TIE_CHANCE
from referrals.views_connectors import BAD_ASK, YOU_KNOW_THEM
from tests.api_errors import field_errors
from tests.factories import (
    ContactFactory,
    ReadinessCheckFactory,
    RelationshipFactory,
    RosterEntryFactory,
)

# --- Building graphs and the oracle ------------------------------------------------------------


def person(team, owner, name, kind=ContactKind.OTHER, **fields):
    first, _, last = name.partition(" ")
    return ContactFactory(
        team=team, owner=owner, first_name=first, last_name=last, kind=kind, company=None, **fields
    )


def tie(one, other, strength=3):
    return RelationshipFactory(between=(one, other), strength=strength)


def build(team, owner, count, edges):
    """`count` people named P0…, and ties (i, j, strength)."""
    people = [person(team, owner, f"P{index} Node") for index in range(count)]
    for first, second, strength in edges:
        tie(people[first], people[second], strength)
    return people


def bfs(edges, start, max_hops):
    """Distances from start, at most max_hops, over undirected ties — the oracle."""
    neighbours = {}
    for first, second, *_ in edges:
        neighbours.setdefault(first, set()).add(second)
        neighbours.setdefault(second, set()).add(first)
    distance = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if distance[node] == max_hops:
            continue
        for other in neighbours.get(node, ()):
            if other not in distance:
                distance[other] = distance[node] + 1
                queue.append(other)
    del distance[start]
    return distance


def best_chain(edges, start, distance):
    """For each node, the likeliest chain (product of ranking.TIE_CHANCE) over its shortest
    paths to start."""
    strength = {}
    for first, second, value in edges:
        strength[frozenset((first, second))] = value
    best = {start: 1.0}
    for node in sorted(distance, key=distance.get):
        best[node] = max(
            best[other] * TIE_CHANCE[strength[frozenset((node, other))]]
            for other in best
            if frozenset((node, other)) in strength
            and (other == start or distance.get(other) == distance[node] - 1)
        )
    return best


def found(results):
    return {result.connector.pk: result.hops for result in results}


def assert_paths_are_real(results, target):
    pairs = {frozenset(pair) for pair in Relationship.objects.values_list("contact_a", "contact_b")}
    for result in results:
        ids = result.path_ids
        assert ids[0] == result.connector.pk and ids[-1] == target.pk
        assert len(ids) == result.hops + 1 and len(set(ids)) == len(ids)
        assert all(frozenset(pair) in pairs for pair in itertools.pairwise(ids))


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The search equals a breadth-first search ------------------------------------------------


@pytest.mark.parametrize(
    ("max_hops", "expected"),
    [(1, {1: 1}), (2, {1: 1, 2: 2}), (3, {1: 1, 2: 2, 3: 3})],
)
def test_a_chain_is_found_hop_by_hop(acme, alice, max_hops, expected):
    # P0 (target) – P1 – P2 – P3 – P4
    people = build(acme, alice, 5, [(0, 1, 3), (1, 2, 3), (2, 3, 3), (3, 4, 3)])
    results = connectors_for(target=people[0], user=alice, max_hops=max_hops)
    assert found(results) == {people[index].pk: hops for index, hops in expected.items()}
    assert_paths_are_real(results, people[0])


def test_cycles_give_the_shortest_distance_and_end(acme, alice):
    # A square P0–P1–P2–P3–P0 and a triangle P0–P4–P5–P0, plus P2–P6.
    edges = [(0, 1, 3), (1, 2, 3), (2, 3, 3), (3, 0, 3), (0, 4, 2), (4, 5, 2), (5, 0, 2)]
    edges.append((2, 6, 4))
    people = build(acme, alice, 7, edges)
    results = connectors_for(target=people[0], user=alice, max_hops=3)
    by_index = {index: people[index].pk for index in range(7)}
    assert found(results) == {
        by_index[1]: 1,
        by_index[3]: 1,
        by_index[4]: 1,
        by_index[5]: 1,
        by_index[2]: 2,
        by_index[6]: 3,
    }
    assert people[0].pk not in found(results)  # never oneself, however many cycles
    assert_paths_are_real(results, people[0])


def test_an_isolated_target_has_no_connectors(acme, alice, alice_client):
    lonely = person(acme, alice, "Lonely Target")
    build(acme, alice, 3, [(0, 1, 5), (1, 2, 5)])  # a component elsewhere
    assert connectors_for(target=lonely, user=alice, max_hops=3) == []
    response = alice_client.get(reverse("contacts:connectors", args=[lonely.pk]))
    assert "Nobody in your team's network is linked to Lonely" in response.content.decode()
    assert "Add someone Lonely knows" in response.content.decode()


def test_ties_of_another_team_are_invisible(acme, globex, alice, charlie):
    target = person(acme, alice, "David Jones")
    friend = person(acme, alice, "Ann Friend")
    tie(target, friend)
    outsider = person(globex, charlie, "Olga Outsider")
    beyond = person(globex, charlie, "Bert Beyond")
    # Rows the services refuse (a tie across teams), written directly.
    Relationship.objects.create(
        team=acme,
        contact_a=min(friend, outsider, key=lambda c: c.pk),
        contact_b=max(friend, outsider, key=lambda c: c.pk),
        strength=5,
    )
    Relationship.objects.create(
        team=globex,
        contact_a=min(outsider, beyond, key=lambda c: c.pk),
        contact_b=max(outsider, beyond, key=lambda c: c.pk),
        strength=5,
    )
    assert found(connectors_for(target=target, user=alice, max_hops=3)) == {friend.pk: 1}
    # The outsider sees nothing of Acme's graph, whatever they ask.
    assert connectors_for(target=target, user=charlie, max_hops=3) == []


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    count=st.integers(min_value=2, max_value=10),
    data=st.data(),
    max_hops=st.integers(min_value=1, max_value=3),
)
def test_random_graphs_match_a_breadth_first_search(acme, alice, count, data, max_hops):
    pairs = list(itertools.combinations(range(count), 2))
    chosen = data.draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    edges = [(i, j, data.draw(st.integers(min_value=1, max_value=5))) for i, j in chosen]
    start = data.draw(st.integers(min_value=0, max_value=count - 1))
    with transaction.atomic():  # rolled back after each example
        people = build(acme, alice, count, edges)
        results = connectors_for(target=people[start], user=alice, max_hops=max_hops)
        distance = bfs(edges, start, max_hops)
        assert found(results) == {people[node].pk: hops for node, hops in distance.items()}
        assert_paths_are_real(results, people[start])
        # The path shown is the likeliest chain of the shortest ones.
        likeliest = best_chain(edges, start, distance)
        index_of = {contact.pk: index for index, contact in enumerate(people)}
        for result in results:
            chain = math.prod(TIE_CHANCE[value] for value in result.strengths)
            assert chain == pytest.approx(likeliest[index_of[result.connector.pk]])
        # Best score first.
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
        transaction.set_rollback(True)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(count=st.integers(min_value=3, max_value=12), data=st.data())
def test_with_tight_bounds_results_are_sampled_but_hops_stay_exact(acme, alice, count, data):
    pairs = list(itertools.combinations(range(count), 2))
    chosen = data.draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    edges = [(i, j, data.draw(st.integers(min_value=1, max_value=5))) for i, j in chosen]
    with transaction.atomic():
        people = build(acme, alice, count, edges)
        results = connectors_for(target=people[0], user=alice, max_hops=3, level_cap=2, fanout=1)
        distance = bfs(edges, 0, 3)
        exact = {people[node].pk: hops for node, hops in distance.items()}
        assert set(found(results)) <= set(exact)
        assert all(exact[pk] == hops for pk, hops in found(results).items())
        # Levels 1 is complete; levels 2 and 3 keep at most level_cap people.
        assert {pk for pk, hops in exact.items() if hops == 1} <= set(found(results))
        assert sum(1 for r in results if r.hops == 2) <= 2
        assert sum(1 for r in results if r.hops == 3) <= 2
        assert_paths_are_real(results, people[0])
        transaction.set_rollback(True)


def test_level_caps_keep_the_strongest_paths(acme, alice):
    target = person(acme, alice, "Tara Target")
    hub = person(acme, alice, "Hub Person")
    tie(target, hub, 5)
    friends = [person(acme, alice, f"Friend {n}") for n in range(4)]
    for friend, strength in zip(friends, [1, 5, 3, 4], strict=True):
        tie(hub, friend, strength)
    results = connectors_for(target=target, user=alice, max_hops=2, level_cap=2)
    assert {r.connector.pk for r in results if r.hops == 2} == {friends[1].pk, friends[3].pk}


def test_the_strongest_of_equally_short_paths_is_shown(acme, alice):
    target = person(acme, alice, "Tara Target")
    weak_link, strong_link, tied_link = (
        person(acme, alice, "Weak Link"),
        person(acme, alice, "Strong Link"),
        person(acme, alice, "Even Link"),
    )
    connector = person(acme, alice, "Cora Connector")
    tie(target, weak_link, 2)
    tie(weak_link, connector, 5)  # weakest 2
    tie(target, strong_link, 4)
    tie(strong_link, connector, 5)  # weakest 4, total 9
    tie(target, tied_link, 4)
    tie(tied_link, connector, 4)  # weakest 4, less likely than 4 then 5
    (result,) = [
        r for r in connectors_for(target=target, user=alice) if r.connector.pk == connector.pk
    ]
    assert result.path_ids == [connector.pk, strong_link.pk, target.pk]
    assert result.hops == 2 and result.strength == 4


def test_max_hops_is_one_to_three(acme, alice):
    target = person(acme, alice, "Tara Target")
    for bad in (0, 4, "2"):
        with pytest.raises(ValueError, match="max_hops"):
            connectors_for(target=target, user=alice, max_hops=bad)
    # A request's max_hops is checked by the page's form and the API's serializer:
    # test_a_bad_distance_on_the_page_is_an_error_and_the_default_is_used and
    # test_the_api_refuses_a_bad_max_hops.


# --- Ranking: each criterion on its own ---------------------------------------------------------


@pytest.fixture
def target(acme, alice):
    return person(acme, alice, "David Jones")


def ranked(target, user, **kwargs):
    return [r.connector.full_name for r in connectors_for(target=target, user=user, **kwargs)]


# --- The roster's best connector ------------------------------------------------------------------


def test_best_connectors_of_a_page_of_prospects_in_one_query(
    acme, alice, django_assert_num_queries
):
    prospects = [person(acme, alice, f"Prospect {n}") for n in range(4)]
    client = person(acme, alice, "Cli Ent", ContactKind.CLIENT)
    friend = person(acme, alice, "Fri End")
    tie(prospects[0], client, 2)
    tie(prospects[0], friend, 5)
    tie(prospects[1], friend, 4)
    tie(friend, client, 5)  # prospects[1] ← friend ← client: 2 hops
    # prospects[2] and [3]: nobody
    tie(prospects[3], person(acme, alice, "Far Away"), 1)
    contact_for_user_ensure(user=alice, team=acme)  # the visibility cache is warm below
    connectors_for(target=prospects[0], user=alice)
    with django_assert_num_queries(1):
        best = best_connectors_for(targets=prospects, user=alice)
    for prospect in prospects:
        expected = connectors_for(target=prospect, user=alice, max_hops=2)
        if expected:
            assert best[prospect.pk].connector.pk == expected[0].connector.pk
            assert best[prospect.pk].score == expected[0].score
            assert best[prospect.pk].path_ids == expected[0].path_ids
        else:
            assert prospect.pk not in best
    assert best[prospects[1].pk].connector.full_name in {"Fri End", "Cli Ent"}
    assert prospects[2].pk not in best


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(count=st.integers(min_value=3, max_value=9), data=st.data())
def test_best_connectors_match_the_search_on_random_graphs(acme, alice, count, data):
    pairs = list(itertools.combinations(range(count), 2))
    chosen = data.draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    edges = [(i, j, data.draw(st.integers(min_value=1, max_value=5))) for i, j in chosen]
    kinds = data.draw(st.lists(st.sampled_from(ContactKind.values), min_size=count, max_size=count))
    with transaction.atomic():
        people = build(acme, alice, count, edges)
        for contact, kind in zip(people, kinds, strict=True):
            contact.kind = kind
            contact.save(update_fields=["kind"])
        best = best_connectors_for(targets=people[:3], user=alice)
        for target in people[:3]:
            expected = connectors_for(target=target, user=alice, max_hops=2)
            if expected:
                assert best[target.pk].score == expected[0].score
                assert best[target.pk].hops == expected[0].hops
            else:
                assert target.pk not in best
        transaction.set_rollback(True)


def test_the_roster_shows_the_best_connector_or_that_there_is_none(acme, alice, alice_client):
    warm = RosterEntryFactory(prospect=person(acme, alice, "Warm Prospect"), owner=alice)
    cold = RosterEntryFactory(prospect=person(acme, alice, "Cold Prospect"), owner=alice)
    friend = person(acme, alice, "Fiona Friend")
    client = person(acme, alice, "Carl Client", ContactKind.CLIENT)
    tie(warm.prospect, friend, 4)
    tie(friend, client, 4)
    page = alice_client.get(reverse("referrals:roster")).content.decode()
    assert "Best connector" in page
    assert ">Carl Client</a> to introduce Fiona Friend" in page
    assert "Carl knows Fiona well; Fiona knows Warm well." in page
    assert "No warm path within two introductions yet" in page
    assert reverse("contacts:connectors", args=[cold.prospect_id]) in page
    assert "Find who can introduce you" in page
    # Each row links to its own prospect, paths, entry and ask (core.links.RowLinks).
    for entry in (warm, cold):
        for address in (
            reverse("contacts:detail", args=[entry.prospect_id]),
            reverse("contacts:connectors", args=[entry.prospect_id]),
            reverse("referrals:roster-edit", args=[entry.pk]),
            reverse("referrals:roster-delete", args=[entry.pk]),
            f"{reverse('referrals:referral-create')}?roster={entry.pk}",
        ):
            assert f'href="{address}"' in page
    best_path = reverse("contacts:connectors", args=[warm.prospect_id]) + "?max_hops=2"
    assert f'href="{best_path}"' in page
    # The week's "whom to ask about next" (its own request, once the week shows).
    week = alice_client.get(reverse("dashboard:next-asks"), headers={"HX-Request": "true"})
    assert week.content.decode().count(f'href="{best_path}"') == 2  # the path, "All paths"


# --- The page ------------------------------------------------------------------------------------


@pytest.fixture
def network(acme, alice, target):
    """David Jones (the target) ← Ann Client (direct, strong, green light);
    ← Frank Friend ← Carla Colleague (two hops); alice knows Frank herself."""
    ann = person(acme, alice, "Ann Client", ContactKind.CLIENT, preferred_channel=Channel.PHONE)
    frank = person(acme, alice, "Frank Friend")
    carla = person(acme, alice, "Carla Colleague", ContactKind.COLLEAGUE)
    tie(target, ann, 5)
    tie(target, frank, 4)
    tie(frank, carla, 4)
    ReadinessCheckFactory(client=ann, owner=alice, green_light=True)
    me = contact_for_user_ensure(user=alice, team=acme)
    tie(me, frank, 5)
    return {"target": target, "ann": ann, "frank": frank, "carla": carla, "me": me}


def test_the_page_ranks_connectors_and_says_why(alice_client, network):
    url = reverse("contacts:connectors", args=[network["target"].pk])
    response = alice_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ann Client is your client; Ann knows David very well." in page
    assert "Ann gave you the green light." in page
    assert "You know Frank very well; Frank knows David well." in page
    assert "Chance of the introductions: about 32" in page
    assert "Suggested first message to Ann" in page
    assert connectors.BOUND_NOTE in page
    assert "Ask Ann to introduce you" in page
    assert "Ask Carla to introduce Frank Friend" in page
    assert "How Warmpath puts them in order" in page
    # No arithmetic or graph words a rep cannot act on (issue 21).
    for words in (" hop ", " hops", "(+", "fit 60", "observed", "Score "):
        assert words not in page
    # alice's own record is a node too, two hops away through Frank, whom she knows very
    # well: her row's ask goes to Frank, the same chain as Frank's own row, which comes
    # first (one favour fewer). Carla, whom alice does not know, comes last.
    rows = response.context["rows"]
    assert [row["result"].connector.full_name for row in rows] == [
        "Ann Client",
        "Frank Friend",
        network["me"].full_name,
        "Carla Colleague",
    ]
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    rows = rows[1:]
    assert rows[1]["plan"].referrer.full_name == "Frank Friend"
    assert rows[1]["plan"].reaches_target
    assert "Ask Frank to introduce you" in page


def test_the_page_filters_by_distance_kind_and_name(alice_client, network):
    url = reverse("contacts:connectors", args=[network["target"].pk])
    direct = alice_client.get(url, {"max_hops": 1}).context["rows"]
    assert {row["result"].connector.full_name for row in direct} == {"Ann Client", "Frank Friend"}
    clients = alice_client.get(url, {"kind": "client"}).context["rows"]
    assert [row["result"].connector.full_name for row in clients] == ["Ann Client"]
    named = alice_client.get(url, {"q": "carla"}).context["rows"]
    assert [row["result"].connector.full_name for row in named] == ["Carla Colleague"]
    none = alice_client.get(url, {"q": "nobody"})
    assert "None of the" in none.content.decode()


def test_a_bad_distance_on_the_page_is_an_error_and_the_default_is_used(alice_client, network):
    response = alice_client.get(
        reverse("contacts:connectors", args=[network["target"].pk]), {"max_hops": "9"}
    )
    assert response.status_code == 200
    assert response.context["filter_form"].errors["max_hops"]
    assert response.context["filters"]["max_hops"] == 3


def test_you_know_the_target_yourself(acme, alice, alice_client, target):
    tie(contact_for_user_ensure(user=alice, team=acme), target, 4)
    response = alice_client.get(reverse("contacts:connectors", args=[target.pk]))
    assert "You know David well yourself" in response.content.decode()
    assert "You know the way yourself." in response.content.decode()


def test_the_contact_page_links_to_the_connectors(alice_client, target):
    page = alice_client.get(reverse("contacts:detail", args=[target.pk])).content.decode()
    assert reverse("contacts:connectors", args=[target.pk]) in page
    assert "Find who can introduce you" in page


def test_visibility_of_the_page(client, network, bob_client, maya_client, charlie_client):
    url = reverse("contacts:connectors", args=[network["target"].pk])
    # Connectors are the team's shared graph: the teammate and the manager see it.
    assert bob_client.get(url).status_code == 200
    assert len(bob_client.get(url).context["rows"]) == 4
    assert maya_client.get(url).status_code == 200
    assert charlie_client.get(url).status_code == 404
    assert client.get(url).status_code == 302  # anonymous → login


def make_graph(acme, alice, target, size):
    """`size` direct ties and as many two and three hops away."""
    for number in range(size):
        near = person(acme, alice, f"Near {number}", ContactKind.CLIENT)
        middle = person(acme, alice, f"Middle {number}")
        far = person(acme, alice, f"Far {number}")
        tie(target, near, 1 + number % 5)
        tie(near, middle)
        tie(middle, far)
        ReadinessCheckFactory(client=near, owner=alice, green_light=bool(number % 2))


@pytest.mark.parametrize("size", [3, 30])
def test_the_page_costs_the_same_whatever_the_graph(
    acme, alice, alice_client, target, size, django_assert_max_num_queries
):
    make_graph(acme, alice, target, size)
    # session, user, the user's memberships (working team and visibility), the target
    # (with its company), the search (one statement), the rep's roster entry for the
    # target; the navigation's teams and unread notifications
    with django_assert_max_num_queries(8):
        response = alice_client.get(reverse("contacts:connectors", args=[target.pk]))
    assert len(response.context["page"].paginator.object_list) == 3 * size


# --- The one-click ask -------------------------------------------------------------------------


def ask(client, target, path, quality=Quality.BETTER):
    return client.post(
        reverse("contacts:connector-ask", args=[target.pk]),
        {"path": ",".join(str(contact.pk) for contact in path), "quality": quality},
    )


def test_asking_a_direct_connector(alice, alice_client, network):
    target, ann = network["target"], network["ann"]
    entry = RosterEntryFactory(prospect=target, owner=alice, reason="They open three sites.")
    response = ask(alice_client, target, [ann, target], Quality.BEST)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("referrals:referral-detail", args=[referral.pk])
    assert (referral.owner, referral.referrer, referral.prospect) == (alice, ann, target)
    assert referral.roster_entry == entry
    assert referral.reason == "They open three sites."
    assert referral.quality == Quality.BEST
    assert referral.channel == Channel.PHONE  # Ann's preferred channel
    assert referral.status == Referral.Status.ASKED
    assert "Hi Ann," in referral.message
    assert "introduction to David Jones" in referral.message
    assert "Why now: They open three sites." in referral.message
    assert "the three of us" in referral.message
    entry.refresh_from_db()
    assert entry.status == entry.Status.ASKED
    assert any("Ask recorded: Ann Client → David Jones" in m for m in messages_of(response))


def test_the_one_click_ask_sent_twice_records_one_ask_and_links_to_it(alice, alice_client, network):
    target, ann = network["target"], network["ann"]
    first = ask(alice_client, target, [ann, target])
    second = ask(alice_client, target, [ann, target], Quality.BEST)

    referral = Referral.objects.get()
    assert first.url == reverse("referrals:referral-detail", args=[referral.pk])
    assert second.status_code == 302
    assert second.url == reverse("contacts:connectors", args=[target.pk])
    (message,) = [m for m in messages_of(second) if "already been asked" in m]
    assert "Ann Client has already been asked for an introduction to David Jones" in message
    link = reverse("referrals:referral-detail", args=[referral.pk])
    assert f'<a href="{link}">{SEE_OPEN_ASK}</a>' in message
    assert referral.quality == Quality.BETTER  # the first ask, untouched
    assert FollowUp.objects.filter(kind=FollowUp.Kind.THANK_REFERRER).count() == 1
    # The page it lands on shows the link (the message is not escaped away).
    page = alice_client.get(second.url).content.decode()
    assert f'<a href="{link}">{SEE_OPEN_ASK}</a>' in page


def test_asking_along_a_longer_path_asks_for_the_next_person(alice, alice_client, network):
    target, frank, carla = network["target"], network["frank"], network["carla"]
    RosterEntryFactory(prospect=target, owner=alice, reason="They open three sites.")
    ask(alice_client, target, [carla, frank, target], Quality.GOOD)
    referral = Referral.objects.get()
    # The method: ask someone you know for an introduction to someone *they* know.
    assert (referral.referrer, referral.prospect) == (carla, frank)
    assert referral.roster_entry is None
    assert referral.reason == "On the way to David Jones. They open three sites."
    assert "Frank knows people I am hoping to meet — David Jones above all" in referral.message
    assert "may I mention your name" in referral.message


def test_the_reps_own_record_on_the_path_is_skipped(alice, alice_client, network):
    target, frank, me = network["target"], network["frank"], network["me"]
    ask(alice_client, target, [me, frank, target])
    referral = Referral.objects.get()
    assert (referral.referrer, referral.prospect) == (frank, target)
    assert "reach out to David first" in referral.message


def test_knowing_the_target_yourself_needs_no_ask(acme, alice, alice_client, target):
    me = contact_for_user_ensure(user=alice, team=acme)
    tie(me, target)
    response = ask(alice_client, target, [me, target])
    assert not Referral.objects.exists()
    assert YOU_KNOW_THEM.format(name="David Jones") in messages_of(response)


@pytest.mark.parametrize(
    "path_of",
    [
        lambda n: [n["carla"], n["target"]],  # no tie between them
        lambda n: [n["carla"], n["frank"]],  # does not end at the target
        lambda n: [n["target"]],  # too short
        lambda n: [n["frank"], n["frank"], n["target"]],  # twice the same person
    ],
)
def test_a_path_that_is_not_a_chain_of_ties_is_refused(alice_client, network, path_of):
    response = ask(alice_client, network["target"], path_of(network))
    assert response.status_code == 302
    assert not Referral.objects.exists()
    assert BAD_ASK in messages_of(response)


def test_a_garbled_ask_is_refused(alice_client, network):
    url = reverse("contacts:connector-ask", args=[network["target"].pk])
    for data in ({"path": "1,x", "quality": "best"}, {"path": "", "quality": "best"}, {}):
        assert alice_client.post(url, data).status_code == 302
    bad_quality = ask(
        alice_client, network["target"], [network["ann"], network["target"]], "superb"
    )
    assert BAD_ASK in messages_of(bad_quality)
    assert not Referral.objects.exists()
    assert alice_client.get(url).status_code == 405


def test_a_teammate_asks_for_themselves(bob, bob_client, alice, network):
    RosterEntryFactory(prospect=network["target"], owner=alice)
    ask(bob_client, network["target"], [network["ann"], network["target"]])
    referral = Referral.objects.get()
    assert referral.owner == bob
    assert referral.roster_entry is None  # alice's roster is hers


def test_an_outsider_cannot_ask(charlie_client, network):
    response = ask(charlie_client, network["target"], [network["ann"], network["target"]])
    assert response.status_code == 404
    assert not Referral.objects.exists()


def test_a_contact_of_another_team_cannot_be_put_on_the_path(
    alice_client, network, globex, charlie
):
    stranger = person(globex, charlie, "Sam Stranger")
    response = ask(alice_client, network["target"], [stranger, network["target"]])
    assert BAD_ASK in messages_of(response)
    assert not Referral.objects.exists()


def test_ask_plans():
    def someone(pk, user_id=None):
        return Person(pk=pk, first_name=f"P{pk}", last_name="", kind="other", user_id=user_id)

    class Rep:
        pk = 99

    target = someone(1)
    assert ask_plan([someone(2), target], user=Rep).referrer.pk == 2
    plan = ask_plan([someone(3), someone(2), target], user=Rep)
    assert (plan.referrer.pk, plan.prospect.pk, plan.reaches_target) == (3, 2, False)
    plan = ask_plan([someone(4, user_id=99), someone(2), target], user=Rep)
    assert (plan.referrer.pk, plan.prospect.pk, plan.reaches_target) == (2, 1, True)
    plan = ask_plan([someone(5), someone(4, user_id=99), someone(2), target], user=Rep)
    assert (plan.referrer.pk, plan.prospect.pk) == (2, 1)
    assert ask_plan([someone(4, user_id=99), target], user=Rep) is None
    assert ask_plan([someone(5), someone(4, user_id=99), target], user=Rep) is None


# --- The API --------------------------------------------------------------------------------------


def test_the_api_lists_connectors_best_first(alice, network):
    url = f"/api/v1/contacts/{network['target'].pk}/connectors/"
    body = api_for(alice).get(url, {"max_hops": 2}).json()
    assert body["count"] == 4
    first = body["results"][0]
    assert first == {
        "connector": network["ann"].pk,
        "connector_name": "Ann Client",
        "connector_kind": "client",
        "green_light": True,
        "path": [network["ann"].pk, network["target"].pk],
        "path_names": ["Ann Client", "David Jones"],
        "hops": 1,
        "strength": 5,
        "score": first["score"],
        "reason": first["reason"],
    }
    assert first["reason"].startswith("Ann Client is your client; Ann knows David very well.")
    assert 0 < first["score"] <= 1
    scores = [result["score"] for result in body["results"]]
    assert scores == sorted(scores, reverse=True)
    carla = next(r for r in body["results"] if r["connector"] == network["carla"].pk)
    assert carla["path"] == [network["carla"].pk, network["frank"].pk, network["target"].pk]
    assert carla["hops"] == 2
    assert api_for(alice).get(url, {"max_hops": 1}).json()["count"] == 2
    assert api_for(alice).get(url).json()["count"] == 4  # default: up to 3 hops
    assert api_for(alice).get(url, {"max_hops": ""}).json()["count"] == 4  # empty = absent
    paged = api_for(alice).get(url, {"page_size": 1, "page": 2}).json()
    assert paged["results"][0]["connector"] == body["results"][1]["connector"]


@pytest.mark.parametrize("bad", ["0", "4", "abc", "1.5", "-2", "3 hops"])
def test_the_api_refuses_a_bad_max_hops(alice, network, bad):
    url = f"/api/v1/contacts/{network['target'].pk}/connectors/"
    response = api_for(alice).get(url, {"max_hops": bad})
    assert response.status_code == 400
    assert "max_hops" in field_errors(response)


def test_visibility_of_the_api(alice, bob, maya, charlie, network):
    url = f"/api/v1/contacts/{network['target'].pk}/connectors/"
    assert api_for(bob).get(url).status_code == 200
    assert api_for(bob).get(url).json()["count"] == 4
    assert api_for(maya).get(url).status_code == 200
    assert api_for(charlie).get(url).status_code == 404
    assert APIClient().get(url).status_code in (401, 403)
    assert api_for(alice).get("/api/v1/contacts/999999/connectors/").status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_the_api_costs_the_same_whatever_the_graph(
    acme, alice, target, size, django_assert_max_num_queries
):
    make_graph(acme, alice, target, size)
    api = api_for(alice)
    # user's memberships (visibility), the contact, its company, the search
    with django_assert_max_num_queries(4):
        response = api.get(f"/api/v1/contacts/{target.pk}/connectors/", {"page_size": 500})
    assert response.json()["count"] == 3 * size
