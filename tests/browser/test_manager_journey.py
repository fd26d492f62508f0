"""A manager's week in the browser: maya, manager of Acme, writes the week's goals (copying
last week's, then changing them with the keyboard), reads the dashboard, changes the
period, sorts the rep table, opens a rep and exports the table as CSV.

Her reps' work is arranged through the services (as the pages would record it): alice asked
three introductions today and won one of them; bob asked five ten days ago and has not
thanked those referrers (each thank-you was due a day after the ask: five overdue)."""

import csv
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.zones import zone_of
from dashboard.views import GOALS_COPIED, GOALS_SAVED
from referrals import services as referral_services
from referrals.models import WeeklyGoal
from reporting import kpis
from tests.factories import ClientFactory, ContactFactory

REP_TABLE = "a column heading sorts by it"
GOALS_TABLE = "Goals against actual"


@pytest.fixture
def team_work(acme, alice, bob, maya):
    alice.last_name, bob.last_name = "Archer", "Brown"
    alice.save(update_fields=["last_name"])
    bob.save(update_fields=["last_name"])
    now = timezone.now()

    def ask(rep, *, asked_at, prospect_name):
        return referral_services.referral_create(
            owner=rep,
            team=acme,
            referrer=ClientFactory(team=acme, owner=rep),
            prospect=ContactFactory(team=acme, owner=rep, first_name=prospect_name),
            asked_at=asked_at,
            reason="They are opening three new sites this year.",
        )

    alice_asks = [ask(alice, asked_at=now, prospect_name=f"Prospect{i}") for i in range(3)]
    won = alice_asks[0]
    for step in ("confirmed", "contacted", "meeting"):
        won = referral_services.referral_transition(referral=won, to=step, actor=alice)
    referral_services.referral_transition(
        referral=won, to="won", value=Decimal("12000"), actor=alice
    )
    for i in range(5):
        ask(bob, asked_at=now - timedelta(days=10), prospect_name=f"Lead{i}")

    # Last week's goals, to be copied onto this week.
    this_monday = kpis.monday(timezone.localdate())
    last_monday = this_monday - timedelta(days=7)
    WeeklyGoal.objects.create(team=acme, week_start=last_monday, asks=10, intros=4, wins=1)
    WeeklyGoal.objects.create(team=acme, rep=bob, week_start=last_monday, asks=3)
    return {"this_monday": this_monday, "won": won}


def _rep_rows(page):
    return page.get_by_role("table", name=REP_TABLE).locator("tbody tr")


