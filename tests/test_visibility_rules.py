"""Who sees what (DESIGN.md "Visibility"), proved on accounts.visibility itself, the one
place the rules live: owned records — a rep their own, a manager the team's, staff all,
nobody else anything; team-shared records — every member of the team, nobody outside it.
Nothing crosses teams, and an object one may not see is simply not found."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.selectors import active_membership
from accounts.visibility import (
    NO_TEAM,
    NoWorkingTeam,
    get_visible_or_404,
    is_manager_of,
    visible_owned,
    visible_shared,
    working_membership,
    working_team,
    working_team_or_none,
)
from contacts.models import Activity, Company, Contact, Relationship
from referrals.models import Deal, ReadinessCheck, Referral, ReferralGiven, RosterEntry
from tests.api_errors import NON_FIELD_ERRORS, detail, field_errors, problem_of
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    MembershipFactory,
    ReadinessCheckFactory,
    ReferralFactory,
    ReferralGivenFactory,
    RelationshipFactory,
    RosterEntryFactory,
    UserFactory,
)


def _owned(model, team, owner):
    """One record of `model` owned by `owner` in `team`."""
    contact = ContactFactory(team=team, owner=owner)
    if model is Referral:
        return ReferralFactory(referrer=ClientFactory(team=team, owner=owner), prospect=contact)
    if model is Deal:
        return DealFactory(contact=contact)
    if model is RosterEntry:
        return RosterEntryFactory(prospect=contact)
    if model is ReadinessCheck:
        return ReadinessCheckFactory(client=contact)
    if model is ReferralGiven:
        return ReferralGivenFactory(client=contact)
    raise AssertionError(model)


def _shared(model, team, owner):
    """One record of `model` in `team` (created by `owner`, which does not matter)."""
    if model is Company:
        return CompanyFactory(team=team)
    if model is Contact:
        return ContactFactory(team=team, owner=owner)
    if model is Relationship:
        return RelationshipFactory(
            between=(ContactFactory(team=team, owner=owner), ContactFactory(team=team, owner=owner))
        )
    if model is Activity:
        return Activity.objects.create(
            team=team, actor=owner, verb="note", description="Met", occurred_at=timezone.now()
        )
    raise AssertionError(model)


OWNED_MODELS = [Referral, Deal, RosterEntry, ReadinessCheck, ReferralGiven]
SHARED_MODELS = [Company, Contact, Relationship, Activity]


def visible_pks(records, user, *, owned):
    scope = visible_owned if owned else visible_shared
    model = type(next(iter(records.values())))
    return set(scope(model.objects.all(), user).values_list("pk", flat=True))


def pks(records, *names):
    return {records[name].pk for name in names}


@pytest.fixture
def outsider(db):
    """Logged in, but a member of no team."""
    return UserFactory(username="olivia")


# --- Owned records ------------------------------------------------------------------------


@pytest.fixture(params=OWNED_MODELS, ids=lambda model: model.__name__)
def owned(request, acme, globex, alice, bob, maya, charlie):
    model = request.param
    return {
        "alice": _owned(model, acme, alice),
        "bob": _owned(model, acme, bob),
        "maya": _owned(model, acme, maya),
        "charlie": _owned(model, globex, charlie),
    }


def test_a_rep_sees_only_their_own_records(owned, alice, bob, charlie):
    assert visible_pks(owned, alice, owned=True) == pks(owned, "alice")
    assert visible_pks(owned, bob, owned=True) == pks(owned, "bob")
    assert visible_pks(owned, charlie, owned=True) == pks(owned, "charlie")


def test_a_manager_sees_the_whole_teams_records_and_no_other_teams(owned, maya):
    assert visible_pks(owned, maya, owned=True) == pks(owned, "alice", "bob", "maya")


def test_staff_see_every_teams_records(owned, admin_user):
    assert visible_pks(owned, admin_user, owned=True) == pks(owned, *owned)


def test_someone_of_no_team_sees_no_owned_records(owned, outsider):
    assert visible_pks(owned, outsider, owned=True) == set()


def test_the_anonymous_see_no_owned_records(owned):
    assert visible_pks(owned, AnonymousUser(), owned=True) == set()


def test_records_a_rep_owns_in_a_team_they_left_are_out_of_sight(owned, alice, acme):
    Membership.objects.filter(user=alice, team=acme).delete()
    alice = type(alice).objects.get(pk=alice.pk)  # memberships are cached per user object
    assert visible_pks(owned, alice, owned=True) == set()


# --- Team-shared records ------------------------------------------------------------------


@pytest.fixture(params=SHARED_MODELS, ids=lambda model: model.__name__)
def shared(request, acme, globex, alice, bob, charlie):
    model = request.param
    return {
        "acme by alice": _shared(model, acme, alice),
        "acme by bob": _shared(model, acme, bob),
        "globex": _shared(model, globex, charlie),
    }


def test_every_member_of_the_team_sees_its_shared_records(shared, alice, bob, maya):
    acme_records = pks(shared, "acme by alice", "acme by bob")
    for member in (alice, bob, maya):
        assert visible_pks(shared, member, owned=False) == acme_records


def test_no_outsider_sees_a_teams_shared_records(shared, charlie, outsider):
    assert visible_pks(shared, charlie, owned=False) == pks(shared, "globex")
    assert visible_pks(shared, outsider, owned=False) == set()
    assert visible_pks(shared, AnonymousUser(), owned=False) == set()


def test_staff_see_every_teams_shared_records(shared, admin_user):
    assert visible_pks(shared, admin_user, owned=False) == pks(shared, *shared)


# --- A user in two teams ------------------------------------------------------------------


@pytest.fixture
def dana(acme, globex):
    """A rep at Acme who manages Globex."""
    user = UserFactory(username="dana")
    MembershipFactory(user=user, team=acme, role=Membership.Role.REP)
    MembershipFactory(user=user, team=globex, role=Membership.Role.MANAGER)
    return user


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda model: model.__name__)
def test_a_rep_in_one_team_and_manager_in_another_sees_the_union(
    model, acme, globex, alice, charlie, dana
):
    records = {
        "dana at acme": _owned(model, acme, dana),
        "alice at acme": _owned(model, acme, alice),
        "dana at globex": _owned(model, globex, dana),
        "charlie at globex": _owned(model, globex, charlie),
        "elsewhere": _owned(model, globex.__class__.objects.create(name="Initech"), alice),
    }
    assert visible_pks(records, dana, owned=True) == pks(
        records, "dana at acme", "dana at globex", "charlie at globex"
    )


@pytest.mark.parametrize("model", SHARED_MODELS, ids=lambda model: model.__name__)
def test_a_member_of_two_teams_sees_both_teams_shared_records(
    model, acme, globex, alice, charlie, dana
):
    initech = globex.__class__.objects.create(name="Initech")
    records = {
        "acme": _shared(model, acme, alice),
        "globex": _shared(model, globex, charlie),
        "initech": _shared(model, initech, UserFactory()),
    }
    assert visible_pks(records, dana, owned=False) == pks(records, "acme", "globex")


def test_is_manager_of(acme, globex, alice, maya, charlie, dana, admin_user):
    assert is_manager_of(maya, acme.pk)
    assert not is_manager_of(maya, globex.pk)
    assert not is_manager_of(alice, acme.pk)
    assert not is_manager_of(charlie, globex.pk)
    assert is_manager_of(dana, globex.pk)
    assert not is_manager_of(dana, acme.pk)
    assert is_manager_of(admin_user, acme.pk)
    assert not is_manager_of(AnonymousUser(), acme.pk)


# --- One object: found, or not found --------------------------------------------------------


@pytest.fixture
def alices_referral(acme, alice):
    return _owned(Referral, acme, alice)


def test_get_visible_or_404_returns_a_visible_object(alices_referral, alice, maya):
    for user in (alice, maya):
        scoped = visible_owned(Referral.objects.all(), user)
        assert get_visible_or_404(scoped, pk=alices_referral.pk) == alices_referral
        assert get_visible_or_404(scoped, pk=str(alices_referral.pk)) == alices_referral


@pytest.mark.parametrize("user", ["bob", "charlie", "outsider"])
def test_another_owners_or_another_teams_object_is_not_found(
    request, alices_referral, user, outsider
):
    scoped = visible_owned(Referral.objects.all(), request.getfixturevalue(user))
    with pytest.raises(Http404):
        get_visible_or_404(scoped, pk=alices_referral.pk)


def test_another_teams_shared_object_is_not_found(acme, alice, charlie):
    contact = ContactFactory(team=acme, owner=alice)
    with pytest.raises(Http404):
        get_visible_or_404(visible_shared(Contact.objects.all(), charlie), pk=contact.pk)


@pytest.mark.parametrize("garbage", ["abc", None, "", "1; DROP TABLE", 2**70, -1, 10**9, "1.5"])
def test_garbage_and_missing_ids_are_not_found(alices_referral, alice, garbage):
    scoped = visible_owned(Referral.objects.all(), alice)
    with pytest.raises(Http404):
        get_visible_or_404(scoped, pk=garbage)


# --- The team the user works in -------------------------------------------------------------


def _request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    request.membership = active_membership(user=user)  # as accounts.middleware does
    return request


def test_the_working_team_is_the_team_the_user_works_in(acme, alice):
    request = _request_of(alice)
    assert working_team(request) == working_team_or_none(request) == acme
    assert working_membership(request).user == alice


@pytest.mark.parametrize("user", ["outsider", "admin_user"])
def test_someone_of_no_team_has_no_working_team(request, user):
    no_team = _request_of(request.getfixturevalue(user))
    for helper in (working_team, working_membership):
        with pytest.raises(NoWorkingTeam) as raised:
            helper(no_team)
        assert str(raised.value) == NO_TEAM
    # Lists: no team to narrow to; the visibility rules decide (staff all, others nothing).
    assert working_team_or_none(no_team) is None
    assert working_team_or_none(None) is None  # a serializer built without a request


PAGES_OF_THE_WORKING_TEAM = [
    "contacts:create",
    "contacts:company-create",
    "contacts:import",
    "referrals:roster-create",
    "referrals:readiness-create",
    "referrals:referral-create",
    "referrals:deal-create",
    "referrals:given-create",
    "referrals:icp",
    "dashboard:goals",
]


@pytest.mark.parametrize("name", PAGES_OF_THE_WORKING_TEAM)
def test_a_page_of_the_working_team_is_not_found_for_someone_of_no_team(outsider, name):
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [("/api/v1/contacts/", {"first_name": "X"}), ("/api/v1/companies/", {"name": "X"})],
)
def test_the_api_tells_someone_of_no_team_why_it_cannot_record(admin_user, url, data):
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post(url, data)
    assert response.status_code == 400
    assert field_errors(response) == {NON_FIELD_ERRORS: [NO_TEAM]}
    assert (problem_of(response)["code"], detail(response)) == ("no_team", NO_TEAM)
