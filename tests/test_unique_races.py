"""Every unique rule a user can reach answers 400 with a message, never a 500 (issue #16):
also when validation let the write through and the database refused it, because another
request saved the same thing at the same moment (core.integrity, config.api, the pages'
core.middleware.UniqueViolationMiddleware).

The race is simulated without touching the code under test: right before the request's
own save of the model, the same row is inserted (a pre_save receiver), as another request
would have inserted it after validation had looked. The real race, 20 requests at once,
runs on PostgreSQL at the end.

Cast: alice (rep of Acme), maya (its manager), admin (staff)."""

import contextlib
import copy
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import pre_save
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import ALREADY_A_MEMBER, Membership, Team, User
from contacts.models import (
    COMPANY_NAME_TAKEN,
    CONTACT_EMAIL_TAKEN,
    CONTACT_LINKEDIN_TAKEN,
    RELATIONSHIP_TAKEN,
    Company,
    Contact,
    IdealClientProfile,
    Relationship,
)
from core import integrity
from core.integrity import RACE_LOST, unique_rules, unique_violation_error
from referrals.models import TEAM_GOAL_TAKEN, RosterEntry, WeeklyGoal
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

WARMPATH_APPS = {
    "accounts",
    "contacts",
    "referrals",
    "followups",
    "reporting",
    "dashboard",
    "exports",
    "outbox",
    "idempotency",
}


def warmpath_rules():
    return [rule for rule in unique_rules() if rule.model._meta.app_label in WARMPATH_APPS]


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in WARMPATH_APPS
    }


@contextlib.contextmanager
def saved_at_the_same_moment(model):
    """Right before the first save of a `model` row, the same row is inserted, as a
    concurrent request would have done after this one's validation looked."""
    inserted = []

    def insert_twin(sender, instance, raw=False, **kwargs):
        if inserted:
            return
        twin = copy.copy(instance)
        twin._state = copy.copy(instance._state)
        twin._state.adding = True
        twin.pk = None
        if getattr(twin, "id", None) is not None:
            twin.id = None
        inserted.append(twin)
        model._default_manager.bulk_create([twin])

    pre_save.connect(insert_twin, sender=model, weak=False, dispatch_uid="twin")
    try:
        yield inserted
    finally:
        pre_save.disconnect(sender=model, dispatch_uid="twin")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The ways a user reaches each rule ------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """One request that saves a row a unique rule holds: `prepare(cast)` makes what it
    needs (the company to rename, the two people to link), `send(cast, prepared)` sends it."""

    rule: str
    model: type
    label: str
    send: Callable
    message: str
    prepare: Callable = lambda cast: None


def _company(cast):
    return CompanyFactory(team=cast["acme"], name="Initech")


def _contact(cast, **fields):
    return ContactFactory(team=cast["acme"], owner=cast["alice"], email="", **fields)


def _no_inline_rows(*prefixes) -> dict:
    return {
        f"{prefix}-{count}": 0 for prefix in prefixes for count in ("TOTAL_FORMS", "INITIAL_FORMS")
    }


def _admin_add(model_name, data, inlines=()):
    def send(cast, prepared):
        return cast["admin_client"].post(
            f"/admin/{model_name}/add/", {**data, **_no_inline_rows(*inlines)}
        )

    return send


def _admin_add_with(model_name, data_of, inlines=()):
    def send(cast, prepared):
        return cast["admin_client"].post(
            f"/admin/{model_name}/add/",
            {**data_of(cast, prepared), **_no_inline_rows(*inlines)},
        )

    return send


