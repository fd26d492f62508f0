"""The window of dates (core.dates): its rule, the walk that proves every date input of the
project holds it, and pages that survive records stored outside it before it existed.

What enters through each form, API write and query parameter is driven with extreme dates
in tests/test_date_window_inputs.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from accounts.models import User
from contacts.models import Activity, Contact, Relationship
from core import dates
from core.admin import DateHierarchyInWindowAdmin
from core.serializers import ModelSerializer
from followups import digests, reminders
from followups import services as followup_services
from followups.models import FollowUp
from referrals.models import Deal, ReadinessCheck, Referral, ReferralGiven, WeeklyGoal
from reporting import weekly_summary
from tests.factories import ReferralFactory
from tests.test_access_matrix import MATRIX, url_of, world_make

# The zones at the ends of the Earth's offsets, and a few with DST, both hemispheres.
ZONES = (
    "Etc/GMT+12",  # UTC−12, the last into a day
    "Pacific/Pago_Pago",  # UTC−11
    "America/Los_Angeles",
    "UTC",
    "Europe/Berlin",
    "Australia/Lord_Howe",  # a half-hour DST shift
    "Pacific/Chatham",  # UTC+12:45/+13:45
    "Pacific/Kiritimati",  # UTC+14, the first into a day
)

PROJECT_PACKAGES = (
    "accounts",
    "contacts",
    "referrals",
    "followups",
    "reporting",
    "dashboard",
    "exports",
    "outbox",
    "config",
    "core",
)


# --- The rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "inside"),
    [
        (date.min, False),
        (dates.FIRST_DAY - timedelta(days=1), False),
        (dates.FIRST_DAY, True),
        (date(2026, 11, 25), True),
        (dates.LAST_DAY, True),
        (dates.LAST_DAY + timedelta(days=1), False),
        (date.max, False),
    ],
)
def test_the_window_holds_its_first_and_last_day(day, inside):
    assert dates.in_window(day) is inside
    assert dates.in_window(datetime.combine(day, time.max)) is inside
    if inside:
        dates.validate_in_window(day)
    else:
        with pytest.raises(ValidationError) as refused:
            dates.validate_in_window(day)
        assert refused.value.messages == [dates.OUTSIDE_WINDOW]


@given(
    day=st.dates(min_value=dates.FIRST_DAY, max_value=dates.LAST_DAY),
    clock=st.times(),
    typed_in=st.sampled_from(ZONES),
    shown_in=st.sampled_from(ZONES),
)
def test_a_time_typed_in_the_window_in_any_zone_is_stored_and_shown_in_any_zone(
    day, clock, typed_in, shown_in
):
    """The window's promise: what a user may type in their zone is valid once stored in
    UTC (the model's check) and can be shown in every other zone: no OverflowError, and
    some margin left for the days and weeks pages add to it."""
    typed = datetime.combine(day, clock, tzinfo=ZoneInfo(typed_in))
    stored = typed.astimezone(UTC)
    dates.validate_in_window(stored)
    shown = stored.astimezone(ZoneInfo(shown_in))
    assert shown + timedelta(weeks=13) and shown - timedelta(weeks=13)


def test_the_message_says_why_and_which_years():
    assert "1 January 1900" in dates.OUTSIDE_WINDOW
    assert "31 December 2100" in dates.OUTSIDE_WINDOW


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        (None, None),
        ("", None),
        ("2026-03-02", date(2026, 3, 2)),
        ("nope", dates.NOT_A_DATE),
        ("2026-02-30", dates.NOT_A_DATE),
        ("0001-01-01", dates.OUTSIDE_WINDOW),
        ("9999-12-31", dates.OUTSIDE_WINDOW),
        ("1899-12-31", dates.OUTSIDE_WINDOW),
        ("2101-01-01", dates.OUTSIDE_WINDOW),
    ],
)
def test_parse_day_of_a_query_parameter(text, outcome):
    if isinstance(outcome, str):
        with pytest.raises(ValidationError) as refused:
            dates.parse_day(text)
        assert refused.value.messages == [outcome]
    else:
        assert dates.parse_day(text) == outcome


@pytest.mark.parametrize(
    "stored",
    [datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)],
    ids=["year-1", "year-9999"],
)
@pytest.mark.parametrize("zone", ZONES)
def test_a_time_stored_outside_the_window_shows_in_any_zone(stored, zone):
    """What the model field hands out for a time stored before the window existed: moved
    to a zone where it would leave the calendar, it stays in UTC instead of failing."""
    value = dates.DateTimeField().from_db_value(stored, None, None)
    assert value == stored
    shown = value.astimezone(ZoneInfo(zone))
    assert shown == stored
    assert f"{shown:%Y-%m-%d %H:%M}"


def test_a_time_in_the_window_is_read_back_as_a_plain_datetime():
    moment = datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert type(dates.DateTimeField().from_db_value(moment, None, None)) is datetime


# --- The walk: every date input of the project holds the window -------------------------------


def project_modules():
    """Every module of the project's packages (migrations and settings aside: settings
    read the environment, and a migration's models are history)."""
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if ".migrations" in info.name or info.name.startswith("config.settings"):
                continue
            yield importlib.import_module(info.name)


def project_classes(base: type) -> list[type]:
    found = {}
    for module in project_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value.__module__.split(".")[0] in PROJECT_PACKAGES
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def is_ours(path: str) -> bool:
    # Our apps live in the repository; installed libraries may too (a virtualenv inside
    # the clone, as `make` builds it), but under site-packages.
    return path.startswith(str(settings.BASE_DIR)) and "site-packages" not in Path(path).parts


def project_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if is_ours(apps.get_app_config(model._meta.app_label).path)
        # simple-history's copies: their fields are the model's own (same classes).
        and not hasattr(model, "instance_type")
    ]