def test_a_manager_sets_goals_reads_the_dashboard_and_exports_it(
    page, login, screenshot, maya, alice, bob, team_work
):
    login(page, "maya")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page).to_have_title("Dashboard · Warmpath")
    expect(page.get_by_text("No team goal covers this period.")).to_be_visible()

    # --- The week's goals: copy last week's, then change them ------------------------------
    page.get_by_role("link", name="Set this week's goals").click()
    expect(page).to_have_title("Weekly goals · Warmpath")
    monday = team_work["this_monday"]
    expect(page.get_by_text(f"Week of {monday:%A} {monday.day} {monday:%B %Y}")).to_be_visible()
    team_asks = page.get_by_label("Asks, Team goal (Acme)")
    expect(team_asks).to_have_value("")  # a week without goals starts empty

    page.get_by_role("button", name="Copy last week's goals").click()
    expect(page.get_by_role("alert")).to_contain_text(GOALS_COPIED.format(count=2))
    expect(team_asks).to_have_value("10")
    expect(page.get_by_label("Intros, Team goal (Acme)")).to_have_value("4")
    expect(page.get_by_label("Asks, Bob Brown")).to_have_value("3")
    expect(page.get_by_label("Asks, Alice Archer")).to_have_value("")

    # With the keyboard only: type, Tab to the next number, Enter saves.
    team_asks.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("6")
    page.get_by_label("Asks, Alice Archer").focus()
    page.keyboard.type("4")
    for _ in range(4):  # Intros, Meetings, Referrals given, then Wins of alice's row
        page.keyboard.press("Tab")
    expect(page.get_by_label("Wins, Alice Archer")).to_be_focused()
    page.keyboard.type("1")
    # Bob's row emptied: he goes back to his share of the team goal.
    for field in ("Asks", "Intros", "Meetings", "Referrals given", "Wins"):
        page.get_by_label(f"{field}, Bob Brown").fill("")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text(GOALS_SAVED.format(week=monday))
    expect(team_asks).to_have_value("6")
    expect(page.get_by_label("Asks, Alice Archer")).to_have_value("4")
    expect(page.get_by_label("Asks, Bob Brown")).to_have_value("")
    goals = {goal.rep_id: goal for goal in WeeklyGoal.objects.filter(week_start=monday)}
    assert set(goals) == {None, alice.pk}
    assert (goals[None].asks, goals[None].intros, goals[None].wins) == (6, 4, 1)
    assert (goals[alice.pk].asks, goals[alice.pk].wins, goals[alice.pk].intros) == (4, 1, 0)
    screenshot(page, "manager-goals")

    # --- The dashboard, this week ------------------------------------------------------------
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Dashboard"
    ).click()
    expect(page.get_by_role("heading", name="Referral KPIs")).to_be_visible()
    against = page.get_by_role("table", name=GOALS_TABLE)
    expect(against.get_by_role("row", name=re.compile(r"^Asks "))).to_contain_text("3 6")
    expect(against.get_by_role("row", name=re.compile(r"^Wins "))).to_contain_text("1 1")
    rows = _rep_rows(page)
    expect(rows).to_have_count(2)
    # Alice's own goal; Bob's share of the team's 6 asks (two reps).
    expect(rows.nth(0)).to_contain_text(re.compile(r"Alice Archer\s+3 / 4"))
    expect(rows.nth(1)).to_contain_text(re.compile(r"Bob Brown\s+0 / 3"))
    expect(rows.nth(0)).to_contain_text("12,000")
    expect(rows.nth(1).locator(".badge")).to_have_text("5")  # bob's five thank-yous overdue
    # The top referrers and reciprocity come in once the page shows (a request of their own).
    expect(page.get_by_role("heading", name=re.compile(r"^Top referrers"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Reciprocity"))).to_be_visible()
    expect(page.get_by_text("Ranking the top referrers")).to_have_count(0)
    screenshot(page, "manager-dashboard")

    # --- Another period ----------------------------------------------------------------------
    page.get_by_role("combobox", name="Period", exact=True).select_option(label="Last 4 weeks")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=last_4_weeks"))
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value("last_4_weeks")
    expect(rows.nth(1)).to_contain_text(re.compile(r"Bob Brown\s+5"))

    # --- Sorting the rep table, by asks: up, then down ------------------------------------
    asks_heading = page.get_by_role("columnheader", name="Asks")
    asks_heading.get_by_role("link").click()
    expect(asks_heading).to_have_attribute("aria-sort", "ascending")
    expect(rows.nth(0)).to_contain_text("Alice Archer")
    asks_heading.get_by_role("link").click()
    expect(asks_heading).to_have_attribute("aria-sort", "descending")
    expect(rows.nth(0)).to_contain_text("Bob Brown")
    expect(rows.nth(1)).to_contain_text("Alice Archer")
    expect(page).to_have_url(re.compile(r"period=last_4_weeks.*sort=-asks"))

    # --- The CSV export of the table, for the period on screen ----------------------------
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export the table (CSV)").click()
    download = download_info.value
    period = kpis.named_period("last_4_weeks", today=kpis.today_for(maya), zone=zone_of(maya))
    assert download.suggested_filename == f"referral-kpis-{period.start}-{period.end}.csv"
    with open(download.path(), newline="", encoding="utf-8") as exported:
        table = list(csv.DictReader(exported))
    assert [row["Username"] for row in table] == ["alice", "bob"]
    alice_row, bob_row = table
    assert alice_row["Rep"] == "Alice Archer"
    assert (alice_row["Period start"], alice_row["Period end"]) == (
        str(period.start),
        str(period.end),
    )
    assert (alice_row["Asks"], alice_row["Intros"], alice_row["Meetings"]) == ("3", "1", "1")
    # The amount as the page writes it (the team's currency, no ".00").
    assert (alice_row["Wins"], alice_row["Won value"]) == ("1", "$12,000")
    assert (bob_row["Asks"], bob_row["Wins"], bob_row["Overdue follow-ups"]) == ("5", "0", "5")

    # --- One rep in detail ----------------------------------------------------------------
    rows.filter(has_text="Alice Archer").get_by_role("link", name="Alice Archer").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/reps/{alice.pk}/\?period=last_4_weeks"))
    expect(page).to_have_title("Alice Archer · KPIs · Warmpath")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Archer")
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value("last_4_weeks")
    referrals = page.get_by_role(
        "table", name="Referrals of Alice Archer with a step in the period"
    )
    expect(referrals.locator("tbody tr")).to_have_count(3)
    won_row = referrals.locator("tbody tr").filter(has_text="Won")
    expect(won_row).to_contain_text(str(team_work["won"].prospect))
    expect(won_row).to_contain_text("12,000")
    screenshot(page, "manager-rep-detail")

    # Back to the dashboard by the breadcrumb, the period kept.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value("last_4_weeks")
