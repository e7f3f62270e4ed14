"""`manage.py db_worker`, django-tasks-db's worker, made to survive the database: an error
(SQLite busy past its timeout, PostgreSQL restarting, a dropped connection) is logged and the
worker waits and carries on, instead of exiting and leaving every later render undone.

It replaces django-tasks-db's command of the same name ("procedures" comes before
"django_tasks_db" in INSTALLED_APPS); options and behaviour are otherwise the same. A task that
was running when the error struck is redone by `manage.py render_pending`."""

import logging
import time

from django.db import DatabaseError, connections
from django_tasks_db.management.commands import db_worker as base

logger = logging.getLogger("django_tasks_db")
MAX_WAIT_SECONDS = 60


class ResilientWorker(base.Worker):
    def run(self) -> None:
        wait = 1
        while True:
            try:
                return super().run()
            except DatabaseError as error:
                if not self.running:
                    return None
                logger.warning("Database error, trying again in %d s: %s", wait, error)
                for connection in connections.all(initialized_only=True):
                    if not connection.in_atomic_block:  # a fresh connection for the next try
                        connection.close()
                time.sleep(wait)
                wait = min(wait * 2, MAX_WAIT_SECONDS)


class Command(base.Command):
    help = base.Command.help + " Survives database errors: waits and tries again."

    def handle(self, **options) -> None:
        # The base command builds its module's Worker: let it build ours for this run.
        original, base.Worker = base.Worker, ResilientWorker
        try:
            super().handle(**options)
        finally:
            base.Worker = original