WAYS = [
    Way(
        "company_unique_name_per_team",
        Company,
        "API create",
        lambda cast, prepared: api(cast["alice"]).post(
            "/api/v1/companies/", {"name": "Hooli"}, format="json"
        ),
        COMPANY_NAME_TAKEN,
    ),
    Way(
        "company_unique_name_per_team",
        Company,
        "API rename",
        lambda cast, prepared: api(cast["alice"]).patch(
            f"/api/v1/companies/{prepared.pk}/", {"name": "Hooli"}, format="json"
        ),
        COMPANY_NAME_TAKEN,
        prepare=_company,
    ),
    Way(
        "company_unique_name_per_team",
        Company,
        "page create",
        lambda cast, prepared: cast["alice_client"].post("/companies/new/", {"name": "Hooli"}),
        COMPANY_NAME_TAKEN,
    ),
    Way(
        "company_unique_name_per_team",
        Company,
        "page edit",
        lambda cast, prepared: cast["alice_client"].post(
            f"/companies/{prepared.pk}/edit/", {"name": "Hooli"}
        ),
        COMPANY_NAME_TAKEN,
        prepare=_company,
    ),
    Way(
        "company_unique_name_per_team",
        Company,
        "admin add",
        _admin_add_with(
            "contacts/company",
            lambda cast, prepared: {"team": cast["acme"].pk, "name": "Hooli"},
            inlines=["contacts"],
        ),
        COMPANY_NAME_TAKEN,
    ),
    Way(
        "contact_unique_email_per_team",
        Contact,
        "API create",
        lambda cast, prepared: api(cast["alice"]).post(
            "/api/v1/contacts/", {"first_name": "Ann", "email": "ann@example.com"}, format="json"
        ),
        CONTACT_EMAIL_TAKEN,
    ),
    Way(
        "contact_unique_email_per_team",
        Contact,
        "API update",
        lambda cast, prepared: api(cast["alice"]).patch(
            f"/api/v1/contacts/{prepared.pk}/", {"email": "ann@example.com"}, format="json"
        ),
        CONTACT_EMAIL_TAKEN,
        prepare=_contact,
    ),
    Way(
        "contact_unique_email_per_team",
        Contact,
        "page create",
        lambda cast, prepared: cast["alice_client"].post(
            "/contacts/new/",
            {
                "first_name": "Ann",
                "email": "ann@example.com",
                "kind": "prospect",
                "preferred_channel": "email",
                "update_cadence": "each_step",
            },
        ),
        CONTACT_EMAIL_TAKEN,
    ),
    Way(
        "contact_unique_linkedin_per_team",
        Contact,
        "API create",
        lambda cast, prepared: api(cast["alice"]).post(
            "/api/v1/contacts/",
            {"first_name": "Ann", "linkedin_url": "https://www.linkedin.com/in/ann"},
            format="json",
        ),
        CONTACT_LINKEDIN_TAKEN,
    ),
    Way(
        "contact_unique_linkedin_per_team",
        Contact,
        "API update",
        lambda cast, prepared: api(cast["alice"]).patch(
            f"/api/v1/contacts/{prepared.pk}/",
            {"linkedin_url": "https://www.linkedin.com/in/ann"},
            format="json",
        ),
        CONTACT_LINKEDIN_TAKEN,
        prepare=_contact,
    ),
    Way(
        "contacts.Contact(user)",
        Contact,
        "admin add",
        _admin_add_with(
            "contacts/contact",
            lambda cast, prepared: {
                "team": cast["acme"].pk,
                "owner": cast["alice"].pk,
                "user": cast["alice"].pk,
                "first_name": "Alice",
                "kind": "colleague",
                "preferred_channel": "email",
                "update_cadence": "each_step",
            },
        ),
        "Contact with this User already exists.",
    ),
    Way(
        "relationship_unique_pair",
        Relationship,
        "API create",
        lambda cast, prepared: api(cast["alice"]).post(
            "/api/v1/relationships/",
            {"contact_a": prepared[0].pk, "contact_b": prepared[1].pk},
            format="json",
        ),
        # The service's own race handling names the two people.
        "are already linked; edit that relationship instead.",
        prepare=lambda cast: (_contact(cast), _contact(cast)),
    ),
    Way(
        "roster_unique_prospect",
        RosterEntry,
        "API create",
        lambda cast, prepared: api(cast["alice"]).post(
            "/api/v1/roster/", {"prospect": prepared.pk}, format="json"
        ),
        # The service's own race handling names the prospect.
        "is already on your roster",
        prepare=_contact,
    ),
    Way(
        "weekly_goal_one_team_goal_per_week",
        WeeklyGoal,
        "API create",
        lambda cast, prepared: api(cast["maya"]).post(
            "/api/v1/goals/",
            {"team": cast["acme"].pk, "week_start": "2026-11-23", "asks": 3},
            format="json",
        ),
        TEAM_GOAL_TAKEN,
    ),
    Way(
        "weekly_goal_one_rep_goal_per_week",
        WeeklyGoal,
        "API create",
        lambda cast, prepared: api(cast["maya"]).post(
            "/api/v1/goals/",
            {
                "team": cast["acme"].pk,
                "rep": cast["alice"].pk,
                "week_start": "2026-11-23",
                "asks": 3,
            },
            format="json",
        ),
        "This rep already has a goal for this week.",
    ),
    Way(
        "accounts.Team(name)",
        Team,
        "admin add",
        _admin_add(
            "accounts/team",
            {
                "name": "Umbrella",
                "currency": "USD",
                "chase_confirmation_after_days": 5,
                "readiness_after_win_days": 60,
                "referrer_link_days": 14,
            },
            inlines=["memberships"],
        ),
        "Team with this Name already exists.",
    ),
    Way(
        "accounts.User(username)",
        User,
        "admin add",
        _admin_add(
            "accounts/user",
            {
                "username": "newcomer",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
                "usable_password": "true",
            },
            inlines=["memberships"],
        ),
        "A user with that username already exists.",
    ),
    Way(
        "membership_unique_user_team",
        Membership,
        "admin add",
        _admin_add_with(
            "accounts/membership",
            lambda cast, prepared: {
                "user": prepared.pk,
                "team": cast["acme"].pk,
                "role": "rep",
            },
        ),
        ALREADY_A_MEMBER,
        prepare=lambda cast: UserFactory(username="newcomer"),
    ),
    Way(
        "contacts.IdealClientProfile(team)",
        IdealClientProfile,
        "admin add",
        _admin_add_with(
            "contacts/idealclientprofile",
            lambda cast, prepared: {
                "team": cast["acme"].pk,
                "industries": "[]",
                "regions": "[]",
                "functions": "[]",
                "person_types": "[]",
                "situation_keywords": "[]",
                "weight_industry": 25,
                "weight_region": 15,
                "weight_size": 20,
                "weight_function": 15,
                "weight_person_type": 15,
                "weight_situation": 10,
            },
        ),
        "Ideal client profile with this Team already exists.",
    ),
]

