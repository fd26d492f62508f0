"""`make bench` checks the budgets of issue 7 and names every offender (bench/run.py's
verdicts). The measuring itself needs the large data set and runs only in `make bench`;
here the verdicts are fed figures in the shape the benches write, to show which budget
each figure is held to and that a broken one is named."""

import importlib.util
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page(median, budget, *, stable=True, queries=8, floor=5.0):
    return {
        "median_ms": median,
        "p95_ms": median * 1.2,
        "queries": queries,
        "queries_stable": stable,
        "heaviest_query_ms": floor,
        "budget_ms": budget,
    }


def within_budgets() -> dict:
    return {
        "pages": {
            "rep_home": page(70, 100),
            "contact_list_search": page(60, 100),
            "connectors_page_2_hops": page(40, 50),
            "connectors_page_3_hops": page(120, 150),
            "manager_dashboard_12_weeks": page(250, 300, floor=60),
            "kpi_api_12_weeks": page(50, 100),
        },
        "reminder_scan": {
            "due": 5000,
            "followups": 1_000_000,
            "median_ms": 1500,
            "p95_ms": 1700,
            "queries": 60,
        },
        "connectors_1_hop": {
            "typical": {"median_ms": 2, "p95_ms": 3},
            "most_connected": {"median_ms": 9, "p95_ms": 12},
        },
        "connectors_2_hops": {
            "typical": {"median_ms": 20, "p95_ms": 30},
            "most_connected": {"median_ms": 90, "p95_ms": 99},
        },
        "connectors_3_hops": {
            "typical": {"median_ms": 100, "p95_ms": 140},
            "most_connected": {"median_ms": 400, "p95_ms": 420},
        },
        "load": {
            "contact_list": {
                "rps": 80,
                "errors": 0,
                "error_kinds": [],
                "p50_ms": 300,
                "p95_ms": 600,
            },
            "rep_home": {"rps": 50, "errors": 0, "error_kinds": [], "p50_ms": 500, "p95_ms": 900},
        },
    }


def test_every_budget_held_names_no_offender(run):
    rows, offenders = run.verdicts(within_budgets())

    assert offenders == []
    names = [row[0] for row in rows]
    assert "manager_dashboard_12_weeks" in names and "kpi_api_12_weeks" in names
    assert any(name.startswith("reminder_scan (5,000 due / 1,000,000)") for name in names)
    assert any(name.startswith("load contact_list") for name in names)
    # The database's floor stands next to each page.
    dashboard = next(row for row in rows if row[0] == "manager_dashboard_12_weeks")
    assert dashboard[4] == 60
    assert "heaviest query ms" in run.table(rows)


@pytest.mark.parametrize(
    ("breaking", "offender"),
    [
        (lambda r: r["pages"]["rep_home"].update(median_ms=101), "rep_home"),
        (lambda r: r["pages"]["kpi_api_12_weeks"].update(median_ms=140), "kpi_api_12_weeks"),
        (
            lambda r: r["pages"]["manager_dashboard_12_weeks"].update(median_ms=301),
            "manager_dashboard_12_weeks",
        ),
        (lambda r: r["pages"]["connectors_page_2_hops"].update(median_ms=51), "connectors_page"),
        (lambda r: r["pages"]["connectors_page_3_hops"].update(median_ms=151), "connectors_page"),
        (
            lambda r: r["pages"]["contact_list_search"].update(queries_stable=False),
            "contact_list_search (queries vary",
        ),
        (lambda r: r["reminder_scan"].update(median_ms=2001), "reminder_scan"),
        (lambda r: r["connectors_2_hops"]["typical"].update(median_ms=51), "connectors_2_hops"),
        (lambda r: r["connectors_3_hops"]["typical"].update(median_ms=151), "connectors_3_hops"),
        (
            lambda r: r["load"]["rep_home"].update(errors=3, error_kinds=["502"]),
            "load rep_home (3 errors",
        ),
    ],
)
def test_a_broken_budget_is_named(run, breaking, offender):
    results = within_budgets()
    breaking(results)

    rows, offenders = run.verdicts(results)

    assert len(offenders) == 1
    assert offenders[0].startswith(offender)
    assert any(row[6] == "OVER" for row in rows)
