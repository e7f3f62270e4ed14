"""Search: what each person may find, ranking, snippets, going straight to a code, pagination,
constant queries, and every backend (PostgreSQL or SQLite FTS5, whichever runs the suite, and
the plain fallback on both)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures import search, services
from procedures.steps import StepData
from tests.factories import make_effective, new_procedure, save, sign, submit


@pytest.fixture(params=["native", "basic"])
def backend(request, monkeypatch):
    """Each test runs on the database's own full-text search and on the plain fallback."""
    if request.param == "basic":
        monkeypatch.setattr(search, "_backend", lambda: search.BasicBackend)
    return request.param


def steps(*texts: str) -> list[StepData]:
    return [StepData(key=f"s{i}", text=text) for i, text in enumerate(texts)]


@pytest.fixture
def effective(supervisor, approver):
    def make(code: str, title: str = "Answering a call", **fields):
        return make_effective(
            save(new_procedure(owner=supervisor, code=code), title=title, **fields), approver
        )

    return make


def codes(results: search.Results) -> list[str]:
    return [hit.revision.procedure.code for hit in results.hits]


def test_agents_find_words_from_steps_measures_and_every_element(effective, agent, backend):
    effective(
        "CC-CH-001",
        steps=steps("Greet the caller.", "Ask for the account number before verification."),
        measures=[services.MeasureData("Abandon rate", "below 5 percent", "ACD export", "Weekly")],
        training="Shadow a senior agent for two shifts.",
    )
    effective("CC-CH-002", title="Placing a caller on hold")

    by_step = search.search("account number", user=agent)
    by_measure = search.search("abandon", user=agent)
    by_training = search.search("shadow senior", user=agent)

    assert codes(by_step) == codes(by_measure) == codes(by_training) == ["CC-CH-001"]
    assert "<mark>account</mark> <mark>number</mark>" in by_step.hits[0].snippet
    assert "<mark>" in by_measure.hits[0].snippet


def test_matches_in_the_code_or_title_come_first(effective, agent, backend):
    effective(
        "CC-CH-001",
        purpose="Refund refund refund: every refund is logged, each refund is checked.",
    )
    effective("CC-CH-002", title="Refund requests")

    results = search.search("refund", user=agent)

    assert codes(results) == ["CC-CH-002", "CC-CH-001"]
    assert results.hits[0].title == "<mark>Refund</mark> requests"


def test_the_start_of_a_word_finds_it(effective, agent, backend):
    effective("CC-CH-001", purpose="Every escalation reaches a team leader.")

    assert codes(search.search("escalat", user=agent)) == ["CC-CH-001"]
    assert codes(search.search("ESCALATION team", user=agent)) == ["CC-CH-001"]
    assert codes(search.search("escalation nowhere", user=agent)) == []


def test_agents_never_find_text_that_is_not_in_force(
    effective, supervisor, approver, agent, manager, backend
):
    current = effective("CC-CH-001", purpose="Greet with the alpha script.")
    draft = services.start_revision(procedure=current.procedure, author=supervisor)
    save(draft, purpose="Greet with the bravo script.", change_summary="New script.")
    in_review = submit(save(new_procedure(owner=supervisor, code="CC-CH-002"), purpose="charlie"))
    future = submit(save(new_procedure(owner=supervisor, code="CC-CH-003"), purpose="delta"))
    sign(future, approver, effective_at=future.submitted_at.replace(year=2999))

    assert codes(search.search("alpha", user=agent)) == ["CC-CH-001"]
    for word in ("bravo", "charlie", "delta"):
        assert search.search(word, user=agent).total == 0
    desk = search.search("bravo", user=manager, scope=search.DESK)
    assert [(h.revision.number, h.revision.status) for h in desk.hits] == [(2, "DRAFT")]
    assert codes(search.search("charlie", user=manager, scope=search.DESK)) == ["CC-CH-002"]
    assert codes(search.search("delta", user=manager, scope=search.DESK)) == ["CC-CH-003"]
    # An agent asking for the desk's scope gets only what is in force.
    assert search.search("bravo", user=agent, scope=search.DESK).total == 0
    assert in_review.status == "IN_REVIEW"


def test_once_a_new_revision_is_in_force_the_old_text_is_no_longer_found(
    effective, supervisor, approver, agent, backend
):
    current = effective("CC-CH-001", purpose="Greet with the alpha script.")
    draft = services.start_revision(procedure=current.procedure, author=supervisor)
    make_effective(save(draft, purpose="Greet with the bravo script.", change_summary="New."))

    assert search.search("alpha", user=agent).total == 0
    assert [h.revision.number for h in search.search("bravo", user=agent).hits] == [2]


def test_saving_a_draft_updates_what_the_desk_finds(supervisor, manager, backend):
    draft = save(new_procedure(owner=supervisor, code="CC-CH-001"), purpose="Old wording.")

    save(draft, purpose="New wording about callbacks.")

    assert search.search("old wording", user=manager, scope=search.DESK).total == 0
    assert codes(search.search("callbacks", user=manager, scope=search.DESK)) == ["CC-CH-001"]