# Rules no user request reaches by writing a row of its own, and why.
NOT_REACHED = {
    "referral_one_open_ask_per_referrer_and_prospect": (
        "a second open ask is a 409 with a link to the first, the database deciding "
        "(referrals.services.referral_create; 20 at once in tests/test_one_ask.py)"
    ),
    "referrals.Deal(referral)": (
        "set by the referral's steps only (read-only in the API and the admin)"
    ),
    "followup_once_per_occasion": "written by the follow-up rules only; no add in the admin",
    "reminder_once_per_kind": "written by the reminder scan only; read-only in the admin",
    "followups.Notification(reminder)": "written by the reminder scan only; read-only admin",
    "outbox.OutgoingEmail(reminder)": "written by the outbox only; no add in the admin",
    "outbox.OutgoingEmail(dedupe_key)": "written by the outbox only; no add in the admin",
    "accounts.CalendarFeed(user)": (
        "one feed per user, written by the profile page's regenerate (an update in place) only"
    ),
    "accounts.CalendarFeed(secret_hash)": "a hash of 32 random bytes, made by the server only",
    "referrals.ReferrerLinkUse(nonce)": (
        "the spent link: a second use is the link's polite refusal, the database deciding "
        "(tests/test_referrer_links.py)"
    ),
    "daily_count_one_per_cell": "KPI rollups, written by the server's counting only",
    "weekly_count_one_per_cell": "KPI rollups, written by the server's counting only",
    "stay_in_touch_reminder_once": "written by the going-cold scan only; read-only in the admin",
    "idempotency_key_unique_per_user": (
        "claimed by idempotency.middleware, which answers a lost claim itself"
    ),
}


def _form_errors(response) -> str:
    """Why the request saved nothing (its form's errors), for a Way that went stale."""
    context = response.context or {}
    form = context.get("adminform").form if context.get("adminform") else context.get("form")
    errors = context.get("errors") or (form.errors if form is not None else response.content[:500])
    return f"the request never saved the row the rule holds: {response.status_code} {errors}"


def test_every_unique_rule_is_reached_by_a_test_or_said_unreachable():
    reached = {way.rule for way in WAYS}
    known = {rule.name for rule in warmpath_rules()}
    assert known == reached | set(NOT_REACHED), (
        "A unique rule was added or removed: add a Way that reaches it (a page, the API, "
        "the admin) or say in NOT_REACHED why no user can."
    )
    assert not reached & set(NOT_REACHED)


@pytest.fixture
def cast(acme, alice, maya, admin_user, alice_client, admin_client_):
    return {
        "acme": acme,
        "alice": alice,
        "maya": maya,
        "alice_client": alice_client,
        "admin_client": admin_client_,
    }


@pytest.mark.parametrize("way", WAYS, ids=lambda way: f"{way.rule}-{way.label}")
def test_a_write_that_lost_the_race_is_a_400_with_the_rules_message(cast, way):
    prepared = way.prepare(cast)
    before = row_counts()
    with saved_at_the_same_moment(way.model) as twins:
        response = way.send(cast, prepared)

    assert twins, _form_errors(response)
    assert response.status_code == 400, response.content[:2000]
    assert html.escape(way.message) in response.content.decode() or (
        way.message in response.content.decode()
    )
    # The request's transaction was rolled back whole: nothing written, the twin included
    # (it stands for another request's row, inserted in this one's transaction).
    assert row_counts() == before


