"""Pages of the referral KPIs: the manager dashboard, a rep's detail, weekly goals, CSV
exports. Thin: the numbers come from reporting.kpis, goal writes from reporting.services.

Who sees what: a manager sees the teams they manage (one at a time, `team=` picks which);
admins (staff) see every team together or one; a rep sees only their own numbers (their
own detail page and goals) — anything else is a 404.
"""

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, Team
from accounts.visibility import managed_team_ids, working_membership
from core import dates, money
from core.csv_safety import Echo, safe_cell
from core.money import format_money
from dashboard import charts
from dashboard.forms import GoalForm, PeriodForm
from exports.views import attachment, export_answer
from referrals import selectors as referral_selectors
from referrals.filters import GoalFilter
from reporting import kpis, services
from reporting.exports import REFERRALS, reps_export_rows

PAGE_SIZE = 25
GOALS_SAVED = "The goals for the week of {week:%-d %B %Y} are saved."
GOALS_COPIED = "{count} goals copied from the week before."
NOTHING_TO_COPY = "There were no goals for the week before to copy."
GOALS_NOT_SAVED = "Nothing was saved: correct the numbers marked below (whole numbers, 0 or more)."
WEEK_REFUSED = "Week: {reason} Showing this week instead."
WEEK_REFUSED_NOTHING_SAVED = "Nothing was saved. Week: {reason}"

# The per-rep table's columns: sort key → (heading, value of a row).
SORT_COLUMNS = {
    "name": ("Rep", lambda row: str(row.user).lower()),
    "asks": ("Asks", lambda row: row.numbers["asks"]),
    "intros": ("Intros", lambda row: row.numbers["intros"]),
    "good": ("Good", lambda row: row.numbers["intros_by_quality"]["good"]),
    "better": ("Better", lambda row: row.numbers["intros_by_quality"]["better"]),
    "best": ("Best", lambda row: row.numbers["intros_by_quality"]["best"]),
    "meetings": ("Meetings", lambda row: row.numbers["meetings"]),
    "wins": ("Wins", lambda row: row.numbers["wins"]),
    "won_value": ("Won value", lambda row: float(row.numbers["won_value"])),
    "referrals_given": ("Given", lambda row: row.numbers["referrals_given"]),
    "on_time": ("Follow-ups on time", lambda row: row.numbers["followup_on_time_rate"]),
    "overdue": ("Overdue", lambda row: row.numbers["overdue_followups"]),
}


# What each column counts (reporting.definitions), behind the "?" of its heading.
COLUMN_DEFINITIONS = {
    "asks": "asks", "intros": "intros", "meetings": "meetings", "wins": "wins",
    "won_value": "won_value", "referrals_given": "referrals_given", "on_time": "on_time",
    "overdue": "overdue",
}  # fmt: skip


def _int_or_none(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) < 2**63 else None  # else the query would overflow (a 500)


def dashboard_team_ids(request) -> tuple[int, ...] | None:
    """The teams whose dashboard the user may see, narrowed by ?team=: None means every
    team (admins only). A rep, or a team the user does not manage, is a 404."""
    wanted = _int_or_none(request.GET.get("team"))
    if request.user.is_staff:
        return (wanted,) if wanted else None
    managed = managed_team_ids(request.user)
    if not managed:
        raise Http404("The dashboard is for managers.")
    if wanted:
        if wanted not in managed:
            raise Http404("No such team.")
        return (wanted,)
    membership = request.membership
    if membership and membership.is_manager:
        return (membership.team_id,)
    return (managed[0],)


def _team_money(request, team_ids):
    """Amounts of the dashboard in the currency of the team shown (one query only when it
    is not the team the user works in); several teams together keep the site's default."""
    membership = request.membership
    if team_ids and len(team_ids) == 1:
        if membership and membership.team_id == team_ids[0]:
            currency = membership.team.currency
        else:
            currency = Team.objects.filter(pk=team_ids[0]).values_list("currency", flat=True)
            currency = next(iter(currency), None)
    else:
        currency = money.default_currency()
    return money.override(currency=currency, language=getattr(request.user, "language", None))


