"""Append-only triggers for tables added after migration 0004 (same triggers, same function)."""


def append_only(*models: tuple[str, str]):
    """RunPython functions that add and remove the append-only trigger on these models' tables."""

    def tables(apps):
        return [apps.get_model(app, model)._meta.db_table for app, model in models]

    def add(apps, schema_editor):
        # Idempotent: also restores a trigger that SQLite dropped when a migration rebuilt the
        # table (which it does for many AlterField/AddField operations).
        remove(apps, schema_editor)
        vendor = schema_editor.connection.vendor
        for table in tables(apps):
            if vendor == "postgresql":  # sopdesk_refuse_change() comes from migration 0004
                schema_editor.execute(
                    f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION sopdesk_refuse_change()"
                )
            elif vendor == "sqlite":
                schema_editor.execute(
                    f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE ON "{table}" '
                    f"BEGIN SELECT RAISE(ABORT, 'SOP Desk keeps {table} append-only: UPDATE refused'); END"
                )

    def remove(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for table in tables(apps):
            if vendor == "postgresql":
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"')
            elif vendor == "sqlite":
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only"')

    return add, remove
