"""The desk in use: creating a procedure, editing a draft, conflicts, preview, history, redline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procedures import services
from procedures.models import Procedure, Revision
from tests.factories import CategoryFactory, make_effective, new_procedure, save


def editor_url(revision):
    return reverse("desk:edit", kwargs={"code": revision.procedure.code, "number": revision.number})


def editor_post(revision, lock_version=None, steps=(), measures=(), **fields):
    """What the browser posts from the editor: the elements, the step rows and the measure rows."""
    data = {
        "lock_version": revision.lock_version if lock_version is None else lock_version,
        "title": "Answering a call", "purpose": "", "scope": "", "responsibilities": "",
        "step_format": "SIMPLE", "procedure_notes": "", "measures_notes": "", "documentation": "",
        "training": "", "training_hours": "", "training_url": "", "review_and_approval": "", "change_summary": "",
        "steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": 0,
        "measures-TOTAL_FORMS": len(measures), "measures-INITIAL_FORMS": 0,
    } | fields  # fmt: skip
    for i, step in enumerate(steps):
        row = {
            "level": 1,
            "kind": "ACTION",
            "text": "",
            "role": "",
            "yes": "",
            "no": "",
            "next": "",
        } | step
        data |= {f"steps-{i}-{name}": value for name, value in row.items()}
    for i, measure in enumerate(measures):
        data |= {f"measures-{i}-{name}": value for name, value in measure.items()}
    return data


def test_supervisor_creates_a_procedure_and_lands_in_its_editor(client, supervisor):
    category = CategoryFactory(name="Call handling")
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:create"),
        {
            "code": "cc-ch-010",
            "title": "Transferring a call",
            "category": category.pk,
            "step_format": "FLOWCHART",
            "review_interval_months": 12,
        },
        follow=True,
    )

    procedure = Procedure.objects.get()
    assert procedure.code == "CC-CH-010" and procedure.owner == supervisor
    assert response.redirect_chain[-1][0] == editor_url(procedure.revisions.get())
    assert "CC-CH-010 is created" in response.content.decode()


def test_a_bad_code_is_refused_with_a_clear_message_and_the_form_keeps_what_was_typed(
    client, supervisor
):
    category = CategoryFactory()
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:create"),
        {
            "code": "call handling",
            "title": "Transferring a call",
            "category": category.pk,
            "step_format": "SIMPLE",
            "review_interval_months": 12,
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Use capital letters and digits in groups joined by hyphens" in html
    assert 'value="Transferring a call"' in html
    assert not Procedure.objects.exists()


def test_a_duplicate_code_is_refused_on_the_form(client, supervisor):
    new_procedure(owner=supervisor, code="CC-CH-010")
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:create"),
        {
            "code": "cc-ch-010",
            "title": "Again",
            "category": CategoryFactory().pk,
            "step_format": "SIMPLE",
            "review_interval_months": 12,
        },
    )

    assert "A procedure with the code CC-CH-010 already exists." in response.content.decode()
    assert Procedure.objects.count() == 1


def test_the_editor_saves_every_element_steps_and_measures(client, supervisor):
    draft = new_procedure(owner=supervisor, step_format="HIERARCHICAL")
    client.force_login(supervisor)

    response = client.post(
        editor_url(draft),
        editor_post(
            draft,
            step_format="HIERARCHICAL",
            purpose="Keep callers informed.",
            training_hours="1.5",
            training_test_required="on",
            steps=[
                {"key": "a", "text": "Prepare"},
                {"key": "b", "text": "Open the CRM", "level": 2, "role": "Agent"},
                {"key": "c", "text": ""},
            ],
            measures=[
                {"name": "Hold time", "target": "≤ 45 s", "method": "ACD", "frequency": "Daily"},
                {"name": "", "target": ""},
            ],
        ),
        follow=True,
    )

    assert "Draft saved." in response.content.decode()
    draft.refresh_from_db()
    assert (
        draft.purpose == "Keep callers informed."
        and str(draft.training_hours) == "1.5"
        and draft.training_test_required
    )
    assert [(s.text, s.level, s.role) for s in draft.ordered_steps()] == [
        ("Prepare", 1, ""),
        ("Open the CRM", 2, "Agent"),
    ]
    assert [(m.name, m.target) for m in draft.ordered_measures()] == [("Hold time", "≤ 45 s")]


def test_inconsistent_steps_are_named_and_the_typed_text_is_kept(client, supervisor):
    draft = new_procedure(owner=supervisor, step_format="FLOWCHART")
    client.force_login(supervisor)

    response = client.post(
        editor_url(draft),
        editor_post(
            draft,
            step_format="FLOWCHART",
            purpose="Typed purpose that must survive.",
            steps=[
                {"key": "a", "kind": "DECISION", "text": "Is the caller verified?", "yes": "b"},
                {"key": "b", "kind": "END", "text": "Done"},
            ],
        ),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Step 1 is a decision: choose where “no” leads." in html
    assert "Typed purpose that must survive." in html and "Is the caller verified?" in html
    draft.refresh_from_db()
    assert draft.purpose == "" and draft.lock_version == 1 and not draft.steps.exists()


def test_a_measure_without_target_is_marked_and_nothing_is_saved(client, supervisor):
    draft = new_procedure(owner=supervisor)
    client.force_login(supervisor)

    response = client.post(
        editor_url(draft),
        editor_post(draft, purpose="Kept", measures=[{"name": "AHT", "target": ""}]),
    )

    html = response.content.decode()
    assert "A measure needs a name and a target." in html and 'value="AHT"' in html
    draft.refresh_from_db()
    assert draft.purpose == ""


def test_a_conflicting_save_shows_both_versions_and_keeps_my_text(client, supervisor):
    draft = new_procedure(owner=supervisor)
    opened_at = draft.lock_version
    save(draft, purpose="Their careful wording.")
    client.force_login(supervisor)

    response = client.post(
        editor_url(draft), editor_post(draft, lock_version=opened_at, purpose="My new wording.")
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "saved this draft while you were editing it" in html
    assert "My new wording." in html  # still in the form
    assert "<del>Their careful</del><ins>My new</ins>" in html  # their version beside mine
    draft.refresh_from_db()
    assert draft.purpose == "Their careful wording."
    assert f'name="lock_version" value="{draft.lock_version}"' in html


def test_after_merging_a_conflict_the_next_save_goes_through(client, supervisor):
    draft = new_procedure(owner=supervisor)
    save(draft, purpose="Theirs.")
    draft.refresh_from_db()
    client.force_login(supervisor)

    response = client.post(
        editor_url(draft),
        editor_post(draft, lock_version=draft.lock_version, purpose="Theirs and mine."),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.purpose == "Theirs and mine."


def test_the_preview_renders_markdown_through_the_sanitizer(client, supervisor):
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:preview"), {"text": "**Verify** first <script>alert(1)</script>"}
    )

    html = response.content.decode()
    assert "<strong>Verify</strong>" in html and "<script" not in html


def test_a_preview_that_is_too_long_is_refused_clearly(client, supervisor):
    client.force_login(supervisor)

    response = client.post(reverse("desk:preview"), {"text": "x" * 100_001})

    assert response.status_code == 400 and b"too long" in response.content


def test_the_revision_page_shows_the_draft_banner_steps_and_measures(client, supervisor, manager):
    draft = save(new_procedure(owner=supervisor))
    client.force_login(manager)

    response = client.get(
        reverse("desk:revision", kwargs={"code": draft.procedure.code.lower(), "number": 1})
    )

    html = response.content.decode()
    assert "DRAFT — NOT APPROVED" in html
    assert "Greet the caller." in html and "Service level" in html


def test_starting_a_revision_from_the_procedure_page(client, supervisor):
    first = make_effective(save(new_procedure(owner=supervisor)))
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:start_revision", kwargs={"code": first.procedure.code}), follow=True
    )

    second = first.procedure.revisions.get(number=2)
    assert response.redirect_chain[-1][0] == editor_url(second)
    assert "Revision 2 is a new draft, copied from revision 1." in response.content.decode()


def test_starting_a_second_open_revision_is_refused_with_a_message(client, supervisor):
    draft = new_procedure(owner=supervisor)
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:start_revision", kwargs={"code": draft.procedure.code}), follow=True
    )

    assert "still open" in response.content.decode()
    assert Revision.objects.count() == 1


def test_the_redline_compares_a_draft_with_its_predecessor(client, supervisor):
    first = make_effective(save(new_procedure(owner=supervisor)))
    second = services.start_revision(procedure=first.procedure, author=supervisor)
    save(
        second,
        purpose="Every caller is greeted the same friendly way.",
        change_summary="Friendlier.",
    )
    client.force_login(supervisor)

    response = client.get(reverse("desk:compare", kwargs={"code": first.procedure.code}))

    html = response.content.decode()
    assert "Changes from revision 1 to revision 2" in html
    assert "the same <ins>friendly </ins>way." in html


def test_the_redline_explains_an_unknown_revision(client, supervisor):
    draft = new_procedure(owner=supervisor)
    client.force_login(supervisor)

    response = client.get(
        reverse("desk:compare", kwargs={"code": draft.procedure.code}), {"from": "7", "to": "x"}
    )

    assert response.status_code == 200
    assert "Choose two revisions of" in response.content.decode()


def test_an_unknown_procedure_gives_a_helpful_404(client, supervisor):
    client.force_login(supervisor)

    response = client.get(reverse("desk:procedure", kwargs={"code": "NO-SUCH-1"}))

    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_an_agent_landing_on_the_start_page_goes_to_the_manual(client, agent):
    client.force_login(agent)

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("manual:toc")
    assert "No procedure is in force yet." in response.content.decode()


@pytest.mark.parametrize("view", ["desk:index", "desk:procedure"])
def test_desk_pages_use_a_constant_number_of_queries(client, supervisor, view):
    def count_queries(n_procedures):
        while Procedure.objects.count() < n_procedures:
            save(new_procedure(owner=supervisor))
        code = Procedure.objects.order_by("pk").first().code
        url = reverse(view, kwargs={"code": code} if view != "desk:index" else None)
        client.force_login(supervisor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_queries(2) == count_queries(12)


def test_creating_without_any_category_explains_what_to_do(client, supervisor):
    client.force_login(supervisor)

    response = client.get(reverse("desk:create"))

    assert "There are no categories yet" in response.content.decode()
    assert "Ask your document controller" in response.content.decode()


def test_the_desk_lists_fifty_procedures_a_page_and_filters_by_code_title_and_category(
    client, supervisor
):
    for i in range(52):
        new_procedure(
            owner=supervisor,
            code=f"CC-P-{i:03d}",
            title="Shift swap" if i == 7 else "Answering a call",
        )
    client.force_login(supervisor)

    def table(**query):  # the procedures table, below "Your drafts"
        html = client.get(reverse("desk:index"), query).content.decode()
        return html[html.index('id="procedures-heading"') :]

    first, second = table(), table(page=2)
    by_title, by_code, nothing = table(q="swap"), table(q="cc-p-05"), table(q="payroll")
    by_category = table(category=Procedure.objects.get(code="CC-P-003").category_id)

    assert (
        "Page 1 of 2 (52 procedures)" in first and "CC-P-049" in first and "CC-P-050" not in first
    )
    assert "CC-P-051" in second
    assert "CC-P-007" in by_title and "CC-P-008" not in by_title
    assert "CC-P-050" in by_code and "CC-P-051" in by_code and "CC-P-049" not in by_code
    assert "No procedure matches this filter." in nothing
    assert "CC-P-003" in by_category and "CC-P-004" not in by_category
