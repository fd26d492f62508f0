"""Hostile input: every create/edit form and every API create endpoint fed with what people
(and scripts) send — oversized strings, NUL bytes, right-to-left text, emoji and combining
marks, markup — and with invalid dates, ids, negative numbers and impossible steps.

What must hold: never a 5xx; refused input is a form error (the page again, 200) or a 4xx
with the reason, and nothing of it is written; accepted text round-trips unchanged and is
shown escaped on every page and in the drafted emails. NUL bytes are refused everywhere
(PostgreSQL cannot store them: they must not reach it). Uploads: tests/test_imports.py,
plus the few cases at the end. Property-based: the contact and referral serializers, and
any uploaded file (encodings, control characters, shapes) through the import pages.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contacts import imports
from contacts.models import Company, Contact, ImportJob, Relationship
from contacts.views_imports import CHOOSE_A_FILE
from followups.models import FollowUp
from referrals import services as referral_services
from referrals.models import Deal, ReadinessCheck, Referral, ReferralGiven, RosterEntry
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    FollowUpFactory,
    RelationshipFactory,
)

NUL = "Ada\x00Lovelace"
HUGE = "x" * 1_000_000  # 1 MB
LONG = "y" * 3000  # ten times and more every max_length of the forms' text fields
REFUSED = {"nul": NUL, "huge": HUGE, "long": LONG}
FRIENDLY = {
    "rtl": "مرحبا بالعالم שלום",
    "emoji": "Zoë 👩🏽‍💻🚀",
    "combining": "e\u0301\u0301a\u0308",
}
# Direction overrides are refused in names and kept in free text: tests/test_names.py.
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture
def world(acme, alice, bob, maya):
    company = CompanyFactory(team=acme, name="Initech")
    client = ClientFactory(team=acme, owner=alice, company=company, first_name="Cleo")
    prospect = ContactFactory(team=acme, owner=alice, first_name="Pia")
    other = ContactFactory(team=acme, owner=alice, first_name="Otto")
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=client, prospect=prospect, reason="Initial"
    )
    return {
        "acme": acme,
        "alice": alice,
        "company": company,
        "client": client,
        "prospect": prospect,
        "other": other,
        "referral": referral,
        "followup": FollowUpFactory(referral=referral, due_at=timezone.now() - timedelta(hours=1)),
        "roster_entry": None,
    }


# --- The page forms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCase:
    url: object  # (world) → path
    payload: object  # (world) → a valid POST body
    text_fields: tuple[str, ...]
    count: object  # () → the number of rows the form writes to
    limited: tuple[str, ...] = ()  # fields with a max_length: oversized must be refused


def today():
    return timezone.localdate().isoformat()


FORMS = {
    "contact-create": FormCase(
        url=lambda w: reverse("contacts:create"),
        payload=lambda w: {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "",
            "phone": "",
            "title": "",
            "kind": "prospect",
            "preferred_channel": "email",
            "update_cadence": "weekly",
            "owner": w["alice"].pk,
            "notes": "",
        },
        text_fields=("first_name", "last_name", "phone", "title", "notes"),
        limited=("first_name", "last_name", "phone", "title"),
        count=Contact.objects.count,
    ),
    "contact-edit": FormCase(
        url=lambda w: reverse("contacts:edit", args=[w["other"].pk]),
        payload=lambda w: {
            "first_name": "Otto",
            "last_name": "Edited",
            "kind": "partner",
            "preferred_channel": "email",
            "update_cadence": "weekly",
            "owner": w["alice"].pk,
        },
        text_fields=("first_name", "last_name", "title", "notes"),
        limited=("first_name", "last_name", "title"),
        count=lambda: Contact.objects.filter(kind="partner").count(),  # the edit's mark
    ),
    "company-create": FormCase(
        url=lambda w: reverse("contacts:company-create"),
        payload=lambda w: {"name": "Hooli", "region": "", "country": ""},
        text_fields=("name", "region", "country"),
        limited=("name", "region", "country"),
        count=Company.objects.count,
    ),
    "company-edit": FormCase(
        url=lambda w: reverse("contacts:company-edit", args=[w["company"].pk]),
        payload=lambda w: {"name": "Initech Edited", "employee_count": 4242},
        text_fields=("name", "region", "country"),
        limited=("name", "region", "country"),
        count=lambda: Company.objects.filter(employee_count=4242).count(),  # the edit's mark
    ),
    "relationship-create": FormCase(
        url=lambda w: reverse("contacts:relationship-create", args=[w["client"].pk]),
        payload=lambda w: {
            "other": w["other"].pk,
            "kind": "colleague",
            "strength": 3,
            "source": "told",
            "notes": "",
        },
        text_fields=("notes",),
        limited=("notes",),
        count=Relationship.objects.count,
    ),
    "roster-create": FormCase(
        url=lambda w: reverse("referrals:roster-create"),
        payload=lambda w: {"new_first_name": "Nina", "priority": 2, "reason": ""},
        text_fields=("new_first_name", "new_last_name", "new_company", "reason"),
        limited=("new_first_name", "new_last_name", "new_company"),
        count=RosterEntry.objects.count,
    ),
    "referral-create": FormCase(
        url=lambda w: reverse("referrals:referral-create"),
        payload=lambda w: {
            "referrer": w["client"].pk,
            "prospect": w["other"].pk,
            "quality": "better",
            "channel": "email",
            "reason": "",
            "message": "",
        },
        text_fields=("reason", "message"),
        count=Referral.objects.count,
    ),
    "referral-edit": FormCase(
        url=lambda w: reverse("referrals:referral-edit", args=[w["referral"].pk]),
        payload=lambda w: {"quality": "good", "channel": "phone", "reason": "Edited"},
        text_fields=("reason", "message"),
        count=lambda: Referral.objects.filter(channel="phone").count(),  # the edit's mark
    ),
    "readiness-create": FormCase(
        url=lambda w: reverse("referrals:readiness-create"),
        payload=lambda w: {"client": w["client"].pk, "checked_on": today()},
        text_fields=("went_well", "could_improve", "would_take", "testimonial"),
        count=ReadinessCheck.objects.count,
    ),
    "deal-create": FormCase(
        url=lambda w: reverse("referrals:deal-create"),
        payload=lambda w: {
            "contact": w["client"].pk,
            "name": "Deal",
            "source": "cold",
            "outcome": "open",
            "opened_on": today(),
        },
        text_fields=("name",),
        limited=("name",),
        count=Deal.objects.count,
    ),
    "given-create": FormCase(
        url=lambda w: reverse("referrals:given-create"),
        payload=lambda w: {"client": w["client"].pk, "introduced_name": "Ivy", "given_on": today()},
        text_fields=("introduced_name", "note"),
        limited=("introduced_name",),
        count=ReferralGiven.objects.count,
    ),
    "followup-complete": FormCase(
        url=lambda w: reverse("followups:complete", args=[w["followup"].pk]),
        payload=lambda w: {"channel": "email", "note": "Thanked"},
        text_fields=("note",),
        limited=("note",),
        count=lambda: FollowUp.objects.exclude(status="pending").count(),
    ),
    "followup-skip": FormCase(
        url=lambda w: reverse("followups:skip", args=[w["followup"].pk]),
        payload=lambda w: {"reason": "Told them at lunch"},
        text_fields=("reason",),
        limited=("reason",),
        count=lambda: FollowUp.objects.exclude(status="pending").count(),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("form_name", FORMS)
def test_form_valid_payload_is_accepted(world, alice_client, form_name):
    """The baseline the hostile cases vary one field of: accepted as it is."""
    case = FORMS[form_name]
    before = case.count()
    response = alice_client.post(case.url(world), case.payload(world))
    assert response.status_code == 302, response.content[:2000]
    assert case.count() == before + 1


FORM_REFUSALS = [
    pytest.param(form_name, field, kind, id=f"{form_name}-{field}-{kind}")
    for form_name, case in FORMS.items()
    for field in case.text_fields
    for kind in REFUSED
]


@pytest.mark.django_db
@pytest.mark.parametrize(("form_name", "field", "kind"), FORM_REFUSALS)
def test_form_refuses_nul_and_oversized_text(world, alice_client, form_name, field, kind):
    case = FORMS[form_name]
    before = case.count()
    payload = {**case.payload(world), field: REFUSED[kind]}
    response = alice_client.post(case.url(world), payload)
    assert response.status_code < 500
    if kind == "nul" or field in case.limited:
        # A form error on the page again (or a 4xx; the inbox's one-line forms go back to
        # the inbox with the error as a message), nothing written.
        assert response.status_code in (200, 302, 400, 409), response.status_code
        assert case.count() == before
    elif response.status_code == 302:
        # Long text where the model takes any length: kept whole, never cut.
        assert case.count() == before + 1


FORM_FRIENDLY = [
    pytest.param(form_name, kind, id=f"{form_name}-{kind}")
    for form_name in FORMS
    for kind in FRIENDLY
]


@pytest.mark.django_db
@pytest.mark.parametrize(("form_name", "kind"), FORM_FRIENDLY)
def test_form_accepts_any_script_of_the_world(world, alice_client, form_name, kind):
    case = FORMS[form_name]
    field = case.text_fields[0]
    before = case.count()
    value = FRIENDLY[kind]
    response = alice_client.post(case.url(world), {**case.payload(world), field: value})
    assert response.status_code == 302, response.content[:2000]
    assert case.count() == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("opened_on", "2026-02-30"),
        ("opened_on", "yesterday"),
        ("opened_on", "99999-01-01"),
        ("value", "-5"),
        ("value", "1e400"),
        ("value", "NaN"),
        ("contact", "999999999"),
        ("contact", "-1"),
        ("contact", "abc"),
        ("contact", "1" * 40),
        ("source", "not-a-source"),
    ],
)
def test_deal_form_invalid_dates_ids_and_numbers(world, alice_client, field, value):
    case = FORMS["deal-create"]
    before = case.count()
    response = alice_client.post(case.url(world), {**case.payload(world), field: value})
    assert response.status_code == 200  # the form again, with the error
    assert case.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"min_employees": "-1"},
        {"weight_region": "101"},
        {"weight_region": "-3"},
        {"regions": "North\x00east"},
        {"situation_keywords": "a\x00b"},
        {"situation": "x" * 1_000_000 + "\x00"},
        {"industries": ["not-an-industry"]},
    ],
)
def test_ideal_client_profile_refuses_bad_values(world, maya_client, payload):
    from contacts.selectors import ideal_client_profile_for_team

    before = ideal_client_profile_for_team(world["acme"])
    weights = {
        f"weight_{name}": 20 for name in ("industry", "region", "size", "function", "person_type")
    }
    response = maya_client.post(reverse("referrals:icp"), {**weights, **payload})
    assert response.status_code == 200
    after = ideal_client_profile_for_team(world["acme"])
    assert after.regions == before.regions
    assert after.situation_keywords == before.situation_keywords


@pytest.mark.django_db
def test_page_transition_impossible_is_refused(world, alice_client):
    referral = world["referral"]
    response = alice_client.post(
        reverse("referrals:referral-transition", args=[referral.pk]), {"to": "won"}
    )
    assert response.status_code in (200, 302, 409)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASKED


# --- Markup is shown escaped --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("markup", XSS)
def test_markup_in_text_fields_is_escaped_on_pages(world, alice_client, maya_client, markup):
    contact = ContactFactory(
        team=world["acme"],
        owner=world["alice"],
        first_name=markup,
        last_name=markup,
        title=markup,
        notes=markup,
        company=CompanyFactory(team=world["acme"], name=markup),
    )
    referral = referral_services.referral_create(
        owner=world["alice"],
        team=world["acme"],
        referrer=world["client"],
        prospect=contact,
        reason=markup,
        message=markup,
    )
    RelationshipFactory(between=(contact, world["other"]), notes=markup)
    followup = FollowUpFactory(referral=referral, recipient=contact)
    pages = [
        reverse("contacts:list"),
        reverse("contacts:list") + "?q=" + markup,
        reverse("contacts:detail", args=[contact.pk]),
        reverse("contacts:company-list"),
        reverse("contacts:company-detail", args=[contact.company_id]),
        reverse("contacts:edit", args=[contact.pk]),
        reverse("referrals:pipeline"),
        reverse("referrals:referral-detail", args=[referral.pk]),
        reverse("referrals:referral-edit", args=[referral.pk]),
        reverse("followups:inbox"),
        reverse("followups:draft", args=[followup.pk]),
        reverse("contacts:connectors", args=[world["other"].pk]),
        reverse("contacts:search") + "?q=" + markup[:6],
    ]
    for path in pages:
        response = alice_client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "<script>alert(1)</script>" not in body, path
        assert "<img src=x onerror" not in body, path
    team = maya_client.get(reverse("followups:team-overdue")).content.decode()
    assert "<script>alert(1)</script>" not in team


@pytest.mark.django_db
def test_markup_in_reminder_emails_is_plain_text(world):
    from followups.reminders import reminders_scan
    from outbox.models import OutgoingEmail
    from outbox.services import outgoing_email_send

    markup = XSS[0]
    prospect = ContactFactory(team=world["acme"], owner=world["alice"], first_name=markup)
    referral = referral_services.referral_create(
        owner=world["alice"],
        team=world["acme"],
        referrer=world["client"],
        prospect=prospect,
        reason=markup,
    )
    FollowUpFactory(referral=referral, recipient=prospect, due_at=timezone.now())
    mail.outbox.clear()
    reminders_scan(now=timezone.now() + timedelta(minutes=1))
    emails = [e for e in OutgoingEmail.objects.all() if markup in e.body + e.subject]
    assert emails, "the reminder names the person as they were typed (plain text)"
    for email in emails:
        assert "&lt;script" not in email.body  # plain text: not HTML-escaped either
        outgoing_email_send(email_id=email.pk)
    assert mail.outbox
    for message in mail.outbox:
        # Plain text only: nothing a mail client would render as HTML.
        assert not getattr(message, "alternatives", None)
        assert message.content_subtype == "plain"


# --- The API ------------------------------------------------------------------------------------


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


API_CREATES = {
    "contact-list": (
        lambda w: {"first_name": "Ada", "last_name": "Lovelace"},
        ("first_name", "last_name", "title", "phone", "notes"),
        Contact.objects.count,
    ),
    "company-list": (
        lambda w: {"name": "Hooli"},
        ("name", "region", "country"),
        Company.objects.count,
    ),
    "relationship-list": (
        lambda w: {"contact_a": w["client"].pk, "contact_b": w["other"].pk, "strength": 3},
        ("notes",),
        Relationship.objects.count,
    ),
    "roster-list": (
        lambda w: {"prospect": w["other"].pk, "priority": 2},
        ("reason",),
        RosterEntry.objects.count,
    ),
    "referral-list": (
        lambda w: {"referrer": w["client"].pk, "prospect": w["other"].pk},
        ("reason", "message"),
        Referral.objects.count,
    ),
    "readiness-check-list": (
        lambda w: {"client": w["client"].pk, "checked_on": today()},
        ("went_well", "could_improve", "would_take", "testimonial"),
        ReadinessCheck.objects.count,
    ),
    "deal-list": (
        lambda w: {
            "contact": w["client"].pk,
            "name": "Deal",
            "source": "cold",
            "opened_on": today(),
        },
        ("name",),
        Deal.objects.count,
    ),
    "referral-given-list": (
        lambda w: {"client": w["client"].pk, "introduced_name": "Ivy", "given_on": today()},
        ("introduced_name", "note"),
        ReferralGiven.objects.count,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", API_CREATES)
def test_api_valid_payload_is_created(world, api, name):
    build, _fields, count = API_CREATES[name]
    before = count()
    response = api.post(reverse(name), build(world), format="json")
    assert response.status_code == 201, response.content[:2000]
    assert count() == before + 1


API_REFUSALS = [
    pytest.param(name, field, kind, id=f"{name}-{field}-{kind}")
    for name, (_build, fields, _count) in API_CREATES.items()
    for field in fields
    for kind in REFUSED
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "field", "kind"), API_REFUSALS)
def test_api_refuses_nul_and_oversized_text(world, api, name, field, kind):
    build, _fields, count = API_CREATES[name]
    before = count()
    response = api.post(reverse(name), {**build(world), field: REFUSED[kind]}, format="json")
    assert response.status_code < 500
    if kind == "nul":
        assert response.status_code == 400, response.content[:500]
        assert count() == before
    elif response.status_code != 201:
        assert 400 <= response.status_code < 500
        assert count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", API_CREATES)
@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        {"strength": "strong", "priority": -1, "checked_on": "2026-13-45"},
        {"referrer": "abc", "prospect": -1, "contact": 10**30, "client": [1]},
        {"opened_on": "yesterday", "given_on": "0000-00-00", "value": "-1"},
    ],
    ids=["list", "string", "wrong-types", "bad-ids", "bad-dates"],
)
def test_api_wrong_types_are_400(world, api, name, body):
    _build, _fields, count = API_CREATES[name]
    before = count()
    response = api.post(reverse(name), body, format="json")
    assert response.status_code == 400, response.content[:500]
    assert count() == before


@pytest.mark.django_db
def test_api_malformed_json_is_400(world, api):
    response = api.post(
        reverse("contact-list"), '{"first_name": "Ada"', content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?search=a%00b",
        "?ordering=%00",
        "?ordering=not_a_field",
        "?page=-1",
        "?page=abc",
        "?page_size=-5",
        "?page_size=99999999999999999999",
        "?kind=%00",
        "?owner=abc",
        "?search=" + "x" * 5000,
    ],
)
@pytest.mark.parametrize("name", ["contact-list", "company-list", "referral-list", "deal-list"])
def test_api_list_hostile_query_parameters(world, api, name, query):
    response = api.get(reverse(name) + query)
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?q=a%00b",
        "?q=" + "x" * 5000,
        "?page=-1",
        "?page=%00",
        "?sort=%00",
        "?owner=abc",
        "?q=a&kind=%00",
        "?q=a&status=%00&industry=%00",
    ],
)
@pytest.mark.parametrize(
    "name",
    [
        "contacts:list",
        "contacts:company-list",
        "contacts:search",
        "contacts:company-search",
        "referrals:pipeline",
        "referrals:roster",
        "referrals:fits",
        "referrals:deal-list",
        "referrals:given-list",
        "followups:inbox",
        "referrals:contact-options",
    ],
)
def test_page_hostile_query_parameters(world, alice_client, name, query):
    response = alice_client.get(reverse(name) + query)
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.django_db
def test_api_impossible_transition_is_409_with_the_message(world, api):
    referral = world["referral"]
    response = api.post(
        reverse("referral-transition", args=[referral.pk]), {"to": "won"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASKED


# --- Property-based: the contact and referral serializers (through the API) ---------------------

TEXT = st.text(
    alphabet=st.characters(codec=None, blacklist_categories=()),  # NUL and surrogates included
    max_size=300,
)


def post_json(client, path: str, body: dict):
    # json.dumps escapes lone surrogates as \ud800: the server must cope with them.
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first_name=TEXT, last_name=TEXT, notes=TEXT, email=TEXT)
def test_contact_api_any_text(world, api, first_name, last_name, notes, email):
    before = Contact.objects.count()
    body = {"first_name": first_name, "last_name": last_name, "notes": notes, "email": email}
    response = post_json(api, reverse("contact-list"), body)
    assert response.status_code in (201, 400), response.content[:500]
    if response.status_code == 201:
        created = Contact.objects.get(pk=response.json()["id"])
        assert created.notes == notes.strip()  # DRF trims surrounding whitespace
        assert Contact.objects.count() == before + 1
    else:
        assert Contact.objects.count() == before


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    reason=TEXT,
    message=TEXT,
    referrer=st.one_of(st.integers(), st.text(max_size=5), st.none()),
    quality=st.one_of(st.sampled_from(["good", "better", "best"]), TEXT),
)
def test_referral_api_any_input(world, api, reason, message, referrer, quality):
    before = Referral.objects.count()
    body = {
        "referrer": referrer if referrer is not None else world["client"].pk,
        "prospect": world["other"].pk,
        "reason": reason,
        "message": message,
        "quality": quality,
    }
    response = post_json(api, reverse("referral-list"), body)
    assert response.status_code in (201, 400, 404, 409), response.content[:500]
    if response.status_code == 201:
        assert Referral.objects.count() == before + 1
        Referral.objects.filter(pk=response.json()["id"]).delete()
    else:
        assert Referral.objects.count() == before


# --- Uploads (the rest is in tests/test_imports.py) ---------------------------------------------


def _upload(client, name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("contacts:import"), {"kind": "contacts", "file": upload})


@pytest.mark.django_db
def test_upload_a_zip_renamed_csv_is_refused(world, alice_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("contacts.csv", "first_name\n" + "A\n" * 1_000_000)
    response = _upload(alice_client, "contacts.csv", buffer.getvalue())
    assert response.status_code in (200, 400)
    assert not ImportJob.objects.exists()
    assert not Contact.objects.filter(first_name="A").exists()


@pytest.mark.django_db
def test_upload_utf16_without_bom_does_not_500(world, alice_client):
    content = "first_name,last_name\nZoë,Ölund\n".encode("utf-16-le")
    response = _upload(alice_client, "contacts.csv", content)
    assert response.status_code in (200, 302, 400)
    job = ImportJob.objects.first()
    if job is not None:
        assert "\x00" not in job.content


# Any file, through the pages: every supported encoding (with and without its mark) and a
# few that are not, control characters and NUL in the cells, any separator, quotes, line
# breaks and blank lines, mixed encodings and damaged bytes; small limits so that every
# limit is met. Upload, preview, import: never a 5xx; a refused file says why, in one of
# the FILE_* messages, and leaves nothing; a file taken holds no control character.

UPLOAD_ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
    "cp1252",
    "latin-1",
    "mac-roman",
    "shift_jis",
]
CELL = st.one_of(
    st.sampled_from(["Ann Able", "ann@example.com", "Zoë Ölund", "", " ", '"', '""', "a,b"]),
    st.text(alphabet=st.characters(codec=None, exclude_categories=["Cs", "Cc"]), max_size=20),
)
HEADERS = {
    "contacts": ["Name", "Email", "Notes", "Kind"],
    "linkedin": ["First Name", "Last Name", "URL", "Email Address", "Company", "Connected On"],
    "relationships": ["Contact A", "Contact B", "Kind", "Strength"],
}
CONTROLS = st.text(alphabet="\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\x85\x9f", min_size=1, max_size=3)


@st.composite
def csv_files(draw, kind: str) -> bytes:
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = draw(st.one_of(st.just(HEADERS[kind]), st.lists(CELL, max_size=14)))
    rows = [header, *draw(st.lists(st.lists(CELL, max_size=14), min_size=1, max_size=12))]
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE])),
        escapechar="\\",
    )
    for row in rows:
        try:
            writer.writerow(row)
        except csv.Error:  # QUOTE_NONE cannot write a single empty cell
            buffer.write(newline)
        if draw(st.integers(0, 9)) == 0:
            buffer.write(newline * draw(st.sampled_from([1, 2, 40])))  # blank lines
    text = buffer.getvalue()
    if draw(st.integers(0, 2)) == 0:  # control characters (NUL among them) somewhere
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(CONTROLS) + text[position:]
    data = text.encode(draw(st.sampled_from(UPLOAD_ENCODINGS)), errors="replace")
    if draw(st.integers(0, 3)) == 0:  # another encoding from some point on, or damaged bytes
        cut = draw(st.integers(0, len(data)))
        rest = text[len(text) * cut // max(len(data), 1) :]
        tail = draw(
            st.one_of(
                st.sampled_from(UPLOAD_ENCODINGS).map(lambda name: rest.encode(name, "replace")),
                st.binary(max_size=40),
            )
        )
        data = data[:cut] + tail
    return data


def _message_pattern(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(template)), re.DOTALL)


FILE_MESSAGES = [
    _message_pattern(getattr(imports.files, name))
    for name in dir(imports.files)
    if name.startswith("FILE_")
] + [_message_pattern(CHOOSE_A_FILE)]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), kind=st.sampled_from(list(HEADERS)))
def test_upload_any_file_never_500s_and_says_why(world, alice_client, data, kind):
    data = data.draw(csv_files(kind))
    limits = {
        "WARMPATH_IMPORT_MAX_BYTES": 4000,
        "WARMPATH_IMPORT_MAX_ROWS": 8,
        "WARMPATH_IMPORT_MAX_COLUMNS": 10,
        "WARMPATH_IMPORT_MAX_ROW_CHARS": 120,
        "WARMPATH_IMPORT_MAX_LINES": 30,
    }
    jobs, contacts = ImportJob.objects.count(), Contact.objects.count()
    with override_settings(**limits):
        upload = io.BytesIO(data)
        upload.name = "file.csv"
        response = alice_client.post(reverse("contacts:import"), {"kind": kind, "file": upload})
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            (message,) = response.context["form"].errors["file"]
            assert any(pattern.fullmatch(message) for pattern in FILE_MESSAGES), message
            assert (ImportJob.objects.count(), Contact.objects.count()) == (jobs, contacts)
            return
        job = ImportJob.objects.latest("pk")
        assert not CONTROL.search(job.content)
        page = alice_client.get(response.url)
        assert page.status_code == 200
        if page.context["preview"] and page.context["summary"]:
            commit = alice_client.post(reverse("contacts:import-commit", args=[job.pk]))
            assert commit.status_code == 302
            job.refresh_from_db()
            assert job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED), job.status
    for contact in Contact.objects.filter(team=world["acme"])[:1000]:
        assert not CONTROL.search(f"{contact.first_name}{contact.last_name}{contact.notes}")


# --- Ids no database can hold, digits that are not ASCII ----------------------------------------

HUGE_ID = "9" * 30
ODD_DIGITS = "²³"  # str.isdigit() says yes, int() says no


@pytest.mark.django_db
@pytest.mark.parametrize("value", [HUGE_ID, ODD_DIGITS, "-1", "1.5", "0x10"])
@pytest.mark.parametrize(
    ("form_name", "field"),
    [
        ("contact-create", "company"),
        ("relationship-create", "other"),
        ("roster-create", "prospect"),
        ("referral-create", "referrer"),
        ("referral-create", "prospect"),
        ("readiness-create", "client"),
        ("deal-create", "contact"),
        ("given-create", "client"),
        ("given-create", "introduced"),
    ],
)
def test_form_picker_ids_out_of_range(world, alice_client, form_name, field, value):
    case = FORMS[form_name]
    before = case.count()
    response = alice_client.post(case.url(world), {**case.payload(world), field: value})
    assert response.status_code == 200  # the form again, with the error
    assert case.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("value", [HUGE_ID, ODD_DIGITS])
def test_query_ids_out_of_range(world, alice_client, maya_client, value):
    checks = [
        (alice_client, reverse("referrals:referrer-warning") + f"?referrer={value}"),
        (maya_client, reverse("followups:team-overdue") + f"?rep={value}"),
        (alice_client, reverse("referrals:contact-options") + f"?q=a&kind={value}"),
        (alice_client, reverse("contacts:list") + f"?owner={value}&company={value}"),
        (alice_client, reverse("referrals:pipeline") + f"?owner={value}"),
        (alice_client, reverse("contacts:search") + f"?q=a&team={value}&exclude={value}"),
        (maya_client, reverse("manager-dashboard") + f"?team={value}"),
        (maya_client, reverse("dashboard:goals") + f"?week={value}"),
    ]
    for client, path in checks:
        response = client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [HUGE_ID, ODD_DIGITS, f"{HUGE_ID},1", ""])
def test_connector_ask_path_out_of_range(world, alice_client, value):
    before = Referral.objects.count()
    response = alice_client.post(
        reverse("contacts:connector-ask", args=[world["other"].pk]),
        {"path": value, "quality": "better"},
    )
    assert response.status_code in (200, 302, 400, 404), response.status_code
    assert Referral.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["contact-detail", "referral-detail", "deal-detail"])
@pytest.mark.parametrize("value", [HUGE_ID, "-1", "abc", ODD_DIGITS])
def test_api_detail_ids_out_of_range(world, api, name, value):
    path = reverse(name, args=[1]).replace("/1/", f"/{value}/")
    assert api.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("value", [HUGE_ID, ODD_DIGITS, "-1"])
def test_ids_out_of_range_elsewhere(world, alice_client, maya_client, admin_client_, api, value):
    assert alice_client.post(reverse("switch-team"), {"team": value}).status_code == 404
    for client in (maya_client, admin_client_):
        for path in (
            reverse("manager-dashboard") + f"?team={value}",
            reverse("dashboard:export-reps") + f"?team={value}",
            reverse("dashboard:rep", args=[1]).replace("/1/", f"/{value}/"),
            reverse("api-kpis") + f"?team={value}&rep={value}",
        ):
            response = client.get(path)
            assert response.status_code in (200, 400, 404), (path, response.status_code)
    assert api.get(reverse("api-kpis") + f"?rep={value}").status_code in (400, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-1", "10000000000000", "1.5", "abc", "\x00"])
def test_goals_form_refuses_bad_numbers(world, maya_client, value):
    from referrals.models import WeeklyGoal

    response = maya_client.post(
        reverse("dashboard:goals"), {"team-asks": "3", f"rep-{world['alice'].pk}-asks": value}
    )
    if value == "10000000000000":
        # Past PostgreSQL's integer column: a form error there (the model's range
        # validators); SQLite's columns hold it. Never a 500.
        assert response.status_code in (200, 302)
        return
    assert response.status_code == 200  # the form again, with the error
    assert not WeeklyGoal.objects.exists()  # not even the team's valid row


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, b"\xff\xfe\x00\x00" * 100, b"\x00" * 5000],
    ids=["empty", "png", "utf32-ish", "nul-bytes"],
)
def test_upload_empty_or_binary_is_refused(world, alice_client, content):
    response = _upload(alice_client, "contacts.csv", content)
    assert response.status_code in (200, 400)
    assert not ImportJob.objects.exists()


# --- Time zone offsets PostgreSQL cannot store, years at the edge ----------------------------

ODD_TIMES = ["2026-01-01T10:00:00-18:01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ODD_TIMES)
def test_api_datetime_filters_with_odd_offsets(world, api, value):
    for path in (
        reverse("referral-list") + "?asked_at__gte=",
        reverse("referral-list") + "?asked_at__lte=",
        reverse("followup-list") + "?due_after=",
        reverse("followup-list") + "?due_before=",
    ):
        response = api.get(path + value.replace("+", "%2B"))
        assert response.status_code in (200, 400), (path, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ODD_TIMES)
def test_datetime_inputs_with_odd_offsets(world, api, alice_client, value):
    referral = world["referral"]
    before = Referral.objects.count()
    response = api.post(
        reverse("referral-list"),
        {"referrer": world["client"].pk, "prospect": world["other"].pk, "asked_at": value},
        format="json",
    )
    assert response.status_code in (201, 400)
    response = api.post(
        reverse("referral-transition", args=[referral.pk]),
        {"to": "confirmed", "at": value},
        format="json",
    )
    assert response.status_code in (200, 400, 409)
    payload = {**FORMS["referral-create"].payload(world), "asked_at": value}
    response = alice_client.post(reverse("referrals:referral-create"), payload)
    assert response.status_code in (200, 302)
    response = alice_client.post(
        reverse("referrals:referral-transition", args=[referral.pk]),
        {"to": "confirmed", "at": value},
    )
    assert response.status_code in (200, 302, 400, 409)
    assert Referral.objects.count() >= before
