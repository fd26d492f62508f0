"""The links of a list's rows, reversed once per page and filled in per row.

A `{% url %}` tag resolves its route every time it renders: on a list of a hundred rows
with three links each, that is a third of the page's rendering. A route whose only
argument is an id has the same address for every row but the id, so it is reversed once
with a stand-in id and the row's id is put in its place.
"""

from operator import attrgetter

from django.urls import reverse

# Reversed in the id's place, then cut out: no real id is this large, and it is all digits,
# so it fits every route whose argument is an <int:…>.
_STAND_IN = 987654321


class RowLinks:
    """`RowLinks(detail=("contacts:detail", "pk"))`: each key a route of one id argument
    and the attribute of the row (a dotted path too) that holds the id. `of(row)` gives a
    row's links as {key: url}."""

    def __init__(self, **routes: tuple[str, str]):
        self._parts = {}
        for key, (name, attribute) in routes.items():
            head, tail = reverse(name, args=[_STAND_IN]).split(str(_STAND_IN))
            self._parts[key] = (head, tail, attrgetter(attribute))

    def of(self, row) -> dict[str, str]:
        return {key: f"{head}{get(row)}{tail}" for key, (head, tail, get) in self._parts.items()}
