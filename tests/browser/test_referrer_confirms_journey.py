"""The referrer confirms with one click, in a real browser (issue 18).

Alice (rep, Acme) sends her ask to Jessica by email from the referral's page; the email,
captured as sent, holds the links; Jessica opens "I've introduced you" in a browser of her
own, never logged in, adds a line and presses the one button; Alice's referral is then
confirmed by the referrer, her bell shows it, the line is on the timeline, and the
thank-you follow-up is there.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from followups.models import FollowUp
from outbox.models import OutgoingEmail
from outbox.services import outgoing_email_send
from referrals import services
from referrals.models import AnsweredBy, Referral
from tests.browser.conftest import DESKTOP
from tests.factories import ClientFactory, ContactFactory

NOTE = "Spoke to her Tuesday, she expects your call"


@pytest.fixture
def referral(acme, alice):
    jessica = ClientFactory(
        team=acme,
        owner=alice,
        first_name="Jessica",
        last_name="Clark",
        email="jessica@northwind.example",
    )
    shelly = ContactFactory(team=acme, owner=alice, first_name="Shelly", last_name="Dixon")
    return services.referral_create(
        owner=alice,
        team=acme,
        referrer=jessica,
        prospect=shelly,
        reason="Shelly's team is opening three warehouses.",
        message="Hi Jessica,\n\nWould you introduce me to Shelly Dixon?\n\nAlice",
    )


def test_the_referrer_confirms_from_the_email_without_an_account(
    page, login, browser, live_server, referral
):
    # --- Alice sends the ask by email from the referral's page ---------------------------
    login(page, "alice")
    page.goto(f"/referrals/{referral.pk}/")
    page.get_by_role("button", name="Send the ask to Jessica").click()
    expect(page.get_by_role("alert").filter(has_text="The ask is on its way")).to_be_visible()

    # --- The email, as sent, holds the three links ----------------------------------------
    email = OutgoingEmail.objects.get(purpose="referral_ask")
    outgoing_email_send(email_id=email.pk)
    sent = mail.outbox[-1]
    assert sent.to == ["jessica@northwind.example"]
    links = dict(
        re.findall(
            r"^(I've introduced you|They'd like to talk|Not the right time): (\S+)$",
            sent.body,
            re.M,
        )
    )
    assert len(links) == 3
    path = urlsplit(links["I've introduced you"]).path

    # --- Jessica opens it in her own browser, never logged in -----------------------------
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
    try:
        jessica = context.new_page()
        jessica.goto(path)
        expect(jessica.get_by_role("heading", name="Have you introduced Alice")).to_contain_text(
            "Shelly Dixon"
        )
        expect(jessica.get_by_role("navigation")).to_have_count(0)
        expect(jessica.get_by_role("button")).to_have_count(1)
        jessica.get_by_label("A line for Alice").fill(NOTE)
        jessica.get_by_role("button", name="I've introduced you").click()
        expect(jessica.get_by_role("heading", name="Thank you")).to_be_visible()
        # Used once: the same link again is the polite refusal.
        jessica.goto(path)
        expect(jessica.get_by_role("heading", name="This link no longer works")).to_be_visible()
    finally:
        context.close()

    referral.refresh_from_db()
    assert referral.status == Referral.Status.CONFIRMED
    assert referral.confirmed_by == AnsweredBy.REFERRER
    assert FollowUp.objects.filter(referral=referral, kind=FollowUp.Kind.THANK_REFERRER).exists()

    # --- Alice sees it: her bell, the referral's page, its follow-ups ---------------------
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.locator("#notification-badge")).to_have_text(re.compile(r"^1"))
    expect(page.get_by_text("The referrer, by email link")).to_be_visible()
    expect(page.get_by_text(f"Jessica Clark wrote: “{NOTE}”")).to_be_visible()
    expect(page.locator("#followups")).to_contain_text("Thank the referrer")
    page.get_by_role("link", name="Notifications").click()
    expect(
        page.get_by_text("Jessica Clark confirmed the introduction to Shelly Dixon")
    ).to_be_visible()
