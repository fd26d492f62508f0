"""core/http.py: the two rules every view uses on what the browser sent."""

import pytest
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

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
        ("inbox", "/home/"),  # redirect() would reverse it as a URL name: a 500
        ("admin:index", "/home/"),
        ("/x/\r\nSet-Cookie: a=b", "/home/"),
        ("/x/\u2028", "/home/"),
        ("/" + "x" * 3000, "/home/"),
    ],
)
def test_next_stays_on_this_site(target, expected):
    request = RequestFactory().post("/x/", {"next": target})

    assert safe_next_url(request, "/home/") == expected


@given(st.text())
def test_any_next_makes_a_redirect(target):
    """Whatever `next` a form carries, redirect() to what safe_next_url gives is a
    redirect on this site, never an exception (a URL name to reverse, a broken header)."""
    request = RequestFactory().post("/x/", {"next": target.replace("\x00", "")})
    response = redirect(safe_next_url(request, "/home/"))
    assert isinstance(response, HttpResponseRedirect)
    assert response["Location"].startswith("/")
