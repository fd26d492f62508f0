"""The rule of names (core.names) wherever a name comes in.

Typed — pages, the API, the admin, `add_member` — a name with a control character (a line
break that would start an email header), a direction override, or nothing visible is
refused with the rule's message, and nothing is written. Read from a file — the LinkedIn
and contacts CSV imports — it is normalised instead: the row is imported with the name as
it should have been typed, or skipped as a row without a name when nothing visible is left.

Free text (notes, reasons, messages) is not a name: it keeps its line breaks and any
character. The rule itself: tests/test_text_rules.py; what derived values and emails do with
names: tests/test_derived_values.py.
"""

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Team
from contacts.models import Company, Contact
from core.names import NAME_CONTROL_CHARACTERS, NAME_DIRECTION_CONTROLS, NAME_INVISIBLE
from referrals.models import Deal, ReferralGiven, RosterEntry
from tests.test_hostile_input import FORMS, world  # noqa: F401 - the fixture
from tests.test_imports import ROW_NO_NAME, linkedin_file, run_import

# Each way a name breaks the rule, with the message that says so.
BROKEN_NAMES = {
    "header-injection": ("Ref\nBcc: someone@example.com", NAME_CONTROL_CHARACTERS),
    "tab": ("Ada\tLovelace", NAME_CONTROL_CHARACTERS),
    "escape": ("Ada\x1b[2J", NAME_CONTROL_CHARACTERS),
    "c1-next-line": ("Ada\x85Lovelace", NAME_CONTROL_CHARACTERS),
    "line-separator": ("Ada\u2028Lovelace", NAME_CONTROL_CHARACTERS),
    "right-to-left-override": ("\u202eecilA", NAME_DIRECTION_CONTROLS),
    "isolate": ("Ada \u2067Lovelace\u2069", NAME_DIRECTION_CONTROLS),
    "zero-width-only": ("\u200b\u200c\u200d", NAME_INVISIBLE),
    "hangul-filler": ("\u3164", NAME_INVISIBLE),
}

# The page forms' name fields (FORMS: tests/test_hostile_input.py).
FORM_NAME_FIELDS = [
    ("contact-create", "first_name"),
    ("contact-create", "last_name"),
    ("contact-edit", "first_name"),
    ("company-create", "name"),
    ("company-edit", "name"),
    ("roster-create", "new_first_name"),
    ("roster-create", "new_last_name"),
    ("roster-create", "new_company"),
    ("deal-create", "name"),
    ("given-create", "introduced_name"),
]


def form_errors(response) -> list[str]:
    form = response.context["form"]
    return [message for messages in form.errors.values() for message in messages]


@pytest.mark.django_db
@pytest.mark.parametrize(("form_name", "field"), FORM_NAME_FIELDS)
@pytest.mark.parametrize(("name", "message"), BROKEN_NAMES.values(), ids=BROKEN_NAMES.keys())
def test_page_forms_refuse_broken_names_with_the_rule(
    world,  # noqa: F811 - the fixture imported above
    alice_client,
    form_name,
    field,
    name,
    message,
):
    case = FORMS[form_name]
    before = case.count()
    response = alice_client.post(case.url(world), {**case.payload(world), field: name})
    assert response.status_code == 200
    assert message in form_errors(response)
    assert case.count() == before


@pytest.mark.django_db
def test_the_contact_form_refuses_a_broken_new_company_name(world, alice_client):  # noqa: F811
    case = FORMS["contact-create"]
    payload = {**case.payload(world), "new_company_name": "Hooli\r\nBcc: x@example.com"}
    response = alice_client.post(case.url(world), payload)
    assert response.status_code == 200
    assert NAME_CONTROL_CHARACTERS in form_errors(response)
    assert not Company.objects.filter(name__startswith="Hooli").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "message"), BROKEN_NAMES.values(), ids=BROKEN_NAMES.keys())
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_profile_refuses_a_broken_name(alice, alice_client, field, name, message):
    response = alice_client.post(
        reverse("profile"),
        {
            "first_name": "Alice",
            "last_name": "",
            "email": alice.email,
            "time_zone": "UTC",
            field: name,
        },
    )
    assert response.status_code == 200
    assert message in form_errors(response)
    alice.refresh_from_db()
    assert alice.first_name == "Alice"


# --- The API ------------------------------------------------------------------------------------

