"""The rule of web addresses (core.web, contacts.links): a company's website and a
contact's LinkedIn address are http(s) only — a `javascript:` or `data:` link would run on
the page that shows it as a link — a bare domain is read as https, a LinkedIn address is
on linkedin.com and spelt one way, and the stored value fits its column. The same rule
on the pages, in the API, in the admin and in the imports (issue #16).

Cast: alice (rep of Acme), admin (staff)."""

import contextlib
import csv
import io
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contacts.imports import import_commit, import_job_create, import_preview
from contacts.links import NOT_A_LINKEDIN_ADDRESS
from contacts.models import Company, Contact
from core.web import NOT_A_WEB_ADDRESS, validate_web_address, web_address_normalize
from tests import migrations
from tests.factories import CompanyFactory

REFUSED_EVERYWHERE = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://acme.com/",
    "mailto:ann@acme.com",
    "https://",
    "http://exa mple.com",
    "https://acme",
    "//acme.com",
]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_stored_safely(value: str, *, linkedin: bool = False) -> None:
    """Empty, or an http(s) address the rule accepts (and so a safe href)."""
    if not value:
        return
    validate_web_address(value)
    parts = urlsplit(value)
    assert parts.scheme in ("http", "https")
    if linkedin:
        assert parts.hostname == "www.linkedin.com"


# --- One rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("acme.com", "https://acme.com"),
        ("  www.acme.com/about  ", "https://www.acme.com/about"),
        ("http://acme.com", "http://acme.com"),
        ("localhost:8000", "https://localhost:8000"),
        ("", ""),
    ],
)
def test_a_bare_domain_is_read_as_https(typed, stored):
    assert web_address_normalize(typed) == stored


@pytest.mark.parametrize("typed", REFUSED_EVERYWHERE)
def test_anything_but_an_http_address_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        validate_web_address(web_address_normalize(typed))
    assert refused.value.messages == [NOT_A_WEB_ADDRESS]


# --- Pages, API, admin ---------------------------------------------------------------------


def test_the_company_page_stores_a_bare_domain_as_https(alice_client, acme):
    response = alice_client.post("/companies/new/", {"name": "Hooli", "website": "hooli.com"})

    assert response.status_code == 302
    assert Company.objects.get(name="Hooli").website == "https://hooli.com"


@pytest.mark.parametrize("typed", REFUSED_EVERYWHERE)
def test_the_company_page_refuses_what_is_no_web_address(alice_client, acme, typed):
    response = alice_client.post("/companies/new/", {"name": "Hooli", "website": typed})

    assert response.status_code == 200
    assert response.context["form"].errors["website"]
    assert not Company.objects.exists()


@pytest.mark.parametrize("typed", REFUSED_EVERYWHERE)
def test_the_api_refuses_what_is_no_web_address_on_create_and_update(alice, acme, typed):
    created = api(alice).post(
        "/api/v1/companies/", {"name": "Hooli", "website": typed}, format="json"
    )
    company = CompanyFactory(team=acme, website="https://initech.com")
    updated = api(alice).patch(
        f"/api/v1/companies/{company.pk}/", {"website": typed}, format="json"
    )

    assert created.status_code == updated.status_code == 400
    assert NOT_A_WEB_ADDRESS in created.content.decode()
    company.refresh_from_db()
    assert company.website == "https://initech.com"