def _sorted(rows, sort: str):
    key = sort.lstrip("-")
    if key not in SORT_COLUMNS:
        key, sort = "name", "name"
    value = SORT_COLUMNS[key][1]
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]  # rates without data: last
    present.sort(key=value, reverse=sort.startswith("-"))
    return present + missing, sort


def _teams_for_picker(request, team_ids):
    if request.user.is_staff:
        return list(Team.objects.order_by("name"))
    managed = managed_team_ids(request.user)
    if len(managed) < 2:
        return []
    return list(Team.objects.filter(pk__in=managed).order_by("name"))


def _chart_context(totals: dict, trend: list[dict]) -> dict:
    funnel = totals["funnel"]
    return {
        "trend_chart": charts.trend_lines(trend),
        "funnel_chart": charts.horizontal_bars(
            # The asks of the period and how far they have got: not "Meetings" (held
            # in the period), hence "of those" (reporting.definitions, "funnel").
            [
                ("Asked in the period", funnel["asked"]),
                ("Of those, introduced", funnel["confirmed"]),
                ("Of those, met", funnel["meeting"]),
                ("Of those, won", funnel["won"]),
            ]
        ),
        "quality_chart": charts.horizontal_bars(
            [(row["label"], row["intros"]) for row in totals["quality"]]
        ),
        "win_rate_chart": charts.horizontal_bars(
            [
                ("Referral", _percent(totals["win_rate"]["referral"])),
                ("Other sources", _percent(totals["win_rate"]["other"])),
            ]
        ),
        "avg_deal_chart": charts.horizontal_bars(
            [
                ("Referral", _float(totals["avg_deal"]["referral"])),
                ("Other sources", _float(totals["avg_deal"]["other"])),
            ],
            display=format_money,
        ),
    }


def _referrer_charts(referrers: kpis.Referrers) -> dict:
    return {
        "referrers_chart": charts.horizontal_bars(
            [(row["name"], row["intros"]) for row in referrers.top]
        ),
        "reciprocity_chart": charts.paired_bars(
            [(row["name"], row["given"], row["received"]) for row in referrers.reciprocity]
        ),
    }


def _percent(value):
    return None if value is None else round(value * 100, 1)


def _float(value):
    return None if value is None else float(value)


def goal_rows(totals_or_numbers: dict) -> list[dict]:
    """Goal vs actual per measure, for progress bars (<progress>, no style attribute)."""
    labels = {
        "asks": "Asks",
        "intros": "Intros",
        "meetings": "Meetings",
        "referrals_given": "Referrals given",
        "wins": "Wins",
    }
    rows = []
    for key, label in labels.items():
        goal = totals_or_numbers["goals"][key]
        actual = totals_or_numbers[key]
        rows.append(
            {
                "key": key,
                "label": label,
                "actual": actual,
                "goal": goal,
                "attainment": totals_or_numbers["attainment"][key],
                "bar_max": max(float(goal or 0), float(actual), 1),
            }
        )
    return rows


def _period_query(request, form: PeriodForm, team_ids) -> str:
    """The query string of the period shown, and of the team picked, for links."""
    team_query = f"&team={team_ids[0]}" if team_ids and "team" in request.GET else ""
    return form.query_string() + team_query


def manager_dashboard(request):
    team_ids = dashboard_team_ids(request)
    with _team_money(request, team_ids):
        return _manager_dashboard(request, team_ids)


def _manager_dashboard(request, team_ids):
    form = PeriodForm(request.GET or None)
    period = form.period_for(request.user)
    totals, reps = kpis.team_table(team_ids, period, with_trend=True)
    reps, sort = _sorted(reps, request.GET.get("sort", "name"))
    scope = kpis.Scope(team_ids=team_ids)
    trend = totals["trend"]
    return render(
        request,
        "dashboard/manager_dashboard.html",
        {
            "form": form,
            "period": period,
            "period_query": _period_query(request, form, team_ids),
            "team_ids": team_ids,
            "team": request.membership.team
            if request.membership and team_ids == (request.membership.team_id,)
            else None,
            "teams": _teams_for_picker(request, team_ids),
            "totals": totals,
            "goal_rows": goal_rows(totals),
            "reps": reps,
            "sort": sort,
            "columns": [
                (key, heading, COLUMN_DEFINITIONS.get(key))
                for key, (heading, _value) in SORT_COLUMNS.items()
            ],
            "trend": trend,
            "clients_asked_share": kpis.clients_asked_share(scope, period),
            **_chart_context(totals, trend),
        },
    )


