"""Every write, hostile: each API operation, each page form and each admin change form of
Warmpath, driven by hypothesis with extreme dates, maximal and control-character strings,
huge numbers and wrong types (tests/writes.py holds the values).

"Every" is proven, not claimed:
- API: every POST/PUT/PATCH/DELETE operation of the OpenAPI document drf-spectacular
  generates in-process must have a baseline in API_WRITES (test_every_api_write_has_a_baseline).
  The fields varied are the request body's properties from that document, including the
  ones the baseline does not send.
- Pages: every view of the URLconf (Django's admin and the API aside) that accepts POST
  (a class view with post(), a function view whose source handles POST) must have a
  baseline in PAGE_WRITES (test_every_page_write_has_a_baseline). The fields varied are
  those of the page's form as the browser gets it, those of the form class, the
  baseline's, and `next`.
- Admin: the change form of every ModelAdmin registered for a Warmpath model, found in
  the admin site's registry, on the world's record of that model. Not covered: the admin's
  add forms (their fields are the change forms', minus the user's password pair), its
  changelist actions and delete confirmations (no free input, only the ids shown),
  read-only admins (no form), and the admins of third-party models (Celery beat, axes,
  tokens, groups).

The baseline of a write is what a client sends that is accepted: the page's form posted
back as rendered, or an explicit body over it. Each example replaces one to three of its
fields with hostile values, starting from the same world (one record of each kind, from
tests/test_access_matrix.py; every example runs in a savepoint rolled back afterwards).

What must hold, each example:
- never a 5xx (nor an exception out of the view);
- refused (API 4xx; a page again with a form error, a 4xx, or a redirect with an error
  message) ⇒ not one row of any Warmpath table changed; API refusals are JSON carrying a
  message (the shape is the error handler's business);
- accepted ⇒ every row holds dates within the window (core.dates), strings within their
  column and no NUL.

Classes of defect this test found, each fixed in one place:
- A form's `next` that is not a path ("inbox", "0001-01-01T00:00"): redirect() takes it
  for a URL name and reverses it (NoReverseMatch, a 500 on completing or skipping a
  follow-up, marking a notification read, a referral's step). core.http.safe_next_url
  follows only a printable path on this site.
- An admin autocomplete field given a value that is no id (" ", "abc"): Django's widget
  looks it up to show the form again with its error (ValueError, a 500 on nine admin
  pages). core.admin.AutocompleteAdminMixin, on every admin and inline with autocomplete
  fields (test_every_autocomplete_refuses_what_is_no_id).
- A JSON list emptied in a form (the ideal client profile's admin): Django reads it as
  None, and the column holds no null (IntegrityError, a 500). The profile's one service
  stores the field's empty default.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from django import forms
from django.contrib import admin
from django.contrib.messages import ERROR, get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms.formsets import BaseFormSet
from django.test import Client, RequestFactory
from django.test.client import MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from accounts.models import User
from contacts import imports
from contacts.forms import TouchLogForm
from contacts.models import IdealClientProfile
from contacts.views_imports import ImportUploadForm
from core.admin import AutocompleteAdminMixin
from exports.models import ExportJob
from followups.forms import CompleteForm, SkipForm
from referrals import services as referral_services
from referrals.forms import TransitionForm
from referrals.models import WeeklyGoal
from referrals.views_connectors import ConnectorAskForm
from tests.factories import TEST_PASSWORD, ContactFactory
from tests.test_access_matrix import world_make
from tests.test_hostile_input import FORMS
from tests.writes import (
    WARMPATH_APPS,
    form_fields_as_posted,
    hostile_for,
    rows_fingerprint,
    stored_values_problems,
)

# Sized so the file runs in about a minute and a half on PostgreSQL on two cores: an API
# example costs a request, a page's a GET and a POST, each two fingerprints of the world.
API_EXAMPLES, PAGE_EXAMPLES = 30, 12
HYPOTHESIS = settings(
    max_examples=PAGE_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
A_MONDAY = "2026-03-02"
A_GOAL_WEEK = date(2026, 2, 23)  # a Monday
IMPORT_MAPPING = {"0": "first_name", "1": "last_name", "2": "email"}

# --- The world --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The access matrix's world (one record of each kind, alice's), built once for the
    module in a transaction rolled back at its end; the names test_hostile_input's FORMS
    use are aliases of its records."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            made = world_make()
            made.update(
                client=made["contact"], other=made["target"], prospect=made["referral"].prospect
            )
            # What the writes on them need: a goal's week starts on a Monday, an export
            # restarts once failed, a file is imported once its columns are chosen.
            WeeklyGoal.objects.filter(pk=made["goal"].pk).update(week_start=A_GOAL_WEEK)
            made["goal"].refresh_from_db()
            ExportJob.objects.filter(pk=made["export_job"].pk).update(
                status=ExportJob.Status.FAILED
            )
            imports.import_job_set_mapping(job=made["job"], mapping=IMPORT_MAPPING)
            made["profile"] = IdealClientProfile.objects.create(team=made["acme"])
            made["token"] = Token.objects.create(user=made["alice"]).key
            # A sale under way (confirmed), where a problem can be reported.
            made["open_sale"] = referral_services.referral_transition(
                referral=referral_services.referral_create(
                    owner=made["alice"],
                    team=made["acme"],
                    referrer=made["contact"],
                    prospect=ContactFactory(team=made["acme"], owner=made["alice"]),
                ),
                to="confirmed",
            )
            yield made
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def client_for(world: dict, persona: str) -> Client:
    if persona == "token":
        return Client(HTTP_AUTHORIZATION=f"Token {world['token']}")
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


# --- What must hold --------------------------------------------------------------------------


def assert_refused_cleanly(before: dict[str, str], where: str) -> None:
    after = rows_fingerprint()
    changed = sorted(label for label in after if after[label] != before.get(label))
    assert not changed, f"{where}: refused, yet rows of {changed} changed"


def assert_stored_sanely(where: str) -> None:
    problems = stored_values_problems()
    assert not problems, f"{where}: accepted and stored {problems}"


def assert_a_message(response, where: str) -> None:
    assert "json" in response.get("Content-Type", ""), f"{where}: {response.get('Content-Type')}"
    body = json.loads(response.content)
    strings = re.findall(r'"((?:[^"\\]|\\.)+)"', json.dumps(body))
    assert strings, f"{where}: a refusal without a message: {body!r}"


def in_savepoint(check: Callable[[], None]) -> None:
    """One example, from the world as it was: everything it wrote is rolled back."""
    cache.clear()  # throttles and lockouts count in the cache: it is part of the world
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


# --- The API ----------------------------------------------------------------------------------

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
WRITE_METHODS = ("post", "put", "patch", "delete")


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _property_kind(schema: dict) -> tuple[str, int | None]:
    """A request-body property as one of tests.writes' kinds, with its maxLength."""
    schema = _resolve(schema)
    for key in ("oneOf", "allOf", "anyOf"):
        if key in schema:
            branches = [_resolve(branch) for branch in schema[key]]
            typed = [branch for branch in branches if branch.get("maxLength") != 0]
            return _property_kind(typed[0] if typed else branches[0])
    if "enum" in schema:
        return "choice", None
    kind, form = schema.get("type"), schema.get("format")
    if form == "date":
        return "date", None
    if form == "date-time":
        return "datetime", None
    if kind == "integer":
        return "integer", None
    if kind == "number" or form == "decimal":
        return "number", None
    if kind == "string":
        return "text", schema.get("maxLength")
    return kind or "other", None


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # /api/v1/referrals/{id}/transition/
    properties: dict[str, tuple[str, int | None]]  # name → (kind, maxLength)
    query: tuple[str, ...]


