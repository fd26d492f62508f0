"""The one rule of every search box: each word typed must appear (case-insensitively) in
at least one of the searched fields, so "ann acme" finds Ann Client of Acme Corp. The
number of words is bounded, so a pasted paragraph cannot build a huge query."""

from django.db.models import Q

MAX_SEARCH_WORDS = 5


def words_match(text: str, fields: list[str] | tuple[str, ...]) -> Q:
    condition = Q()
    for word in (text or "").split()[:MAX_SEARCH_WORDS]:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition
