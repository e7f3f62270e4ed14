"""Scorecards built from procedures: lines from the steps in force, the version's state machine,
and the next version when a procedure moved on (a line-level diff)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procedures.steps import StepData
from quality import scorecards, scoring, workflow
from quality.models import QualityEvent, ScorecardLine, ScorecardVersion
from quality.records import QualityRefused
from tests import factories
from tests import quality_factories as qf

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the score's arithmetic

marked = st.builds(
    scoring.Marked,
    weight=st.integers(min_value=1, max_value=10),
    critical=st.booleans(),
    answer=st.sampled_from(["YES", "NO", "NA"]),
)


@given(st.lists(marked, max_size=40))
def test_the_score_is_the_weighted_share_of_yes_among_lines_answered_yes_or_no(lines):
    result = scoring.score(lines)

    counted = [line for line in lines if line.answer != "NA"]
    assert result.possible == sum(line.weight for line in counted)
    assert result.earned == sum(line.weight for line in counted if line.answer == "YES")
    if result.possible:
        exact = Decimal(result.earned) * 100 / Decimal(result.possible)
        assert abs(result.weighted - exact) <= Decimal("0.005")
        assert Decimal(0) <= result.weighted <= Decimal(100)
    else:
        assert result.weighted is None and result.score is None


@given(st.lists(marked, max_size=40))
def test_a_critical_line_answered_no_fails_the_call_whatever_else_was_earned(lines):
    result = scoring.score(lines)

    failed = any(line.critical and line.answer == "NO" for line in lines)
    assert result.critical_failed == failed
    if failed:
        assert result.score == Decimal("0.00")
    elif result.weighted is not None:
        assert result.score == result.weighted


@given(st.lists(marked, min_size=1, max_size=20))
def test_not_applicable_lines_change_nothing(lines):
    with_na = lines + [scoring.Marked(weight=7, critical=True, answer="NA")]

    assert scoring.score(with_na) == scoring.score(lines)


def test_the_score_by_hand():
    lines = [
        scoring.Marked(3, False, "YES"),
        scoring.Marked(1, False, "NO"),
        scoring.Marked(2, False, "YES"),
        scoring.Marked(5, False, "NA"),
    ]

    result = scoring.score(lines)

    assert (result.earned, result.possible, result.score) == (5, 6, Decimal("83.33"))
    assert scoring.score(
        [scoring.Marked(1, False, "YES"), scoring.Marked(2, False, "NO")]
    ).score == Decimal("33.33")
    assert scoring.score(
        [scoring.Marked(2, False, "YES"), scoring.Marked(1, False, "NO")]
    ).score == Decimal("66.67")


# ---------------------------------------------------------------- building


def test_a_scorecard_takes_its_lines_from_the_steps_of_the_revision_in_force(supervisor):
    revision = qf.effective_procedure(supervisor, code="CC-CH-002")
    builder = qf.evaluator()

    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=builder
    )

    lines = list(version.lines.order_by("position"))
    assert [(line.step_number, line.kind, line.text) for line in lines] == [
        ("1", "STEP", "Greet the caller by name."),
        ("2", "DECISION", "Verify the caller's identity."),
        ("3", "STEP", "Answer the question."),
        ("4", "STEP", "Explain why you cannot go on."),
    ]  # the "End" step is no line; Markdown is read as plain text
    assert version.is_draft and version.number == 1
    assert list(version.sources.values_list("revision", flat=True)) == [revision.pk]
    assert QualityEvent.objects.filter(
        scorecard_version=version, action="SCORECARD_CREATED"
    ).exists()


def test_a_scorecard_is_not_built_from_a_procedure_with_nothing_in_force(supervisor):
    draft = factories.new_procedure(owner=supervisor, code="CC-DR-001")

    with pytest.raises(QualityRefused) as refused:
        scorecards.create_scorecard(
            name="Inbound", description="", procedures=[draft.procedure], actor=qf.evaluator()
        )

    assert "CC-DR-001 has no revision in force" in refused.value.message
    assert not ScorecardVersion.objects.exists()


def test_an_agent_does_not_build_scorecards(supervisor, agent):
    revision = qf.effective_procedure(supervisor)

    with pytest.raises(QualityRefused):
        scorecards.create_scorecard(
            name="Mine", description="", procedures=[revision.procedure], actor=agent
        )

    assert not ScorecardVersion.objects.exists()


def test_saving_lines_sets_weights_critical_flags_and_adds_general_lines(supervisor):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=builder
    )
    first, second, *rest = version.lines.order_by("position")

    scorecards.save_lines(
        version=version,
        actor=builder,
        edits=[
            scorecards.LineEdit(pk=first.pk, weight=3, critical=False, remove=False),
            scorecards.LineEdit(pk=second.pk, weight=2, critical=True, remove=False),
            scorecards.LineEdit(pk=rest[-1].pk, weight=1, critical=False, remove=True),
        ],
        new_general=["Used the hold script.", "  "],
        change_note="First weights.",
    )

    lines = list(version.lines.order_by("position"))
    assert [(line.text, line.weight, line.critical) for line in lines] == [
        ("Greet the caller by name.", 3, False),
        ("Verify the caller's identity.", 2, True),
        ("Answer the question.", 1, False),
        ("Used the hold script.", 1, False),
    ]
    assert lines[-1].is_general


def test_a_scorecard_in_review_is_not_edited(supervisor, manager):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=builder
    )
    workflow.submit(version=version, actor=builder)
    line = version.lines.first()

    with pytest.raises(QualityRefused) as refused:
        scorecards.save_lines(
            version=version,
            actor=builder,
            edits=[scorecards.LineEdit(pk=line.pk, weight=9, critical=True, remove=False)],
            new_general=[],
            change_note="",
        )

    assert "only a draft is changed" in refused.value.message
    line.refresh_from_db()
    assert (line.weight, line.critical) == (1, False)


# ---------------------------------------------------------------- the state machine


def test_a_scorecard_goes_from_draft_to_in_use_and_retires_the_version_before_it(
    supervisor, manager
):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    first = qf.scorecard_in_use(revision, builder=builder, approver=manager)
    second = scorecards.start_next_version(version=first, actor=builder)

    workflow.submit(version=second, actor=builder)
    workflow.approve(version=second, actor=manager)
    workflow.put_in_use(version=second, actor=builder)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_retired and first.retired_at is not None
    assert second.is_in_use and second.approved_by == manager
    assert list(
        QualityEvent.objects.filter(scorecard_version=second)
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["SCORECARD_REVISED", "SUBMIT", "APPROVE", "PUT_IN_USE"]


def test_a_manager_does_not_approve_a_version_they_wrote(supervisor, manager):
    revision = qf.effective_procedure(supervisor)
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=manager
    )
    workflow.submit(version=version, actor=manager)

    with pytest.raises(QualityRefused) as refused:
        workflow.approve(version=version, actor=manager)

    assert refused.value.message == "A manager who did not write this version approves it."
    version.refresh_from_db()
    assert version.is_in_review
    assert not QualityEvent.objects.filter(action="APPROVE").exists()


def test_an_evaluator_does_not_approve(supervisor):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=builder
    )
    workflow.submit(version=version, actor=builder)

    with pytest.raises(QualityRefused):
        workflow.approve(version=version, actor=qf.evaluator("evaluator2"))

    version.refresh_from_db()
    assert version.is_in_review


def test_a_draft_is_not_put_in_use(supervisor, manager):
    revision = qf.effective_procedure(supervisor)
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=qf.evaluator()
    )

    with pytest.raises(QualityRefused) as refused:
        workflow.put_in_use(version=version, actor=manager)

    assert refused.value.message == "Version 1 is draft: this is not possible now."
    version.refresh_from_db()
    assert version.is_draft


def test_returning_a_version_needs_a_reason_and_brings_it_back_to_draft(supervisor, manager):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=builder
    )
    workflow.submit(version=version, actor=builder)

    with pytest.raises(QualityRefused):
        workflow.return_for_changes(version=version, actor=manager, reason="  ")
    workflow.return_for_changes(version=version, actor=manager, reason="Weigh the greeting less.")

    version.refresh_from_db()
    assert version.is_draft
    assert (
        QualityEvent.objects.get(action="RETURN_FOR_CHANGES").reason == "Weigh the greeting less."
    )


def test_the_database_keeps_one_version_in_use_per_scorecard(supervisor, manager):
    from django.db import IntegrityError, transaction

    revision = qf.effective_procedure(supervisor)
    first = qf.scorecard_in_use(revision, builder=qf.evaluator(), approver=manager)
    second = scorecards.start_next_version(version=first, actor=manager)

    with pytest.raises(IntegrityError), transaction.atomic():
        ScorecardVersion.objects.filter(pk=second.pk).update(
            status="IN_USE", submitted_at=first.submitted_at, approved_at=first.approved_at,
            approved_by=manager, in_use_at=first.in_use_at,
        )  # fmt: skip


# ---------------------------------------------------------------- following the procedures


def test_a_scorecard_shows_which_procedure_moved_on_with_a_line_diff(supervisor, manager):
    revision = qf.effective_procedure(supervisor, code="CC-CH-010")
    version = qf.scorecard_in_use(revision, builder=qf.evaluator(), approver=manager)
    steps = [
        StepData(key="a", text="Greet the caller by name and company."),
        StepData(key="b", text="Verify the caller's identity.", kind="DECISION", yes="c", no="d"),
        StepData(key="c", text="Answer the question."),
        StepData(key="d", text="Explain why you cannot go on.", next="f"),
        StepData(key="f", text="Offer a call back.", next="e"),
        StepData(key="e", text="End the call.", kind="END"),
    ]
    qf.next_revision_in_force(revision, steps)

    moved = scorecards.moved_on(version)

    assert len(moved) == 1
    assert (moved[0].based_on.number, moved[0].in_force.number) == (1, 2)
    changed = [
        (c.change, c.number, c.before, c.after) for c in moved[0].changes if c.change != "same"
    ]
    assert changed == [
        ("changed", "1", "Greet the caller by name.", "Greet the caller by name and company."),
        ("added", "5", "", "Offer a call back."),
    ]


def test_the_next_version_takes_the_steps_in_force_and_keeps_weights_of_steps_kept(
    supervisor, manager
):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=builder
    )
    verify = version.lines.get(step_key="b")
    scorecards.save_lines(
        version=version,
        actor=builder,
        edits=[scorecards.LineEdit(pk=verify.pk, weight=4, critical=True, remove=False)],
        new_general=["Closed politely."],
        change_note="",
    )
    workflow.submit(version=version, actor=builder)
    workflow.approve(version=version, actor=manager)
    workflow.put_in_use(version=version, actor=manager)
    steps = [
        StepData(
            key="b", text="Verify the caller's identity twice.", kind="DECISION", yes="c", no="e"
        ),
        StepData(key="c", text="Answer the question.", next="e"),
        StepData(key="e", text="End the call.", kind="END"),
    ]
    current = qf.next_revision_in_force(revision, steps)

    draft = scorecards.start_next_version(version=version, actor=builder)

    lines = list(draft.lines.order_by("position"))
    assert [(line.step_key, line.text, line.weight, line.critical) for line in lines] == [
        ("b", "Verify the caller's identity twice.", 4, True),
        ("c", "Answer the question.", 1, False),
        ("", "Closed politely.", 1, False),
    ]
    assert draft.number == 2 and draft.is_draft
    assert list(draft.sources.values_list("revision", flat=True)) == [current.pk]
    assert scorecards.moved_on(draft) == []


def test_only_one_next_version_is_prepared_at_a_time(supervisor, manager):
    revision = qf.effective_procedure(supervisor)
    builder = qf.evaluator()
    version = qf.scorecard_in_use(revision, builder=builder, approver=manager)
    scorecards.start_next_version(version=version, actor=builder)

    with pytest.raises(QualityRefused) as refused:
        scorecards.start_next_version(version=version, actor=builder)

    assert refused.value.message == "This scorecard already has a version being prepared."
    assert ScorecardLine.objects.filter(version__number=3).count() == 0