def api_write_operations() -> dict[str, ApiOperation]:
    """Every write operation of the API's OpenAPI document, by operationId."""
    operations = {}
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            if method not in WRITE_METHODS:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            schema = _resolve(next(iter(body.values()))["schema"]) if body else {}
            properties = {
                name: _property_kind(property_schema)
                for name, property_schema in schema.get("properties", {}).items()
                if not property_schema.get("readOnly")
            }
            query = tuple(
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "query"
            )
            operations[operation["operationId"]] = ApiOperation(
                method.upper(), path, properties, query
            )
    return operations


API_OPERATIONS = api_write_operations()

# Where each collection's {id} points in the world.
RECORD_OF = {
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "followups": "followup",
    "goals": "goal",
    "notifications": "notification",
    "readiness-checks": "readiness",
    "referrals": "referral",
    "referrals-given": "given",
    "relationships": "relationship",
    "roster": "roster_entry",
}


@dataclass(frozen=True)
class ApiWrite:
    body: Callable[[dict], dict] = lambda w: {}
    persona: str = "token"  # alice, by her API token
    record: str | None = None  # the world's record behind {id}, when not the collection's


def _company(w):
    return {"name": "Hooli", "employee_count": 12}


def _contact(w):
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": w["company"].pk,
        "stay_in_touch_days": 30,  # the rhythm: 1–365 or null, hostile values beyond
    }