# --- The message, on both engines, from the error alone ------------------------------------


def _integrity_error_of(model, **fields) -> IntegrityError:
    try:
        with transaction.atomic():
            model._default_manager.create(**fields)
    except IntegrityError as error:
        return error
    raise AssertionError("the database accepted the duplicate")


names = st.text(
    alphabet=st.characters(categories=("L", "N"), max_codepoint=0x2FF), min_size=1, max_size=40
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names, other_case=st.booleans())
def test_a_duplicate_company_name_in_any_case_is_told_on_its_field(acme, name, other_case):
    with transaction.atomic():
        Company.objects.create(team=acme, name=name)
        # Both engines fold ASCII letters (SQLite's lower() folds no others).
        twin = name.swapcase() if other_case and name.isascii() else name
        error = _integrity_error_of(Company, team=acme, name=twin)
        transaction.set_rollback(True)

    converted = unique_violation_error(error)

    assert converted.message_dict == {"name": [COMPANY_NAME_TAKEN]}


def test_a_rule_on_plain_columns_is_found_by_its_columns(acme, alice):
    ContactFactory(team=acme, owner=alice, linkedin_url="https://www.linkedin.com/in/ann")

    error = _integrity_error_of(
        Contact,
        team=acme,
        owner=alice,
        first_name="Ann",
        linkedin_url="https://www.linkedin.com/in/ann",
    )

    assert unique_violation_error(error).message_dict == {"linkedin_url": [CONTACT_LINKEDIN_TAKEN]}


def test_a_rule_of_two_relations_is_told_above_the_form(acme, alice):
    one, other = ContactFactory(team=acme, owner=alice), ContactFactory(team=acme, owner=alice)
    low, high = sorted((one, other), key=lambda person: person.pk)
    Relationship.objects.create(team=acme, contact_a=low, contact_b=high)

    error = _integrity_error_of(Relationship, team=acme, contact_a=low, contact_b=high)

    converted = unique_violation_error(error)
    assert not hasattr(converted, "error_dict")
    assert converted.messages == [RELATIONSHIP_TAKEN]


def test_a_unique_field_without_a_message_gets_djangos_wording(acme):
    error = _integrity_error_of(Team, name="Acme")

    assert unique_violation_error(error).message_dict == {
        "name": ["Team with this Name already exists."]
    }


def test_a_rule_nobody_knows_still_gets_a_message(acme, monkeypatch):
    error = _integrity_error_of(Team, name="Acme")
    monkeypatch.setattr(integrity, "unique_rules", lambda: ())

    assert unique_violation_error(error).messages == [RACE_LOST]


def test_other_integrity_errors_are_left_alone(acme, alice):
    # A check constraint broken is a bug, not a race: it stays a 500.
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Contact.objects.filter(pk=ContactFactory(team=acme, owner=alice).pk).update(fit_score=101)

    assert unique_violation_error(raised.value) is None


def test_the_page_after_a_lost_race_says_why_and_offers_the_form_again(cast):
    with saved_at_the_same_moment(Company):
        response = cast["alice_client"].post("/companies/new/", {"name": "<b>Hooli</b>"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in page
    assert html.escape(COMPANY_NAME_TAKEN) in page
    assert 'href="/companies/new/"' in page
    assert 'aria-label="Main navigation"' in page


def test_the_api_answer_names_the_field(cast):
    with saved_at_the_same_moment(Company):
        response = api(cast["alice"]).post("/api/v1/companies/", {"name": "Hooli"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json() or "errors" in response.json()
    assert COMPANY_NAME_TAKEN in response.content.decode()


def test_a_validation_error_is_what_comes_out(acme):
    error = _integrity_error_of(Team, name="Acme")

    assert isinstance(unique_violation_error(error), ValidationError)


# --- 20 at once, on PostgreSQL --------------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers: SQLite serialises them (transaction_mode IMMEDIATE)",
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
def test_twenty_parallel_api_posts_of_one_company_name_make_one_company_and_nineteen_400s():
    team = TeamFactory(name="Race")
    rep = MembershipFactory(team=team, user=UserFactory(username="racer")).user
    token = Token.objects.create(user=rep).key

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post("/api/v1/companies/", {"name": "Hooli"}, format="json")
        return response.status_code, response.content.decode()

    results = at_once(20, post)

    assert sorted(status for status, _ in results) == [201] + [400] * 19
    for status, body in results:
        if status == 400:
            assert "already exists in your team" in body
    assert Company.objects.filter(team=team).count() == 1
