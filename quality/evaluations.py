"""Scoring a call: start an evaluation, answer its lines, share it with the agent; the agent
acknowledges or disputes; a dispute is decided by the supervisor or answered by a correction.

A call is scored against the procedure revisions in force when it was taken (not today's): a
step line whose step was not in that revision does not count, and each line shows the step as
the agent had it. Shared evaluations are never changed; a correction is a new evaluation."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures import notifications, selectors
from procedures.models import Notification, User

from . import permissions, scoring, tallies
from .models import Answer, EvaluatedRevision, Evaluation, Response, ScorecardLine, ScorecardVersion
from .records import QualityRefused, record
from .scorecards import step_lines

Choice = Answer.Choice
# a call "in the future" by less than this is the recording system's clock, not a mistake
CLOCK_TOLERANCE = datetime.timedelta(minutes=1)


@transaction.atomic
def start(
    *,
    actor: User,
    version: ScorecardVersion,
    agent: User,
    call_reference: str,
    call_at,
) -> Evaluation:
    """A draft evaluation of one call, with the revisions in force at the call's time."""
    if not permissions.can_score_calls(actor):
        raise QualityRefused(_("Calls are scored by quality evaluators and supervisors."))
    if not permissions.agents_to_score(actor).filter(pk=agent.pk).exists():
        raise QualityRefused(_("You may not score calls of %(name)s.") % {"name": agent})
    return create(
        actor=actor, version=version, agent=agent, call_reference=call_reference, call_at=call_at
    )


def create(
    *,
    actor: User,
    version: ScorecardVersion,
    agent: User,
    call_reference: str,
    call_at,
    calibration=None,
) -> Evaluation:
    """The draft itself, once the caller checked who may score whom."""
    version = ScorecardVersion.objects.select_for_update().get(
        pk=version.pk
    )  # not retired meanwhile
    if not version.is_in_use:
        raise QualityRefused(_("Calls are scored on a scorecard in use."))
    if call_at > timezone.now() + CLOCK_TOLERANCE:
        raise QualityRefused(_("The call's date and time is in the future."))
    sources = list(version.sources.select_related("procedure").order_by("pk"))
    then = [selectors.revision_in_force_then(s.procedure, call_at) for s in sources]
    if not any(
        then
    ):  # a procedure not in force then (withdrawn, not yet in force) counts for nothing
        raise QualityRefused(
            _("%(codes)s was not in force at the time of this call: it cannot be scored on it.")
            % {"codes": ", ".join(s.procedure.code for s in sources)}
        )
    then = [revision for revision in then if revision is not None]
    evaluation = Evaluation.objects.create(
        scorecard_version=version,
        evaluator=actor,
        agent=agent,
        call_reference=call_reference.strip(),
        call_at=call_at,
        calibration=calibration,
    )
    EvaluatedRevision.objects.bulk_create(
        EvaluatedRevision(evaluation=evaluation, procedure_id=r.procedure_id, revision=r)
        for r in then
    )
    record(
        action="EVALUATION_STARTED",
        actor=actor,
        evaluation=evaluation,
        to_status=Evaluation.Status.DRAFT,
    )
    return evaluation


@dataclass
class Row:
    """A line of an evaluation as the evaluator and the agent read it."""

    line: ScorecardLine
    applicable: bool  # False: the step was not in the revision in force at the call's time
    number: str
    text: str
    answer: str = ""
    comment: str = ""
    revision_number: int | None = None


def rows(evaluation: Evaluation) -> list[Row]:
    """Each line with its answer, its step as it read in the revision in force then."""
    steps_then = {}
    numbers_then = {}
    for then in evaluation.revisions_in_force.select_related("revision").prefetch_related(
        "revision__steps"
    ):
        numbers_then[then.procedure_id] = then.revision.number
        for step in step_lines(then.revision):
            steps_then[(then.procedure_id, step.key)] = step
    answers = {a.line_id: a for a in evaluation.answers.all()}
    result = []
    for line in evaluation.scorecard_version.lines.select_related("procedure").order_by(
        "position", "pk"
    ):
        answer = answers.get(line.pk)
        row = Row(
            line=line,
            applicable=True,
            number=line.step_number,
            text=line.text,
            answer=answer.answer if answer else "",
            comment=answer.comment if answer else "",
        )
        if not line.is_general:
            step = steps_then.get((line.procedure_id, line.step_key))
            row.revision_number = numbers_then.get(line.procedure_id)  # None: not in force then
            if step is None:
                row.applicable, row.answer = False, Choice.NOT_APPLICABLE
            else:
                row.number, row.text = step.number, step.text
        result.append(row)
    return result


def score_of(marked: list[Row]) -> scoring.Score:
    return scoring.score(
        scoring.Marked(r.line.weight, r.line.critical, r.answer) for r in marked if r.answer
    )


def _lock_draft(evaluation: Evaluation, actor: User) -> Evaluation:
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not permissions.can_edit_evaluation(actor, locked):
        raise QualityRefused(
            _("This evaluation was shared: it is not changed. A correction replaces it.")
            if not locked.is_draft
            else _("Only the person scoring this call changes it.")
        )
    return locked


