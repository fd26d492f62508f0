"""Extreme dates through every door: every form and API write with a date field, and every
date query parameter of a page or the API, for users in every kind of zone.

The dates: datetime.min and max, years 1 and 9999, the window's first and last days and
the days either side of them (core.dates), anything in between; times at 00:00 and 23:59,
naive (the user's zone) or with the offsets at the ends of the Earth's (+14:00, -12:00).
The users: in UTC−12 (Etc/GMT+12) to UTC+14 (Pacific/Kiritimati).

What must hold, whatever the date: never a 5xx; a date outside the window (as typed) is
refused with core.dates.OUTSIDE_WINDOW on the field that carried it (a form's field, the
API's field or parameter, a page's message naming the field) and nothing is written;
whatever is written holds only dates of the window. tests/test_date_window.py proves no
date input of the project escapes this list's classes (models, forms, serializers,
filters); the query parameters read by hand are listed here one by one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import models, transaction
from django.db.models import Q
from django.forms import BaseForm, DateField, DateTimeField, SplitDateTimeField
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from contacts.imports import (
    ROW_DATE_OUTSIDE_WINDOW,
    import_commit,
    import_job_create,
    import_preview,
    read_upload,
)
from contacts.imports.planning import NOTE_CONNECTED_ON_OUTSIDE_WINDOW
from contacts.models import Contact, Relationship
from core import dates
from exports.models import ExportJob
from followups.models import FollowUp
from referrals import services as referral_services
from referrals.models import Deal, ReadinessCheck, Referral, ReferralGiven, WeeklyGoal
from tests.factories import ClientFactory, ContactFactory, DealFactory, RelationshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.now("2026-11-25T10:00:00+00:00")]

WEST, EAST = "Etc/GMT+12", "Pacific/Kiritimati"
ZONES = (WEST, "America/Los_Angeles", "UTC", "Asia/Kolkata", EAST)
DAY = timedelta(days=1)
EDGE_DAYS = (
    date.min,
    date(1, 1, 2),
    dates.FIRST_DAY - DAY,
    dates.FIRST_DAY,
    dates.FIRST_DAY + DAY,
    dates.LAST_DAY - DAY,
    dates.LAST_DAY,
    dates.LAST_DAY + DAY,
    date(9999, 12, 30),
    date.max,
)
OFFSETS = ("", "Z", "+14:00", "-12:00", "+05:30")  # "": naive, the user's own zone
CLOCKS = (time.min, time(23, 59), time(12, 0))

days = st.one_of(st.sampled_from(EDGE_DAYS), st.dates())
clocks = st.one_of(st.sampled_from(CLOCKS), st.times().map(lambda t: t.replace(microsecond=0)))
zones = st.sampled_from(ZONES)
PROPERTY = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Hypothesis runs these first, for every case: the ends of the calendar on the far side
# of UTC, and the window's own edges, in and out.
EXTREMES = [
    (date.min, time.min, "", WEST),
    (date.max, time(23, 59), "", EAST),
    (date.min, time.min, "+14:00", EAST),
    (date.max, time(23, 59), "-12:00", WEST),
    (dates.FIRST_DAY, time.min, "", EAST),
    (dates.FIRST_DAY - DAY, time(23, 59), "", WEST),
    (dates.LAST_DAY, time(23, 59), "", WEST),
    (dates.LAST_DAY + DAY, time.min, "", EAST),
]


def typed(day: date, clock: time | None = None, offset: str = "") -> str:
    """As a user or a client writes it: 2026-11-25, or 2026-11-25T23:59 with an offset."""
    if clock is None:
        return day.isoformat()
    return f"{day.isoformat()}T{clock:%H:%M}{offset}"


def outside(day: date) -> bool:
    return not dates.FIRST_DAY <= day <= dates.LAST_DAY


# --- The world ------------------------------------------------------------------------------------


@pytest.fixture
def world(acme, alice, maya):
    client = ClientFactory(team=acme, owner=alice, first_name="Cleo")
    prospect = ContactFactory(team=acme, owner=alice, first_name="Pia")
    other = ContactFactory(team=acme, owner=alice, first_name="Otto")
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=client, prospect=prospect, reason="Initial"
    )
    return {
        "acme": acme,
        "alice": alice,
        "maya": maya,
        "client": client,
        "prospect": prospect,
        "other": other,
        "referral": referral,
        "relationship": RelationshipFactory(between=(client, prospect)),
        "deal": DealFactory(team=acme, owner=alice, contact=client),
    }


@pytest.fixture
def clients(world):
    found = {}
    for persona in ("alice", "maya"):
        client = Client(raise_request_exception=False)
        client.force_login(world[persona])
        found[persona] = client
    return found


def in_zone(world, persona: str, zone: str) -> None:
    user = world[persona]
    user.time_zone = zone
    user.save(update_fields=["time_zone"])


def rows(*model_classes) -> list:
    return [list(model.objects.order_by("pk").values()) for model in model_classes]


def only_window_dates_stored(model_classes) -> None:
    for model in model_classes:
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.DateField) and f.editable
        ]
        for values in model.objects.values(*names):
            for value in values.values():
                if value is not None:
                    dates.validate_in_window(value)


def names_the_field(body, field: str, message: str) -> bool:
    """Somewhere in the JSON the field is named with the message: {field: [message]}, or
    {"name": field, "reason": message} (problem details' invalid parameters)."""
    if isinstance(body, dict):
        if field in body and message in json.dumps(body[field], ensure_ascii=False):
            return True
        if field in body.values() and message in json.dumps(body, ensure_ascii=False):
            return True
        return any(names_the_field(value, field, message) for value in body.values())
    if isinstance(body, list):
        return any(names_the_field(item, field, message) for item in body)
    return False


def form_refuses(response, field: str) -> bool:
    """The page came back with a form whose field carries the window's message."""
    context = response.context
    parts = [] if context is None else context if isinstance(context, list) else [context]
    forms = [v for part in parts for v in part.flatten().values() if isinstance(v, BaseForm)]
    return any(dates.OUTSIDE_WINDOW in form.errors.get(field, []) for form in forms)


def without_old_messages(client: Client) -> Client:
    """The client, its messages of an earlier example (kept in a cookie) dropped."""
    client.cookies.pop("messages", None)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Writes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    persona: str
    url: Callable[[dict], str]
    body: Callable[[dict], dict]  # a valid body but for the date field
    field: str
    kind: str  # "date" | "datetime"
    tables: tuple  # what the write may change: unchanged when refused
    api: bool = False
    method: str = "post"


def _deal_won(w) -> dict:
    return {"outcome": "won", "value": "10", "opened_on": dates.FIRST_DAY.isoformat()}


WRITES = {
    # --- Pages ---
    "page referral-create asked_at": Write(
        "alice",
        lambda w: reverse("referrals:referral-create"),
        lambda w: {
            "referrer": w["client"].pk,
            "prospect": w["other"].pk,
            "quality": "better",
            "channel": "email",
        },
        "asked_at",
        "datetime",
        (Referral, FollowUp),
    ),
    "page readiness-create checked_on": Write(
        "alice",
        lambda w: reverse("referrals:readiness-create"),
        lambda w: {"client": w["client"].pk},
        "checked_on",
        "date",
        (ReadinessCheck,),
    ),
    "page deal-create opened_on": Write(
        "alice",
        lambda w: reverse("referrals:deal-create"),
        lambda w: {"contact": w["client"].pk, "name": "D", "source": "cold", "outcome": "open"},
        "opened_on",
        "date",
        (Deal,),
    ),
    "page deal-create closed_on": Write(
        "alice",
        lambda w: reverse("referrals:deal-create"),
        lambda w: {"contact": w["client"].pk, "name": "D", "source": "cold", **_deal_won(w)},
        "closed_on",
        "date",
        (Deal,),
    ),
    "page deal-edit opened_on": Write(
        "alice",
        lambda w: reverse("referrals:deal-edit", args=[w["deal"].pk]),
        lambda w: {"name": "D", "source": "cold", "outcome": "open"},
        "opened_on",
        "date",
        (Deal,),
    ),
    "page given-create given_on": Write(
        "alice",
        lambda w: reverse("referrals:given-create"),
        lambda w: {"client": w["client"].pk, "introduced_name": "Ivy"},
        "given_on",
        "date",
        (ReferralGiven,),
    ),
    "page contact-create client_since": Write(
        "alice",
        lambda w: reverse("contacts:create"),
        lambda w: {
            "first_name": "Ada",
            "kind": "client",
            "preferred_channel": "email",
            "update_cadence": "weekly",
        },
        "client_since",
        "date",
        (Contact,),
    ),
    "page contact-edit client_since": Write(
        "alice",
        lambda w: reverse("contacts:edit", args=[w["client"].pk]),
        lambda w: {
            "first_name": "Cleo",
            "kind": "client",
            "preferred_channel": "email",
            "update_cadence": "weekly",
            "owner": w["alice"].pk,
        },
        "client_since",
        "date",
        (Contact,),
    ),
    "page relationship-create since": Write(
        "alice",
        lambda w: reverse("contacts:relationship-create", args=[w["client"].pk]),
        lambda w: {"other": w["other"].pk, "kind": "colleague", "strength": 3, "source": "told"},
        "since",
        "date",
        (Relationship,),
    ),
    "page relationship-edit since": Write(
        "alice",
        lambda w: reverse("contacts:relationship-edit", args=[w["relationship"].pk]),
        lambda w: {"kind": "colleague", "strength": 3, "source": "told"},
        "since",
        "date",
        (Relationship,),
    ),
    # --- API ---
    "api referral asked_at": Write(
        "alice",
        lambda w: reverse("referral-list"),
        lambda w: {"referrer": w["client"].pk, "prospect": w["other"].pk},
        "asked_at",
        "datetime",
        (Referral, FollowUp),
        api=True,
    ),
    "api transition at": Write(
        "alice",
        lambda w: reverse("referral-transition", args=[w["referral"].pk]),
        lambda w: {"to": "confirmed"},
        "at",
        "datetime",
        (Referral, FollowUp),
        api=True,
    ),
    "api readiness checked_on": Write(
        "alice",
        lambda w: reverse("readiness-check-list"),
        lambda w: {"client": w["client"].pk},
        "checked_on",
        "date",
        (ReadinessCheck,),
        api=True,
    ),
    "api deal opened_on": Write(
        "alice",
        lambda w: reverse("deal-list"),
        lambda w: {"contact": w["client"].pk, "name": "D", "source": "cold"},
        "opened_on",
        "date",
        (Deal,),
        api=True,
    ),
    "api deal closed_on": Write(
        "alice",
        lambda w: reverse("deal-list"),
        lambda w: {"contact": w["client"].pk, "name": "D", "source": "cold", **_deal_won(w)},
        "closed_on",
        "date",
        (Deal,),
        api=True,
    ),
    "api deal edit opened_on": Write(
        "alice",
        lambda w: reverse("deal-detail", args=[w["deal"].pk]),
        lambda w: {},
        "opened_on",
        "date",
        (Deal,),
        api=True,
        method="patch",
    ),
    "api given given_on": Write(
        "alice",
        lambda w: reverse("referral-given-list"),
        lambda w: {"client": w["client"].pk, "introduced_name": "Ivy"},
        "given_on",
        "date",
        (ReferralGiven,),
        api=True,
    ),
    "api contact client_since": Write(
        "alice",
        lambda w: reverse("contact-list"),
        lambda w: {"first_name": "Ada", "kind": "client"},
        "client_since",
        "date",
        (Contact,),
        api=True,
    ),
    "api contact edit client_since": Write(
        "alice",
        lambda w: reverse("contact-detail", args=[w["client"].pk]),
        lambda w: {},
        "client_since",
        "date",
        (Contact,),
        api=True,
        method="patch",
    ),
    "api relationship since": Write(
        "alice",
        lambda w: reverse("relationship-list"),
        lambda w: {"contact_a": w["client"].pk, "contact_b": w["other"].pk, "strength": 3},
        "since",
        "date",
        (Relationship,),
        api=True,
    ),
    "api relationship edit since": Write(
        "alice",
        lambda w: reverse("relationship-detail", args=[w["relationship"].pk]),
        lambda w: {},
        "since",
        "date",
        (Relationship,),
        api=True,
        method="patch",
    ),
    "api goal week_start": Write(
        "maya",
        lambda w: reverse("goal-list"),
        lambda w: {"team": w["acme"].pk, "asks": 3},
        "week_start",
        "date",
        (WeeklyGoal,),
        api=True,
    ),
}


def _send(client, write: Write, world: dict, value: str):
    body = {**write.body(world), write.field: value}
    if write.api:
        return getattr(client, write.method)(
            write.url(world), json.dumps(body), content_type="application/json"
        )
    return client.post(write.url(world), body)


def check_write(world, clients, name, day, clock, offset, zone):
    write = WRITES[name]
    value = typed(day, clock if write.kind == "datetime" else None, offset)
    in_zone(world, write.persona, zone)
    before = rows(*write.tables)
    response = _send(clients[write.persona], write, world, value)
    where = f"{name} = {value} in {zone}: {response.status_code}"
    assert response.status_code < 500, where
    only_window_dates_stored(write.tables)
    if outside(day):
        assert rows(*write.tables) == before, f"{where}: written"
        if write.api:
            assert response.status_code == 400, where
            assert names_the_field(response.json(), write.field, dates.OUTSIDE_WINDOW), (
                f"{where}: {response.content[:300]}"
            )
        else:
            assert response.status_code == 200, where
            assert form_refuses(response, write.field), where
    else:
        assert dates.OUTSIDE_WINDOW not in response.content.decode(), where


@pytest.mark.parametrize("name", WRITES)
@PROPERTY
@given(day=days, clock=clocks, offset=st.sampled_from(OFFSETS), zone=zones)
@example(*EXTREMES[0])
@example(*EXTREMES[1])
@example(*EXTREMES[2])
@example(*EXTREMES[3])
@example(*EXTREMES[4])
@example(*EXTREMES[5])
@example(*EXTREMES[6])
@example(*EXTREMES[7])
def test_every_write_with_a_date_holds_the_window(world, clients, name, day, clock, offset, zone):
    with transaction.atomic():  # each example from the same world
        check_write(world, clients, name, day, clock, offset, zone)
        transaction.set_rollback(True)


@PROPERTY
@given(day=days, clock=clocks, offset=st.sampled_from(OFFSETS), zone=zones)
@example(*EXTREMES[0])
@example(*EXTREMES[1])
@example(*EXTREMES[2])
@example(*EXTREMES[3])
def test_a_step_on_the_page_holds_the_window(world, clients, day, clock, offset, zone):
    """The step form answers with a message (the referral page), naming the field."""
    with transaction.atomic():
        in_zone(world, "alice", zone)
        referral = world["referral"]
        before = rows(Referral, FollowUp)
        value = typed(day, clock, offset)
        response = without_old_messages(clients["alice"]).post(
            reverse("referrals:referral-transition", args=[referral.pk]),
            {"to": "confirmed", "at": value},
        )
        assert response.status_code == 302, value
        only_window_dates_stored((Referral, FollowUp))
        if outside(day):
            assert rows(Referral, FollowUp) == before, value
            assert messages_of(response) == [f"When did it happen? — {dates.OUTSIDE_WINDOW}"], value
        transaction.set_rollback(True)


@PROPERTY
@given(day=days, zone=zones)
@example(date.max, EAST)
@example(date(9999, 12, 27), WEST)
@example(date.min, WEST)
@example(dates.LAST_DAY + DAY, "UTC")
def test_goals_of_a_week_outside_the_window_are_never_saved(world, clients, day, zone):
    """The goals page takes its week from ?week= (or the form's hidden week)."""
    with transaction.atomic():
        in_zone(world, "maya", zone)
        url = f"{reverse('dashboard:goals')}?week={day.isoformat()}"
        response = without_old_messages(clients["maya"]).post(
            url, {"week": day.isoformat(), "team-asks": "5"}
        )
        assert response.status_code == 302
        only_window_dates_stored((WeeklyGoal,))
        if outside(day):
            assert not WeeklyGoal.objects.exists()
            assert any("Week: " in m and dates.OUTSIDE_WINDOW in m for m in messages_of(response))
        transaction.set_rollback(True)


# --- Query parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    persona: str
    url: Callable[[dict], str]
    parameter: str
    kind: str  # "date" | "datetime"
    shows: str  # how a refusal shows: "api" (400), "form" (the page's form), "message"
    others: dict | None = None  # the other parameters sent with it


D, DT = "date", "datetime"
CUSTOM = {"period": "custom", "start": "2026-11-02", "end": "2026-11-25"}

QUERIES = {
    # --- API ---
    **{
        f"api referrals {p}": Query("alice", lambda w: reverse("referral-list"), p, k, "api")
        for p, k in [
            ("asked_from", "date"),
            ("asked_to", "date"),
            ("asked_at__gte", "datetime"),
            ("asked_at__lte", "datetime"),
        ]
    },
    **{
        f"api given {p}": Query("alice", lambda w: reverse("referral-given-list"), p, "date", "api")
        for p in ("given_from", "given_to", "given_on__gte", "given_on__lte")
    },
    **{
        f"api goals {p}": Query("maya", lambda w: reverse("goal-list"), p, "date", "api")
        for p in ("week", "week_start")
    },
    **{
        f"api follow-ups {p}": Query(
            "alice", lambda w: reverse("followup-list"), p, "datetime", "api"
        )
        for p in ("due_after", "due_before")
    },
    **{
        f"api kpis {p}": Query(
            "maya",
            lambda w: reverse("api-kpis"),
            p,
            "date",
            "api",
            {"start": "2026-11-02", "end": "2026-11-25"},
        )
        for p in ("start", "end")
    },
    # --- Pages ---
    **{
        f"page pipeline {p}": Query("alice", lambda w: reverse("referrals:pipeline"), p, k, "form")
        for p, k in [
            ("asked_from", "date"),
            ("asked_to", "date"),
            ("asked_at__gte", "datetime"),
            ("asked_at__lte", "datetime"),
        ]
    },
    **{
        f"page given {p}": Query(
            "alice", lambda w: reverse("referrals:given-list"), p, "date", "form"
        )
        for p in ("given_from", "given_to", "given_on__gte", "given_on__lte")
    },
    **{
        f"page inbox {p}": Query(
            "alice", lambda w: reverse("followups:inbox"), p, "datetime", "form"
        )
        for p in ("due_after", "due_before")
    },
    **{
        f"page {name} {p}": Query("maya", url, p, "date", "form", CUSTOM)
        for name, url in [
            ("dashboard", lambda w: reverse("manager-dashboard")),
            ("rep", lambda w: reverse("dashboard:rep", args=[w["alice"].pk])),
        ]
        for p in ("start", "end")
    },
    **{
        f"export {name} {p}": Query("maya", url, p, "date", "text", CUSTOM)
        for name, url in [
            ("reps", lambda w: reverse("dashboard:export-reps")),
            ("referrals", lambda w: reverse("dashboard:export-referrals")),
        ]
        for p in ("start", "end")
    },
    "page goals week": Query(
        "maya", lambda w: reverse("dashboard:goals"), "week", "date", "message"
    ),
}
LABELS = {"start": "Start", "end": "End", "week": "Week"}


def check_query(world, clients, name, day, clock, offset, zone):
    query = QUERIES[name]
    value = typed(day, clock if query.kind == "datetime" else None, offset)
    in_zone(world, query.persona, zone)
    exports_before = ExportJob.objects.count()
    parameters = {**(query.others or {}), query.parameter: value}
    client = without_old_messages(clients[query.persona])
    response = client.get(f"{query.url(world)}?{urlencode(parameters)}")
    where = f"{name} = {value} in {zone}: {response.status_code}"
    assert response.status_code < 500, where
    text = response.content.decode()
    if not outside(day):
        assert dates.OUTSIDE_WINDOW not in text, where
        return
    assert ExportJob.objects.count() == exports_before, where
    if query.shows == "api":
        assert response.status_code == 400, where
        assert names_the_field(response.json(), query.parameter, dates.OUTSIDE_WINDOW), text[:300]
    elif query.shows == "text":
        assert response.status_code == 400, where
        assert f"{LABELS[query.parameter]}: {dates.OUTSIDE_WINDOW}" in text, where
    elif query.shows == "form":
        assert response.status_code == 200, where
        assert form_refuses(response, query.parameter), where
        # Shown: by the field's own control, or named among the ignored filters.
        assert dates.OUTSIDE_WINDOW in text, where
    else:
        assert response.status_code == 200, where
        assert f"{LABELS[query.parameter]}: {dates.OUTSIDE_WINDOW}" in text, where


@pytest.mark.parametrize("name", QUERIES)
@PROPERTY
@given(day=days, clock=clocks, offset=st.sampled_from(OFFSETS), zone=zones)
@example(*EXTREMES[0])
@example(*EXTREMES[1])
@example(*EXTREMES[2])
@example(*EXTREMES[3])
@example(*EXTREMES[4])
@example(*EXTREMES[5])
@example(*EXTREMES[6])
@example(*EXTREMES[7])
def test_every_date_query_parameter_holds_the_window(
    world, clients, name, day, clock, offset, zone
):
    with transaction.atomic():
        check_query(world, clients, name, day, clock, offset, zone)
        transaction.set_rollback(True)


# --- The issue's own examples ---------------------------------------------------------------------


def test_an_ask_dated_year_1_is_refused_and_pages_stay_up_west_of_utc(world, clients):
    in_zone(world, "alice", "America/Los_Angeles")
    before = Referral.objects.count()
    response = clients["alice"].post(
        reverse("referrals:referral-create"),
        {
            "referrer": world["client"].pk,
            "prospect": world["other"].pk,
            "quality": "better",
            "channel": "email",
            "asked_at": "0001-01-01T00:00",
        },
    )
    assert response.status_code == 200
    assert form_refuses(response, "asked_at")
    assert Referral.objects.count() == before


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("dashboard:goals", "?week=9999-12-31"),
        ("manager-dashboard", "?period=custom&start=9999-12-25&end=9999-12-31"),
        ("api-kpis", "?start=9999-12-31"),
    ],
)
def test_the_issues_urls_answer_with_the_reason(world, clients, name, query):
    response = clients["maya"].get(reverse(name) + query)
    assert response.status_code in (200, 400)
    assert dates.OUTSIDE_WINDOW in response.content.decode()


