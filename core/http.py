"""Two small rules every view needs when it reads what the browser sent."""

from django.utils.http import url_has_allowed_host_and_scheme

# PostgreSQL's bigint; a larger number in a query is a database error (a 500), not a miss.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A database id from user input, or None. Only ASCII digits count ("²" is a digit
    to str.isdigit() but not to int()), and only numbers a database id can hold."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


# Longer than any page of Warmpath with its filters: a `next` past it is not one of ours.
NEXT_URL_MAX_LENGTH = 2000


def safe_next_url(request, default: str) -> str:
    """Where to go after a form: the `next` the page asked for when it is a path on this
    site ("/followups/?page=2"), else `default` — never an open redirect to somewhere else,
    never a word redirect() would take for a URL name to reverse ("next=inbox" was a 500),
    never anything a Location header cannot carry (line breaks, control characters)."""
    target = request.POST.get("next") or request.GET.get("next")
    if (
        target
        and len(target) <= NEXT_URL_MAX_LENGTH
        and target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