@transaction.atomic
def save(
    *,
    evaluation: Evaluation,
    actor: User,
    answers: dict[int, tuple[str, str]],
    summary: str,
    hide_evaluator: bool,
    share: bool,
) -> Evaluation:
    """Write the answers (line id → answer, comment) of a draft; with `share`, every line that
    counts must be answered, the score is computed and kept, and the agent is told."""
    evaluation = _lock_draft(evaluation, actor)
    marked = rows(evaluation)
    for row in marked:
        if row.applicable and row.line.pk in answers:
            row.answer, row.comment = answers[row.line.pk]
            if row.answer not in Choice.values:
                row.answer = ""
    unanswered = [  # a comment is kept with its answer: one without would be lost
        str(place)
        for place, r in enumerate(marked, 1)
        if r.applicable and r.comment and not r.answer
    ]
    if unanswered:
        raise QualityRefused(
            _("Choose an answer where you wrote a comment: line %(lines)s.")
            % {"lines": ", ".join(unanswered)}
        )
    if share:
        missing = [  # as the form numbers its lines
            str(place) for place, r in enumerate(marked, start=1) if r.applicable and not r.answer
        ]
        if missing:
            raise QualityRefused(
                _("Answer every line before sharing: %(lines)s.") % {"lines": ", ".join(missing)}
            )
    Answer.objects.filter(evaluation=evaluation).delete()
    Answer.objects.bulk_create(
        Answer(evaluation=evaluation, line=r.line, answer=r.answer, comment=r.comment[:1000])
        for r in marked
        if r.answer and r.applicable
    )
    evaluation.summary = summary
    evaluation.hide_evaluator = hide_evaluator
    fields = ["summary", "hide_evaluator", "updated_at"]
    if share:
        result = score_of(marked)
        if result.score is None:
            raise QualityRefused(_("Every line is “Not applicable”: there is nothing to score."))
        evaluation.status = Evaluation.Status.SHARED
        evaluation.shared_at = timezone.now()
        evaluation.points_earned = result.earned
        evaluation.points_possible = result.possible
        evaluation.critical_failed = result.critical_failed
        evaluation.score = result.score
        evaluation.team_key = evaluation.agent.team_id or 0
        fields += ["status", "shared_at", "points_earned", "points_possible"]
        fields += ["critical_failed", "score", "team_key"]
    evaluation.save(update_fields=fields)
    if share:
        _shared(evaluation, actor)
    return evaluation


def _shared(evaluation: Evaluation, actor: User) -> None:
    if evaluation.calibration_id is not None:  # a score for the session, not for the agent
        record(action="CALIBRATION_SCORED", actor=actor, evaluation=evaluation)
        return
    tallies.count(evaluation)
    record(
        action="EVALUATION_SHARED",
        actor=actor,
        evaluation=evaluation,
        from_status=Evaluation.Status.DRAFT,
        to_status=Evaluation.Status.SHARED,
        reason=evaluation.correction_reason,
    )
    replaced = evaluation.replaces
    if replaced is not None:
        replaced = Evaluation.objects.select_for_update().get(pk=replaced.pk)
        replaced.status = Evaluation.Status.CORRECTED
        replaced.save(update_fields=["status", "updated_at"])
        tallies.count(replaced, sign=-1)
        record(
            action="EVALUATION_CORRECTED",
            actor=actor,
            evaluation=replaced,
            from_status=Evaluation.Status.SHARED,
            to_status=Evaluation.Status.CORRECTED,
            reason=evaluation.correction_reason,
        )
        open_dispute = Response.objects.filter(
            evaluation=replaced, kind=Response.Kind.DISPUTED, decision=""
        ).first()
        if open_dispute is not None:
            _decide(open_dispute, actor, Response.Decision.CORRECTED, evaluation.correction_reason)
    notifications.post(
        [evaluation.agent],
        kind=Notification.Kind.EVALUATION_SHARED,
        params={
            "call": evaluation.call_reference,
            "score": str(evaluation.score),
            "corrected": evaluation.replaces_id is not None,
        },
        url=evaluation.get_absolute_url(),
    )


