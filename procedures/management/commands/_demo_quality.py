"""The demo's quality monitoring: two scorecards built from demo procedures, eight weeks of
evaluated calls with a realistic spread (each agent their own habits; one hold step missed often
enough to suggest a change), acknowledgements, an open dispute and a decided one, a correction,
a draft, and calibration sessions. Everything through quality/'s acts, as people would do it."""

import datetime
import random

from django.utils import timezone

from procedures.models import Notification, Procedure, User
from quality import calibration, evaluations, scorecards, workflow
from quality.models import Evaluation, Scorecard

from ._demo_time import as_of

# Each agent's chance of doing a step, and the hold step (CC-CH-002 step 4, "return every 60
# seconds") they skip more often than the rest.
HABITS = {"agent": 0.95, "agent2": 0.82, "agent3": 0.9, "agent4": 0.78}
HOLD_RETURN_MISSED = {"agent": 0.2, "agent2": 0.55, "agent3": 0.3, "agent4": 0.5}
COMMENTS = {
    "NO": (
        "Not heard on the recording.",
        "Skipped: the caller was in a hurry, but the step still applies.",
        "Done late, after the caller asked.",
    ),
}


def seed(users: dict[str, User]) -> None:
    if Scorecard.objects.exists():
        return
    rng = random.Random(2026)  # the same demo every time
    now = timezone.now()
    with as_of(now - datetime.timedelta(days=70)):
        inbound = _scorecard(
            users,
            "Inbound calls",
            "The calls of the general queue: greeting, identification, hold, closing.",
            ["CC-CH-001", "CC-CH-002"],
            critical=("Verify the caller's identity",),
            heavy=("Resolve the issue",),
            general=["Used the caller's name at least once.", "Polite and calm throughout."],
        )
    with as_of(now - datetime.timedelta(days=66)):
        complaints = _scorecard(
            users,
            "Complaints",
            "Complaint calls: what the agent does before the coordinator takes over.",
            ["CC-CH-004"],
            critical=("Tell the caller the case number",),
            heavy=("Open a complaint case",),
            general=["Showed empathy before solving."],
            agents_only=True,
        )
    shared = _calls(users, rng, now, inbound, complaints)
    _answers(users, shared)
    _draft(users, now, inbound)
    _calibration(users, rng, now, inbound)
    # older news is read news: the agents' bells show this week's evaluations only
    Notification.objects.filter(
        kind=Notification.Kind.EVALUATION_SHARED, created_at__lt=now - datetime.timedelta(days=7)
    ).update(read_at=now)


def _scorecard(users, name, description, codes, *, critical, heavy, general, agents_only=False):
    builder, approver = users["evaluator"], users["manager"]
    version = scorecards.create_scorecard(
        name=name,
        description=description,
        procedures=[Procedure.objects.by_code(code).get() for code in codes],
        actor=builder,
    )
    roles = {
        (source.procedure_id, line.key): line.role
        for source in version.sources.select_related("revision")
        for line in scorecards.step_lines(source.revision)
    }
    edits = [
        scorecards.LineEdit(
            pk=line.pk,
            weight=3 if line.text.startswith(heavy) else 2 if line.text.startswith(critical) else 1,
            critical=line.text.startswith(critical),
            remove=agents_only and roles.get((line.procedure_id, line.step_key)) != "Agent",
        )
        for line in version.lines.all()
    ]
    scorecards.save_lines(
        version=version, actor=builder, edits=edits, new_general=general, change_note=""
    )
    workflow.submit(version=version, actor=builder)
    workflow.approve(version=version, actor=approver)
    return workflow.put_in_use(version=version, actor=builder)


def _answer(row, habit: float, hold_missed: float, rng: random.Random) -> tuple[str, str]:
    if row.line.procedure is None or row.line.critical:
        chance = 0.97
    elif row.line.procedure.code == "CC-CH-002" and row.line.step_number == "4":
        chance = 1 - hold_missed
    else:
        chance = habit
    if row.line.procedure is not None and rng.random() < 0.05:
        return "NA", ""
    if rng.random() < chance:
        return "YES", ""
    return "NO", rng.choice(COMMENTS["NO"]) if rng.random() < 0.6 else ""


def _score(evaluator, version, agent, call_at, reference, rng, share=True):
    with as_of(call_at + datetime.timedelta(hours=rng.randint(2, 30))):
        evaluation = evaluations.start(
            actor=evaluator, version=version, agent=agent, call_reference=reference, call_at=call_at
        )
        answers = {
            row.line.pk: _answer(
                row, HABITS[agent.username], HOLD_RETURN_MISSED[agent.username], rng
            )
            for row in evaluations.rows(evaluation)
            if row.applicable
        }
        return evaluations.save(
            evaluation=evaluation,
            actor=evaluator,
            answers=answers,
            summary="",
            hide_evaluator=evaluator.username == "evaluator" and rng.random() < 0.3,
            share=share,
        )


