"""PostgreSQL with persistent connections health-checked the way connection pools do it, and
prepared statements for the few queries every request runs.

Django's CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of every request: a whole
round trip, as much as the one query that signs a person in (bench/serve.py: a third of a
signed-in bare view). HikariCP's "alive bypass window" skips the check for a connection that
finished a request without a database error within the last half second: under load it is never
checked (it has just proved itself), after a quiet moment it is checked as before. What the
window trades: a server restarted inside that half second fails the one request that finds out,
whose error then closes the connection (Django does that after any database error), and the
next request opens a new one.

Django turns psycopg's prepared statements off (connection poolers in transaction mode lose
them). `prepared_cursor()` gives a cursor whose statements PostgreSQL parses and plans once per
connection, for the lookups every request makes (procedures/prebuilt.py): planning the person's
query cost as much as running it. Nothing else is prepared. DATABASE_PREPARED_STATEMENTS=0
(settings.SOPDESK_PREPARED_STATEMENTS) turns it off: PgBouncer in transaction mode before 1.21.
"""

import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base, operations

BYPASS_SECONDS = 0.5
# psycopg prepares a statement after this many runs; only prepared_cursor() asks for it sooner.
NEVER_BY_ITSELF = 2**31 - 1


def _now() -> float:
    return time.monotonic()


def prepared_statements() -> bool:
    return getattr(settings, "SOPDESK_PREPARED_STATEMENTS", True)


class PreparingCursor(psycopg.Cursor):
    """Server-side binding; every statement prepared on its first run."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # Django reads the query a client-side cursor sent; a prepared one sent placeholders.
        if isinstance(cursor, PreparingCursor):
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _proved_at = float("-inf")

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if prepared_statements() and connection.prepare_threshold is None:
            connection.prepare_threshold = NEVER_BY_ITSELF
        return connection

    def prepared_cursor(self):
        """A cursor like cursor()'s (health check, error wrapping, counted in tests and debug
        logs) whose statements are prepared once per connection; a plain one when prepared
        statements are off."""
        if not prepared_statements():
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(PreparingCursor(self.connection))

    def close_if_unusable_or_obsolete(self):
        # Called as every request starts and ends. A request that used the connection (its
        # first cursor set health_check_done) and raised no database error proved it usable.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self._proved_at = _now()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and _now() - self._proved_at < BYPASS_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
