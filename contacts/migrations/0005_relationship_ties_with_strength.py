"""Covering indexes for the reverse search (referrals.connectors): each level of the search
reads every tie of a set of people, from either side of the pair, with its strength. With
the strength in the index, PostgreSQL answers from the index alone (no visit to the table
per tie). On the large data set (EXPLAIN ANALYZE, median) the search three hops away
from a typical person went from ~30 to ~18 ms, from a very connected one from ~120 to
~70 ms (bench/connectors_bench.py). The (contact_b, contact_a) index is replaced by its
superset."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_historicalcontact"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="relationship",
            name="contacts_re_contact_f6cbc0_idx",
        ),
        migrations.AddIndex(
            model_name="relationship",
            index=models.Index(
                fields=["contact_a", "contact_b", "strength"], name="relationship_ties_a"
            ),
        ),
        migrations.AddIndex(
            model_name="relationship",
            index=models.Index(
                fields=["contact_b", "contact_a", "strength"], name="relationship_ties_b"
            ),
        ),
    ]
