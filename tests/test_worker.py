"""The background worker and the embedded database under real use: the worker survives a
database error, SQLite runs in WAL mode with a busy timeout and immediate write transactions."""

import subprocess
import sys
from pathlib import Path

from django.core.management import call_command, get_commands
from django.db import OperationalError

from procedures.management.commands import db_worker

ROOT = Path(__file__).resolve().parent.parent


def test_db_worker_is_the_resilient_one():
    assert get_commands()["db_worker"] == "procedures"


def test_the_worker_survives_a_database_error_and_carries_on(db, monkeypatch, caplog, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DBTaskResult.objects.all().delete()  # nothing left by other tests: the batch ends at once
    calls = []
    original = db_worker.base.Worker.run

    def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return original(self)

    monkeypatch.setattr(db_worker.base.Worker, "run", flaky)
    monkeypatch.setattr(db_worker.time, "sleep", lambda seconds: None)
    # Inside the test's transaction the worker must not drop the (long-lived) test connection.
    monkeypatch.setattr(db_worker.base, "close_old_connections", lambda: None)

    call_command("db_worker", "--batch", "--max-tasks", "1", "--no-startup-delay", "--no-reload")

    assert len(calls) == 2
    assert "Database error, trying again in 1 s: database is locked" in caplog.text


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_writes(tmp_path):
    script = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0]); "
        "print(connection.transaction_mode)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'sop.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.stdout.split()[-3:] == ["wal", "20000", "IMMEDIATE"], result.stderr
