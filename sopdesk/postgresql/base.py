"""PostgreSQL with persistent connections health-checked the way connection pools do it.

Django's CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of every request: a whole
round trip, as much as the one query that signs a person in (bench/serve.py: a third of a
signed-in bare view). HikariCP's "alive bypass window" skips the check for a connection that
finished a request without a database error within the last half second: under load it is never
checked (it has just proved itself), after a quiet moment it is checked as before. What the
window trades: a server restarted inside that half second fails the one request that finds out,
whose error then closes the connection (Django does that after any database error), and the
next request opens a new one.
"""

import time

from django.db.backends.postgresql import base

BYPASS_SECONDS = 0.5


def _now() -> float:
    return time.monotonic()


class DatabaseWrapper(base.DatabaseWrapper):
    _proved_at = float("-inf")

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
