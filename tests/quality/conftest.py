"""Fixtures the quality tests share."""

import pytest

from procedures.models import Team
from tests.quality_factories import effective_procedure, evaluator, scorecard_in_use


@pytest.fixture
def team(supervisor, agent):
    """Maria's team, with Dewi."""
    team = Team.objects.create(name="Billing", supervisor=supervisor)
    agent.team = team
    agent.save()
    return team


@pytest.fixture
def revision(supervisor):
    return effective_procedure(supervisor, code="CC-CH-002")


@pytest.fixture
def version(revision, manager):
    return scorecard_in_use(revision, builder=evaluator("builder"), approver=manager)
