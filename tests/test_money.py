"""Money is written one way everywhere (issue 21): the team's currency, the reader's
language, no ".00" on whole amounts — on the pages, in the weekly email, in the charts and
in the CSV files (core.money, `{{ amount|money }}`)."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from core import money
from core.money import currency_of_language, format_money
from outbox.models import OutgoingEmail
from referrals.models import Deal, Referral
from reporting import weekly_summary
from tests.factories import ClientFactory, ContactFactory, DealFactory, ReferralFactory

pytestmark = pytest.mark.dates

NOW = "2026-03-10T12:00:00+00:00"
PERIOD = "period=custom&start=2026-03-02&end=2026-03-08"
WON_AT = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)

# --- The one format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "language", "written"),
    [
        (Decimal("93200.00"), "USD", "en-us", "$93,200"),
        (Decimal("74800"), "USD", "en-us", "$74,800"),
        (Decimal("48500.5"), "USD", "en-us", "$48,500.50"),
        ("93200.00", "GBP", "en-gb", "£93,200"),
        (Decimal("93200"), "EUR", "de", "93.200\xa0€"),
        (Decimal("93200.25"), "EUR", "de", "93.200,25\xa0€"),
        (Decimal("93200"), "JPY", "ja", "￥93,200"),
        (None, "USD", "en-us", "—"),
        ("", "USD", "en-us", "—"),
    ],
)
def test_amounts_read_one_way(amount, currency, language, written):
    assert format_money(amount, currency=currency, language=language) == written


@given(
    st.decimals(min_value=0, max_value=10**11, places=2),
    st.sampled_from(["USD", "EUR", "GBP", "CHF"]),
    st.sampled_from(["en-us", "en-gb", "fr", "de", "es", "nl"]),
)
def test_whole_amounts_never_carry_decimals_and_others_keep_cents(amount, currency, language):
    written = format_money(amount, currency=currency, language=language)
    digits = "".join(ch for ch in written if ch.isdigit())
    if amount == amount.to_integral_value():
        assert digits == str(int(amount))
    else:
        assert digits == f"{amount:.2f}".replace(".", "")


def test_a_teams_currency_defaults_from_the_sites_language():
    assert currency_of_language("en-us") == "USD"
    assert currency_of_language("en-gb") == "GBP"
    assert currency_of_language("fr") == "EUR"  # no country: its likeliest one
    with override_settings(DEFAULT_CURRENCY="", LANGUAGE_CODE="en-gb"):
        assert money.default_currency() == "GBP"
    with override_settings(DEFAULT_CURRENCY="CHF"):
        assert money.default_currency() == "CHF"


def test_a_new_team_gets_the_default_currency(db):
    from accounts.models import Team

    with override_settings(DEFAULT_CURRENCY="", LANGUAGE_CODE="en-us"):
        assert Team.objects.create(name="Initech").currency == "USD"


# --- Everywhere -------------------------------------------------------------------------------


@pytest.fixture
def euros(acme, alice, maya):
    """Acme counts in euros; maya reads German, alice American English."""
    acme.currency = "EUR"
    acme.save()
    maya.language = "de"
    maya.save()
    rita = ClientFactory(team=acme, owner=alice, first_name="Rita", last_name="Referrer")
    won = ReferralFactory(
        referrer=rita,
        asked_at=WON_AT - timedelta(days=3),
        confirmed_at=WON_AT - timedelta(days=2),
        contacted_at=WON_AT - timedelta(days=2),
        meeting_at=WON_AT - timedelta(days=1),
        won_at=WON_AT,
        status=Referral.Status.WON,
        value=Decimal("93200.00"),
    )
    DealFactory(
        contact=ContactFactory(team=acme, owner=alice),
        source=Deal.Source.REFERRAL,
        outcome=Deal.Outcome.WON,
        opened_on=WON_AT.date() - timedelta(days=30),
        closed_on=WON_AT.date(),
        value=Decimal("48500.50"),
    )
    return won


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.now(NOW)
def test_the_pages_write_amounts_in_the_teams_currency_for_the_reader(
    euros, alice, maya, alice_client, maya_client
):
    # maya reads German: "93.200 €"; alice American English: "€93,200".
    for_maya = format_money("93200", currency="EUR", language="de")
    for_alice = format_money("93200", currency="EUR", language="en-us")
    assert (for_maya, for_alice) == ("93.200\xa0€", "€93,200")

    dashboard = maya_client.get(f"/dashboard/?{PERIOD}").content.decode()
    assert dashboard.count(for_maya) >= 2  # the team's total and alice's row
    # The chart of the average won deal and its table, in the same format.
    assert format_money("48500.50", currency="EUR", language="de") in dashboard
    rep = maya_client.get(f"/dashboard/reps/{alice.pk}/?{PERIOD}").content.decode()
    assert rep.count(for_maya) >= 2  # won value, and the referral's row
    for page in (
        alice_client.get(f"/referrals/{euros.pk}/"),
        alice_client.get("/week/"),
        alice_client.get("/deals/"),
    ):
        assert page.status_code == 200
        html = page.content.decode()
        assert for_alice in html or "€48,500.50" in html, page.request["PATH_INFO"]
        for noise in ("93200.00", "93,200.00", "48500.50"):
            assert noise not in html, page.request["PATH_INFO"]


@pytest.mark.now(NOW)
def test_the_csv_files_write_amounts_as_the_pages_do(euros, alice, maya_client):
    reps = _csv(maya_client.get(f"/dashboard/export/reps.csv?{PERIOD}"))
    header, *rows = reps
    alice_row = next(dict(zip(header, row, strict=True)) for row in rows if row[1] == "alice")
    assert alice_row["Won value"] == "93.200\xa0€"

    referrals = _csv(maya_client.get(f"/dashboard/export/referrals.csv?{PERIOD}"))
    header, *rows = referrals
    row = dict(zip(header, rows[0], strict=True))
    assert row["Value"] == "93.200\xa0€"
    # Labels, not codes; minutes in the reader's zone, named in the header.
    assert row["Status"] == "Won" and row["Quality"].startswith("Better — ")
    assert row["Won (UTC)"] == "2026-03-05 10:00"


@pytest.mark.now("2026-03-09T07:05:00+00:00")
def test_the_weekly_email_writes_the_won_amount_for_its_reader(euros, maya):
    assert weekly_summary.weekly_summaries_send() == 1

    body = OutgoingEmail.objects.get(to=maya.email).body
    assert "Won in the week: 93.200\xa0€." in body
    assert "93200" not in body
