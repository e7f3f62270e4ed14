"""Calibration: several evaluators score the same call, blind (each sees only their own score
until all have scored); then everyone sees per line how far they agreed and the score spread,
and the session lead records the reference answers. An evaluator's agreement with the
reference, session after session, is on their page.

The scores are evaluations tied to the session (`Evaluation.calibration`), made and answered as
any evaluation is (quality/evaluations.py), never shown to the agent."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures import notifications
from procedures.models import Notification, User

from . import evaluations, permissions, scoring
from .models import Answer, CalibrationSession, Evaluation, ReferenceAnswer, ScorecardVersion
from .records import QualityRefused, record

Choice = Answer.Choice


@transaction.atomic
def start(
    *,
    lead: User,
    version: ScorecardVersion,
    agent: User,
    call_reference: str,
    call_at,
    participants: list[User],
) -> CalibrationSession:
    """A session and one draft score per participant, each of whom is told."""
    if not permissions.can_lead_calibration(lead):
        raise QualityRefused(
            _("Calibration sessions are led by the quality team, supervisors and managers.")
        )
    people = {person.pk: person for person in participants}
    if len(people) < 2:
        raise QualityRefused(_("A calibration needs at least two evaluators."))
    if any(not permissions.can_score_calls(person) for person in people.values()):
        raise QualityRefused(_("Only quality evaluators and supervisors score calls."))
    if agent.pk in people:
        raise QualityRefused(_("The agent on the call does not score it."))
    if not permissions.calibration_agents(lead).filter(pk=agent.pk).exists():
        raise QualityRefused(_("You may not calibrate calls of %(name)s.") % {"name": agent})
    session = CalibrationSession.objects.create(
        scorecard_version=version,
        agent=agent,
        call_reference=call_reference.strip(),
        call_at=call_at,
        lead=lead,
    )
    for person in people.values():
        evaluations.create(
            actor=person, version=version, agent=agent, call_reference=call_reference,
            call_at=call_at, calibration=session,
        )  # fmt: skip
    record(action="CALIBRATION_STARTED", actor=lead, calibration=session)
    notifications.post(
        [p for p in people.values() if p.pk != lead.pk],
        kind=Notification.Kind.CALIBRATION_INVITED,
        params={"name": lead.display_name, "call": session.call_reference},
        url=session.get_absolute_url(),
    )
    return session


def scores(session: CalibrationSession) -> list[Evaluation]:
    return list(
        session.evaluations.select_related("evaluator").order_by(
            "evaluator__first_name", "evaluator__last_name", "pk"
        )
    )


def all_scored(session: CalibrationSession, given: list[Evaluation] | None = None) -> bool:
    given = scores(session) if given is None else given
    return bool(given) and not any(score.is_draft for score in given)


@dataclass
class LineResult:
    """One line of a calibrated call: what each evaluator answered, how far they agreed."""

    row: evaluations.Row
    answers: list[str]  # in the order of the session's scores
    counts: dict[str, int]
    agreement: Decimal | None
    reference: str

    @property
    def agreement_percent(self) -> Decimal | None:
        return None if self.agreement is None else self.agreement * 100


@dataclass
class Results:
    lines: list[LineResult]
    spread: scoring.Spread | None
    agreement: Decimal | None  # the mean of the lines' agreement
    with_reference: dict[int, Decimal | None]  # evaluation id → agreement with the reference

    @property
    def agreement_percent(self) -> Decimal | None:
        return None if self.agreement is None else self.agreement * 100


def results(session: CalibrationSession, given: list[Evaluation]) -> Results:
    """The session's statistics, once every participant has scored."""
    answers = {score.pk: {a.line_id: a.answer for a in score.answers.all()} for score in given}
    reference = {r.line_id: r.answer for r in session.references.all()}
    lines = []
    for row in evaluations.rows(given[0]):
        if not row.applicable:
            continue
        said = [answers[score.pk].get(row.line.pk, "") for score in given]
        lines.append(
            LineResult(
                row=row,
                answers=said,
                counts={choice: said.count(choice) for choice in Choice.values},
                agreement=scoring.agreement(said),
                reference=reference.get(row.line.pk, ""),
            )
        )
    rates = [line.agreement for line in lines if line.agreement is not None]
    return Results(
        lines=lines,
        spread=scoring.spread(score.score for score in given if score.score is not None),
        agreement=scoring.mean(rates),
        with_reference={
            score.pk: scoring.agreement_with(answers[score.pk], reference) for score in given
        },
    )


@transaction.atomic
def record_reference(
    *, session: CalibrationSession, lead: User, answers: dict[int, str], note: str
) -> CalibrationSession:
    """The lead's reference answer for each line, once everyone has scored; closes the session."""
    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    if session.lead_id != lead.pk:
        raise QualityRefused(_("The session lead records the reference answers."))
    if session.is_closed:
        raise QualityRefused(_("The reference answers were recorded already."))
    given = scores(session)
    if not all_scored(session, given):
        raise QualityRefused(_("Everyone scores the call before the reference is recorded."))
    lines = [row.line for row in evaluations.rows(given[0]) if row.applicable]
    missing = [
        str(i) for i, line in enumerate(lines, start=1) if answers.get(line.pk) not in Choice.values
    ]
    if missing:
        raise QualityRefused(
            _("Give the reference answer of every line: %(lines)s.") % {"lines": ", ".join(missing)}
        )
    ReferenceAnswer.objects.bulk_create(
        ReferenceAnswer(session=session, line=line, answer=answers[line.pk]) for line in lines
    )
    session.closed_at = timezone.now()
    session.note = note.strip()
    session.save(update_fields=["closed_at", "note"])
    record(action="REFERENCE_RECORDED", actor=lead, calibration=session, reason=note.strip())
    return session


@dataclass
class Agreement:
    session: CalibrationSession
    score: Evaluation
    rate: Decimal | None


def agreement_over_time(person: User) -> list[Agreement]:
    """A person's agreement with the reference in each closed session they scored, oldest first."""
    mine = (
        Evaluation.objects.filter(evaluator=person, calibration__closed_at__isnull=False)
        .select_related("calibration")
        .prefetch_related("answers")
        .order_by("calibration__closed_at", "pk")
    )
    references: dict[int, dict[int, str]] = {}
    for ref in ReferenceAnswer.objects.filter(session__in=[m.calibration_id for m in mine]):
        references.setdefault(ref.session_id, {})[ref.line_id] = ref.answer
    return [
        Agreement(
            session=score.calibration,
            score=score,
            rate=scoring.agreement_with(
                {a.line_id: a.answer for a in score.answers.all()},
                references.get(score.calibration_id, {}),
            ),
        )
        for score in mine
    ]


def waiting_for(person: User):
    """The calibration scores this person has still to give."""
    return Evaluation.objects.filter(
        evaluator=person, calibration__isnull=False, status=Evaluation.Status.DRAFT
    )
