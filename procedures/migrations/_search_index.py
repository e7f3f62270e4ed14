"""What migration 0007 adds beside the SearchDocument table, per database.

PostgreSQL: a trigger that derives the weighted tsvectors from each row (code and title weight A,
the rest weight B), each word both as the row's text-search configuration stems it and as
written ('simple'), so that the start of a word finds it even where the stem is shorter
("escalat" → "escalation", stemmed "escal"); and a GIN index.
SQLite: an FTS5 table over the rows (words as written, no stemming: search matches the start
of words there), kept in step by triggers (skipped if SQLite lacks FTS5;
procedures.search then falls back to plain matching).
"""

TABLE = "procedures_searchdocument"
FTS = f"{TABLE}_fts"

POSTGRESQL_ADD = [
    """
    CREATE FUNCTION sopdesk_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.head := setweight(to_tsvector(NEW.config::regconfig, NEW.code || ' ' || NEW.title)
            || to_tsvector('simple', NEW.code || ' ' || NEW.title), 'A');
        NEW.vector := NEW.head || setweight(to_tsvector(NEW.config::regconfig, NEW.body)
            || to_tsvector('simple', NEW.body), 'B');
        RETURN NEW;
    END
    $$
    """,
    f"""CREATE TRIGGER "{TABLE}_vectors" BEFORE INSERT OR UPDATE ON "{TABLE}"
        FOR EACH ROW EXECUTE FUNCTION sopdesk_search_vectors()""",
    f'CREATE INDEX "{TABLE}_vector_gin" ON "{TABLE}" USING gin ("vector")',
    # Vectors kept in the row rather than out of line (TOAST): PostgreSQL then sees what reading
    # them costs and uses the GIN index instead of scanning every row (20 ms instead of 50 ms for
    # a common word among 10,000 procedures; bench/search.py).
    f'ALTER TABLE "{TABLE}" ALTER COLUMN "vector" SET STORAGE MAIN, '
    'ALTER COLUMN "head" SET STORAGE MAIN',
]
POSTGRESQL_REMOVE = [
    f'DROP INDEX IF EXISTS "{TABLE}_vector_gin"',
    f'DROP TRIGGER IF EXISTS "{TABLE}_vectors" ON "{TABLE}"',
    "DROP FUNCTION IF EXISTS sopdesk_search_vectors()",
]

_COLUMNS = "rowid, code, title, body"
SQLITE_ADD = [
    f"""CREATE VIRTUAL TABLE "{FTS}" USING fts5(code, title, body, content='{TABLE}',
        content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER "{FTS}_insert" AFTER INSERT ON "{TABLE}" BEGIN
        INSERT INTO "{FTS}" ({_COLUMNS}) VALUES (new.id, new.code, new.title, new.body); END""",
    f"""CREATE TRIGGER "{FTS}_delete" AFTER DELETE ON "{TABLE}" BEGIN
        INSERT INTO "{FTS}" ("{FTS}", {_COLUMNS})
        VALUES ('delete', old.id, old.code, old.title, old.body); END""",
    f"""CREATE TRIGGER "{FTS}_update" AFTER UPDATE ON "{TABLE}" BEGIN
        INSERT INTO "{FTS}" ("{FTS}", {_COLUMNS})
        VALUES ('delete', old.id, old.code, old.title, old.body);
        INSERT INTO "{FTS}" ({_COLUMNS}) VALUES (new.id, new.code, new.title, new.body); END""",
]
SQLITE_REMOVE = [
    f'DROP TRIGGER IF EXISTS "{FTS}_update"',
    f'DROP TRIGGER IF EXISTS "{FTS}_delete"',
    f'DROP TRIGGER IF EXISTS "{FTS}_insert"',
    f'DROP TABLE IF EXISTS "{FTS}"',
]


def sqlite_has_fts5(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        return any(row[0] == "ENABLE_FTS5" for row in cursor.fetchall())


def add(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        statements = POSTGRESQL_ADD
    elif connection.vendor == "sqlite" and sqlite_has_fts5(connection):
        statements = SQLITE_ADD
    else:
        statements = []
    for statement in statements:
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def index_existing(apps, schema_editor):
    """Index the revisions that exist already (plain text as stored; `rebuild_search_index`
    re-indexes them the way procedures.search does)."""
    from django.conf import settings

    Revision = apps.get_model("procedures", "Revision")
    SearchDocument = apps.get_model("procedures", "SearchDocument")
    config = getattr(settings, "SOPDESK_SEARCH_CONFIG", "english")
    for revision in Revision.objects.select_related("procedure").iterator():
        parts = [
            getattr(revision, name)
            for name in ("purpose", "scope", "responsibilities", "procedure_notes")
        ]
        parts += [s.text for s in revision.steps.order_by("position")]
        parts += [f"{m.name} {m.target} {m.method} {m.frequency}" for m in revision.measures.all()]
        parts += [
            getattr(revision, name)
            for name in ("measures_notes", "documentation", "training", "review_and_approval")
        ]
        SearchDocument.objects.create(
            revision=revision,
            config=config,
            code=revision.procedure.code,
            title=revision.title,
            body="\n".join(p for p in parts if p),
        )
