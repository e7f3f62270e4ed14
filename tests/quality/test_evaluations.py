"""Evaluations: scored against the revisions in force at the call's time, shared once and never
changed, seen by the agent, their supervisor and the quality team only, acknowledged or
disputed, decided or corrected."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from procedures import selectors, workflow
from procedures.models import Notification, Procedure
from procedures.steps import StepData
from quality import evaluations, permissions
from quality.models import Answer, Evaluation, QualityEvent, Response
from quality.records import QualityRefused
from tests import factories
from tests import quality_factories as qf
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the revision in force then


def test_a_call_is_scored_against_the_revision_in_force_when_it_was_taken(
    revision, version, evaluator, agent, team
):
    between = timezone.now()
    steps = [
        StepData(key="a", text="Greet the caller by name and company."),
        StepData(key="b", text="Verify the caller's identity.", kind="DECISION", yes="c", no="d"),
        StepData(key="c", text="Answer the question."),
        StepData(key="d", text="Explain why you cannot go on.", next="e"),
        StepData(key="e", text="End the call.", kind="END"),
    ]
    qf.next_revision_in_force(revision, steps)

    before = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="REC-1", call_at=between
    )
    after = evaluations.start(
        actor=evaluator,
        version=version,
        agent=agent,
        call_reference="REC-2",
        call_at=timezone.now(),
    )

    assert [t.revision.number for t in before.revisions_in_force.all()] == [1]
    assert [t.revision.number for t in after.revisions_in_force.all()] == [2]
    assert evaluations.rows(before)[0].text == "Greet the caller by name."
    assert evaluations.rows(after)[0].text == "Greet the caller by name and company."


def test_a_step_that_was_not_in_the_revision_in_force_then_is_not_counted(
    supervisor, manager, evaluator, agent, team
):
    first = qf.effective_procedure(supervisor)
    between = timezone.now()
    steps = [*qf.STEPS[:3], StepData(key="d", text="Explain why you cannot go on.", next="f"),
             StepData(key="f", text="Offer a call back.", next="e"), qf.STEPS[4]]  # fmt: skip
    qf.next_revision_in_force(first, steps)
    version = qf.scorecard_in_use(first, builder=evaluator, approver=manager, general=())
    assert version.lines.filter(step_key="f").exists()  # built from revision 2

    evaluation = qf.scored(version, by=evaluator, agent=agent, call_at=between, answer="NO")

    rows = {row.line.step_key: row for row in evaluations.rows(evaluation)}
    assert not rows["f"].applicable and rows["f"].revision_number == 1
    assert (
        evaluation.points_possible == 4
    )  # four steps of revision 1, "Offer a call back" not counted
    assert not Answer.objects.filter(evaluation=evaluation, line=rows["f"].line).exists()


def test_a_call_while_the_procedure_was_withdrawn_has_no_revision_in_force_then(
    supervisor, manager
):
    first = qf.effective_procedure(supervisor)
    before = timezone.now()
    workflow.request_withdrawal(procedure=first.procedure, actor=supervisor, reason="Obsolete")
    factories.sign(first, manager, meaning="APPROVED_FOR_WITHDRAWAL")
    gap = timezone.now()
    second = qf.next_revision_in_force(first, qf.STEPS)  # in force again
    after = timezone.now()

    procedure = Procedure.objects.get(pk=first.procedure_id)
    assert procedure.withdrawn_at is None  # the procedure no longer says it was withdrawn
    assert selectors.revision_in_force_then(procedure, before) == first
    assert selectors.revision_in_force_then(procedure, gap) is None
    assert selectors.revision_in_force_then(procedure, after) == second


def test_a_call_before_the_procedure_was_in_force_is_not_scored_on_it(version, evaluator, agent):
    long_ago = timezone.now() - datetime.timedelta(days=400)

    with pytest.raises(QualityRefused) as refused:
        evaluations.start(
            actor=evaluator, version=version, agent=agent, call_reference="OLD", call_at=long_ago
        )

    assert "CC-CH-002 was not in force at the time of this call" in refused.value.message
    assert not Evaluation.objects.exists()


def test_a_call_in_the_future_is_refused(version, evaluator, agent):
    with pytest.raises(QualityRefused) as refused:
        evaluations.start(
            actor=evaluator,
            version=version,
            agent=agent,
            call_reference="LATER",
            call_at=timezone.now() + datetime.timedelta(hours=2),
        )

    assert refused.value.message == "The call's date and time is in the future."


def test_a_supervisor_scores_only_their_own_teams_agents(
    version, supervisor, supervisor2, agent, team
):
    qf.scored(version, by=supervisor, agent=agent)

    with pytest.raises(QualityRefused):
        evaluations.start(
            actor=supervisor2,
            version=version,
            agent=agent,
            call_reference="X",
            call_at=timezone.now(),
        )

    assert Evaluation.objects.count() == 1


# ---------------------------------------------------------------- sharing and the score


def test_sharing_keeps_the_score_and_tells_the_agent(version, evaluator, agent):
    lines = list(version.lines.order_by("position"))
    verify = lines[1]
    verify.critical = True
    verify.save()  # arranging a critical line directly: the scorecard is already in use

    evaluation = qf.scored(
        version, by=evaluator, agent=agent, answers={"Greet": "NO", "Closed": "NA"}
    )

    assert evaluation.is_shared and evaluation.shared_at is not None
    assert (evaluation.points_earned, evaluation.points_possible) == (3, 4)
    assert evaluation.score == Decimal("75.00") and not evaluation.critical_failed
    note = Notification.objects.get(recipient=agent)
    assert note.kind == "EVALUATION_SHARED" and note.url == evaluation.get_absolute_url()
    assert str(note) == "Your call REC-1 was evaluated: 75.00 %"


def test_a_critical_line_answered_no_scores_zero(version, evaluator, agent):
    line = version.lines.get(step_key="b")
    line.critical = True
    line.save()

    evaluation = qf.scored(version, by=evaluator, agent=agent, answers={"Verify": "NO"})

    assert evaluation.critical_failed and evaluation.score == Decimal("0.00")
    assert evaluation.points_earned == evaluation.points_possible - 1


def test_an_evaluation_is_not_shared_with_lines_unanswered(version, evaluator, agent):
    evaluation = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="R", call_at=timezone.now()
    )
    first = evaluations.rows(evaluation)[0]

    with pytest.raises(QualityRefused) as refused:
        evaluations.save(
            evaluation=evaluation, actor=evaluator, answers={first.line.pk: ("YES", "Good.")},
            summary="", hide_evaluator=False, share=True,
        )  # fmt: skip

    assert refused.value.message.startswith("Answer every line before sharing: 2, 3, 4")
    evaluation.refresh_from_db()
    assert evaluation.is_draft and not evaluation.answers.exists()
    assert not Notification.objects.filter(recipient=agent).exists()


def test_a_draft_keeps_its_answers_until_it_is_shared(version, evaluator, agent):
    evaluation = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="R", call_at=timezone.now()
    )
    first = evaluations.rows(evaluation)[0]

    evaluations.save(
        evaluation=evaluation, actor=evaluator, answers={first.line.pk: ("NO", "Forgot the name.")},
        summary="Half done.", hide_evaluator=True, share=False,
    )  # fmt: skip

    row = evaluations.rows(evaluation)[0]
    assert (row.answer, row.comment) == ("NO", "Forgot the name.")
    evaluation.refresh_from_db()
    assert evaluation.is_draft and evaluation.summary == "Half done." and evaluation.hide_evaluator


def test_a_shared_evaluation_is_never_changed(version, evaluator, agent):
    evaluation = qf.scored(version, by=evaluator, agent=agent)

    with pytest.raises(QualityRefused) as refused:
        evaluations.save(
            evaluation=evaluation, actor=evaluator, answers={}, summary="Changed my mind.",
            hide_evaluator=False, share=False,
        )  # fmt: skip

    assert "This evaluation was shared: it is not changed" in refused.value.message
    evaluation.refresh_from_db()
    assert evaluation.summary == "" and evaluation.score == Decimal("100.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")
def test_the_database_refuses_to_change_a_shared_evaluation_or_its_answers(
    version, evaluator, agent
):
    evaluation = qf.scored(version, by=evaluator, agent=agent)

    with pytest.raises(DatabaseError), transaction.atomic():
        Evaluation.objects.filter(pk=evaluation.pk).update(score=Decimal("10"))
    with pytest.raises(DatabaseError), transaction.atomic():
        Answer.objects.filter(evaluation=evaluation).update(answer="NO")
    with pytest.raises(DatabaseError), transaction.atomic():
        QualityEvent.objects.filter(evaluation=evaluation).delete()

    evaluation.refresh_from_db()
    assert evaluation.score == Decimal("100.00")


# ---------------------------------------------------------------- who sees what


def test_each_person_sees_the_evaluations_they_may_follow(
    version, evaluator, supervisor, agent, team, manager
):
    other_agent = UserFactory(username="other", role="Agent")
    mine = qf.scored(version, by=evaluator, agent=agent, reference="MINE")
    theirs = qf.scored(version, by=evaluator, agent=other_agent, reference="THEIRS")
    draft = qf.scored(version, by=evaluator, agent=agent, reference="DRAFT", share=False)

    def seen(user):
        return set(
            permissions.evaluations_visible_to(user).values_list("call_reference", flat=True)
        )

    assert seen(agent) == {"MINE"}
    assert seen(other_agent) == {"THEIRS"}
    assert seen(supervisor) == {"MINE"}  # their team's
    assert seen(manager) == {"MINE", "THEIRS"}
    assert seen(evaluator) == {"MINE", "THEIRS", "DRAFT"}
    assert seen(qf.evaluator("colleague")) == {"MINE", "THEIRS"}
    assert not permissions.can_see_evaluation(agent, draft)
    assert not permissions.can_see_evaluation(other_agent, mine)
    assert permissions.can_see_evaluation(other_agent, theirs)


def test_the_evaluator_can_be_hidden_from_the_agent_only(
    version, evaluator, agent, supervisor, team
):
    evaluation = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="R", call_at=timezone.now()
    )
    answers = {row.line.pk: ("YES", "") for row in evaluations.rows(evaluation)}
    evaluation = evaluations.save(
        evaluation=evaluation,
        actor=evaluator,
        answers=answers,
        summary="",
        hide_evaluator=True,
        share=True,
    )

    assert not permissions.shows_evaluator(agent, evaluation)
    assert permissions.shows_evaluator(supervisor, evaluation)


# ---------------------------------------------------------------- answering an evaluation


def test_the_agent_acknowledges_once(version, evaluator, agent):
    evaluation = qf.scored(version, by=evaluator, agent=agent)

    evaluations.respond(evaluation=evaluation, actor=agent, dispute=False, reason="")

    assert Response.objects.get(evaluation=evaluation).kind == "ACKNOWLEDGED"
    with pytest.raises(QualityRefused):
        evaluations.respond(evaluation=evaluation, actor=agent, dispute=True, reason="Later.")
    assert Response.objects.count() == 1


def test_a_dispute_needs_a_reason_and_goes_to_the_supervisor(
    version, evaluator, agent, supervisor, team
):
    evaluation = qf.scored(version, by=evaluator, agent=agent)

    with pytest.raises(QualityRefused) as refused:
        evaluations.respond(evaluation=evaluation, actor=agent, dispute=True, reason=" ")
    assert refused.value.message == "Say why you dispute the evaluation."
    assert not Response.objects.exists()

    evaluations.respond(
        evaluation=evaluation, actor=agent, dispute=True, reason="I did verify: listen at 1:20."
    )

    note = Notification.objects.get(recipient=supervisor)
    assert note.kind == "EVALUATION_DISPUTED" and "disputed the evaluation of call REC-1" in str(
        note
    )
    evaluation.refresh_from_db()
    assert permissions.can_decide_dispute(supervisor, evaluation)
    assert not permissions.can_decide_dispute(evaluator, evaluation)
    assert not permissions.can_respond(agent, evaluation)


def test_the_supervisor_decides_that_the_score_stands(version, evaluator, agent, supervisor, team):
    evaluation = qf.scored(version, by=evaluator, agent=agent)
    evaluations.respond(evaluation=evaluation, actor=agent, dispute=True, reason="Unfair.")

    evaluations.uphold(
        evaluation=evaluation, actor=supervisor, note="The recording shows no check."
    )

    response = Response.objects.get(evaluation=evaluation)
    assert response.decision == "UPHELD" and response.decided_by == supervisor
    assert Notification.objects.filter(recipient=agent, kind="DISPUTE_DECIDED").exists()
    with pytest.raises(QualityRefused):
        evaluations.uphold(evaluation=evaluation, actor=supervisor, note="Again.")


def test_a_correction_replaces_the_evaluation_and_closes_the_dispute(
    version, evaluator, agent, supervisor, team
):
    evaluation = qf.scored(version, by=evaluator, agent=agent, answers={"Verify": "NO"})
    evaluations.respond(evaluation=evaluation, actor=agent, dispute=True, reason="I verified.")

    with pytest.raises(QualityRefused):
        evaluations.correct(evaluation=evaluation, actor=supervisor, reason="")
    draft = evaluations.correct(evaluation=evaluation, actor=supervisor, reason="Verified at 1:20.")
    answers = {row.line.pk: ("YES", "") for row in evaluations.rows(draft)}
    evaluations.save(
        evaluation=draft,
        actor=supervisor,
        answers=answers,
        summary="",
        hide_evaluator=False,
        share=True,
    )

    evaluation.refresh_from_db()
    draft.refresh_from_db()
    assert evaluation.is_corrected and draft.is_shared and draft.replaces == evaluation
    assert draft.score == Decimal("100.00") and evaluation.score < draft.score
    assert evaluation.response.decision == "CORRECTED"
    assert QualityEvent.objects.filter(
        evaluation=evaluation, action="EVALUATION_CORRECTED"
    ).exists()
    assert set(permissions.evaluations_visible_to(agent).values_list("status", flat=True)) == {
        "SHARED", "CORRECTED",
    }  # fmt: skip


def test_an_agent_does_not_correct_their_own_evaluation(version, evaluator, agent):
    evaluation = qf.scored(version, by=evaluator, agent=agent)

    with pytest.raises(QualityRefused):
        evaluations.correct(evaluation=evaluation, actor=agent, reason="I think I did well.")

    assert Evaluation.objects.count() == 1
