"""The OpenAPI schema, the vendored docs page, throttling, and a schemathesis run.

The schemathesis run generates a few requests per GET and POST operation (bounded,
derandomized, as a superuser with a token) and checks that none gives a server
error and every response matches the schema (status code, content type, body).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from synapse.settings import REST_FRAMEWORK
from tests.factories import (
    ContractFactory,
    EmployeeFactory,
    ProjectFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RESOURCES = (
    "clients",
    "contracts",
    "projects",
    "project-progress",
    "project-expenses",
    "downtime",
    "employees",
    "time-entries",
    "tickets",
    "ticket-pauses",
    "ticket-events",
    "survey-invitations",
    "survey-responses",
    "kpi-snapshots",
)


def test_schema_lists_every_endpoint_with_its_errors(api):
    response = api("boss").get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in paths
        listed = paths[f"/api/v1/{resource}/"]["get"]
        assert {"200", "400", "401", "403", "404", "429"} <= set(listed["responses"])
    live = paths["/api/v1/kpis/"]["get"]
    assert [p["name"] for p in live["parameters"]] == ["end", "scope", "start"]
    assert paths["/api/v1/clients/{code}/"]["delete"]["responses"].keys() >= {"204", "409"}


def test_schema_and_docs_need_a_signed_in_user(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code in (401, 403)


def test_docs_page_serves_vendored_swagger_ui(client):
    user = UserFactory(username="reader")
    client.force_login(user)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # Nothing is loaded from another host (drf-spectacular's default is a CDN).
    assert "jsdelivr" not in html
    assert 'src="http' not in html
    assert 'href="http' not in html
    redoc = client.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc


def test_user_rate_is_throttled(api):
    rates = {"anon": "2/minute", "user": "3/minute"}
    with override_settings(REST_FRAMEWORK={**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        boss = api("boss")
        statuses = [boss.get("/api/v1/clients/").status_code for _ in range(4)]
        throttled = boss.get("/api/v1/clients/")
        # Another user has their own allowance.
        other = api("sam").get("/api/v1/clients/").status_code
    assert statuses == [200, 200, 200, 429]
    assert throttled.json()["detail"].startswith("Request was throttled.")
    assert other == 200


# Schemathesis, against the schema drf-spectacular generates (as /api/schema/ serves it).
# The coverage phase (hundreds of boundary cases per operation) is left out to keep the
# run bounded: 5 generated examples per operation, positive and negative.
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
schema.app = get_wsgi_application()


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Keep the test's database connection open across WSGI requests.

    Django's own test client does the same: a real WSGI request ends by closing
    connections that are not in autocommit mode, which would close PostgreSQL's
    connection inside the test transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def root_token(db, wsgi_keeps_the_test_connection):
    """Return a superuser's token, with a few records for the generated calls to hit."""
    project = ProjectFactory(code="P1")
    ContractFactory(code="MS-1", client=project.client)
    employee = EmployeeFactory(user=UserFactory(username="sam"))
    TimeEntryFactory(entry_id="E1", employee=employee, project=project)
    TicketFactory(ref="T-1", client=project.client, assignee=employee)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return Token.objects.create(user=root).key


@schema.include(method=["GET", "POST"]).parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, root_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {root_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
