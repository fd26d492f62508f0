"""Schemathesis against the API's own OpenAPI document, with every check it has: every
operation of /api/schema/, called through the WSGI application as a signed-in rep (token
header), with schema-valid (positive) and schema-breaking (negative) data, a bounded,
derandomized number of examples each. A response must not be a server error; its status,
content type, headers and body must be the documented ones (errors included: problem
details, config.api_schema); data the schema forbids must be refused (4xx); a request
without credentials must be refused; a method the URL does not take must get 405.

The one exception, as the issue allows: *positive data acceptance* on writes. The schema
cannot say everything a write's rules refuse, so a schema-valid body may rightly get a
400 (each documented on the operation):
- an id of a record that does not exist, or is another team's (a referrer, a contact…);
- a rule across fields: a referrer who is the prospect, a relationship of a person with
  themself, a second relationship of the same pair, a goal for a rep of another team;
- a rule on one value the schema's types cannot express: a name of only spaces or
  invisible characters, an email or a name already in the team, a step to a status the
  referral cannot take from where it stands (409, accepted by the check anyway);
- an Idempotency-Key already used with another body (422): the examples share one
  database, and generated keys repeat.
Reads take one: the KPIs' period must not end before it starts nor be longer than the KPIs
allow (a rule across two parameters). Every other schema-valid query is answered 2xx (or
404 for a record or page that is not there).

Nothing is excluded. The schema is the one /api/schema/ serves, generated in-process
(drf-spectacular's generator — the endpoint itself needs a signed-in user). alice owns one
record of every kind; an even generated {id} is replaced by the id of that record, so the
detail, update, delete and action operations also meet real rows, not only 404s.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from accounts.models import Membership
from config.wsgi import application
from followups.models import Notification
from referrals import services as referral_services
from referrals.models import WeeklyGoal
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    MembershipFactory,
    ReadinessCheckFactory,
    ReferralGivenFactory,
    RelationshipFactory,
    RosterEntryFactory,
    TeamFactory,
    UserFactory,
)

MAX_EXAMPLES = 20

WRITES_REFUSE_BY_RULE = {
    "include-method-regex": "^(POST|PUT|PATCH)$",
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]
        }
    },
}
# A period must not end before it starts, nor span more than the KPIs allow: a rule across
# two parameters, which a schema cannot state.
PERIOD_RULES = {
    "include-path": "/api/v1/kpis/",
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "429"]
        }
    },
}
CONFIG = SchemathesisConfig.from_dict({"operations": [WRITES_REFUSE_BY_RULE, PERIOD_RULES]})

schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)
schema.app = application

# The id of alice's record behind each collection of the API, set by the `token` fixture.
REAL_IDS: dict[str, int] = {}


@schema.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    value = path_parameters.get("id")
    collection = context.operation.path.split("/")[3] if context.operation else ""
    if collection in REAL_IDS and isinstance(value, int) and value % 2 == 0:
        path_parameters["id"] = REAL_IDS[collection]
    return path_parameters


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request (the test
    client does not): that would close the test's transaction under it on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    """alice, a rep of Acme, with one record of every kind the API serves."""
    acme = TeamFactory(name="Acme")
    alice = UserFactory(username="alice")
    MembershipFactory(team=acme, user=alice, role=Membership.Role.REP)
    company = CompanyFactory(team=acme)
    client = ClientFactory(team=acme, owner=alice, company=company)
    prospect = ContactFactory(team=acme, owner=alice)
    referral = referral_services.referral_create(
        owner=alice, team=acme, referrer=client, prospect=prospect, reason="Schemathesis"
    )
    REAL_IDS.clear()
    REAL_IDS.update(
        {
            "companies": company.pk,
            "contacts": client.pk,
            "relationships": RelationshipFactory(between=(client, prospect)).pk,
            "roster": RosterEntryFactory(team=acme, owner=alice, prospect=prospect).pk,
            "readiness-checks": ReadinessCheckFactory(client=client, team=acme, owner=alice).pk,
            "referrals": referral.pk,
            "deals": DealFactory(contact=client, team=acme, owner=alice).pk,
            "referrals-given": ReferralGivenFactory(client=client, team=acme, owner=alice).pk,
            "followups": FollowUpFactory(
                referral=referral, due_at=timezone.now() - timedelta(hours=1)
            ).pk,
            "notifications": Notification.objects.create(user=alice, message="Hi", url="/").pk,
            "goals": WeeklyGoal.objects.create(
                team=acme, rep=alice, week_start=timezone.localdate() - timedelta(days=7)
            ).pk,
        }
    )
    return Token.objects.create(user=alice).key


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
