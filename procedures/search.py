"""One search() over the manual and the desk, whatever the database.

The index (models.SearchDocument) holds one plain-text document per revision, written whenever
its content is (`index_revision`, called by services and workflow). The database derives what it
searches from it (migration 0007): PostgreSQL full-text search on a stored, weighted tsvector under
a GIN index, or SQLite's FTS5; without FTS5, plain matching. Every backend ranks matches in the
code or title first, gives highlighted snippets and returns one page of hits in three queries.
Which revisions a person may find is decided here, never by the caller's template.
"""

import dataclasses
import hashlib
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import freshness, permissions, selectors
from .models import CODE_PATTERN, Procedure, Revision, SearchDocument
from .rendering.markdown import plain_text

MANUAL = "manual"  # what is in force: what agents read
DESK = "desk"  # and the drafts, reviews and approved revisions a desk user may see
PER_PAGE = 20
MAX_QUERY = 200  # characters: a search box, not a document
# PostgreSQL ranks by relevance only up to this many matches: ranking reads every match's whole
# vector (5,700 matches: ~50 ms). Beyond it a query names half the manual, and matches in the code
# or title, which still come first, are what helps; the rest follow by code.
RANK_LIMIT = 1000
RANK_WEIGHTS = [0.05, 0.1, 0.2, 1.0]  # D, C, B (the text), A (code and title)

START, STOP = "\ue000", "\ue001"  # highlight markers: private-use characters, escaped around
_MARKERS = re.compile(f"[{START}{STOP}]")
_WORDS = re.compile(r"\w+")
_CODE = re.compile(CODE_PATTERN)
_FTS = "procedures_searchdocument_fts"

# PostgreSQL: each language's text-search configuration (its stemmer after `unaccent`; created by
# migrations/_search_languages.py). A row is indexed with its procedure's language; a query asks
# every configuration at once, so one query finds the manual in all its languages and PostgreSQL
# still answers it from the GIN index.
SEARCH_CONFIGS = {
    "en": "sopdesk_english",
    "fr": "sopdesk_french",
    "hu": "sopdesk_hungarian",
    "id": "sopdesk_indonesian",
}
AS_WRITTEN = "sopdesk_simple"  # words as written, accents dropped
QUERY_CONFIGS = [*dict.fromkeys(SEARCH_CONFIGS.values()), AS_WRITTEN]


def config_for(language: str) -> str:
    """The text-search configuration of a procedure written in `language`."""
    return SEARCH_CONFIGS.get(language, AS_WRITTEN)


@dataclass(frozen=True)
class Hit:
    revision: Revision
    title: SafeString  # escaped, matches in <mark>
    snippet: SafeString


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    total: int
    number: int  # this page, from 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)


# --- Writing the index --------------------------------------------------------------------


def document_text(revision: Revision) -> str:
    """Every element of the revision as plain text, in the order of the page."""
    from .content import measures_of, step_rows, steps_of  # content needs services, which needs us

    parts = [
        plain_text(revision.purpose),
        plain_text(revision.scope),
        plain_text(revision.responsibilities),
    ]
    for row in step_rows(steps_of(revision)):
        line = f"{row.number}. {plain_text(row.step.text)}"
        parts.append(f"{line} ({row.step.role})" if row.step.role else line)
    parts.append(plain_text(revision.procedure_notes))
    for measure in measures_of(revision):
        parts.append(" · ".join(p for p in measure.__dict__.values() if p))
    for name in ("measures_notes", "documentation", "training", "review_and_approval"):
        parts.append(plain_text(getattr(revision, name)))
    return _MARKERS.sub("", "\n".join(p for p in parts if p))


def index_revision(revision: Revision) -> None:
    """A revision whose content was just written → its search document says the same."""
    SearchDocument.objects.update_or_create(
        revision=revision,
        defaults={
            "config": config_for(revision.procedure.language),
            "code": revision.procedure.code,
            "title": _MARKERS.sub("", revision.title),
            "body": document_text(revision),
        },
    )


# --- Reading it ---------------------------------------------------------------------------


