"""core/http.py: the two rules every view uses on what the browser sent."""

import pytest
from django.test import RequestFactory

from core.http import MAX_ID, parse_id, safe_next_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), (" 7 ", 7), (42, 42), (str(MAX_ID), MAX_ID)],
)
def test_ids_a_database_can_hold_are_read(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value", ["", None, "abc", "-1", "4.2", "²", "٣", str(MAX_ID + 1), "9" * 30]
)
def test_anything_else_is_no_id(value):
    assert parse_id(value) is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/roster/?page=2", "/roster/?page=2"),
        ("https://evil.example/", "/home/"),
        ("//evil.example/", "/home/"),
        ("", "/home/"),
    ],
)
def test_next_stays_on_this_site(target, expected):
    request = RequestFactory().post("/x/", {"next": target})

    assert safe_next_url(request, "/home/") == expected