def test_the_api_reads_a_bare_domain_as_https_like_the_page(alice, acme):
    response = api(alice).post(
        "/api/v1/companies/", {"name": "Hooli", "website": "hooli.com"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["website"] == "https://hooli.com"


def test_the_length_holds_after_https_is_added(alice, alice_client, acme):
    # 200 characters typed, 208 once https:// is added: more than the column holds.
    typed = f"{'a' * 60}.{'b' * 60}.{'c' * 60}.{'d' * 13}.com"
    assert len(typed) == 200

    response = api(alice).post("/api/v1/companies/", {"name": "Hooli", "website": typed})
    page = alice_client.post("/companies/new/", {"name": "Hooli", "website": typed})

    assert response.status_code == 400
    assert "200" in response.content.decode()
    assert page.context["form"].errors["website"]
    assert not Company.objects.exists()


def test_a_linkedin_address_is_spelt_one_way_and_nothing_else_is_one(alice, acme):
    created = api(alice).post(
        "/api/v1/contacts/",
        {"first_name": "Ann", "linkedin_url": "linkedin.com/in/Ann-Example/"},
        format="json",
    )
    elsewhere = api(alice).post(
        "/api/v1/contacts/",
        {"first_name": "Bea", "linkedin_url": "https://example.com/in/bea"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["linkedin_url"] == "https://www.linkedin.com/in/ann-example"
    assert elsewhere.status_code == 400
    assert NOT_A_LINKEDIN_ADDRESS in elsewhere.content.decode()


def test_the_contact_page_refuses_a_script_link(alice_client, acme):
    response = alice_client.post(
        "/contacts/new/",
        {
            "first_name": "Ann",
            "linkedin_url": "javascript:alert(1)",
            "kind": "prospect",
            "preferred_channel": "email",
            "update_cadence": "each_step",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["linkedin_url"]
    assert not Contact.objects.exists()


def test_the_admin_refuses_a_script_link_and_reads_a_bare_domain(admin_client_, acme):
    def add(website):
        return admin_client_.post(
            "/admin/contacts/company/add/",
            {
                "team": acme.pk,
                "name": "Hooli",
                "website": website,
                "contacts-TOTAL_FORMS": 0,
                "contacts-INITIAL_FORMS": 0,
            },
        )

    assert add("javascript:alert(1)").status_code == 200
    assert not Company.objects.exists()
    assert add("hooli.com").status_code == 302
    assert Company.objects.get().website == "https://hooli.com"


def test_the_schema_says_both_are_uris():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    for component, field in (("Company", "website"), ("Contact", "linkedin_url")):
        shapes = components[component]["properties"][field]
        # A blank value (no address) is the other shape the field takes.
        formats = {shape.get("format") for shape in shapes.get("oneOf", [shapes])}
        assert "uri" in formats


# --- Imports -------------------------------------------------------------------------------


def contacts_file(*rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Email", "LinkedIn URL"])
    writer.writerows(rows)
    return out.getvalue().encode()


def run_import(team, user, data: bytes):
    job = import_job_create(team=team, owner=user, kind="contacts", file_name="c.csv", data=data)
    preview = import_preview(
        team=team, user=user, kind="contacts", text=job.content, mapping=job.mapping
    ).summary()
    return preview, import_commit(job=job)


def test_an_import_reports_the_row_of_a_script_link_and_imports_the_rest(acme, alice):
    preview, _ = run_import(
        acme,
        alice,
        contacts_file(
            ["Ann Example", "ann@example.com", "javascript:alert(1)"],
            ["Bea Example", "bea@example.com", "linkedin.com/in/Bea"],
        ),
    )

    assert "Row 2" in str(preview["issues"]) and "javascript:alert(1)" in str(preview["issues"])
    assert list(Contact.objects.values_list("first_name", "linkedin_url")) == [
        ("Bea", "https://www.linkedin.com/in/bea")
    ]


# --- Any text, any entry point -------------------------------------------------------------

any_text = st.one_of(
    st.text(max_size=320),
    st.from_regex(r"[a-z]{1,8}:[^\s]{0,40}", fullmatch=True),
    st.builds(lambda host, path: f"{host}/{path}", st.text(max_size=80), st.text(max_size=80)),
    st.sampled_from(REFUSED_EVERYWHERE),
)
SLOW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SLOW
@given(website=any_text, linkedin=any_text)
def test_any_text_through_the_api_is_never_a_5xx_and_stores_only_http(
    alice, acme, website, linkedin
):
    company = api(alice).post(
        "/api/v1/companies/", {"name": "Hooli", "website": website}, format="json"
    )
    contact = api(alice).post(
        "/api/v1/contacts/", {"first_name": "Ann", "linkedin_url": linkedin}, format="json"
    )

    assert company.status_code in (201, 400) and contact.status_code in (201, 400)
    for stored in Company.objects.values_list("website", flat=True):
        assert_stored_safely(stored)
    for stored in Contact.objects.values_list("linkedin_url", flat=True):
        assert_stored_safely(stored, linkedin=True)
    Company.objects.all().delete()
    Contact.objects.all().delete()


@SLOW
@given(website=any_text, linkedin=any_text)
def test_any_text_through_the_pages_is_never_a_5xx_and_stores_only_http(
    alice_client, acme, website, linkedin
):
    company = alice_client.post("/companies/new/", {"name": "Hooli", "website": website})
    contact = alice_client.post(
        "/contacts/new/",
        {
            "first_name": "Ann",
            "linkedin_url": linkedin,
            "kind": "prospect",
            "preferred_channel": "email",
            "update_cadence": "each_step",
        },
    )

    assert company.status_code in (200, 302) and contact.status_code in (200, 302)
    for stored in Company.objects.values_list("website", flat=True):
        assert_stored_safely(stored)
    for stored in Contact.objects.values_list("linkedin_url", flat=True):
        assert_stored_safely(stored, linkedin=True)
    Company.objects.all().delete()
    Contact.objects.all().delete()


@SLOW
@given(linkedin=any_text)
def test_any_text_in_an_import_is_imported_safely_or_reported(alice, acme, linkedin):
    if "\x00" in linkedin:  # a NUL refuses the whole file, as tests/test_imports.py shows
        linkedin = linkedin.replace("\x00", "")
    # A file refused as a whole says why (a ValidationError): no 500 either way.
    with contextlib.suppress(ValidationError):
        run_import(acme, alice, contacts_file(["Ann Example", "", linkedin]))
    for stored in Contact.objects.values_list("linkedin_url", flat=True):
        assert_stored_safely(stored, linkedin=True)
    Contact.objects.all().delete()


# --- What was stored before the rule -------------------------------------------------------

BEFORE = ("contacts", "0011_web_addresses_http_or_https")
AFTER = ("contacts", "0012_stored_web_addresses_follow_the_rule")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fixes_what_it_can_and_empties_the_rest(acme, alice):
    # Contacts as they were before the rule (the models of then: a column added since
    # does not exist yet), then every migration since, this one included.
    with migrations.as_before(BEFORE) as apps:
        OldCompany = apps.get_model("contacts", "Company")
        OldContact = apps.get_model("contacts", "Contact")
        bare = OldCompany.objects.create(team_id=acme.pk, name="Bare", website="bare.com")
        script = OldCompany.objects.create(
            team_id=acme.pk, name="Script", website="javascript:alert(1)"
        )
        spelt = OldContact.objects.create(
            team_id=acme.pk,
            owner_id=alice.pk,
            first_name="Spelt",
            linkedin_url="http://LinkedIn.com/in/Spelt/",
        )
        other_site = OldContact.objects.create(
            team_id=acme.pk,
            owner_id=alice.pk,
            first_name="Other",
            notes="Met in Oslo",
            linkedin_url="https://xing.com/profile/o",
        )
        migrations.to(AFTER)

    assert Company.objects.get(pk=bare.pk).website == "https://bare.com"
    assert Company.objects.get(pk=script.pk).website == ""
    assert Contact.objects.get(pk=spelt.pk).linkedin_url == "https://www.linkedin.com/in/spelt"
    other_site = Contact.objects.get(pk=other_site.pk)
    assert other_site.linkedin_url == ""
    assert other_site.notes == (
        "Met in Oslo\nLinkedIn URL removed, not a LinkedIn web address: https://xing.com/profile/o"
    )