def visible_revisions(user, scope: str) -> QuerySet:
    """The revisions `user` may find: in force for readers; open ones too on the desk."""
    if scope == DESK and permissions.can_use_desk(user):
        return Revision.objects.filter(
            Q(pk__in=selectors.in_force().values("pk")) | Q(status__in=Revision.OPEN_STATUSES)
        )
    if permissions.can_read_manual(user):
        return selectors.in_force()
    return Revision.objects.none()


def code_match(query: str, *, user, scope: str) -> Procedure | None:
    """The procedure whose code the query is (`cc-qm-003`), if `user` may open it in `scope`."""
    code = query.strip().upper()
    if not _CODE.match(code):
        return None
    procedure = Procedure.objects.by_code(code).first()
    if procedure is None:
        return None
    if scope == DESK and permissions.can_view_procedure(user, procedure):
        return procedure
    if not permissions.can_read_manual(user):
        return None
    in_manual = (
        procedure.withdrawn_at is not None or selectors.revision_in_force(procedure) is not None
    )
    return procedure if in_manual else None


def search(query: str, *, user, scope: str = MANUAL, page: int = 1) -> Results:
    """One page of the revisions `user` may find in `scope` with a word starting with each word
    of `query`, best first: matches in the code or title, then by relevance (see RANK_LIMIT),
    then by code."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not _WORDS.search(query):
        return Results(query=query, hits=[], total=0, number=1)
    applied = _applied_scope(user, scope)
    if applied is None:
        return Results(query=query, hits=[], total=0, number=1)
    # What a scope finds is the same for everyone who may search it, so a page of results is
    # cached until the manual or the desk changes (freshness.manual_state) or for a while.
    digest = hashlib.sha256(query.lower().encode()).hexdigest()[:32]
    key = f"sopdesk:search:{applied}:{freshness.manual_state()}:{digest}:{page}"
    seconds = settings.SOPDESK_SEARCH_CACHE_SECONDS
    results = cache.get(key) if seconds else None
    if results is None:
        visible = visible_revisions(user, applied)
        total, number, hits = _backend().run(query, visible, page)
        results = Results(query=query, hits=hits, total=total, number=number)
        if seconds:
            cache.set(key, results, seconds)
    return dataclasses.replace(results, query=query)  # as this person typed it


def _applied_scope(user, scope: str) -> str | None:
    if scope == DESK and permissions.can_use_desk(user):
        return DESK
    if permissions.can_read_manual(user):
        return MANUAL
    return None


def _page_number(page: int, total: int) -> int:
    return min(max(1, page), max(1, math.ceil(total / PER_PAGE)))


class Backend:
    """Counts the matches, then reads one page of them."""

    @classmethod
    def count(cls, query: str, visible: QuerySet) -> int:
        raise NotImplementedError

    @classmethod
    def page(cls, query: str, visible: QuerySet, offset: int, limit: int, total: int) -> list[Hit]:
        raise NotImplementedError

    @classmethod
    def run(cls, query: str, visible: QuerySet, page: int) -> tuple[int, int, list[Hit]]:
        total = cls.count(query, visible)
        number = _page_number(page, total)
        offset = (number - 1) * PER_PAGE
        hits = cls.page(query, visible, offset, PER_PAGE, total) if total else []
        return total, number, hits


def _backend():
    if connection.vendor == "postgresql":
        return PostgresBackend
    if connection.vendor == "sqlite" and _has_fts_table():
        return Fts5Backend
    return BasicBackend


def _has_fts_table() -> bool:
    return _FTS in connection.introspection.table_names()


def _marked(text: str) -> SafeString:
    return mark_safe(  # noqa: S308 - escaped first; only our markers become <mark>
        escape(text).replace(START, "<mark>").replace(STOP, "</mark>")
    )


def _revisions(ids: list[int]) -> dict[int, Revision]:
    return Revision.objects.select_related(
        "procedure__category", "procedure__translation_of"
    ).in_bulk(ids)


class PostgresBackend(Backend):
    """Full-text search on the stored tsvectors (GIN index); headlines for one page only.

    One pass over the matches (`run`) counts them and picks the page: a common word matches
    half the manual, and reading its vectors twice (a count, then the page) was most of the
    cost. Ranking reads each match's vector once more, so it is done for RANK_LIMIT matches
    at most (the CASE evaluates it only then)."""

    @staticmethod
    def _query(query: str) -> SearchQuery:
        # Every word as the start of a word, stemmed or as written (the index holds both, see
        # migrations/_search_index.py): people search as they type, "escalat" finds
        # "escalation". Words are \w+ only, so nothing typed becomes tsquery syntax.
        tsquery = None
        for word in _WORDS.findall(query):
            either = None
            for config in QUERY_CONFIGS:
                one = SearchQuery(f"'{word}':*", config=config, search_type="raw")
                either = one if either is None else either | one
            tsquery = either if tsquery is None else tsquery & either
        return tsquery

    @staticmethod
    def _tsquery_sql(query: str) -> tuple[str, list]:
        """The same tsquery as _query, as SQL with parameters, for the ranking expression."""
        words = _WORDS.findall(query)
        either = "(" + " || ".join(["to_tsquery(%s::regconfig, %s)"] * len(QUERY_CONFIGS)) + ")"
        params = [p for w in words for config in QUERY_CONFIGS for p in (config, f"'{w}':*")]
        return "(" + " && ".join([either] * len(words)) + ")", params

    @classmethod
    def count(cls, query: str, visible: QuerySet) -> int:
        return visible.filter(search_document__vector=cls._query(query)).count()

    @classmethod
    def run(cls, query: str, visible: QuerySet, page: int) -> tuple[int, int, list[Hit]]:
        tsquery = cls._query(query)
        matches = (
            visible.filter(search_document__vector=tsquery)
            .annotate(
                in_head=ExpressionWrapper(
                    Q(search_document__head=tsquery), output_field=BooleanField()
                ),
                doc=F("search_document__id"),
                code=F("procedure__code"),
            )
            .values("id", "doc", "in_head", "code", "number")
        )
        matches_sql, matches_params = matches.query.sql_with_params()
        tsquery_sql, tsquery_params = cls._tsquery_sql(query)
        # Only Django's SQL for `matches` and constants are spliced; all values are parameters.
        sql = (
            f"WITH m AS MATERIALIZED ({matches_sql}), n AS (SELECT count(*) AS total FROM m) "  # noqa: S608
            "SELECT m.id, n.total FROM m, n ORDER BY m.in_head DESC, "
            "CASE WHEN n.total <= %s THEN (SELECT ts_rank(%s::float4[], d.vector, "
            f"{tsquery_sql}) FROM procedures_searchdocument d WHERE d.id = m.doc) ELSE 0 END DESC, "
            "m.code, m.number LIMIT %s OFFSET %s"
        )
        number = max(1, page)
        for _attempt in range(2):
            params = [
                *matches_params, RANK_LIMIT, RANK_WEIGHTS, *tsquery_params,
                PER_PAGE, (number - 1) * PER_PAGE,
            ]  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            if rows or number == 1:
                break
            number = _page_number(number, cls.count(query, visible))  # past the last page
        if not rows:
            return 0, 1, []
        return rows[0][1], number, cls.hits([row[0] for row in rows], tsquery)

    @classmethod
    def hits(cls, ids: list[int], tsquery: SearchQuery) -> list[Hit]:
        # Highlighted as each row was indexed: its own language's configuration.
        headline = {"config": F("config"), "start_sel": START, "stop_sel": STOP}
        documents = SearchDocument.objects.filter(revision_id__in=ids).annotate(
            marked_title=SearchHeadline("title", tsquery, highlight_all=True, **headline),
            snippet=SearchHeadline(
                "body",
                tsquery,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
                **headline,
            ),
        )
        found = {d.revision_id: d for d in documents.only("revision_id")}
        revisions = _revisions(ids)
        return [
            Hit(revisions[i], _marked(found[i].marked_title), _marked(found[i].snippet))
            for i in ids
            if i in found and i in revisions
        ]


class Fts5Backend(Backend):
    """SQLite's FTS5 table over the search documents (bm25, code and title weighted)."""

    @staticmethod
    def _match(query: str) -> str:
        # Each word as a quoted FTS5 string, so the user's text never becomes FTS5 syntax, and
        # as the start of a word, as on PostgreSQL.
        return " ".join(f'"{word}"*' for word in _WORDS.findall(query))

    @staticmethod
    def _from(visible: QuerySet) -> tuple[str, list]:
        sql, params = visible.values("pk").query.sql_with_params()
        return (
            f' FROM "{_FTS}" JOIN "procedures_searchdocument" d ON d.id = "{_FTS}".rowid'
            f' WHERE "{_FTS}" MATCH %s AND d.revision_id IN ({sql})',
            params,
        )

    @classmethod
    def count(cls, query: str, visible: QuerySet) -> int:
        where, params = cls._from(visible)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*)" + where, [cls._match(query), *params])
            return cursor.fetchone()[0]

    @classmethod
    def page(cls, query: str, visible: QuerySet, offset: int, limit: int, total: int) -> list[Hit]:
        match = cls._match(query)
        where, params = cls._from(visible)
        # Only constants and Django's own SQL for `visible` are spliced; all values are params.
        sql = (
            f'SELECT d.revision_id, highlight("{_FTS}", 1, %s, %s),'  # noqa: S608
            f" snippet(\"{_FTS}\", 2, %s, %s, ' … ', 24){where}"
            f' ORDER BY d.id IN (SELECT rowid FROM "{_FTS}" WHERE "{_FTS}" MATCH %s) DESC,'
            f' bm25("{_FTS}", 10.0, 10.0, 1.0), d.code LIMIT %s OFFSET %s'
        )
        head = "{code title} : (" + match + ")"
        with connection.cursor() as cursor:
            cursor.execute(sql, [START, STOP, START, STOP, match, *params, head, limit, offset])
            rows = cursor.fetchall()
        revisions = _revisions([row[0] for row in rows])
        return [
            Hit(revisions[pk], _marked(title), _marked(snippet))
            for pk, title, snippet in rows
            if pk in revisions
        ]