def test_the_walk_finds_the_project():
    assert {m.__name__ for m in project_models()} >= {"Referral", "Contact", "User"}
    assert len(project_classes(forms.BaseForm)) > 10
    assert len(project_classes(serializers.BaseSerializer)) > 8
    assert len(project_classes(django_filters.FilterSet)) > 8


def test_every_model_date_a_user_can_set_holds_the_window():
    """Every date and time field of a project model that is not set by the server alone
    (auto_now, auto_now_add) is core.dates' field: its window reaches the admin, every
    ModelForm and every ModelSerializer."""
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in project_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField)
        and field.editable
        and not (
            isinstance(field, dates.DateField | dates.DateTimeField)
            and dates.validate_in_window in field.validators
        )
    ]
    assert not missing, (
        f"Dates without the window: {missing} — declare them with core.dates.DateField / "
        "core.dates.DateTimeField."
    )


DATE_FORM_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)
WINDOWED_FORM_FIELDS = (dates.DateFormField, dates.DateTimeFormField)


def test_every_form_date_holds_the_window():
    missing = [
        f"{form.__module__}.{form.__qualname__}.{name}"
        for form in project_classes(forms.BaseForm)
        for name, field in form.base_fields.items()
        if isinstance(field, DATE_FORM_FIELDS) and not isinstance(field, WINDOWED_FORM_FIELDS)
    ]
    assert not missing, (
        f"Form dates without the window: {missing} — use core.dates.DateFormField / "
        "DateTimeFormField."
    )


def test_every_filter_date_holds_the_window():
    """Declared filters and the ones django-filter makes from Meta.fields alike."""
    date_field_classes = (
        *DATE_FORM_FIELDS,
        django_filters.fields.RangeField,  # DateFromToRange and its kin: not windowed
    )
    missing = [
        f"{filterset.__module__}.{filterset.__qualname__}.{name}"
        for filterset in project_classes(django_filters.FilterSet)
        for name, filter_ in filterset.base_filters.items()
        if issubclass(filter_.field_class, date_field_classes)
        and not issubclass(filter_.field_class, WINDOWED_FORM_FIELDS)
    ]
    assert not missing, (
        f"Filter dates without the window: {missing} — use core.filters.DateFilter / "
        "UtcIsoDateTimeFilter (declare the filter instead of listing it in Meta.fields)."
    )


def _serializer_fields(serializer_class, request) -> dict:
    if issubclass(serializer_class, serializers.ModelSerializer) and not hasattr(
        serializer_class, "Meta"
    ):
        return {}  # a base class (TeamScopedSerializer): its subclasses are walked
    return serializer_class(context={"request": request}).fields


def test_every_serializer_date_holds_the_window(alice):
    request = APIRequestFactory().post("/")
    request.user = alice
    missing = []
    for serializer_class in project_classes(serializers.BaseSerializer):
        if issubclass(serializer_class, serializers.ModelSerializer) and not issubclass(
            serializer_class, ModelSerializer
        ):
            missing.append(f"{serializer_class.__qualname__} (not core.serializers')")
            continue
        for name, field in _serializer_fields(serializer_class, request).items():
            writable_date = (
                isinstance(field, serializers.DateField | serializers.DateTimeField)
                and not field.read_only
            )
            if writable_date and not isinstance(
                field, dates.DateSerializerField | dates.DateTimeSerializerField
            ):
                missing.append(
                    f"{serializer_class.__module__}.{serializer_class.__qualname__}.{name}"
                )
    assert not missing, (
        f"API dates without the window: {missing} — a ModelSerializer derives from "
        "core.serializers.ModelSerializer; a declared date is core.dates' serializer field."
    )


