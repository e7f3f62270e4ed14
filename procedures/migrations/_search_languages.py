"""What migration 0017 changes in PostgreSQL's search: one text-search configuration per language
a procedure can be written in, each the language's own stemmer after `unaccent`, so accents are
optional in every language (as on SQLite, whose FTS5 table removes diacritics), and a row's
vectors are built with its own configuration (SearchDocument.config, from the procedure's
language). The trigger's as-written half ("simple") drops accents too.

`procedures.search.SEARCH_CONFIGS` names the configuration of each language; a language added
later needs its configuration created here (or in a later migration) and an entry there.
"""

TABLE = "procedures_searchdocument"
# PostgreSQL's built-in configuration → ours. "simple" has no stemmer: words as written.
STEMMED = ["english", "french", "hungarian", "indonesian"]
CONFIGS = [*STEMMED, "simple"]


def _create_configs(schema_editor) -> None:
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for base in CONFIGS:
        name = f"sopdesk_{base}"
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base})")
        dictionaries = "unaccent, simple" if base == "simple" else f"unaccent, {base}_stem"
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR "
            f"hword, hword_part, word WITH {dictionaries}"
        )


VECTORS = """
    CREATE OR REPLACE FUNCTION sopdesk_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.head := setweight(to_tsvector(NEW.config::regconfig, NEW.code || ' ' || NEW.title)
            || to_tsvector('{simple}'::regconfig, NEW.code || ' ' || NEW.title), 'A');
        NEW.vector := NEW.head || setweight(to_tsvector(NEW.config::regconfig, NEW.body)
            || to_tsvector('{simple}'::regconfig, NEW.body), 'B');
        RETURN NEW;
    END
    $$
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _create_configs(schema_editor)
    schema_editor.execute(VECTORS.replace("{simple}", "sopdesk_simple"))
    # Every row again with its procedure's language (the trigger rebuilds the vectors).
    schema_editor.execute(
        f"""UPDATE {TABLE} d SET config = 'sopdesk_' || CASE p.language
            WHEN 'en' THEN 'english' WHEN 'fr' THEN 'french' WHEN 'hu' THEN 'hungarian'
            WHEN 'id' THEN 'indonesian' ELSE 'simple' END
            FROM procedures_revision r JOIN procedures_procedure p ON p.id = r.procedure_id
            WHERE r.id = d.revision_id"""
    )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(VECTORS.replace("{simple}", "simple"))
    schema_editor.execute(f"UPDATE {TABLE} SET config = 'english'")
    for base in CONFIGS:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS sopdesk_{base}")