def _deal(w):
    return {"contact": w["contact"].pk, "source": "cold", "opened_on": A_MONDAY, "name": "Deal"}


def _goal(w):
    return {"team": w["acme"].pk, "rep": w["alice"].pk, "week_start": A_MONDAY, "asks": 3}


def _referral(w):
    return {"referrer": w["contact"].pk, "prospect": w["target"].pk, "reason": "Hostile"}


def _relationship(w):
    return {"contact_a": w["prospect"].pk, "contact_b": w["target"].pk, "strength": 3}


def _roster(w):
    return {"prospect": w["target"].pk, "priority": 2, "reason": "Hostile"}


MANAGER = "maya"
API_WRITES: dict[str, ApiWrite] = {
    "auth_token_create": ApiWrite(
        lambda w: {"username": "alice", "password": TEST_PASSWORD}, persona="anonymous"
    ),
    "companies_create": ApiWrite(_company),
    "companies_update": ApiWrite(_company),
    "companies_partial_update": ApiWrite(lambda w: {"region": "North"}),
    "companies_destroy": ApiWrite(persona=MANAGER),
    "contacts_create": ApiWrite(_contact),
    "contacts_update": ApiWrite(_contact),
    "contacts_partial_update": ApiWrite(lambda w: {"notes": "Met at lunch"}),
    "contacts_destroy": ApiWrite(record="target"),  # on no referral: it may go
    "deals_create": ApiWrite(_deal),
    "deals_update": ApiWrite(_deal),
    "deals_partial_update": ApiWrite(lambda w: {"value": "1200.50"}),
    "deals_destroy": ApiWrite(),
    "followups_complete_create": ApiWrite(lambda w: {"channel": "email", "note": "Thanked"}),
    "followups_skip_create": ApiWrite(lambda w: {"reason": "Told them at lunch"}),
    "followups_send_create": ApiWrite(lambda w: {"subject": "Thank you", "body": "Thanks!"}),
    "goals_create": ApiWrite(_goal, persona=MANAGER),
    "goals_update": ApiWrite(
        lambda w: {**_goal(w), "week_start": w["goal"].week_start.isoformat()}, persona=MANAGER
    ),
    "goals_partial_update": ApiWrite(lambda w: {"wins": 2}, persona=MANAGER),
    "goals_destroy": ApiWrite(persona=MANAGER),
    "notifications_read_create": ApiWrite(),
    "notifications_read_all_create": ApiWrite(),
    "readiness_checks_create": ApiWrite(
        lambda w: {"client": w["contact"].pk, "checked_on": A_MONDAY, "went_well": "All"}
    ),
    "readiness_checks_destroy": ApiWrite(),
    "referrals_create": ApiWrite(_referral),
    "referrals_given_create": ApiWrite(
        lambda w: {"client": w["contact"].pk, "introduced_name": "Ivy", "given_on": A_MONDAY}
    ),
    "referrals_given_destroy": ApiWrite(),
    "referrals_update": ApiWrite(
        lambda w: {"referrer": w["contact"].pk, "prospect": w["referral"].prospect_id}
    ),
    "referrals_partial_update": ApiWrite(lambda w: {"message": "Hello"}),
    "referrals_destroy": ApiWrite(),
    "referrals_transition_create": ApiWrite(lambda w: {"to": "confirmed"}),
    "referrals_send_create": ApiWrite(lambda w: {"subject": "An introduction?", "body": "Hi"}),
    "relationships_create": ApiWrite(_relationship),
    "relationships_update": ApiWrite(
        lambda w: {"contact_a": w["contact"].pk, "contact_b": w["target"].pk, "strength": 4}
    ),
    "relationships_partial_update": ApiWrite(lambda w: {"notes": "Old friends"}),
    "relationships_destroy": ApiWrite(),
    "roster_create": ApiWrite(_roster),
    "roster_update": ApiWrite(
        lambda w: {"prospect": w["roster_entry"].prospect_id, "priority": 1, "reason": "Edited"}
    ),
    "roster_partial_update": ApiWrite(lambda w: {"priority": 3}),
    "roster_destroy": ApiWrite(),
}


