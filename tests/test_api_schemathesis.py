"""Schemathesis against the API's own OpenAPI document: every operation of /api/schema/,
called through the WSGI application as a signed-in rep (token header), with a bounded,
derandomized number of generated examples each. Every response must not be a server
error, must have a documented content type and, where its status is documented, a body
that conforms to the schema.

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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

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

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

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
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
