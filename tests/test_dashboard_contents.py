"""What the manager dashboard shows (issue 6, "The manager dashboard"): the per-rep table's
columns, each rep linking to their detail, sorting by every column, every chart with its
table, assets served locally (no CDN), the period picker's messages, and a formula-safe
export of the table.

The data (custom period Monday 3 to Sunday 9 March 2025, times UTC):
  alice  3 asks on 4 March, all confirmed (good); one met on 5 and won on 6 (100);
         thank-yous: one on time, one late, one skipped; a status report overdue
  bob    1 ask on 5 March, confirmed (better), met and won on 7 (500); his thank-you on
         time; 2 introductions given on 5 March
  carol  (a third rep) nothing: her on-time rate has no data
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders

from accounts.models import Membership
from dashboard.forms import CUSTOM_NEEDS_DATES
from dashboard.views import SORT_COLUMNS
from reporting.kpis import PERIOD_TOO_LONG, START_AFTER_END
from tests.factories import (
    ClientFactory,
    FollowUpFactory,
    MembershipFactory,
    ReferralFactory,
    ReferralGivenFactory,
    UserFactory,
)

# Calendar-sensitive: .ci/run also runs these at hostile moments (tests/clock.py).
pytestmark = pytest.mark.dates

UTC = ZoneInfo("UTC")
PERIOD = "period=custom&start=2025-03-03&end=2025-03-09"


def at(day, hour=10):
    return datetime(2025, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def carol(acme):
    return MembershipFactory(
        team=acme,
        role=Membership.Role.REP,
        user=UserFactory(username="carol", first_name="Carol", time_zone="UTC"),
    ).user


@pytest.fixture
def week(acme, alice, bob, carol, maya):
    for user in (alice, bob, maya):
        user.time_zone = "UTC"
        user.save(update_fields=["time_zone"])
    rita = ClientFactory(team=acme, owner=alice, first_name="Rita", last_name="Ready")
    asks = [
        ReferralFactory(
            referrer=rita,
            quality="good",
            asked_at=at(4),
            confirmed_at=at(4, 12),
            status="confirmed",
        )
        for _ in range(3)
    ]
    won = asks[0]
    won.meeting_at, won.won_at, won.status, won.value = at(5), at(6), "won", Decimal("100")
    won.save()
    FollowUpFactory(referral=asks[0], due_at=at(5), status="done", done_at=at(5))
    FollowUpFactory(referral=asks[1], due_at=at(5), status="done", done_at=at(6))
    FollowUpFactory(referral=asks[2], due_at=at(5), status="skipped", done_at=at(5))
    FollowUpFactory(referral=asks[2], kind="status_report", due_at=at(8))  # overdue now

    otto = ClientFactory(team=acme, owner=bob, first_name="Otto", last_name="Open")
    bobs = ReferralFactory(
        referrer=otto, quality="better", asked_at=at(5), confirmed_at=at(5, 12),
        meeting_at=at(6), won_at=at(7), status="won", value=Decimal("500"),
    )  # fmt: skip
    FollowUpFactory(referral=bobs, due_at=at(6), status="done", done_at=at(6))
    ReferralGivenFactory(client=otto, given_on=date(2025, 3, 5))
    ReferralGivenFactory(client=otto, given_on=date(2025, 3, 5))


def test_the_per_rep_table_has_every_column_and_links_each_rep(maya_client, week, alice, bob,
                                                                 carol):  # fmt: skip
    response = maya_client.get(f"/dashboard/?{PERIOD}")
    page = response.content.decode()

    headings = re.findall(r'<th scope="col"[^>]*><a href="[^"]*sort=-?(\w+)">([^<]+)</a>', page)
    assert [key for key, _heading in headings] == [
        "name", "asks", "intros", "good", "better", "best", "meetings", "wins", "won_value",
        "referrals_given", "on_time", "overdue",
    ]  # fmt: skip
    rows = {row.user.username: row.numbers for row in response.context["reps"]}
    assert {
        name: (
            n["asks"], n["intros"], n["intros_by_quality"], n["meetings"], n["wins"],
            n["won_value"], n["referrals_given"], n["followup_on_time_rate"],
            n["overdue_followups"],
        )
        for name, n in rows.items()
    } == {
        "alice": (3, 3, {"good": 3, "better": 0, "best": 0}, 1, 1, "100.00", 0, 0.5, 1),
        "bob": (1, 1, {"good": 0, "better": 1, "best": 0}, 1, 1, "500.00", 2, 1.0, 0),
        "carol": (0, 0, {"good": 0, "better": 0, "best": 0}, 0, 0, "0.00", 0, None, 0),
    }  # fmt: skip
    for rep in (alice, bob, carol):
        assert f'href="/dashboard/reps/{rep.pk}/?{PERIOD}"' in page.replace("&amp;", "&")
    assert maya_client.get(f"/dashboard/reps/{bob.pk}/?{PERIOD}").status_code == 200


@pytest.mark.parametrize("key", list(SORT_COLUMNS))
def test_every_column_sorts_both_ways_rates_without_data_last(maya_client, week, key):
    value = SORT_COLUMNS[key][1]
    for sort, descending in ((key, False), (f"-{key}", True)):
        response = maya_client.get(f"/dashboard/?{PERIOD}&sort={sort}")
        assert response.context["sort"] == sort
        values = [value(row) for row in response.context["reps"]]
        known = [v for v in values if v is not None]
        assert known == sorted(known, reverse=descending), (sort, values)
        assert values[len(known) :] == [None] * (len(values) - len(known)), "no data: last"
        assert f'aria-sort="{"descending" if descending else "ascending"}"' in (
            response.content.decode()
        )


def test_sorting_by_won_value_and_on_time_rate(maya_client, week):
    def order(sort):
        reps = maya_client.get(f"/dashboard/?{PERIOD}&sort={sort}").context["reps"]
        return [row.user.username for row in reps]

    assert order("-won_value") == ["bob", "alice", "carol"]
    assert order("on_time") == ["alice", "bob", "carol"]  # 50 %, 100 %, no data
    assert order("-on_time") == ["bob", "alice", "carol"]
    assert order("-referrals_given")[0] == "bob"
    assert order("-overdue")[0] == "alice"


CHARTS = {
    "trend-heading": "the 12-week trend of asks, intros and wins",
    "funnel-heading": "the funnel ask → intro → meeting → win",
    "quality-heading": "the intro-quality mix and its conversion by quality",
    "advantage-heading": "referral vs other sources: win rate and average deal",
    "referrers-heading": "top referrers",
    "reciprocity-heading": "reciprocity, given vs received per client",
}


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'aria-labelledby="{heading_id}"')
    return page[start : page.index("</section>", start)]


def _with_referrers_panel(client, query: str) -> str:
    """The dashboard as a browser shows it: the page, then the top referrers' panel that
    the page asks for once it shows (htmx), swapped in where the page says."""
    page = client.get(f"/dashboard/?{query}").content.decode()
    asks_for = re.search(
        r'<div id="referrers-panel"[^>]*hx-get="([^"]+)"[^>]*>.*?</div>', page, re.S
    )
    panel = client.get(asks_for.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert panel.status_code == 200
    return page[: asks_for.start()] + panel.content.decode() + page[asks_for.end() :]


def test_every_chart_has_its_table(maya_client, week):
    page = _with_referrers_panel(maya_client, PERIOD)

    for heading_id, what in CHARTS.items():
        section = _section(page, heading_id)
        assert "<svg" in section and 'role="img"' in section, what
        assert "<table" in section, f"{what}: no table behind the chart"
    # The numbers behind them.
    funnel = _section(page, "funnel-heading")
    for step, count in (
        ("Asked in the period", 4), ("Of those, introduced", 4), ("Of those, met", 2),
        ("Of those, won", 2),
    ):  # fmt: skip
        assert f'<th scope="row">{step}</th><td>{count}</td>' in funnel
    reciprocity = _section(page, "reciprocity-heading")
    assert "Otto Open" in reciprocity and "Rita Ready" in reciprocity
    assert "<td>+1</td>" in reciprocity  # Otto: we gave 2, he gave us 1 intro
    assert "<td>-3</td>" in reciprocity  # Rita: 3 intros, nothing given back
    quality = _section(page, "quality-heading")
    assert "<td>1 (100%)</td>" in quality  # bob's better intro met and won
    # The trend's key draws each series' line as the chart does (intros a wide band,
    # wins dashed), so lines that meet, or a reader who cannot tell the colours apart,
    # still tell them apart.
    trend = _section(page, "trend-heading")
    for series in ("asks", "intros", "wins"):
        assert trend.count(f'class="chart-line chart-{series}"') == 2, series  # chart, key


def test_the_rep_detail_charts_have_their_tables(maya_client, week, alice):
    page = maya_client.get(f"/dashboard/reps/{alice.pk}/?{PERIOD}").content.decode()

    for heading_id in ("trend-heading", "funnel-heading", "quality-heading", "advantage-heading"):
        section = _section(page, heading_id)
        assert "<svg" in section and "<table" in section, heading_id


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/reps/{alice}/", "/week/"])
def test_charts_and_assets_work_offline(maya_client, alice_client, week, alice, url):
    viewer = alice_client if url == "/week/" else maya_client
    page = viewer.get(url.format(alice=alice.pk)).content.decode()

    assets = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert assets
    for asset in assets:
        assert not re.match(r"(?:https?:)?//", asset), f"{asset}: served from elsewhere"
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset}: not installed"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&start=2025-03-09&end=2025-03-03", START_AFTER_END),
        ("period=custom&start=2025-03-03", CUSTOM_NEEDS_DATES),
        ("period=custom", CUSTOM_NEEDS_DATES),
        ("period=custom&start=2020-01-01&end=2025-03-03", PERIOD_TOO_LONG),
        ("period=custom&start=nope&end=2025-03-09", "Enter a valid date."),
    ],
)
def test_a_bad_custom_period_says_what_is_wrong(maya_client, week, query, message):
    response = maya_client.get(f"/dashboard/?{query}")

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Showing this week instead." in page


def test_the_picker_offers_every_period(maya_client, week):
    page = maya_client.get("/dashboard/").content.decode()

    for value, label in [
        ("this_week", "This week"), ("last_week", "Last week"), ("last_4_weeks", "Last 4 weeks"),
        ("last_12_weeks", "Last 12 weeks"), ("this_quarter", "This quarter"),
        ("custom", "Custom"),
    ]:  # fmt: skip
        assert f'<option value="{value}"' in page and label in page
    assert 'type="date" name="start"' in page and 'type="date" name="end"' in page


def test_the_table_export_is_formula_safe(maya_client, week, carol):
    carol.first_name, carol.last_name = '=HYPERLINK("http://x")', "@evil"
    carol.save()

    response = maya_client.get(f"/dashboard/export/reps.csv?{PERIOD}")
    body = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(body)))

    by_user = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_user["carol"]["Rep"].startswith("'=")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    # What a person reads in a spreadsheet: a percentage, an amount in the team's currency.
    assert by_user["alice"]["Thank-yous on time"] == "50%"
    assert by_user["carol"]["Thank-yous on time"] == ""
    assert (by_user["bob"]["Won value"], by_user["bob"]["Referrals given"]) == ("$500", "2")


# --- Chart geometry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (None, "—"),
        (0, "0"),
        (24000, "24,000"),
        (12000.0, "12,000"),
        (33.333, "33.3"),
        (100.0, "100"),
    ],
)
def test_chart_values_read_like_the_tables(value, label):
    from dashboard.charts import number_label

    assert number_label(value) == label


def test_the_trend_stays_inside_its_box_and_names_its_weeks():
    import datetime

    from dashboard.charts import HEIGHT, WIDTH, trend_lines

    start = datetime.date(2026, 9, 7)
    trend = [
        {"week_start": start + datetime.timedelta(weeks=i), "asks": i, "intros": 0, "wins": 1}
        for i in range(12)
    ]
    chart = trend_lines(trend)
    for line in chart["lines"]:
        assert len(line["dots"]) == 12
        for dot in line["dots"]:
            # The last week's dot is not on the edge, where half of it would be cut.
            assert 0 < dot["x"] < WIDTH and 0 < dot["y"] <= HEIGHT
    assert chart["top"] == 11
    assert [week["week_start"] for week in chart["weeks"]] == [
        trend[0]["week_start"],
        trend[6]["week_start"],
        trend[11]["week_start"],
    ]


def test_the_referrers_panel_is_of_the_dashboards_period_and_team(maya_client, week, acme):
    """The panel is ranked over the period (and team) the dashboard shows; the page links
    to it for a browser without JavaScript, where it is a page of its own."""
    page = maya_client.get(f"/dashboard/?{PERIOD}&team={acme.pk}").content.decode()
    link = (
        re.search(r'hx-get="(/dashboard/referrers/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    )
    assert PERIOD in link and f"team={acme.pk}" in link
    assert f'href="{link.replace("&", "&amp;")}"' in page  # the same, as a plain link

    fragment = maya_client.get(link, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    assert fragment.context["period"] == maya_client.get(f"/dashboard/?{PERIOD}").context["period"]
    assert {row["name"] for row in fragment.context["reciprocity"]} == {"Otto Open", "Rita Ready"}

    whole = maya_client.get(link).content.decode()
    assert "<html" in whole and "Top referrers and reciprocity, 3 Mar 2025 – 9 Mar 2025" in whole
    assert (
        f'href="/dashboard/?{PERIOD.replace("&", "&amp;")}' in whole
    )  # back to the same dashboard


def test_the_referrers_panel_is_for_managers_of_the_team(alice_client, week):
    assert alice_client.get(f"/dashboard/referrers/?{PERIOD}").status_code == 404
