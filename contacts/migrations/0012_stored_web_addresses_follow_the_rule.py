"""Stored websites and LinkedIn addresses follow the rule of web addresses (core.web,
contacts.links): what can be read as one is spelt as the rule spells it (a bare domain
gets https://, a LinkedIn profile its one spelling); what cannot (a javascript: or ftp:
link, a LinkedIn field holding another site, a spelling already taken by a teammate's
contact) is emptied, so no page renders it as a link — a contact keeps the old text in
its notes, where it is shown as text."""

from django.core.exceptions import ValidationError
from django.db import migrations

from contacts.links import normalize_linkedin_url, validate_linkedin_url
from core.web import validate_web_address, web_address_normalize

KEPT_IN_NOTES = "LinkedIn URL removed, not a LinkedIn web address: {value}"


def _valid(value, *validators) -> bool:
    try:
        for validator in validators:
            validator(value)
    except ValidationError:
        return False
    return True


def forwards(apps, schema_editor):
    Company = apps.get_model("contacts", "Company")
    Contact = apps.get_model("contacts", "Contact")
    limit = Company._meta.get_field("website").max_length
    for company in Company.objects.exclude(website="").only("pk", "website").iterator():
        website = web_address_normalize(company.website)
        if len(website) > limit or not _valid(website, validate_web_address):
            website = ""
        if website != company.website:
            Company.objects.filter(pk=company.pk).update(website=website)

    limit = Contact._meta.get_field("linkedin_url").max_length
    contacts = Contact.objects.exclude(linkedin_url="").only("pk", "team_id", "linkedin_url")
    for contact in contacts.order_by("pk").iterator():
        url = normalize_linkedin_url(contact.linkedin_url)
        valid = len(url) <= limit and _valid(url, validate_web_address, validate_linkedin_url)
        taken = (
            valid
            and url != contact.linkedin_url
            and Contact.objects.filter(team_id=contact.team_id, linkedin_url=url).exists()
        )
        if valid and not taken:
            if url != contact.linkedin_url:
                Contact.objects.filter(pk=contact.pk).update(linkedin_url=url)
            continue
        person = Contact.objects.get(pk=contact.pk)
        note = KEPT_IN_NOTES.format(value=contact.linkedin_url)
        person.notes = f"{person.notes}\n{note}" if person.notes else note
        person.linkedin_url = ""
        person.save(update_fields=["linkedin_url", "notes"])


class Migration(migrations.Migration):
    dependencies = [("contacts", "0011_web_addresses_http_or_https")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
