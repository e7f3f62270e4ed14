"""Schemathesis against the API's own OpenAPI document, in-process on the test database: every
operation, with data that fits the schema and data that does not, with a key of each scope and
an agent's session. No server error, no answer that breaks the schema."""

import os

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from procedures import integrations, workflow
from procedures.models import CallReason, Team
from procedures.steps import StepData
from tests.factories import make_effective, new_procedure, save, sign

# Per operation and mode, each sent with every caller. Derandomized: CI tries the same cases on
# every run (a longer hunt: SOPDESK_SCHEMATHESIS_EXAMPLES=500 SOPDESK_SCHEMATHESIS_RANDOM=1).
EXAMPLES = int(os.environ.get("SOPDESK_SCHEMATHESIS_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("SOPDESK_SCHEMATHESIS_RANDOM") != "1"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
]


@pytest.fixture
def in_process():
    """Requests served in the test's own transaction, as Django's test client does it: the
    end of a request must not close the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, in_process, settings, controller, supervisor, approver, agent):
    settings.ALLOWED_HOSTS = ["*"]
    cache.clear()
    team = Team.objects.create(name="Billing", supervisor=supervisor)
    agent.team = team
    agent.save()
    effective = make_effective(
        save(
            new_procedure(owner=supervisor, code="CC-E", step_format="FLOWCHART"),
            step_format="FLOWCHART",
            steps=[
                StepData("q", "Verified?", kind="DECISION", yes="a", no="b"),
                StepData("a", "Refund.", kind="END"),
                StepData("b", "Verify.", kind="END"),
            ],
        ),
        approver,
    )
    save(new_procedure(owner=supervisor, code="CC-D"))
    withdrawn = make_effective(save(new_procedure(owner=supervisor, code="CC-W")), approver)
    workflow.request_withdrawal(procedure=withdrawn.procedure, actor=supervisor, reason="Old.")
    sign(withdrawn, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    CallReason.objects.create(code="REFUND").procedures.add(effective.procedure)
    from sopdesk.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    return schema


@pytest.fixture
def credentials(api_schema, controller, agent, client):
    def bearer(**scopes) -> dict:
        created = integrations.create_key(
            name=f"schemathesis {sorted(scopes)}",
            created_by=controller,
            requests_per_minute=1_000_000,
            **scopes,
        )
        return {"Authorization": f"Bearer {created.secret}"}

    client.force_login(agent)
    return [
        bearer(read_manual=True),
        bearer(read_manual=False, read_reading=True),
        bearer(read_manual=False, act_for_agents=True),
        {"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_schema(api_schema, credentials, mode):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 13

    for operation in operations:

        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=DERANDOMIZE,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def keeps_to_it(case):
            for headers in credentials:
                case.call_and_validate(headers=headers, checks=CHECKS)

        keeps_to_it()