def manager_referrers(request):
    """The dashboard's top referrers and reciprocity, for the same teams and period: a
    request of their own, which the dashboard makes once it shows (htmx), as they are
    ranked from the period's intros themselves — the one part of the dashboard whose cost
    grows with the team's activity, where the rest reads the rollups. Without JavaScript,
    the dashboard links here: the same panel as a page."""
    team_ids = dashboard_team_ids(request)
    form = PeriodForm(request.GET or None)
    period = form.period_for(request.user)
    referrers = kpis.referrers(kpis.Scope(team_ids=team_ids), period)
    return render(
        request,
        "dashboard/_referrers.html" if request.htmx else "dashboard/referrers.html",
        {
            "period": period,
            "period_query": _period_query(request, form, team_ids),
            "top_referrers": referrers.top,
            "reciprocity": referrers.reciprocity,
            **_referrer_charts(referrers),
        },
    )


def _rep_memberships_visible(request, user_id: int) -> list[Membership]:
    if user_id >= 2**63:  # no database id is that large (the query would overflow: a 500)
        raise Http404("No such rep.")
    # A rep's, or a manager's own numbers (a manager who sells has a row on the dashboard).
    memberships = Membership.objects.filter(user_id=user_id)
    if not request.user.is_staff and request.user.pk != user_id:
        memberships = memberships.filter(team_id__in=managed_team_ids(request.user))
    found = list(memberships.select_related("user", "team"))
    if not found:
        raise Http404("No such rep.")
    return found


def rep_detail(request, user_id: int):
    memberships = _rep_memberships_visible(request, user_id)
    rep = memberships[0].user
    team_ids = tuple(m.team_id for m in memberships)
    form = PeriodForm(request.GET or None)
    period = form.period_for(request.user)
    scope = kpis.Scope(team_ids=team_ids, rep_id=rep.pk)
    numbers = kpis.kpis(scope, period)
    trend = kpis.weekly_trend(scope, period.end, period.zone)
    page = Paginator(kpis.period_referrals(scope, period), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "dashboard/rep_detail.html",
        {
            "rep": rep,
            "teams": [m.team for m in memberships],
            "form": form,
            "period": period,
            "period_query": form.query_string(),
            "numbers": numbers,
            "clients_asked_share": kpis.clients_asked_share(scope, period),
            "goal_rows": goal_rows(numbers),
            # Whose goals the page speaks of (templates/dashboard/_goal_basis.html).
            "whose": "Your" if rep == request.user else "Their",
            "trend": trend,
            "page_obj": page,
            **_chart_context(numbers, trend),
        },
    )


# --- Goals -------------------------------------------------------------------------------


def _week_from(value) -> tuple[date, str | None]:
    """The Monday of the week asked for (any day of it), else of this week; with the reason
    when the day asked for is refused (not a date, or outside core.dates' window)."""
    try:
        day = dates.parse_day(value)
    except ValidationError as error:
        return kpis.monday(timezone.localdate()), " ".join(error.messages)
    return kpis.monday(day or timezone.localdate()), None


