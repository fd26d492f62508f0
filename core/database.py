"""The database's planner statistics, kept current on every engine Warmpath runs on.

A query planner picks an index from what it knows of the data: how many rows a table
has and how selective each index is. PostgreSQL's autovacuum gathers that by itself;
SQLite, the engine `make run` uses, never does: until ANALYZE runs it assumes every index
is equally selective, and on a large team it read a contact's referrals through the
team's date index instead of the prospect's (issue 20: 313 ms instead of 20 ms).

So statistics are refreshed where the data changes in bulk and on a schedule:
- after generating data (demo/generate.py: `seed`, `seed_demo`),
- after a contact import commits (contacts/imports/jobs.py), for the tables it wrote,
- every night (config/schedule.py: "Refresh planner statistics").

On SQLite that is ANALYZE (every index read once: about a second per million rows)
followed by PRAGMA optimize, SQLite's own housekeeping; on PostgreSQL ANALYZE, which
samples each table (seconds on the large data set) and is harmless next to autovacuum.
"""

from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import BooleanField, F, Func, Q
from django.db.models.lookups import Exact, In, IsNull


def statistics_refresh(
    *, tables: Iterable[str] | None = None, using: str = DEFAULT_DB_ALIAS
) -> str:
    """Refresh the planner statistics of `tables` (database table names), or of the
    whole database when None. Returns what was run, for logs and tests. Safe inside or
    outside a transaction; other engines than SQLite and PostgreSQL: nothing."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return ""
    quote = connection.ops.quote_name
    statements = ["ANALYZE"] if tables is None else [f"ANALYZE {quote(table)}" for table in tables]
    if connection.vendor == "sqlite":
        statements.append("PRAGMA optimize")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return "; ".join(statements)


class _MostRows(Func):
    """SQLite's likelihood(): the condition holds for most rows (15 in 16)."""

    template = "likelihood(%(expressions)s, 0.9375)"
    output_field = BooleanField()


def usually_null(field_name: str, *, using: str = DEFAULT_DB_ALIAS) -> Q:
    """`field_name IS NULL`, for a nullable unique column whose usual value is NULL (a
    contact who is nobody's user). SQLite keeps one average of rows per key for an index,
    so it takes IS NULL on the column's unique index for a lookup of a few rows where
    nearly every row matches: the active clients of a large team were read through it
    (47 ms instead of 6). Said to hold for most rows, the condition steers it to the
    table's other indexes. Other engines know how many rows are NULL: the plain test."""
    condition = Q(**{f"{field_name}__isnull": True})
    if connections[using].vendor != "sqlite":
        return condition
    return Q(_MostRows(IsNull(F(field_name), True)))


# --- A model's own constants, written into the SQL on SQLite ---------------------------
# A partial index holds the rows of a condition on constants: the pending follow-ups, the
# open referrals. SQLite uses one only for a query whose test it can see matches that
# condition, and then drops the test: the rows come from the index alone. Bound as a
# parameter (`status = ?`), the value is seen too late for that: the index is still
# used, but the test stays, so every row found is read again from the table for its
# status (today's overdue follow-ups of the dense team: 2.4 ms instead of 0.7; its
# dashboard, 4.5 ms more). So on SQLite, an equality or IN test of a field with choices
# whose values are all among those choices — constants of the code, not user input —
# is written with the values as SQL literals. Anything else is bound, as before.
# PostgreSQL's driver sends every value as a literal already. The lookups are registered
# when this module is imported, which the models (their indexes) do at start-up.


def _choice_literals(lookup, values, connection) -> list[str] | None:
    if connection.vendor != "sqlite" or not lookup.rhs_is_direct_value():
        return None
    field = getattr(lookup.lhs, "target", None)  # a plain column, not an expression of one
    if field is None or not field.choices:
        return None
    allowed = {value for value, _label in field.flatchoices if isinstance(value, str)}
    literals = []
    for value in values:
        value = getattr(value, "value", value)  # a TextChoices member: its value
        # A quote or a % (the placeholder's sign) is never in a choice of ours: bound.
        if not isinstance(value, str) or value not in allowed or "'" in value or "%" in value:
            return None
        literal = f"'{value}'"
        if literal not in literals:
            literals.append(literal)
    return literals or None


@models.CharField.register_lookup
class _ChoiceExact(Exact):
    def process_rhs(self, compiler, connection):
        literals = _choice_literals(self, [self.rhs], connection)
        if literals:
            return literals[0], []
        return super().process_rhs(compiler, connection)


@models.CharField.register_lookup
class _ChoiceIn(In):
    def process_rhs(self, compiler, connection):
        literals = _choice_literals(self, self.rhs, connection)
        if literals:
            return f"({', '.join(literals)})", []
        return super().process_rhs(compiler, connection)


def covering_index(
    *, fields: list[str], carries: list[str], name: str, condition: Q | None = None
) -> models.Index:
    """An index on `fields` that also holds the columns `carries`, so that a read of those
    columns over a range of `fields` is answered from the index alone, on every engine.

    PostgreSQL's INCLUDE would hold them outside the key, but SQLite has no INCLUDE
    (Django leaves it out there): such an index made SQLite read every row it found from
    the table — the dense team's top referrers, 42,000 intros, 64 ms instead of ~15. As
    trailing key columns they serve both engines the same; the leading `fields` still
    give the range and the order."""
    return models.Index(fields=[*fields, *carries], name=name, condition=condition)
