import gzip
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Membership, Team, User
from contacts.models import Company, Contact, ContactKind, Industry, Relationship
from referrals.models import Deal, ReadinessCheck, Referral, ReferralGiven, RosterEntry

TEST_PASSWORD = "correct-horse-battery-staple"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(user, create, extracted, **kwargs):
        if create:
            user.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.REP


# --- The network --------------------------------------------------------------------------
# Factories write rows directly, for arranging a test; the behaviour under test goes
# through the services.


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Company {n}")
    industry = Industry.SOFTWARE
    region = "Northeast"
    country = "United States"
    employee_count = 250


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    team = factory.SubFactory(TeamFactory)
    owner = factory.SubFactory(UserFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    kind = ContactKind.PROSPECT
    company = factory.SubFactory(CompanyFactory, team=factory.SelfAttribute("..team"))


class ClientFactory(ContactFactory):
    kind = ContactKind.CLIENT


class RelationshipFactory(DjangoModelFactory):
    """Pass the two people as `between=(x, y)`; they are stored in canonical order."""

    class Meta:
        model = Relationship
        exclude = ["between"]

    between = None
    team = factory.LazyAttribute(lambda o: o.between[0].team)
    contact_a = factory.LazyAttribute(lambda o: min(o.between, key=lambda c: c.pk))
    contact_b = factory.LazyAttribute(lambda o: max(o.between, key=lambda c: c.pk))
    kind = "colleague"
    strength = 3


# --- Referral work --------------------------------------------------------------------------


class RosterEntryFactory(DjangoModelFactory):
    class Meta:
        model = RosterEntry

    prospect = factory.SubFactory(ContactFactory)
    team = factory.SelfAttribute("prospect.team")
    owner = factory.SelfAttribute("prospect.owner")
    priority = 2
    reason = "They are expanding into our market."


class ReadinessCheckFactory(DjangoModelFactory):
    class Meta:
        model = ReadinessCheck

    client = factory.SubFactory(ClientFactory)
    team = factory.SelfAttribute("client.team")
    owner = factory.SelfAttribute("client.owner")
    checked_on = factory.LazyFunction(lambda: timezone.localdate())
    green_light = True


class ReferralFactory(DjangoModelFactory):
    """An ask in status `asked`; move it on with referrals.services.referral_transition."""

    class Meta:
        model = Referral

    referrer = factory.SubFactory(ClientFactory)
    team = factory.SelfAttribute("referrer.team")
    owner = factory.SelfAttribute("referrer.owner")
    prospect = factory.SubFactory(
        ContactFactory,
        team=factory.SelfAttribute("..referrer.team"),
        owner=factory.SelfAttribute("..referrer.owner"),
    )
    asked_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    reason = "They are opening three new sites this year."
    quality = "better"
    channel = "email"


class DealFactory(DjangoModelFactory):
    class Meta:
        model = Deal

    contact = factory.SubFactory(ContactFactory)
    team = factory.SelfAttribute("contact.team")
    owner = factory.SelfAttribute("contact.owner")
    source = Deal.Source.COLD
    value = Decimal("10000")
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))


class ReferralGivenFactory(DjangoModelFactory):
    class Meta:
        model = ReferralGiven

    client = factory.SubFactory(ClientFactory)
    team = factory.SelfAttribute("client.team")
    owner = factory.SelfAttribute("client.owner")
    introduced_name = factory.Faker("name")
    given_on = factory.LazyFunction(lambda: timezone.localdate())


class FollowUpFactory(DjangoModelFactory):
    """A pending follow-up of a referral (thank the referrer, due in a day unless told).
    Pass referral=…; team, owner and recipient follow it."""

    class Meta:
        model = "followups.FollowUp"

    referral = factory.SubFactory(ReferralFactory)
    team = factory.SelfAttribute("referral.team")
    owner = factory.SelfAttribute("referral.owner")
    recipient = factory.SelfAttribute("referral.referrer")
    kind = "thank_referrer"
    occasion = factory.Sequence(lambda n: f"test:{n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class ExportJobFactory(DjangoModelFactory):
    """A background export of the team's contacts, finished: its one-row file stored
    (gzip) and ready to download. Pass team=… and owner=…; status=… and the rest to
    change it."""

    class Meta:
        model = "exports.ExportJob"

    kind = "contacts"
    params = factory.LazyAttribute(lambda job: {"team_id": job.team.pk, "filters": {}})
    file_name = "contacts.csv"
    status = "done"
    result = factory.LazyFunction(lambda: gzip.compress(b"First name\r\nAda\r\n"))
    csv_size = len(b"First name\r\nAda\r\n")
    rows_done = 1
    rows_total = 1
