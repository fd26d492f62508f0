"""Writing a plan through the services (size ``small``, the demo): exactly what the app
would have produced, activities included."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact, ContactKind
from demo.plan import Status, TeamPlan
from followups import services as followup_services
from followups.models import FollowUp
from referrals import services as referral_services
from referrals.models import Referral, WeeklyGoal


class ServiceWriter:
    """Writes a plan through the services, one call per user action, in the order the
    actions happened: exactly what the app would hold, activities included."""

    def __init__(self, plan: TeamPlan):
        self.plan = plan
        self.users = {member.user.pk: member.user for member in plan.members}

    def write(self) -> None:
        plan, users = self.plan, self.users
        team = plan.team
        companies = [
            contact_services.company_create(
                team=team,
                name=company.name,
                industry=company.industry,
                region=company.region,
                country=company.country,
                employee_count=company.employee_count,
                revenue_band=company.revenue_band,
                website=company.website,
            )
            for company in plan.companies
        ]
        contacts = [member.contact for member in plan.members]
        for index in range(len(plan.members), len(plan.contacts)):
            draft = plan.contacts[index]
            fields = {name: getattr(draft, name) for name in contact_services.CONTACT_FIELDS}
            company_index = plan.contact_company[index]
            fields["company"] = companies[company_index] if company_index is not None else None
            owner = users[draft.owner_id]
            contacts.append(
                contact_services.contact_create(team=team, owner=owner, actor=owner, **fields)
            )
        for i, j, kind, strength, since, source, notes, creator in plan.edges:
            contact_services.relationship_create(
                contact=contacts[i],
                other=contacts[j],
                actor=users.get(creator),
                kind=kind,
                strength=strength,
                since=since,
                source=source,
                notes=notes,
            )
        for check in sorted(plan.checks, key=lambda item: item.checked_on):
            referral_services.readiness_check_record(
                owner=users[check.owner_id],
                client=contacts[check.client],
                checked_on=check.checked_on,
                went_well=check.went_well,
                could_improve=check.could_improve,
                would_take=check.would_take,
                testimonial=check.testimonial,
                may_quote=check.may_quote,
                green_light=check.green_light,
            )
        for entry in plan.roster:
            referral_services.roster_entry_create(
                owner=users[entry.owner_id],
                team=team,
                prospect=contacts[entry.prospect],
                priority=entry.priority,
                reason=entry.reason,
            )
        self._referral_events(contacts)
        for index, since in plan.conversions:
            contact = contacts[index]
            contact.refresh_from_db()
            contact_services.contact_update(
                contact=contact,
                data={"kind": ContactKind.CLIENT, "client_since": since},
                actor=users[contact.owner_id],
            )
        for deal in plan.deals:
            referral_services.deal_create(
                owner=users[deal.owner_id],
                contact=contacts[deal.contact],
                name=deal.name,
                source=deal.source,
                value=deal.value,
                outcome=deal.outcome,
                opened_on=deal.opened_on,
                closed_on=deal.closed_on,
            )
        for given in plan.given:
            referral_services.referral_given_record(
                owner=users[given.owner_id],
                client=contacts[given.client],
                given_on=given.given_on,
                introduced=contacts[given.introduced] if given.introduced is not None else None,
                introduced_name=given.introduced_name,
                note=given.note,
            )
        goals_write(plan)
        self._followups_catch_up()

    def _followups_catch_up(self) -> None:
        """A team that has used Warmpath for a while has done its follow-ups: complete
        those due more than two days ago, mostly on time, on the person's preferred
        channel. What came due since stays pending, so the demo has
        a realistic inbox (a little overdue, some due today) rather than months of it."""
        cutoff = timezone.now() - timedelta(days=2)
        # Completing a periodic update schedules the next one, which may itself be past
        # the cutoff: go round until nothing old is left (bounded).
        for _round in range(60):
            stale = list(
                FollowUp.objects.filter(
                    referral__team=self.plan.team,
                    status=FollowUp.Status.PENDING,
                    due_at__lt=cutoff,
                )
                .select_related("recipient", "referral")
                .order_by("due_at", "pk")
            )
            if not stale:
                return
            for followup in stale:
                # Most are done before they come due; about one in five a little late.
                if followup.pk % 5:
                    offset = -timedelta(hours=1 + followup.pk % 18)
                else:
                    offset = timedelta(hours=2 + followup.pk % 10)
                followup_services.followup_complete(
                    followup=followup,
                    actor=self.users[followup.owner_id],
                    channel=followup.recipient.preferred_channel,
                    at=min(followup.due_at + offset, cutoff),
                )

    def _referral_events(self, contacts: list[Contact]) -> None:
        """Asks and transitions replayed in time order, as they would have been clicked."""
        events = []
        for position, referral in enumerate(self.plan.referrals):
            events.append((referral.asked_at, position, Status.ASKED))
            events.extend((moment, position, to) for to, moment in referral.path)
        events.sort(key=lambda event: (event[0], event[1]))
        saved: dict[int, Referral] = {}
        for moment, position, to in events:
            plan = self.plan.referrals[position]
            owner = self.users[plan.owner_id]
            if to == Status.ASKED:
                saved[position] = referral_services.referral_create(
                    owner=owner,
                    team=self.plan.team,
                    referrer=contacts[plan.referrer],
                    prospect=contacts[plan.prospect],
                    asked_at=moment,
                    reason=plan.reason,
                    quality=plan.quality,
                    channel=plan.channel,
                    message=plan.message,
                    value=plan.value_at_ask,
                )
            else:
                saved[position] = referral_services.referral_transition(
                    referral=saved[position],
                    to=to,
                    at=moment,
                    value=plan.won_value if to == Status.WON else None,
                    actor=owner,
                )


def goals_write(plan: TeamPlan) -> int:
    # No goal-setting service exists yet; goals are plain rows with no side effects.
    goals = [
        WeeklyGoal(
            team=plan.team,
            rep_id=goal.rep_id,
            week_start=goal.week_start,
            asks=goal.asks,
            intros=goal.intros,
            meetings=goal.meetings,
            referrals_given=goal.referrals_given,
            wins=goal.wins,
        )
        for goal in plan.goals
    ]
    WeeklyGoal.objects.bulk_create(goals, batch_size=500)
    return len(goals)
