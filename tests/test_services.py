"""Writes through services.py: creating, saving drafts (optimistic locking), starting revisions."""

import pytest

from procedures import services
from procedures.models import Procedure, Revision
from procedures.steps import StepData
from tests.factories import CategoryFactory, content, make_effective, new_procedure, save


def test_supervisor_creates_a_procedure_with_its_first_draft(supervisor):
    revision = services.create_procedure(
        code="cc-qm-003",
        title=" Calibration ",
        category=CategoryFactory(),
        owner=supervisor,
        step_format="FLOWCHART",
        review_interval_months=6,
        created_by=supervisor,
    )

    assert revision.procedure.code == "CC-QM-003"
    assert (revision.number, revision.status, revision.title) == (1, "DRAFT", "Calibration")
    assert revision.author == supervisor
    assert revision.procedure.history.get().history_user == supervisor


def test_a_duplicate_code_in_another_case_is_refused(supervisor):
    new_procedure(owner=supervisor, code="CC-QM-003")

    with pytest.raises(services.DuplicateCode) as refused:
        new_procedure(owner=supervisor, code="cc-qm-003")

    assert "CC-QM-003 already exists" in refused.value.message
    assert Procedure.objects.count() == 1


def test_an_agent_cannot_create_a_procedure(agent, supervisor):
    with pytest.raises(services.NotAllowed):
        services.create_procedure(
            code="CC-X-1",
            title="x",
            category=CategoryFactory(),
            owner=supervisor,
            step_format="SIMPLE",
            review_interval_months=12,
            created_by=agent,
        )

    assert not Procedure.objects.exists()


def test_saving_a_draft_stores_content_steps_measures_and_history(supervisor):
    draft = new_procedure(owner=supervisor)

    saved = save(draft, purpose="Greet every caller the same way.")

    saved.refresh_from_db()
    assert saved.purpose == "Greet every caller the same way."
    assert saved.lock_version == 2
    assert [s.text for s in saved.ordered_steps()] == ["Greet the caller.", "Verify the caller."]
    assert [m.name for m in saved.ordered_measures()] == ["Service level"]
    latest = saved.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (supervisor, "Draft saved")
    assert saved.steps.first().history.latest().history_user == supervisor


def test_saving_without_changes_to_steps_records_no_step_history(supervisor):
    draft = save(new_procedure(owner=supervisor))
    step_history = sum(s.history.count() for s in draft.steps.all())

    save(draft, purpose="Reworded.")

    assert sum(s.history.count() for s in draft.steps.all()) == step_history


def test_a_stale_save_is_refused_and_keeps_the_other_persons_work(supervisor):
    draft = new_procedure(owner=supervisor)
    stale_version = draft.lock_version
    save(draft, purpose="Their purpose.")

    with pytest.raises(services.EditConflict) as conflict:
        services.save_draft(
            revision=draft,
            editor=supervisor,
            content=content(purpose="My purpose."),
            lock_version=stale_version,
        )

    assert "saved this draft while you were editing" in conflict.value.message
    assert conflict.value.current.purpose == "Their purpose."
    draft.refresh_from_db()
    assert draft.purpose == "Their purpose."
    assert draft.lock_version == 2


def test_invalid_steps_are_refused_and_change_nothing(supervisor):
    draft = new_procedure(owner=supervisor, step_format="FLOWCHART")
    before = draft.history.count()
    steps = [
        StepData("a", "Verified?", kind="DECISION", yes="b"),
        StepData("b", "End.", kind="END"),
    ]

    with pytest.raises(services.StepsInvalid) as refused:
        services.save_draft(
            revision=draft,
            editor=supervisor,
            content=content(step_format="FLOWCHART", purpose="New", steps=steps),
            lock_version=draft.lock_version,
        )

    assert refused.value.errors == ["Step 1 is a decision: choose where “no” leads."]
    draft.refresh_from_db()
    assert (draft.purpose, draft.lock_version, draft.steps.count(), draft.history.count()) == (
        "",
        1,
        0,
        before,
    )


def test_a_flowchart_saves_its_decision_targets_and_can_be_restructured(supervisor):
    draft = new_procedure(owner=supervisor, step_format="FLOWCHART")
    steps = [
        StepData("ask", "Verified?", kind="DECISION", yes="ok", no="no"),
        StepData("ok", "Help the caller.", next="end"),
        StepData("no", "Refuse politely."),
        StepData("end", "Done.", kind="END"),
    ]
    save(draft, step_format="FLOWCHART", steps=steps)

    save(
        draft,
        step_format="FLOWCHART",
        steps=[StepData("ask", "Help the caller."), StepData("end", "Done.", kind="END")],
    )

    draft.refresh_from_db()
    remaining = draft.ordered_steps()
    assert [(s.key, s.kind, s.yes_target_id) for s in remaining] == [
        ("ask", "ACTION", None),
        ("end", "END", None),
    ]


def test_only_the_owner_saves_a_draft(supervisor, supervisor2, manager):
    draft = new_procedure(owner=supervisor)

    for intruder in (supervisor2, manager):
        with pytest.raises(services.NotAllowed):
            save(draft, editor=intruder, purpose="Hijacked")

    draft.refresh_from_db()
    assert draft.purpose == ""


def test_a_revision_that_is_not_a_draft_cannot_be_saved(supervisor):
    draft = make_effective(save(new_procedure(owner=supervisor)))

    with pytest.raises(services.NotAllowed) as refused:
        save(draft, purpose="Changed after approval")

    assert "only a draft" in refused.value.message
    draft.refresh_from_db()
    assert draft.purpose == "Every caller is greeted the same way."


def test_starting_a_revision_copies_the_latest_content(supervisor):
    steps = [
        StepData("q", "Verified?", kind="DECISION", yes="y", no="n"),
        StepData("y", "Help."),
        StepData("n", "Refuse.", kind="END"),
    ]
    first = make_effective(
        save(
            new_procedure(owner=supervisor, step_format="FLOWCHART"),
            step_format="FLOWCHART",
            steps=steps,
            change_summary="First issue.",
        )
    )

    second = services.start_revision(procedure=first.procedure, author=supervisor)

    assert (second.number, second.status, second.purpose, second.change_summary) == (
        2,
        "DRAFT",
        first.purpose,
        "",
    )
    copied = {s.key: s for s in second.steps.all()}
    assert copied["q"].yes_target == copied["y"] and copied["q"].no_target == copied["n"]
    assert [m.name for m in second.ordered_measures()] == ["Service level"]
    assert first.steps.count() == 3  # the original is untouched


def test_a_second_open_revision_is_refused(supervisor):
    draft = new_procedure(owner=supervisor)

    with pytest.raises(services.OpenRevisionExists) as refused:
        services.start_revision(procedure=draft.procedure, author=supervisor)

    assert "Revision 1 of" in refused.value.message and "still open" in refused.value.message
    assert Revision.objects.count() == 1


def test_only_the_owner_starts_a_revision(supervisor, supervisor2):
    first = make_effective(new_procedure(owner=supervisor))

    with pytest.raises(services.NotAllowed):
        services.start_revision(procedure=first.procedure, author=supervisor2)

    assert Revision.objects.count() == 1