# --- The admin's date hierarchy (every one of the site: config/admin.py) ------------------------

HIERARCHIES = {
    "referrals/referral": "asked_at",
    "referrals/deal": "opened_on",
    "contacts/contact": "created_at",
    "django_celery_beat/periodictask": "start_time",
    "axes/accessattempt": "attempt_time",
}


@pytest.mark.parametrize("path", HIERARCHIES)
@pytest.mark.parametrize(
    ("year", "month", "day"),
    [
        ("9999", "12", "31"),
        ("9999", "12", None),
        ("9999", None, None),
        ("1", "1", "1"),
        ("1899", "12", "31"),
        ("2101", None, None),
        ("0", None, None),
        ("10000", None, None),
        ("99999999999999999999", None, None),
        ("2100", "12", "31"),
        ("1900", "1", "1"),
    ],
)
@pytest.mark.parametrize("zone", [WEST, EAST])
def test_the_admins_date_drill_down_holds_the_window(admin_user, path, year, month, day, zone):
    admin_user.time_zone = zone
    admin_user.save(update_fields=["time_zone"])
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    field = HIERARCHIES[path]
    query = {f"{field}__year": year, f"{field}__month": month, f"{field}__day": day}
    response = client.get(
        f"/admin/{path}/", {name: value for name, value in query.items() if value is not None}
    )
    assert response.status_code in (200, 302), response.status_code
    if year in ("2100", "1900"):
        assert response.status_code == 200
    elif year.isdigit() and 1 <= int(year) <= 9999:
        assert response.status_code == 302  # to the list, ?e=1
        assert any(m.endswith(f": {dates.OUTSIDE_WINDOW}") for m in messages_of(response))


