"""Make the record append-only in the database itself.

PostgreSQL: a trigger refuses UPDATE and DELETE on the audit events, signatures, failed
signing attempts, comments and every history table. SQLite: a trigger refuses UPDATE on the
same tables (not DELETE there: Django's test runner empties SQLite tables with DELETE, where
PostgreSQL uses TRUNCATE, which row triggers do not see).

Caution: on SQLite, a later migration that rebuilds one of these tables (most AlterFields do)
drops its trigger; such a migration must call add_triggers again. tests/test_workflow.py
checks that every table has its trigger.
"""

from django.db import migrations

APPEND_ONLY = [
    ("procedures", "AuditEvent"),
    ("procedures", "Signature"),
    ("procedures", "SigningAttempt"),
    ("procedures", "Comment"),
    ("procedures", "HistoricalUser"),
    ("procedures", "HistoricalCategory"),
    ("procedures", "HistoricalProcedure"),
    ("procedures", "HistoricalRevision"),
    ("procedures", "HistoricalStep"),
    ("procedures", "HistoricalMeasure"),
]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sopdesk_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'SOP Desk keeps % append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def _tables(apps):
    return [apps.get_model(app, model)._meta.db_table for app, model in APPEND_ONLY]


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in _tables(apps):
            schema_editor.execute(
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION sopdesk_refuse_change()"
            )
    elif vendor == "sqlite":
        for table in _tables(apps):
            schema_editor.execute(
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, 'SOP Desk keeps {table} append-only: UPDATE refused'); END"
            )


def remove_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in _tables(apps):
        if vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"')
        elif vendor == "sqlite":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only"')
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS sopdesk_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("procedures", "0003_workflow_records")]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
