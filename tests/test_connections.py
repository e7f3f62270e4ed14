"""What every request pays at the database on PostgreSQL: the backend's health check
(sopdesk/postgresql/base.py), skipped for a connection that has just served a request and made
as Django makes it otherwise, and the per-request lookups built once (procedures/prebuilt.py)."""

import pytest
from django.db import connection, connections

from sopdesk.postgresql import base

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the site's own backend is for PostgreSQL"
)


@pytest.fixture
def checks(transactional_db, monkeypatch):
    """Every health check made, and a clock the test moves; the connection open, kept between
    requests (CONN_MAX_AGE) and last used long ago."""
    made = []
    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: made.append(True) or True)
    clock = {"now": 1000.0}
    monkeypatch.setattr(base, "_now", lambda: clock["now"])
    database = connections["default"]
    database.ensure_connection()
    monkeypatch.setattr(database, "close_at", None)
    monkeypatch.setattr(database, "_proved_at", float("-inf"))  # last used long ago
    monkeypatch.setattr(database, "health_check_done", False)
    return made, clock


def a_request() -> None:
    """What Django does around a request that reads the database."""
    connection.close_if_unusable_or_obsolete()  # request_started
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close_if_unusable_or_obsolete()  # request_finished


def test_the_site_uses_its_own_postgresql_backend():
    assert isinstance(connections["default"], base.DatabaseWrapper)


def test_a_connection_that_has_just_served_a_request_is_not_checked_again(checks):
    made, clock = checks

    a_request()
    clock["now"] += 0.2
    a_request()
    clock["now"] += 0.3
    a_request()

    assert made == [True]


def test_a_connection_idle_for_longer_than_the_window_is_checked(checks):
    made, clock = checks

    a_request()
    clock["now"] += base.BYPASS_SECONDS
    a_request()

    assert len(made) == 2


def test_a_request_that_did_not_use_the_connection_proves_nothing(checks):
    made, clock = checks
    a_request()

    clock["now"] += 5
    connection.close_if_unusable_or_obsolete()  # a request that never queried
    connection.close_if_unusable_or_obsolete()
    a_request()

    assert len(made) == 2


def test_a_request_that_ended_in_a_database_error_proves_nothing(checks):
    made, clock = checks
    a_request()
    connection.errors_occurred = True  # as Django marks it after an OperationalError

    connection.close_if_unusable_or_obsolete()  # request_finished: Django checks it now

    assert len(made) == 2
    assert connections["default"]._proved_at == 1000.0


def test_a_prebuilt_query_refuses_a_stand_in_it_cannot_find_once():
    from procedures.models import User
    from procedures.prebuilt import Prebuilt

    twice = Prebuilt(lambda pk: User.objects.filter(pk=pk) | User.objects.filter(id=pk), 0)

    with pytest.raises(ValueError, match="once"):
        twice.first(1)


@pytest.fixture
def new_connection(roles):
    """A connection of its own, so that nothing earlier prepared a statement on it."""
    connections["default"].close()


def prepared_statements() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


def test_the_persons_lookup_is_prepared_once_per_connection_and_still_counted(
    new_connection, django_assert_num_queries
):
    from procedures import page_cache
    from tests.factories import UserFactory

    person = UserFactory(role="Agent")

    with django_assert_num_queries(2) as queries:
        first, again = page_cache.person(person.pk), page_cache.person(person.pk)

    assert prepared_statements() == 1
    assert queries.captured_queries[0]["sql"].endswith(f'"procedures_user"."id" = {person.pk}')
    assert first == again == person and first.sopdesk_role_bits == page_cache.ROLE_BITS["Agent"]


def test_prepared_statements_can_be_turned_off(new_connection, settings):
    from procedures import integrations
    from tests.factories import UserFactory

    settings.SOPDESK_PREPARED_STATEMENTS = False
    key = integrations.create_key(name="Off", created_by=UserFactory(is_superuser=True))

    found = integrations.key_for(key.secret)

    assert found == key.key and prepared_statements() == 0