@transaction.atomic
def correct(*, evaluation: Evaluation, actor: User, reason: str) -> Evaluation:
    """A draft that will replace a shared evaluation once shared, its answers copied."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not permissions.can_correct(actor, evaluation):
        raise QualityRefused(_("You may not correct this evaluation."))
    if not reason.strip():
        raise QualityRefused(_("Say why the evaluation is corrected."))
    started = Evaluation.objects.filter(replaces=evaluation).select_related("evaluator").first()
    if started is not None and started.evaluator_id == actor.pk:
        return started  # theirs, not shared yet: they go on with it
    if started is not None:
        raise QualityRefused(
            _("%(name)s is already writing a correction of this evaluation.")
            % {"name": started.evaluator.display_name}
        )
    draft = Evaluation.objects.create(
        scorecard_version=evaluation.scorecard_version,
        evaluator=actor,
        agent=evaluation.agent,
        call_reference=evaluation.call_reference,
        call_at=evaluation.call_at,
        hide_evaluator=evaluation.hide_evaluator,
        summary=evaluation.summary,
        replaces=evaluation,
        correction_reason=reason.strip(),
    )
    EvaluatedRevision.objects.bulk_create(
        EvaluatedRevision(evaluation=draft, procedure_id=t.procedure_id, revision_id=t.revision_id)
        for t in evaluation.revisions_in_force.all()
    )
    Answer.objects.bulk_create(
        Answer(evaluation=draft, line_id=a.line_id, answer=a.answer, comment=a.comment)
        for a in evaluation.answers.all()
    )
    record(
        action="CORRECTION_STARTED",
        actor=actor,
        evaluation=draft,
        to_status=Evaluation.Status.DRAFT,
        reason=reason.strip(),
    )
    return draft


@transaction.atomic
def respond(*, evaluation: Evaluation, actor: User, dispute: bool, reason: str) -> Response:
    """The agent acknowledges the evaluation, or disputes it with a reason; a dispute goes to
    the agent's supervisor (and to the managers when the agent has no team)."""
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("agent__team")
        .get(pk=evaluation.pk)
    )
    if not permissions.can_respond(actor, evaluation):
        raise QualityRefused(_("This evaluation cannot be answered now."))
    if dispute and not reason.strip():
        raise QualityRefused(_("Say why you dispute the evaluation."))
    kind = Response.Kind.DISPUTED if dispute else Response.Kind.ACKNOWLEDGED
    response = Response.objects.create(evaluation=evaluation, kind=kind, reason=reason.strip())
    record(action=f"EVALUATION_{kind}", actor=actor, evaluation=evaluation, reason=reason.strip())
    if dispute:
        notifications.post(
            permissions.dispute_handlers(evaluation),
            kind=Notification.Kind.EVALUATION_DISPUTED,
            params={"name": actor.display_name, "call": evaluation.call_reference},
            url=evaluation.get_absolute_url(),
            detail=reason.strip(),
        )
    return response


def _decide(response: Response, actor: User, decision: str, note: str) -> Response:
    response.decided_by = actor
    response.decision = decision
    response.decision_note = note
    response.decided_at = timezone.now()
    response.save(update_fields=["decided_by", "decision", "decision_note", "decided_at"])
    record(
        action="DISPUTE_DECIDED",
        actor=actor,
        evaluation=response.evaluation,
        reason=f"{decision}: {note}" if note else decision,
    )
    notifications.post(
        [response.evaluation.agent],
        kind=Notification.Kind.DISPUTE_DECIDED,
        params={"call": response.evaluation.call_reference},
        url=response.evaluation.get_absolute_url(),
        detail=note,
    )
    return response


@transaction.atomic
def uphold(*, evaluation: Evaluation, actor: User, note: str) -> Response:
    """The supervisor decides the dispute: the score stands, for the reason they give."""
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("agent__team")
        .get(pk=evaluation.pk)
    )
    if not permissions.can_decide_dispute(actor, evaluation):
        raise QualityRefused(_("This dispute is decided by the agent's supervisor or a manager."))
    if not note.strip():
        raise QualityRefused(_("Say why the score stands."))
    response = Response.objects.select_for_update().get(evaluation=evaluation)
    return _decide(response, actor, Response.Decision.UPHELD, note.strip())


@transaction.atomic
def take_over(*, evaluation: Evaluation, actor: User) -> Evaluation:
    """A draft its evaluator left behind becomes `actor`'s to finish or discard, answers kept;
    the history names whom it was taken over from."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not permissions.can_take_over(actor, evaluation):
        raise QualityRefused(
            _(
                "This draft cannot be taken over: it was shared or discarded, its evaluator is "
                "still working on it, or its agent is not one whose calls you score."
            )
        )
    before = evaluation.evaluator
    evaluation.evaluator = actor
    evaluation.save(update_fields=["evaluator", "updated_at"])
    record(
        action="EVALUATION_TAKEN_OVER",
        actor=actor,
        evaluation=evaluation,
        reason=before.display_name,
    )
    return evaluation


@transaction.atomic
def discard(*, evaluation: Evaluation, actor: User) -> Evaluation:
    """A draft its evaluator will not share (the wrong call, the wrong agent, a correction not
    needed after all) is set aside: kept with its answers, shown to nobody, and a correction
    it was no longer holds its evaluation's place."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not permissions.can_discard(actor, evaluation):
        raise QualityRefused(_("Only the person scoring this call discards its draft."))
    evaluation.status = Evaluation.Status.DISCARDED
    evaluation.replaces = None
    evaluation.save(update_fields=["status", "replaces", "updated_at"])
    record(
        action="EVALUATION_DISCARDED",
        actor=actor,
        evaluation=evaluation,
        from_status=Evaluation.Status.DRAFT,
        to_status=Evaluation.Status.DISCARDED,
    )
    return evaluation
