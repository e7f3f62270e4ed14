import pytest
from django.contrib.auth.models import Group

from procedures.permissions import ROLES
from tests import factories
from tests.factories import UserFactory


@pytest.fixture
def roles(transactional_db):
    """The role groups, for tests that commit: those flush every table afterwards, data
    migrations included, so the groups are created again."""
    for name in ROLES:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", first_name="Dewi", last_name="Lestari", role="Agent")


@pytest.fixture
def supervisor(db):
    return UserFactory(
        username="supervisor", first_name="Maria", last_name="Santos", role="Supervisor"
    )


@pytest.fixture
def supervisor2(db):
    return UserFactory(
        username="supervisor2", first_name="Bence", last_name="Kovács", role="Supervisor"
    )


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="James", last_name="Okafor", role="Manager")


@pytest.fixture
def controller(db):
    return UserFactory(
        username="controller",
        first_name="Priya",
        last_name="Raman",
        role="Document controller",
        is_staff=True,
    )


@pytest.fixture
def evaluator(db):
    return UserFactory(
        username="evaluator", first_name="Anna", last_name="Szabó", role="Quality evaluator"
    )


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request as a person who reads Hungarian leaves
    Hungarian active in the thread (as a server's next request would reset it)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (rolled-back rows reuse their ids)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def approver(db):
    """The manager who approves, unless a test needs another (the factories' default too)."""
    return factories.manager("approver")


@pytest.fixture
def second_approver(db):
    return factories.manager("approver2")