class BasicBackend(Backend):
    """Without a full-text index: every word must appear (case-insensitive, as a substring)."""

    @staticmethod
    def _matching(query: str, visible: QuerySet) -> QuerySet:
        matching = visible
        for word in _WORDS.findall(query):
            matching = matching.filter(
                Q(search_document__code__icontains=word)
                | Q(search_document__title__icontains=word)
                | Q(search_document__body__icontains=word)
            )
        return matching

    @classmethod
    def count(cls, query: str, visible: QuerySet) -> int:
        return cls._matching(query, visible).count()

    @classmethod
    def page(cls, query: str, visible: QuerySet, offset: int, limit: int, total: int) -> list[Hit]:
        words = _WORDS.findall(query)
        in_head = Q()
        for word in words:
            in_head &= Q(search_document__code__icontains=word) | Q(
                search_document__title__icontains=word
            )
        ids = list(
            cls._matching(query, visible)
            .annotate(in_head=ExpressionWrapper(in_head, output_field=BooleanField()))
            .order_by("-in_head", "procedure__code", "number")
            .values_list("pk", flat=True)[offset : offset + limit]
        )
        documents = SearchDocument.objects.in_bulk(ids, field_name="revision_id")
        revisions = _revisions(ids)
        pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
        return [
            Hit(
                revisions[i],
                _marked(pattern.sub(lambda m: START + m[0] + STOP, documents[i].title)),
                _marked(_excerpt(documents[i].body, pattern)),
            )
            for i in ids
            if i in documents and i in revisions
        ]


def _excerpt(body: str, pattern: re.Pattern, width: int = 160) -> str:
    """About `width` characters of `body` around its first match, the matches marked."""
    found = pattern.search(body)
    start = max(0, (found.start() if found else 0) - width // 3)
    text = body[start : start + width]
    text = ("… " if start else "") + text + (" …" if start + width < len(body) else "")
    return pattern.sub(lambda m: START + m[0] + STOP, text)