def api_path(operation_id: str, world: dict) -> str:
    operation = API_OPERATIONS[operation_id]
    if "{id}" not in operation.path:
        return operation.path
    record = API_WRITES[operation_id].record or RECORD_OF[operation.path.split("/")[3]]
    return operation.path.replace("{id}", str(world[record].pk))


def test_every_api_write_has_a_baseline():
    missing = sorted(set(API_OPERATIONS) - set(API_WRITES))
    assert not missing, (
        f"API write operations with no baseline: {missing} — add each to API_WRITES in "
        "tests/test_every_write.py: a body the API accepts (from the world) and who sends it."
    )
    stale = sorted(set(API_WRITES) - set(API_OPERATIONS))
    assert not stale, f"API_WRITES lists operations the API no longer has: {stale}"


def _form_value(value):
    """A JSON value as a form field carries it (a browser sends only strings)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_form_value(item) for item in value if not isinstance(item, list | dict)]
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def api_send(client: Client, method: str, path: str, body: dict, encoding: str):
    if method == "DELETE":
        return client.delete(path)
    if encoding == "json":
        content = json.dumps(body, allow_nan=True)
        return client.generic(method, path, content, content_type="application/json")
    data = {name: _form_value(value) for name, value in body.items()}
    if method == "POST":
        return client.post(path, data)
    boundary = "HostileBoundary"
    return client.generic(
        method,
        path,
        encode_multipart(boundary, data),
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", boundary),
    )


def check_api_write(world: dict, operation_id: str, body: dict, encoding: str = "json") -> None:
    operation, write = API_OPERATIONS[operation_id], API_WRITES[operation_id]
    client = client_for(world, write.persona)
    path = api_path(operation_id, world)
    where = f"{operation.method} {path} {encoding} {body!r:.600}"
    before = rows_fingerprint()
    response = api_send(client, operation.method, path, body, encoding)
    status = response.status_code
    assert status < 500, f"{where}: {status} {response.content[:2000]!r}"
    if status >= 400:
        assert_a_message(response, where)
        assert_refused_cleanly(before, where)
    else:
        assert status in (200, 201, 204), where
        assert_stored_sanely(where)


@pytest.mark.parametrize("operation_id", sorted(API_WRITES))
def test_api_baseline_is_accepted(world, db, operation_id):
    """The baseline the hostile examples vary: accepted as it is."""
    operation, write = API_OPERATIONS[operation_id], API_WRITES[operation_id]

    def check():
        client = client_for(world, write.persona)
        path = api_path(operation_id, world)
        response = api_send(client, operation.method, path, write.body(world), "json")
        assert response.status_code in (200, 201, 204), response.content[:2000]

    in_savepoint(check)


@st.composite
def hostile_bodies(draw, operation_id: str) -> tuple[dict, str]:
    operation = API_OPERATIONS[operation_id]
    names = draw(
        st.lists(st.sampled_from(sorted(operation.properties)), min_size=1, max_size=3, unique=True)
    )
    changes = {}
    for name in names:
        kind, max_length = operation.properties[name]
        changes[name] = draw(hostile_for(kind, max_length))
    return changes, draw(st.sampled_from(["json", "json", "form"]))


API_HOSTILE = sorted(name for name, operation in API_OPERATIONS.items() if operation.properties)


@pytest.mark.parametrize("operation_id", API_HOSTILE)
def test_api_write_hostile(world, db, operation_id):
    @settings(HYPOTHESIS, max_examples=API_EXAMPLES)
    @given(data=st.data())
    def run(data):
        changes, encoding = data.draw(hostile_bodies(operation_id))
        body = {**API_WRITES[operation_id].body(world), **changes}
        in_savepoint(lambda: check_api_write(world, operation_id, body, encoding))

    run()


# --- The pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageWrite:
    kwargs: Callable[[dict], dict] = lambda w: {}
    payload: Callable[[dict], dict] = lambda w: {}  # over the form as rendered
    persona: str = "alice"
    form: type[forms.BaseForm] | None = None  # for a view that shows no form on GET
    read_form: bool = True  # the page's GET shows the form it posts
    form_page: Callable[[dict], str] | None = None  # or another page shows it
    nth_form: int = 0  # which of the page's POST forms (0: the first)


def _pk(name: str) -> Callable[[dict], dict]:
    return lambda w: {"pk": w[name].pk}


def _from_forms(name: str, **kwargs) -> dict:
    """A case of test_hostile_input's FORMS, as a PageWrite."""
    case = FORMS[name]
    return {"payload": case.payload, **kwargs}


def _upload(w):
    content = b"first_name,last_name,email\nAda,Lovelace,ada@example.com\n"
    return {"kind": "contacts", "file": SimpleUploadedFile("contacts.csv", content)}


PAGE_WRITES: dict[str, PageWrite] = {
    "profile": PageWrite(payload=lambda w: {"first_name": "Alicia"}),
    "profile-api-token": PageWrite(payload=lambda w: {"action": "create"}, read_form=False),
    "profile-calendar": PageWrite(payload=lambda w: {"action": "regenerate"}, read_form=False),
    "switch-team": PageWrite(payload=lambda w: {"team": w["acme"].pk}, read_form=False),
    "login": PageWrite(
        payload=lambda w: {"username": "alice", "password": TEST_PASSWORD}, persona="anonymous"
    ),
    "logout": PageWrite(read_form=False),
    "password_change": PageWrite(
        payload=lambda w: {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-new-horse-battery-9",
            "new_password2": "a-new-horse-battery-9",
        }
    ),
    "contacts:create": PageWrite(**_from_forms("contact-create")),
    "contacts:edit": PageWrite(_pk("contact")),
    "contacts:relationship-create": PageWrite(
        _pk("prospect"), **_from_forms("relationship-create")
    ),
    "contacts:relationship-edit": PageWrite(_pk("relationship")),
    "contacts:relationship-delete": PageWrite(_pk("relationship"), read_form=False),
    "contacts:company-create": PageWrite(**_from_forms("company-create")),
    "contacts:company-edit": PageWrite(_pk("company")),
    "contacts:connector-ask": PageWrite(
        _pk("target"),
        form=ConnectorAskForm,
        read_form=False,
        form_page=lambda w: reverse("contacts:connectors", args=[w["target"].pk]),
    ),
    "contacts:touch-log": PageWrite(
        _pk("contact"),
        payload=lambda w: {"channel": "phone", "note": "Caught up"},
        form=TouchLogForm,
        read_form=False,
        form_page=lambda w: reverse("contacts:detail", args=[w["contact"].pk]),
    ),
    "contacts:import": PageWrite(payload=_upload, form=ImportUploadForm),
    "contacts:import-preview": PageWrite(
        _pk("job"),
        payload=lambda w: {"column_0": "full_name", "column_1": "", "column_2": "email"},
    ),
    "contacts:import-commit": PageWrite(_pk("job"), read_form=False),
    "referrals:roster-create": PageWrite(**_from_forms("roster-create")),
    "referrals:roster-edit": PageWrite(_pk("roster_entry")),
    "referrals:roster-delete": PageWrite(_pk("roster_entry"), read_form=False),
    "referrals:referral-create": PageWrite(**_from_forms("referral-create")),
    "referrals:referral-edit": PageWrite(_pk("referral")),
    "referrals:referral-transition": PageWrite(
        _pk("referral"),
        payload=lambda w: {"to": "confirmed"},
        form=TransitionForm,
        read_form=False,
    ),
    "referrals:referral-send": PageWrite(_pk("referral"), read_form=False),
    # The referrer's answer by link, without an account: the page's form, a line for the rep.
    "public:referrer-link": PageWrite(
        lambda w: {"token": w["link_token"]},
        payload=lambda w: {"note": "Spoke to her Tuesday"},
        persona="anonymous",
    ),
    "referrals:readiness-create": PageWrite(**_from_forms("readiness-create")),
    "referrals:deal-create": PageWrite(**_from_forms("deal-create")),
    "referrals:deal-edit": PageWrite(_pk("deal")),
    "referrals:given-create": PageWrite(**_from_forms("given-create")),
    "referrals:icp": PageWrite(persona="maya"),
    # The good fits' bulk add: the page's rows as drawn, one of them ticked.
    "referrals:fits": PageWrite(payload=lambda w: {f"row-{w['target'].pk}-add": "on"}),
    "followups:complete": PageWrite(
        _pk("followup"), **_from_forms("followup-complete"), form=CompleteForm, read_form=False
    ),
    "followups:skip": PageWrite(
        _pk("followup"), **_from_forms("followup-skip"), form=SkipForm, read_form=False
    ),
    "followups:draft": PageWrite(_pk("followup")),
    "followups:report-problem": PageWrite(
        _pk("open_sale"),
        payload=lambda w: {"problem": "The demo slipped"},
        read_form=False,
        form_page=lambda w: reverse("referrals:referral-detail", args=[w["open_sale"].pk]),
    ),
    "followups:notification-read": PageWrite(_pk("notification"), read_form=False),
    "followups:notifications-read-all": PageWrite(read_form=False),
    # The page's first form copies last week's goals; the second sets this week's.
    "dashboard:goals": PageWrite(payload=lambda w: {"team-asks": "3"}, persona="maya", nth_form=1),
    "exports:restart": PageWrite(_pk("export_job"), read_form=False),
}