def _calls(users, rng, now, inbound, complaints) -> list[Evaluation]:
    """Eight weeks of calls: one or two per agent per week on the inbound scorecard, now and
    then a complaint; mostly scored by the quality evaluator, some by the agent's supervisor."""
    shared = []
    supervisors = {"agent": "supervisor", "agent2": "supervisor", "agent3": "supervisor2",
                   "agent4": "supervisor2"}  # fmt: skip
    number = 40100
    for week in range(8, -1, -1):
        for username in HABITS:
            for _call in range(rng.choice((1, 2, 2))):
                number += rng.randint(3, 40)
                call_at = now - datetime.timedelta(
                    weeks=week, days=-rng.randint(0, 4), hours=rng.randint(0, 8)
                )
                if call_at > now - datetime.timedelta(days=2):  # this week: scored already
                    call_at = now - datetime.timedelta(days=2, hours=rng.randint(0, 8))
                version = complaints if rng.random() < 0.2 else inbound
                by = users["evaluator"] if rng.random() < 0.75 else users[supervisors[username]]
                shared.append(_score(by, version, users[username], call_at, f"REC-{number}", rng))
    return shared


def _answers(users, shared: list[Evaluation]) -> None:
    """Most agents acknowledge; Lucas disputes two (one decided by Maria); one is corrected."""
    lucas = [
        e for e in shared if e.agent.username == "agent2" and e.evaluator.username == "evaluator"
    ]
    open_dispute, decided = lucas[-1], lucas[-3]
    evaluations.respond(
        evaluation=open_dispute, actor=users["agent2"], dispute=True,
        reason="The caller asked me not to put them on hold again, so I stayed on the line.",
    )  # fmt: skip
    evaluations.respond(
        evaluation=decided, actor=users["agent2"], dispute=True,
        reason="I used the customer's name at the start of the call.",
    )  # fmt: skip
    evaluations.uphold(
        evaluation=decided, actor=users["supervisor"],
        note="I listened again: the name is not used anywhere on the recording.",
    )  # fmt: skip
    eszter = [
        e for e in shared if e.agent.username == "agent4" and e.evaluator.username == "evaluator"
    ][-2]
    correction = evaluations.correct(
        evaluation=eszter, actor=users["supervisor2"],
        reason="Step 4 was done: the recording's second part was missing when it was scored.",
    )  # fmt: skip
    answers = {
        row.line.pk: ("YES", row.comment) if row.answer == "NO" else (row.answer, row.comment)
        for row in evaluations.rows(correction)
        if row.applicable
    }
    evaluations.save(
        evaluation=correction, actor=users["supervisor2"], answers=answers, summary="",
        hide_evaluator=False, share=True,
    )  # fmt: skip
    for evaluation in shared:
        if evaluation.pk in (open_dispute.pk, decided.pk, eszter.pk):
            continue
        if evaluation.agent.username in ("agent", "agent3") or evaluation.pk % 3 == 0:
            evaluation.refresh_from_db()
            evaluations.respond(
                evaluation=evaluation, actor=evaluation.agent, dispute=False, reason=""
            )


def _draft(users, now, inbound) -> None:
    """Anna has started scoring this morning's call: half answered, not shared."""
    evaluation = evaluations.start(
        actor=users["evaluator"], version=inbound, agent=users["agent3"],
        call_reference="REC-41980", call_at=now - datetime.timedelta(hours=3),
    )  # fmt: skip
    rows = [row for row in evaluations.rows(evaluation) if row.applicable]
    evaluations.save(
        evaluation=evaluation, actor=users["evaluator"],
        answers={row.line.pk: ("YES", "") for row in rows[: len(rows) // 2]},
        summary="", hide_evaluator=False, share=False,
    )  # fmt: skip


def _calibration(users, rng, now, inbound) -> None:
    """Last month's session, closed with its reference; this week's, still waiting for Bence."""
    people = [users["evaluator"], users["supervisor"], users["supervisor2"]]
    habits = {"evaluator": 0.95, "supervisor": 0.85, "supervisor2": 0.8}
    with as_of(now - datetime.timedelta(days=20)):
        closed = calibration.start(
            lead=users["evaluator"], version=inbound,
            agent=users["agent2"], call_reference="REC-40377",
            call_at=now - datetime.timedelta(days=21), participants=people,
        )  # fmt: skip
        reference = {}
        for score in calibration.scores(closed):
            rows = [row for row in evaluations.rows(score) if row.applicable]
            answers = {}
            for row in rows:
                code = row.line.procedure.code if row.line.procedure else ""
                hold_return = code == "CC-CH-002" and row.number == "4"
                reference.setdefault(row.line.pk, "NO" if hold_return else "YES")
                answer = reference[row.line.pk]
                if rng.random() > habits[score.evaluator.username]:
                    answer = "YES" if answer == "NO" else "NO"
                answers[row.line.pk] = (answer, "")
            evaluations.save(
                evaluation=score, actor=score.evaluator, answers=answers, summary="",
                hide_evaluator=False, share=True,
            )  # fmt: skip
        calibration.record_reference(
            session=closed, lead=users["evaluator"], answers=reference,
            note="Step 4 of the hold procedure: returning after 90 seconds is a No, even when "
            "the caller did not complain.",
        )  # fmt: skip
    open_session = calibration.start(
        lead=users["evaluator"], version=inbound, agent=users["agent4"], call_reference="REC-41822",
        call_at=now - datetime.timedelta(days=2), participants=people,
    )  # fmt: skip
    for score in calibration.scores(open_session):
        if score.evaluator.username == "supervisor2":
            continue
        rows = [row for row in evaluations.rows(score) if row.applicable]
        evaluations.save(
            evaluation=score, actor=score.evaluator,
            answers={row.line.pk: ("YES", "") for row in rows}, summary="",
            hide_evaluator=False, share=True,
        )  # fmt: skip
