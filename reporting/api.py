"""GET /api/v1/kpis/ and /api/v1/goals/ (DESIGN.md, JSON API contract).

/api/v1/kpis/?start=YYYY-MM-DD&end=YYYY-MM-DD[&rep=<user id>][&team=<id>] answers exactly
the contract's keys, computed by reporting.kpis (the same functions as the pages), the
period in the requesting user's time zone; start and end default to this week.
Scope, same rules as the pages:
- a rep gets their own numbers; `rep=` another user is a 404 (never their numbers);
  `team=` their own team gives the team's totals (no names in them);
- a manager gets their team's totals, `rep=` one of their reps, `team=` a team they
  manage; anyone else is a 404;
- an admin gets every team's totals unless narrowed by `team=` / `rep=`.
Bad dates, start after end or a period over three years: 400.

/api/v1/goals/: reps read their team's goals and their own (read-only, 403 on writes);
managers read and write the goals of the teams they manage; admins everything.
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Team
from accounts.visibility import NO_TEAM, managed_team_ids, team_ids
from accounts.zones import zone_of
from core import dates
from core.api_queries import refuse_unknown
from core.dates import DAY_SCHEMA
from core.problems import problem_doc
from core.serializers import ModelSerializer
from referrals import selectors as referral_selectors
from referrals.filters import GoalFilter
from referrals.models import WeeklyGoal
from reporting import kpis, services

BAD_DATE = dates.NOT_A_DATE
NOT_A_MANAGED_TEAM = "You can set goals only for a team you manage."

_goal_numbers = {key: serializers.FloatField(allow_null=True) for key in kpis.GOAL_KEYS}
KpiSerializer = inline_serializer(
    "Kpis",
    {
        "asks": serializers.IntegerField(),
        "intros": serializers.IntegerField(),
        "intros_by_quality": inline_serializer(
            "IntrosByQuality", {q: serializers.IntegerField() for q in kpis.QUALITIES}
        ),
        "meetings": serializers.IntegerField(),
        "wins": serializers.IntegerField(),
        "won_value": serializers.DecimalField(max_digits=14, decimal_places=2),
        "referrals_given": serializers.IntegerField(),
        "conversion": inline_serializer(
            "Conversion",
            {
                name: serializers.FloatField(allow_null=True)
                for name in ("ask_to_intro", "intro_to_meeting", "meeting_to_win")
            },
        ),
        "followup_on_time_rate": serializers.FloatField(allow_null=True),
        "overdue_followups": serializers.IntegerField(),
        "win_rate": inline_serializer(
            "WinRate",
            {name: serializers.FloatField(allow_null=True) for name in ("referral", "other")},
        ),
        "avg_deal": inline_serializer(
            "AvgDeal",
            {
                name: serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
                for name in ("referral", "other")
            },
        ),
        "goals": inline_serializer("KpiGoals", _goal_numbers),
        "attainment": inline_serializer("KpiAttainment", _goal_numbers),
        "referrer_confirmed_share": serializers.FloatField(
            allow_null=True,
            min_value=0,
            max_value=1,
            help_text="Of the period's intros, the share the referrer confirmed themselves "
            "with a link of the ask sent by email (null without intros).",
        ),
        "clients_asked_share": serializers.FloatField(
            allow_null=True,
            min_value=0,
            max_value=1,
            help_text="Share of the active clients asked for an introduction in the 90 days "
            "ending with the period's last day (null without clients).",
        ),
    },
)


def _date(request, name: str, default: date) -> date:
    try:
        day = dates.parse_day(request.query_params.get(name))
    except DjangoValidationError as error:
        raise ValidationError({name: error.messages}) from None
    return default if day is None else day


def _id(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise Http404(f"No such {name}.") from None
    if abs(number) >= 2**63:  # no database id is that large (the query would overflow)
        raise Http404(f"No such {name}.")
    return number


def kpi_scope(user, *, rep_id: int | None, team_id: int | None) -> kpis.Scope:
    """Whose numbers the user asked for, limited to what they may see (else 404)."""
    managed = set(managed_team_ids(user))
    member_of = set(team_ids(user))
    if team_id is not None:
        allowed = user.is_staff or team_id in member_of
        if not allowed:
            raise Http404("No such team.")
        if not user.is_staff and team_id not in managed and rep_id is None:
            # A rep may see their team's totals (no names in them).
            return kpis.Scope(team_ids=(team_id,))
    if rep_id is not None:
        # A rep's numbers, or a manager's own: a manager who sells has a row on the
        # dashboard, so the rows of the team's totals can each be read here.
        reps = Membership.objects.filter(user_id=rep_id)
        if team_id is not None:
            reps = reps.filter(team_id=team_id)
        if not user.is_staff and rep_id != user.pk:
            reps = reps.filter(team_id__in=managed)
        rep_teams = tuple(reps.values_list("team_id", flat=True))
        if not rep_teams:
            raise Http404("No such rep.")
        return kpis.Scope(team_ids=rep_teams, rep_id=rep_id)
    if team_id is not None:
        return kpis.Scope(team_ids=(team_id,))
    if user.is_staff:
        return kpis.Scope()
    if managed:
        return kpis.Scope(team_ids=tuple(sorted(managed)))
    if member_of:
        return kpis.Scope(team_ids=tuple(sorted(member_of)), rep_id=user.pk)
    raise Http404(NO_TEAM)


DAY_OR_EMPTY = {"anyOf": [DAY_SCHEMA, {"type": "string", "maxLength": 0}]}


class KpiView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", DAY_OR_EMPTY, description="First day (empty or left out: this Monday)."
            ),
            OpenApiParameter(
                "end", DAY_OR_EMPTY, description="Last day (empty or left out: today)."
            ),
            OpenApiParameter(
                "rep",
                OpenApiTypes.INT,
                description="One person's own numbers: a rep's, or a manager's who sells.",
            ),
            OpenApiParameter("team", OpenApiTypes.INT, description="One team's numbers."),
        ],
        responses={
            200: KpiSerializer,
            404: problem_doc("No such rep or team among those you may see."),
        },
    )
    def get(self, request):
        refuse_unknown(request, {"start", "end", "rep", "team"})
        today = kpis.today_for(request.user)
        start = _date(request, "start", kpis.monday(today))
        end = _date(request, "end", today)
        if start > end:
            raise ValidationError({"end": [kpis.START_AFTER_END]})
        if end - start > kpis.MAX_PERIOD:
            raise ValidationError({"end": [kpis.PERIOD_TOO_LONG]})
        scope = kpi_scope(request.user, rep_id=_id(request, "rep"), team_id=_id(request, "team"))
        period = kpis.Period(start, end, zone_of(request.user))
        numbers = kpis.kpis(scope, period)
        return Response(
            {
                **{key: numbers[key] for key in kpis.CONTRACT_KEYS},
                "referrer_confirmed_share": numbers["referrer_confirmed_share"],
                "clients_asked_share": kpis.clients_asked_share(scope, period),
            }
        )


class GoalSerializer(ModelSerializer):
    fixed_after_create = ("team", "rep", "week_start")

    class Meta:
        model = WeeklyGoal
        fields = ["id", "team", "rep", "week_start", *kpis.GOAL_KEYS]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and "team" in fields and not fields["team"].read_only:
            fields["team"].queryset = (
                Team.objects.all()
                if user.is_staff
                else Team.objects.filter(pk__in=managed_team_ids(user))
            )
        return fields


class IsManagerOrReadOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_staff or bool(managed_team_ids(request.user))


class GoalViewSet(viewsets.ModelViewSet):
    serializer_class = GoalSerializer
    permission_classes = [permissions.IsAuthenticated, IsManagerOrReadOnly]
    filterset_class = GoalFilter  # the goals page's too
    ordering_fields = ["week_start"]
    ordering = ["-week_start", "pk"]

    queryset = WeeklyGoal.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WeeklyGoal.objects.none()
        return referral_selectors.goals_for_user(self.request.user)

    def get_object(self):
        goal = super().get_object()
        # A rep may read a goal, never change it; a manager only their teams'.
        if self.request.method not in permissions.SAFE_METHODS and not (
            self.request.user.is_staff or goal.team_id in managed_team_ids(self.request.user)
        ):
            raise Http404("No such goal.")
        return goal

    def _save(self, serializer, *, team, rep, week_start):
        values = {key: serializer.validated_data.get(key, 0) for key in kpis.GOAL_KEYS}
        if serializer.instance is not None:
            values = {
                key: serializer.validated_data.get(key, getattr(serializer.instance, key))
                for key in kpis.GOAL_KEYS
            }
        try:
            serializer.instance = services.goal_set(
                team=team, rep=rep, week_start=week_start, **values
            )
        except DjangoValidationError as error:
            raise ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from None

    def perform_create(self, serializer):
        data = serializer.validated_data
        self._save(
            serializer, team=data["team"], rep=data.get("rep"), week_start=data["week_start"]
        )

    def perform_update(self, serializer):
        goal = serializer.instance
        self._save(serializer, team=goal.team, rep=goal.rep, week_start=goal.week_start)

    def perform_destroy(self, instance):
        services.goal_delete(goal=instance)
