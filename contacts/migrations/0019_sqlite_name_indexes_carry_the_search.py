"""On SQLite only: the contact list's two name indexes also carry what the search tests.

A search word must appear in the first or last name, the email or the company's name
(contacts.selectors.contact_search_filter). PostgreSQL finds the matches through the
trigram indexes of migration 0006. SQLite has no such index: it read every contact of the
team (or of the kind asked for) from the table, tested each, and sorted the matches — a
common surname among a team's prospects 16.6 ms, a word found nowhere 62 ms, on the large
data set (make bench BENCH_ARGS=--sqlite, contact_list_search).

Here the indexes the list is read by, (team, last name, first name) and (team, kind),
keep their names and leading columns but also hold the id, the email and the company:
SQLite reads the index alone, in the list's order, and stops at the page's last match
(3 ms for that surname). On PostgreSQL they stay as declared in the models: there such an
index-only scan looked cheaper to the planner than the trigram indexes and took 10 ms
where those take 2.

The names are those of the models' indexes, so a later migration that alters or removes
them finds them on both engines."""

from django.db import migrations

# (index name as in the models' state, columns as declared, columns on SQLite)
INDEXES = [
    (
        "contacts_co_team_id_1b94da_idx",
        ("team_id", "last_name", "first_name"),
        ("team_id", "last_name", "first_name", "id", "email", "company_id"),
    ),
    (
        "contacts_co_team_id_7262bd_idx",
        ("team_id", "kind"),
        ("team_id", "kind", "last_name", "first_name", "id", "email", "company_id"),
    ),
]


def _rebuild(schema_editor, wanted: int) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    quote = schema_editor.quote_name
    for name, *shapes in INDEXES:
        columns = ", ".join(quote(column) for column in shapes[wanted])
        schema_editor.execute(f"DROP INDEX {quote(name)}")
        schema_editor.execute(
            f"CREATE INDEX {quote(name)} ON {quote('contacts_contact')} ({columns})"
        )


def carry_the_search(apps, schema_editor):
    _rebuild(schema_editor, 1)


def as_declared(apps, schema_editor):
    _rebuild(schema_editor, 0)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0018_clients_asked_index_on_every_engine"),
    ]

    operations = [
        migrations.RunPython(carry_the_search, as_declared),
    ]
