"""Keeping the network warm, in the browser: Alice's week says her client Carol is going
cold and why to call; she opens Carol's page, notes the call, and Carol leaves the list.
Her happy client Gina, green light and never asked, is listed to ask; the readiness page
shows Gina's testimonial."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Contact
from tests.factories import ClientFactory, ReadinessCheckFactory

pytestmark = pytest.mark.browser


def test_a_rep_keeps_a_client_warm_from_the_week(page, login, screenshot, acme, alice):
    carol = ClientFactory(team=acme, owner=alice, first_name="Carol", last_name="Diaz")
    Contact.objects.filter(pk=carol.pk).update(last_touch_at=timezone.now() - timedelta(days=41))
    gina = ClientFactory(team=acme, owner=alice, first_name="Gina", last_name="Happy")
    ReadinessCheckFactory(
        client=gina, owner=alice, green_light=True, may_quote=True,
        testimonial="Warmpath's team made our rollout painless.",
    )  # fmt: skip

    login(page, "alice")
    page.goto("/week/")
    cold = page.locator("section[aria-labelledby=cold-heading]")
    expect(cold).to_contain_text("Carol Diaz")
    expect(cold).to_contain_text("41 days without a touch")
    expect(cold).to_contain_text("readiness conversation")
    again = page.locator("section[aria-labelledby=ask-again-heading]")
    expect(again).to_contain_text("Gina Happy")
    expect(again).to_contain_text("never been asked")
    screenshot(page, "rep-week-warmth")

    cold.get_by_role("link", name="Carol Diaz").click()
    page.get_by_label("How").select_option("phone")
    page.get_by_label("What about").fill("Caught up on their spring plans")
    page.get_by_role("button", name="Note it").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text("you were in touch with Carol")
    expect(page.locator("#last-touch")).to_contain_text("0 days ago")
    expect(page.get_by_text("Phone: Caught up on their spring plans")).to_be_visible()

    page.goto("/week/")
    expect(page.locator("section[aria-labelledby=cold-heading]")).to_contain_text(
        "Nobody you look after is going cold"
    )

    page.goto("/readiness/?may_quote=true")
    expect(page.get_by_text("Warmpath's team made our rollout painless.")).to_be_visible()
    screenshot(page, "rep-readiness")