def goals(request):
    """A manager edits the team's goal and each rep's goal of one week; a rep reads theirs."""
    membership = working_membership(request)
    team = membership.team
    week, refused = _week_from(request.GET.get("week") or request.POST.get("week"))
    if refused and request.method == "POST":
        messages.error(request, WEEK_REFUSED_NOTHING_SAVED.format(reason=refused))
        return redirect(f"{reverse('dashboard:goals')}?week={week:%Y-%m-%d}")
    if refused:
        messages.error(request, WEEK_REFUSED.format(reason=refused))
    reps = list(
        Membership.objects.filter(team=team, role=Membership.Role.REP)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    # The goals of the week the user may read, as /api/v1/goals/?week= lists them.
    goals = list(
        GoalFilter(
            {"week": week}, queryset=referral_selectors.goals_for_user(request.user, team=team)
        ).qs
    )
    existing = {goal.rep_id: goal for goal in goals}
    url = f"{reverse('dashboard:goals')}?week={week:%Y-%m-%d}"
    if not membership.is_manager:
        own = existing.get(request.user.pk)
        team_goal = existing.get(None)
        share = None
        if own is None and team_goal is not None:
            share = kpis.goal_share(team_goal, reps=len(reps))
        return render(
            request,
            "dashboard/goals_rep.html",
            {"week": week, "team": team, "team_goal": team_goal, "own": own, "share": share,
             "previous": week - timedelta(days=7), "next": week + timedelta(days=7),
             "goals": goals},
        )  # fmt: skip

    if request.method == "POST" and request.POST.get("action") == "copy":
        count = services.goals_copy_from_previous_week(team=team, week_start=week)
        if count:
            messages.success(request, GOALS_COPIED.format(count=count))
        else:
            messages.info(request, NOTHING_TO_COPY)
        return redirect(url)

    data = request.POST if request.method == "POST" else None
    rows = [("team", None, f"Team goal ({team})", existing.get(None))] + [
        (f"rep-{m.user_id}", m.user, str(m.user), existing.get(m.user_id)) for m in reps
    ]
    forms = [
        (prefix, user, label, GoalForm(data, instance=goal, prefix=prefix))
        for prefix, user, label, goal in rows
    ]
    for _prefix, _user, _label, form in forms:
        for field in form.fields.values():
            field.required = False
    if data is not None and all(form.is_valid() for *_rest, form in forms):
        try:
            with transaction.atomic():
                for _prefix, user, _label, form in forms:
                    values = form.cleaned_data
                    if all(values.get(key) is None for key in kpis.GOAL_KEYS):
                        if form.instance.pk:
                            services.goal_delete(goal=form.instance)
                        continue
                    services.goal_set(
                        team=team,
                        rep=user,
                        week_start=week,
                        **{key: values.get(key) or 0 for key in kpis.GOAL_KEYS},
                    )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, GOALS_SAVED.format(week=week))
            return redirect(url)
    return render(
        request,
        "dashboard/goals_manager.html",
        {
            "week": week,
            "team": team,
            "goals": goals,
            "forms": forms,
            "previous": week - timedelta(days=7),
            "next": week + timedelta(days=7),
            "goal_keys": kpis.GOAL_KEYS,
            "not_saved": GOALS_NOT_SAVED if any(form.errors for *_r, form in forms) else None,
        },
    )


# --- Exports -----------------------------------------------------------------------------


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow([safe_cell(cell) for cell in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = attachment(filename)
    return response


def export_reps(request):
    """The per-rep table of the period as CSV (formula-safe; the rows are
    reporting.exports.reps_export_rows)."""
    team_ids = dashboard_team_ids(request)
    form = PeriodForm(request.GET or None)
    if refusal := form.refusal():
        return HttpResponseBadRequest(refusal, content_type="text/plain; charset=utf-8")
    period = form.period_for(request.user)
    with _team_money(request, team_ids):
        rows = reps_export_rows(team_ids=team_ids, period=period)
    return _csv_response(rows, f"referral-kpis-{period.start}-{period.end}.csv")


def export_referrals(request):
    """The raw referrals of the period (any step dated in it) as CSV, times in the
    viewer's zone: streamed at once when small, by a worker with a progress page when
    large (exports.views.export_answer; the rows are reporting.exports.referrals_export)."""
    team_ids = dashboard_team_ids(request)
    form = PeriodForm(request.GET or None)
    if refusal := form.refusal():
        return HttpResponseBadRequest(refusal, content_type="text/plain; charset=utf-8")
    period = form.period_for(request.user)
    params = {
        "team_ids": None if team_ids is None else list(team_ids),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    return export_answer(
        request,
        kind=REFERRALS,
        params=params,
        team_id=team_ids[0] if team_ids and len(team_ids) == 1 else None,
        file_name=slugify(f"referrals {period.start} {period.end}") + ".csv",
    )
