"""A page of a list, as the query string asks for it."""

from django.core.paginator import Page, Paginator


def list_page(queryset, size: int, number, *, count: int | None = None) -> Page:
    """Page `number` (the browser's text: anything that is no page gives the nearest one
    that exists) of `size` rows. `count`, when the caller already knows how many rows the
    list holds (counted with other figures in one query), spares the paginator its COUNT."""
    paginator = Paginator(queryset, size)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached property: this is its value
    return paginator.get_page(number)