def test_every_admin_date_hierarchy_holds_the_window():
    """Ours and the third-party apps' alike (config/admin.py wraps them all)."""
    missing = [
        f"{model._meta.label} ({model_admin.date_hierarchy})"
        for model, model_admin in admin.site._registry.items()
        if model_admin.date_hierarchy and not isinstance(model_admin, DateHierarchyInWindowAdmin)
    ]
    assert not missing, f"Admin date hierarchies without the window: {missing}"


# --- Records stored outside the window before it existed ----------------------------------------

STORED = {
    "year-1": (datetime(1, 1, 1, tzinfo=UTC), date(1, 1, 1)),
    "year-9999": (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), date(9999, 12, 31)),
}


@pytest.fixture(scope="module")
def old_world(django_db_setup, django_db_blocker):
    """The access matrix's world, every date of it moved to the edge of the calendar by
    hand (as a row written before the window would be), plus a referral asked then and
    saved (its history holds the date too). Rolled back at the end of the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = world_make()
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _store_outside_the_window(world, moment, day):
    referral = world["referral"]
    Referral.objects.filter(pk=referral.pk).update(
        asked_at=moment, confirmed_at=moment, contacted_at=moment
    )
    ReferralFactory(
        team=world["acme"],
        owner=world["alice"],
        referrer=world["contact"],
        prospect=world["target"],
        asked_at=moment,
    )  # saved, so its history holds the date
    FollowUp.objects.filter(referral__team=world["acme"]).update(due_at=moment)
    Deal.objects.filter(team=world["acme"]).update(opened_on=day)
    ReferralGiven.objects.filter(team=world["acme"]).update(given_on=day)
    ReadinessCheck.objects.filter(team=world["acme"]).update(checked_on=day)
    WeeklyGoal.objects.filter(team=world["acme"]).update(week_start=day)
    Contact.objects.filter(team=world["acme"]).update(client_since=day, last_contacted_on=day)
    Relationship.objects.filter(team=world["acme"]).update(since=day)
    Activity.objects.filter(team=world["acme"]).update(occurred_at=moment)


PAGES_TO_READ = sorted(name for name, rule in MATRIX.items() if "GET" in rule.methods)


@pytest.mark.parametrize(
    ("edge", "zone"),
    [
        ("year-1", "Etc/GMT+12"),  # year 0 there
        ("year-1", "America/New_York"),
        ("year-9999", "Pacific/Kiritimati"),  # year 10000 there
    ],
)
def test_records_stored_outside_the_window_break_no_page(old_world, db, edge, zone):
    """Every page and API read of the project (the access matrix's), and every admin page
    of a project model, for a rep and a manager in zones on both sides of UTC: no 5xx."""
    world = old_world
    _store_outside_the_window(world, *STORED[edge])
    failures = []
    for persona in ("alice", "maya", "admin"):
        user = world["users"][persona]
        user.time_zone = zone
        user.save(update_fields=["time_zone"])
        client = Client(raise_request_exception=False)
        client.force_login(user)
        paths = [url_of(name, MATRIX[name], world) for name in PAGES_TO_READ]
        if persona == "admin":
            paths = []
            for model, _model_admin in admin.site._registry.items():
                base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
                paths.append(base)
                first = model._default_manager.order_by("pk").first()
                if first is not None:
                    paths += [f"{base}{first.pk}/change/", f"{base}{first.pk}/history/"]
        for path in paths:
            status = client.get(path).status_code
            if status >= 500:
                failures.append(f"{persona} GET {path}: {status}")
    assert not failures


@pytest.mark.parametrize(
    ("edge", "zone"),
    [("year-1", "Etc/GMT+12"), ("year-9999", "Pacific/Kiritimati"), ("year-9999", "Etc/GMT+12")],
)
def test_records_stored_outside_the_window_break_no_step_and_no_task(old_world, db, edge, zone):
    """The writes that compute from a stored time (a step's follow-ups, a completed
    follow-up's next periodic update) and every periodic task, over such records."""
    world = old_world
    moment, _day = STORED[edge]
    _store_outside_the_window(world, moment, _day)
    Contact.objects.filter(pk=world["contact"].pk).update(update_cadence="weekly")
    for persona in ("alice", "maya"):
        User.objects.filter(pk=world["users"][persona].pk).update(time_zone=zone)
    client = Client(raise_request_exception=False)
    client.force_login(world["alice"])
    followup = FollowUp.objects.filter(referral=world["referral"], status="pending").first()
    responses = [
        client.post(reverse("followups:complete", args=[followup.pk]), {"channel": "email"}),
        client.post(
            reverse("referrals:referral-transition", args=[world["referral"].pk]),
            {"to": "meeting"},
        ),
    ]
    assert [r.status_code for r in responses] == [302, 302]
    later = timezone.now() + timedelta(hours=1)
    followup_services.periodic_updates_schedule()
    reminders.reminders_scan(now=later)
    reminders.escalations_send(now=later)
    digests.digests_send(now=later)
    weekly_summary.weekly_summaries_send(now=later)  # none of them raises
