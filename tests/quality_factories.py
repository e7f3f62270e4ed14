"""Quality records built through the real acts (quality/), on procedures made effective through
the real workflow (tests/factories.py)."""

from django.utils import timezone

from procedures import services
from procedures.steps import StepData
from quality import evaluations, scorecards, workflow
from quality.models import Evaluation, ScorecardVersion
from tests import factories
from tests.factories import UserFactory

STEPS = [
    StepData(key="a", text="Greet the caller **by name**."),
    StepData(key="b", text="Verify the caller's identity.", kind="DECISION", yes="c", no="d"),
    StepData(key="c", text="Answer the question."),
    StepData(key="d", text="Explain why you cannot go on.", next="e"),
    StepData(key="e", text="End the call.", kind="END"),
]


def effective_procedure(owner, *, code=None, steps=STEPS, step_format="FLOWCHART"):
    """A procedure whose revision 1 (with `steps`) is in force."""
    draft = factories.new_procedure(owner=owner, code=code, step_format=step_format)
    factories.save(draft, steps=steps, step_format=step_format)
    return factories.make_effective(draft)


def next_revision_in_force(revision, steps, step_format="FLOWCHART"):
    owner = revision.procedure.owner
    draft = services.start_revision(procedure=revision.procedure, author=owner)
    factories.save(draft, steps=steps, step_format=step_format, change_summary="New steps.")
    return factories.make_effective(draft)


def evaluator(username="evaluator"):
    return UserFactory(username=username, role="Quality evaluator")


def scorecard_in_use(*revisions, builder, approver=None, general=("Closed the call politely.",)):
    """A scorecard built from the procedures of `revisions`, approved and put in use."""
    version = scorecards.create_scorecard(
        name="Inbound calls",
        description="",
        procedures=[r.procedure for r in revisions],
        actor=builder,
    )
    if general:
        scorecards.save_lines(
            version=version, actor=builder, edits=[], new_general=list(general), change_note=""
        )
    approver = approver or factories.manager()
    workflow.submit(version=version, actor=builder)
    workflow.approve(version=version, actor=approver)
    return workflow.put_in_use(version=version, actor=approver)


def scored(
    version: ScorecardVersion,
    *,
    by,
    agent,
    answer="YES",
    answers=None,
    share=True,
    call_at=None,
    reference="REC-1",
) -> Evaluation:
    """An evaluation of one call, every line answered `answer` unless `answers` (by line text
    prefix) says otherwise, shared unless told not to."""
    evaluation = evaluations.start(
        actor=by,
        version=version,
        agent=agent,
        call_reference=reference,
        call_at=call_at or timezone.now(),
    )
    given = {}
    for row in evaluations.rows(evaluation):
        if not row.applicable:
            continue
        chosen = answer
        for prefix, value in (answers or {}).items():
            if row.text.startswith(prefix):
                chosen = value
        given[row.line.pk] = (chosen, "")
    return evaluations.save(
        evaluation=evaluation,
        actor=by,
        answers=given,
        summary="",
        hide_evaluator=False,
        share=share,
    )
