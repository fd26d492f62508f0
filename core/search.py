"""The one rule of every search box: each word typed must appear (case-insensitively) in
at least one of the searched fields, so "ann acme" finds Ann Client of Acme Corp. The
number of words is bounded, so a pasted paragraph cannot build a huge query."""

from django.db.models import Q
from django.db.models.lookups import In

MAX_SEARCH_WORDS = 5


def search_words(text: str) -> list[str]:
    """The words of a search: separated by spaces or commas ("smith, ann", as the API's
    search always read it), without NUL (PostgreSQL refuses it in a query's text)."""
    return (text or "").replace("\x00", "").replace(",", " ").split()[:MAX_SEARCH_WORDS]


def words_match(text: str, fields: list[str] | tuple[str, ...]) -> Q:
    condition = Q()
    for word in search_words(text):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


# pg_trgm indexes words of three characters or more; a shorter word reads every row anyway.
TRIGRAM_LENGTH = 3


class InRows(In):
    """`column IN (subquery)`; on PostgreSQL also written `column = ANY(ARRAY(subquery))`.

    Both mean the same. The array form is computed once before the scan, so PostgreSQL
    can answer it from the column's index, also as one branch of an OR with other indexed
    conditions (a bitmap OR); the IN form there is checked on every row the rest of the
    query reads. The IN form stays in front: on a row that PostgreSQL checks rather than
    finds by index, it is a hash look-up, while the array is searched element by element
    (~5× slower than the join it replaces when a short word matches thousands of
    companies)."""

    def as_postgresql(self, compiler, connection):
        in_rows, in_params = self.as_sql(compiler, connection)
        column, column_params = self.process_lhs(compiler, connection)
        subquery, subquery_params = self.process_rhs(compiler, connection)
        return (
            f"({in_rows} AND {column} = ANY(ARRAY{subquery}))",
            (*in_params, *column_params, *subquery_params),
        )
