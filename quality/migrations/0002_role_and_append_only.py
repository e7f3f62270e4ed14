"""The Quality evaluator role, and the database's refusal to change what was shared: the quality
audit trail is append-only (the triggers of procedures' migration 0004); a shared evaluation is
never updated or deleted, except to be marked as replaced by its correction, and its answers
never change (PostgreSQL; SQLite, the trial database, relies on quality/evaluations.py)."""

from django.db import migrations

from procedures.migrations._append_only import append_only

ROLE = "Quality evaluator"

add_append_only, remove_append_only = append_only(("quality", "QualityEvent"))

SHARED_UNCHANGED = """
CREATE OR REPLACE FUNCTION quality_shared_evaluation_unchanged() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'DRAFT' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'SHARED' AND NEW.status = 'CORRECTED'
       AND (to_jsonb(NEW) - 'status' - 'updated_at') = (to_jsonb(OLD) - 'status' - 'updated_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'SOP Desk keeps shared evaluations unchanged: % refused', TG_OP;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER quality_evaluation_shared_unchanged BEFORE UPDATE OR DELETE ON quality_evaluation
    FOR EACH ROW EXECUTE FUNCTION quality_shared_evaluation_unchanged();

CREATE OR REPLACE FUNCTION quality_answer_of_draft_only() RETURNS trigger AS $$
DECLARE
    row_evaluation bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN row_evaluation := NEW.evaluation_id;
    ELSE row_evaluation := OLD.evaluation_id; END IF;
    IF EXISTS (SELECT 1 FROM quality_evaluation WHERE id = row_evaluation AND status <> 'DRAFT') THEN
        RAISE EXCEPTION 'SOP Desk keeps the answers of a shared evaluation: % refused', TG_OP;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER quality_answer_of_draft_only BEFORE INSERT OR UPDATE OR DELETE ON quality_answer
    FOR EACH ROW EXECUTE FUNCTION quality_answer_of_draft_only();
"""

DROP = """
DROP TRIGGER IF EXISTS quality_answer_of_draft_only ON quality_answer;
DROP FUNCTION IF EXISTS quality_answer_of_draft_only();
DROP TRIGGER IF EXISTS quality_evaluation_shared_unchanged ON quality_evaluation;
DROP FUNCTION IF EXISTS quality_shared_evaluation_unchanged();
"""


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=ROLE)


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=ROLE).delete()


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SHARED_UNCHANGED, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
        ("procedures", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(create_role, remove_role),
        migrations.RunPython(add_append_only, remove_append_only),
        migrations.RunPython(add_triggers, remove_triggers),
    ]