def test_author_text_is_escaped_in_titles_and_snippets(effective, agent, client, backend):
    effective(
        "CC-CH-001",
        title="<b>Refund</b> & returns",
        purpose='Refund <img src=x onerror="alert(1)"> <script>alert(2)</script> policy',
        steps=steps("Refund \ue000 markers \ue001 stay text."),
    )
    client.force_login(agent)

    html = client.get("/manual/search/", {"q": "refund"}).content.decode()

    assert "&lt;b&gt;<mark>Refund</mark>&lt;/b&gt; &amp; returns" in html
    assert "<b>" not in html and "<img" not in html and "<script>alert" not in html
    assert "onerror" not in html.split('id="main"')[1]


@pytest.mark.parametrize(
    "query", ['"', "'", "refund*", "AND OR NOT", "NEAR(a b)", "a:b", "(((", "-refund", "\\", "💡"]
)
def test_search_syntax_in_a_query_is_only_ever_words(effective, agent, client, query, backend):
    effective("CC-CH-001", purpose="Refund policy.")
    client.force_login(agent)

    response = client.get("/manual/search/", {"q": query})

    assert response.status_code == 200


def test_typing_a_code_goes_straight_to_the_procedure(effective, supervisor, agent, client):
    effective("CC-QM-003")
    save(new_procedure(owner=supervisor, code="CC-QM-004"), purpose="A draft.")
    client.force_login(agent)

    straight = client.get("/manual/search/", {"q": " cc-qm-003 "})
    draft = client.get("/manual/search/", {"q": "cc-qm-004"})

    assert straight.status_code == 302 and straight.url == "/manual/CC-QM-003/"
    assert draft.status_code == 200  # an agent is not told a draft exists
    assert "No procedure in force matches" in draft.content.decode()


def test_desk_search_goes_to_the_desk_and_shows_each_status(supervisor, manager, client):
    save(new_procedure(owner=supervisor, code="CC-QM-004"), purpose="Callback wording.")
    client.force_login(manager)

    straight = client.get("/desk/search/", {"q": "cc-qm-004"})
    html = client.get("/desk/search/", {"q": "callback"}).content.decode()

    assert straight.url == "/desk/CC-QM-004/"
    assert 'href="/desk/CC-QM-004/rev/1/"' in html and "badge--draft" in html


def test_who_may_search_where(client, agent):
    anonymous = client.get("/manual/search/", {"q": "x"})
    client.force_login(agent)
    desk = client.get("/desk/search/", {"q": "x"})

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert desk.status_code == 403


def test_every_manual_page_has_a_search_box(effective, agent, client):
    effective("CC-CH-001")
    client.force_login(agent)

    for url in ("/manual/", "/manual/CC-CH-001/", "/manual/search/?q=call"):
        html = client.get(url).content.decode()
        assert 'action="/manual/search/"' in html and 'role="search"' in html, url


def test_results_are_paginated_and_a_wrong_page_is_forgiven(supervisor, approver, agent, client):
    for i in range(23):
        make_effective(
            save(new_procedure(owner=supervisor, code=f"CC-PG-{i:03d}"), purpose="Greeting."),
            approver,
        )
    client.force_login(agent)

    first = search.search("greeting", user=agent)
    second = search.search("greeting", user=agent, page=2)
    beyond = search.search("greeting", user=agent, page=99)
    typo = client.get("/manual/search/", {"q": "greeting", "page": "abc"})

    assert (first.total, len(first.hits), len(second.hits)) == (23, 20, 3)
    assert not set(codes(first)) & set(codes(second))
    assert beyond.number == 2 and len(beyond.hits) == 3
    assert typo.status_code == 200 and 'rel="next"' in typo.content.decode()


def test_queries_per_search_do_not_grow_with_the_results(supervisor, approver, agent, backend):
    def queries_for(count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            results = search.search("greeting", user=agent)
        assert results.total == count
        return len(captured.captured_queries)

    make_effective(save(new_procedure(owner=supervisor), purpose="Greeting."), approver)
    few = queries_for(1)
    for _ in range(12):
        make_effective(save(new_procedure(owner=supervisor), purpose="Greeting."), approver)
    many = queries_for(13)

    assert few == many <= 6  # 2 of them: the freshness key of the results cache


def test_results_are_cached_until_the_manual_changes(supervisor, approver, agent, backend):
    make_effective(save(new_procedure(owner=supervisor), purpose="Greeting."), approver)
    search.search("greeting", user=agent)

    with CaptureQueriesContext(connection) as captured:
        cached = search.search("Greeting", user=agent)
    make_effective(save(new_procedure(owner=supervisor), purpose="Greeting."), approver)
    fresh = search.search("greeting", user=agent)

    assert cached.total == 1 and len(captured.captured_queries) <= 2
    assert fresh.total == 2


def test_rebuilding_the_index_finds_the_same(effective, agent, backend):
    effective("CC-CH-001", purpose="Refund policy.")
    before = codes(search.search("refund", user=agent))

    call_command("rebuild_search_index", verbosity=0)

    assert codes(search.search("refund", user=agent)) == before == ["CC-CH-001"]


def test_the_database_keeps_the_full_text_index_in_step(db):
    """The triggers of migration 0007 exist (an SQLite table rebuild would drop them)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'procedures_searchdocument_vectors'"
            )
            assert cursor.fetchone()[0] == 1
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'procedures_searchdocument_vector_gin'"
            )
            assert "gin" in cursor.fetchone()[0]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'procedures_searchdocument_fts_%'"
            )
            assert len(cursor.fetchall()) == 3