# --- The admin's forms (the model fields' window, through ModelForm validation) ----------------


def _admin_form_data(form_class, instance) -> dict:
    """The change form's data as the admin would post it, from the record as it is."""
    initial = form_class(instance=instance).initial
    data = {}
    for name, field in form_class.base_fields.items():
        value = initial.get(name)
        if isinstance(field, SplitDateTimeField):
            data[f"{name}_0"] = f"{value:%Y-%m-%d}" if value else ""
            data[f"{name}_1"] = f"{value:%H:%M:%S}" if value else ""
        elif isinstance(value, list | tuple):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    return data


def admin_date_fields(world, admin_user):
    """Every date field of every project model's admin change form, with its record."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    records = {
        Contact: world["client"],
        Relationship: world["relationship"],
        Deal: world["deal"],
        User: world["alice"],
        WeeklyGoal: WeeklyGoal.objects.create(
            team=world["acme"], week_start=date(2026, 11, 23), asks=1
        ),
    }
    for model, model_admin in admin.site._registry.items():
        instance = records.get(model) or model._default_manager.order_by("pk").first()
        if instance is None:
            continue
        form_class = model_admin.get_form(request, instance, change=True)
        for name, field in form_class.base_fields.items():
            if isinstance(field, DateField | DateTimeField | SplitDateTimeField):
                yield model, form_class, instance, name, field


@pytest.mark.parametrize(("day", "zone"), [(date.min, WEST), (date.max, EAST)])
def test_every_admin_form_date_holds_the_window(world, admin_user, day, zone):
    admin_user.time_zone = zone
    admin_user.save(update_fields=["time_zone"])
    checked = []
    with timezone.override(zone):  # the admin's zone, as its middleware sets it
        for model, form_class, instance, name, field in admin_date_fields(world, admin_user):
            data = _admin_form_data(form_class, instance)
            if isinstance(field, SplitDateTimeField):
                data[f"{name}_0"] = day.isoformat()
                data[f"{name}_1"] = "23:59:00" if day == date.max else "00:00:00"
            else:
                data[name] = day.isoformat()
            form = form_class(data, instance=instance)
            assert not form.is_valid(), f"{model._meta.label}.{name}"
            assert dates.OUTSIDE_WINDOW in form.errors.get(name, []), (
                f"{model._meta.label}.{name}: {form.errors.get(name)}"
            )
            checked.append(f"{model._meta.label}.{name}")
    assert {"contacts.Contact.client_since", "accounts.User.date_joined"} <= set(checked)


# --- CSV import cells -----------------------------------------------------------------------------

CSV_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%b %d, %Y")  # of contacts.imports' formats, 4-digit years


def _cell(day: date, form: str) -> str:
    """The day as a spreadsheet writes it (years below 1000 padded by hand: strftime's
    padding differs across platforms)."""
    year = f"{day.year:04d}"
    return {
        "%Y-%m-%d": f"{year}-{day.month:02d}-{day.day:02d}",
        "%d %b %Y": f"{day.day:02d} {day:%b} {year}",
        "%b %d, %Y": f"{day:%b} {day.day:02d}, {year}",
    }[form]


@PROPERTY
@given(day=days, form=st.sampled_from(CSV_FORMATS))
@example(date.min, "%Y-%m-%d")
@example(date.max, "%d %b %Y")
@example(dates.FIRST_DAY - DAY, "%b %d, %Y")
@example(dates.LAST_DAY, "%Y-%m-%d")
def test_a_relationships_csv_since_outside_the_window_skips_the_row(world, day, form):
    with transaction.atomic():
        cell = _cell(day, form)
        data = (
            "Contact A,Contact B,Kind,Strength,Since\n"
            f'{world["client"].email},{world["other"].email},friend,4,"{cell}"\n'
        ).encode()
        job = import_job_create(
            team=world["acme"], owner=world["alice"], kind="relationships", file_name="r.csv",
            data=data,
        )  # fmt: skip
        before = rows(Relationship)
        result = import_commit(job=job)
        only_window_dates_stored((Relationship,))
        if outside(day):
            assert rows(Relationship) == before, cell
            assert [issue["message"] for issue in result["issues"]] == [
                ROW_DATE_OUTSIDE_WINDOW.message.format(row=2, column="Since", value=cell)
            ]
        else:
            assert Relationship.objects.count() == len(before[0]) + 1, cell
        transaction.set_rollback(True)


@PROPERTY
@given(day=days)
@example(date.min)
@example(date.max)
def test_a_linkedin_connected_on_outside_the_window_imports_the_person_without_it(world, day):
    with transaction.atomic():
        cell = f"{day.day:02d} {day:%b} {day.year:04d}"
        data = (
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            f"Ann,Able,https://www.linkedin.com/in/ann-able,,Acme,CEO,{cell}\n"
        ).encode()
        job = import_job_create(
            team=world["acme"], owner=world["alice"], kind="linkedin", file_name="c.csv",
            data=data,
        )  # fmt: skip
        import_commit(job=job)
        only_window_dates_stored((Contact, Relationship))
        ann = Contact.objects.get(linkedin_url__contains="ann-able")
        tie = Relationship.objects.get(Q(contact_a=ann) | Q(contact_b=ann))
        assert tie.since == (None if outside(day) else day), cell
        transaction.set_rollback(True)


def test_the_linkedin_note_names_the_column_and_the_window(world):
    data = (
        b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        b"Ann,Able,https://www.linkedin.com/in/ann-able,,Acme,CEO,31 Dec 9999\n"
    )
    plan = import_preview(
        team=world["acme"], user=world["alice"], kind="linkedin", text=read_upload(data).text
    )
    assert plan.rows[0].outcome == "create"
    assert NOTE_CONNECTED_ON_OUTSIDE_WINDOW.format(value="31 Dec 9999") in plan.rows[0].reason


EDGE_PERIODS = [
    (dates.FIRST_DAY, dates.FIRST_DAY + timedelta(days=6)),
    (dates.LAST_DAY - timedelta(days=6), dates.LAST_DAY),
    (dates.LAST_DAY - timedelta(days=3 * 366), dates.LAST_DAY),
]


@pytest.mark.parametrize(("start", "end"), EDGE_PERIODS)
@pytest.mark.parametrize("zone", [WEST, EAST])
def test_a_period_at_the_windows_edges_is_computed_in_any_zone(world, clients, start, end, zone):
    """Twelve weeks of trend before it, the day after it, its weeks' Mondays: all still in
    the calendar, in every zone."""
    in_zone(world, "maya", zone)
    period = {"period": "custom", "start": start.isoformat(), "end": end.isoformat()}
    for url in (
        reverse("manager-dashboard"),
        reverse("dashboard:rep", args=[world["alice"].pk]),
        reverse("dashboard:export-reps"),
        reverse("dashboard:export-referrals"),
    ):
        response = clients["maya"].get(url, period)
        assert response.status_code == 200, url
    response = clients["maya"].get(
        reverse("api-kpis"), {"start": period["start"], "end": period["end"]}
    )
    assert response.status_code == 200
    for day in (start, end):
        response = clients["maya"].get(reverse("dashboard:goals"), {"week": day.isoformat()})
        assert response.status_code == 200
        assert dates.OUTSIDE_WINDOW not in response.content.decode()