def _accepts_post(callback) -> bool:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    source = inspect.getsource(inspect.unwrap(callback))
    return "POST" in source  # @require_POST, require_http_methods([... "POST"]), request.POST


def page_writes() -> set[str]:
    """The URL name of every view (the admin and the API aside) that accepts POST."""
    names: set[str] = set()

    def walk(patterns, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                if inner.startswith("admin"):
                    continue  # the admin: its change forms are driven below
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                if (prefix + str(pattern.pattern)).startswith("api/"):
                    continue  # the API: its operations come from the OpenAPI document
                if _accepts_post(pattern.callback):
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_page_write_has_a_baseline():
    found = page_writes()
    missing = sorted(found - set(PAGE_WRITES))
    assert not missing, (
        f"Pages that accept POST with no baseline: {missing} — add each to PAGE_WRITES in "
        "tests/test_every_write.py: its URL kwargs, what to post over its rendered form, who."
    )
    stale = sorted(set(PAGE_WRITES) - found)
    assert not stale, f"PAGE_WRITES lists pages that take no POST (or no longer exist): {stale}"


FIELD_KINDS = [
    (forms.DateTimeField, "datetime"),
    (forms.DateField, "date"),
    (forms.IntegerField, "integer"),
    (forms.DecimalField, "number"),
    (forms.FloatField, "number"),
    (forms.ModelChoiceField, "id"),
    (forms.ChoiceField, "choice"),
    (forms.BooleanField, "boolean"),
    (forms.CharField, "text"),
]


def _kind_of(form_field) -> tuple[str, int | None]:
    for field_class, kind in FIELD_KINDS:
        if isinstance(form_field, field_class):
            return kind, getattr(form_field, "max_length", None)
    return "other", None


def _context_forms(context) -> list:
    found = []
    if context is None:
        return found
    for layer in context:
        for value in layer.values() if isinstance(layer, dict) else ():
            if isinstance(value, forms.BaseForm | BaseFormSet):
                found.append(value)
            elif hasattr(value, "form") and isinstance(value.form, forms.BaseForm):
                found.append(value.form)  # the admin's AdminForm
            elif hasattr(value, "formset") and isinstance(value.formset, BaseFormSet):
                found.append(value.formset)  # the admin's inlines
    return found


def _has_errors(form) -> bool:
    if isinstance(form, BaseFormSet):
        return form.is_bound and (
            bool(form.non_form_errors()) or any(bool(errors) for errors in form.errors)
        )
    return form.is_bound and bool(form.errors)


@dataclass
class Baseline:
    path: str
    body: dict
    fields: dict[str, tuple[str, int | None]] = field(default_factory=dict)


def page_baseline(world: dict, client: Client, path: str, write: PageWrite) -> Baseline:
    body, fields = {}, {}
    if write.read_form or write.form_page:
        shown_on = write.form_page(world) if write.form_page else path
        page = client.get(shown_on)
        assert page.status_code == 200, f"GET {shown_on}: {page.status_code}"
        body, names = form_fields_as_posted(page.content.decode(), action=path, nth=write.nth_form)
        for form in _context_forms(page.context):
            if isinstance(form, forms.BaseForm):
                for name, form_field in form.fields.items():
                    fields[form.add_prefix(name)] = _kind_of(form_field)
        for name in names:
            fields.setdefault(name, ("other", None))
    if write.form is not None:
        for name, form_field in write.form.base_fields.items():
            fields.setdefault(name, _kind_of(form_field))
    body.update(write.payload(world))
    for name in body:
        fields.setdefault(name, ("other", None))
    fields.pop("csrfmiddlewaretoken", None)
    fields.setdefault("next", ("text", None))
    return Baseline(path, body, fields)


def _page_value(value):
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode()  # no lone surrogate in a form
    return _form_value(value)


def check_page_write(world: dict, write: PageWrite, path: str, changes: dict) -> None:
    client = client_for(world, write.persona)
    baseline = page_baseline(world, client, path, write)
    body = {**baseline.body}
    for name, value in changes.items():
        if name == "file":  # a hostile value reaches an upload as a cell of its file
            text = f"first_name,last_name\n{_page_value(value)},Lovelace\n"
            value = SimpleUploadedFile("contacts.csv", text.encode())
        else:
            value = _page_value(value)
        body[name] = value
    where = f"POST {path} { ({name: body[name] for name in changes})!r:.600}"
    before = rows_fingerprint()
    response = client.post(path, body)
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    errors = [message for message in get_messages(response.wsgi_request) if message.level >= ERROR]
    refused = (
        status >= 400
        or bool(errors)
        or any(_has_errors(form) for form in _context_forms(response.context))
    )
    if refused:
        assert_refused_cleanly(before, where)
    else:
        assert status in (200, 302), where
        assert_stored_sanely(where)


def page_path(name: str, world: dict) -> str:
    return reverse(name, kwargs=PAGE_WRITES[name].kwargs(world))


@pytest.mark.parametrize("name", sorted(PAGE_WRITES))
def test_page_baseline_is_accepted(world, db, name):
    write = PAGE_WRITES[name]

    def check():
        client = client_for(world, write.persona)
        path = page_path(name, world)
        baseline = page_baseline(world, client, path, write)
        before = rows_fingerprint()
        response = client.post(path, baseline.body)
        assert response.status_code in (200, 302), response.status_code
        errors = [m.message for m in get_messages(response.wsgi_request) if m.level >= ERROR]
        assert not errors, errors
        forms_with_errors = [
            form.errors for form in _context_forms(response.context) if _has_errors(form)
        ]
        assert not forms_with_errors, forms_with_errors
        assert rows_fingerprint() != before or name in WRITES_NOTHING_ON_BASELINE, (
            "the baseline wrote nothing"
        )

    in_savepoint(check)


# Pages whose accepted baseline changes no Warmpath row: signing in and out (sessions are
# Django's), moving to the team one already works in, making an API token (REST
# framework's table).
WRITES_NOTHING_ON_BASELINE = {"login", "logout", "switch-team", "profile-api-token"}


@pytest.mark.parametrize("name", sorted(PAGE_WRITES))
def test_page_write_hostile(world, db, name):
    write = PAGE_WRITES[name]
    path = page_path(name, world)
    with transaction.atomic():
        fields = page_baseline(world, client_for(world, write.persona), path, write).fields
        transaction.set_rollback(True)

    @HYPOTHESIS
    @given(data=st.data())
    def run(data):
        names = data.draw(
            st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
        )
        changes = {name: data.draw(hostile_for(*fields[name])) for name in names}
        in_savepoint(lambda: check_page_write(world, write, path, changes))

    run()


# --- The admin's change forms -------------------------------------------------------------------


def _staff_request():
    request = RequestFactory().get("/admin/")
    request.user = User(is_active=True, is_staff=True, is_superuser=True)
    return request


def admin_change_forms() -> list[str]:
    """The model label of every ModelAdmin of a Warmpath model that lets staff change a
    record (the read-only ones show no form)."""
    request = _staff_request()
    return sorted(
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in WARMPATH_APPS and model_admin.has_change_permission(request)
    )


def test_every_autocomplete_refuses_what_is_no_id():
    """An admin or inline with autocomplete fields takes core.admin's mixin: Django's own
    widget raised ValueError showing a form again whose value was no id (a 500)."""
    request = _staff_request()
    missing = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in WARMPATH_APPS:
            continue
        for each in [model_admin, *model_admin.get_inline_instances(request)]:
            if each.get_autocomplete_fields(request) and not isinstance(
                each, AutocompleteAdminMixin
            ):
                missing.append(type(each).__name__)
    assert not missing, f"{missing}: add core.admin.AutocompleteAdminMixin to their bases"


def _admin_path(label: str) -> str | None:
    model = next(model for model in admin.site._registry if model._meta.label == label)
    record = model._default_manager.order_by("pk").first()
    if record is None:
        return None
    return reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[record.pk]
    )


@pytest.mark.parametrize("label", admin_change_forms())
def test_admin_change_form_hostile(world, db, label):
    path = _admin_path(label)
    assert path, f"the world has no {label} to change in the admin"
    write = PageWrite(persona="admin")
    with transaction.atomic():
        client = client_for(world, "admin")
        baseline = page_baseline(world, client, path, write)
        transaction.set_rollback(True)
    fields = {
        name: kind
        for name, kind in baseline.fields.items()
        if not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"))
        and name != "next"
    }
    assert fields, f"{label}: its change page shows no form"

    @HYPOTHESIS
    @given(data=st.data())
    def run(data):
        names = data.draw(
            st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
        )
        changes = {name: data.draw(hostile_for(*fields[name])) for name in names}
        in_savepoint(lambda: check_page_write(world, write, path, changes))

    run()