API_NAME_FIELDS = {
    "contact-first-name": ("contact-list", lambda w: {"last_name": "L"}, "first_name", Contact),
    "contact-last-name": ("contact-list", lambda w: {"first_name": "F"}, "last_name", Contact),
    "company": ("company-list", lambda w: {}, "name", Company),
    "deal": (
        "deal-list",
        lambda w: {"contact": w["client"].pk, "source": "cold", "opened_on": "2026-01-05"},
        "name",
        Deal,
    ),
    "referral-given": (
        "referral-given-list",
        lambda w: {"client": w["client"].pk, "given_on": "2026-01-05"},
        "introduced_name",
        ReferralGiven,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "payload", "field", "model"), API_NAME_FIELDS.values(), ids=API_NAME_FIELDS.keys()
)
@pytest.mark.parametrize(("name", "message"), BROKEN_NAMES.values(), ids=BROKEN_NAMES.keys())
def test_the_api_refuses_broken_names_with_the_rule(
    world,  # noqa: F811
    alice,
    endpoint,
    payload,
    field,
    model,
    name,
    message,
):
    api = APIClient()
    api.force_authenticate(alice)
    before = model.objects.count()
    response = api.post(reverse(endpoint), {**payload(world), field: name}, format="json")
    assert response.status_code == 400, response.content[:500]
    assert message in str(response.json())
    assert model.objects.count() == before


@pytest.mark.django_db
def test_the_api_accepts_names_of_any_script_and_free_text_keeps_any_character(world, alice):  # noqa: F811
    api = APIClient()
    api.force_authenticate(alice)
    notes = "Met at the fair.\nLikes \u202eright-to-left\u202c jokes.\tTabs too."
    response = api.post(
        reverse("contact-list"),
        {"first_name": "Zoë 👩🏽\u200d💻", "last_name": "مرحبا שלום", "notes": notes},
        format="json",
    )
    assert response.status_code == 201, response.content[:500]
    contact = Contact.objects.get(pk=response.json()["id"])
    assert (contact.first_name, contact.last_name) == ("Zoë 👩🏽\u200d💻", "مرحبا שלום")
    assert contact.notes == notes


@pytest.mark.django_db
def test_free_text_on_pages_keeps_line_breaks_and_direction_marks(world, alice_client):  # noqa: F811
    case = FORMS["roster-create"]
    before = RosterEntry.objects.count()
    reason = "Opening three sites.\r\nAsk \u202eKCAB\u202c later."
    response = alice_client.post(case.url(world), {**case.payload(world), "reason": reason})
    assert response.status_code == 302
    assert RosterEntry.objects.count() == before + 1


# --- The admin and the command line ------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_refuses_a_broken_team_name(admin_client_):
    response = admin_client_.post(reverse("admin:accounts_team_add"), {"name": "\u202eemcA"})
    assert response.status_code == 200
    assert NAME_DIRECTION_CONTROLS in response.content.decode()
    assert not Team.objects.filter(name__contains="emcA").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--team", "Acme\nBcc: x@example.com"), NAME_CONTROL_CHARACTERS),
        (("--first-name", "\u200b"), NAME_INVISIBLE),
        (("--team", "A" * 121), "at most 120 characters"),
        (("--last-name", "L" * 151), "at most 150 characters"),
        (("--username", "nina\nBcc"), "Enter a valid username"),
    ],
)
def test_add_member_refuses_a_broken_name(option, message):
    arguments = {"--team": "Acme", "--username": "nina", "--role": "rep"}
    arguments.update([option])
    with pytest.raises(CommandError, match=f"Refused: .*{re.escape(message)}"):
        call_command("add_member", *[part for pair in arguments.items() for part in pair])
    assert not Team.objects.exists()


# --- Imports: normalised, not refused -----------------------------------------------------------


@pytest.mark.django_db
def test_an_import_normalises_names_and_skips_rows_with_nothing_visible(acme, alice):
    data = linkedin_file(
        '"Ref\nBcc: someone@example.com",\u202eLovelace\u202c,'
        'https://www.linkedin.com/in/ref,,"Initech\tEurope",,',
        "\u200b\u200d,\u3164,https://www.linkedin.com/in/ghost,,,,",
    )

    _job, preview, _result = run_import(acme, alice, data)

    contact = Contact.objects.get(linkedin_url="https://www.linkedin.com/in/ref")
    assert (contact.first_name, contact.last_name) == ("Ref Bcc: someone@example.com", "Lovelace")
    assert contact.company.name == "Initech Europe"
    assert not Contact.objects.filter(linkedin_url="https://www.linkedin.com/in/ghost").exists()
    # Row 4 of the file: the first row's quoted line break takes a line of its own.
    assert [issue["message"] for issue in preview["issues"]] == [ROW_NO_NAME.message.format(row=4)]


@pytest.mark.django_db
def test_a_user_with_a_broken_name_gets_a_normalised_contact_record(acme, alice):
    """Users' names from before the rule: their contact record (made at their first
    LinkedIn import) follows it, and fits a contact's shorter columns."""
    alice.first_name = ("Alice\r\nBcc: someone@example.com" + "e" * 150)[:150]
    alice.last_name = "\u200b"
    alice.save()

    run_import(acme, alice, linkedin_file("Ann,Client,https://www.linkedin.com/in/ann,,,,"))

    mine = Contact.objects.get(user=alice)
    assert mine.first_name.startswith("Alice Bcc: someone@example.com")
    assert len(mine.first_name) == Contact._meta.get_field("first_name").max_length
    assert mine.last_name == ""
