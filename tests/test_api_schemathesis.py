"""Schemathesis against the API's own OpenAPI document: every operation of /api/schema/,
called through the WSGI application as a signed-in rep (token header), with a bounded,
derandomized number of generated examples each. Every response must not be a server
error, must have a documented content type and, where its status is documented, a body
that conforms to the schema.

Nothing is excluded. The schema is the one /api/schema/ serves, generated in-process
(drf-spectacular's generator — the endpoint itself needs a signed-in user).
"""

from __future__ import annotations

import pytest
import schemathesis
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
from tests.factories import (
    ClientFactory,
    CompanyFactory,
    ContactFactory,
    MembershipFactory,
    RelationshipFactory,
    TeamFactory,
    UserFactory,
)

MAX_EXAMPLES = 20

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture
def token(db):
    """alice, a rep of Acme with a few records (ids 1… exist, so some cases hit them)."""
    acme = TeamFactory(name="Acme")
    alice = UserFactory(username="alice")
    MembershipFactory(team=acme, user=alice, role=Membership.Role.REP)
    company = CompanyFactory(team=acme)
    client = ClientFactory(team=acme, owner=alice, company=company)
    RelationshipFactory(between=(client, ContactFactory(team=acme, owner=alice)))
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
