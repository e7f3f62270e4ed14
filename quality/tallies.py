"""The dashboard's sums, kept current as evaluations are shared: per agent, week and scorecard
version (calls, points, critical failures, the scores' sum) and per team, week and step (checked,
missed). An evaluation is counted when it is shared and uncounted when a correction replaces it,
in the same transaction; calibration scores never count. The dashboard then reads a few
thousand rows however many calls were evaluated (bench/quality.py).

`rebuild()` recounts everything from the evaluations (`manage.py rebuild_quality_tallies`), and
a test checks that the sums kept as evaluations come and go equal a recount."""

import datetime
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from .models import Answer, CallTally, Evaluation, StepTally

YES, NO = Answer.Choice.YES, Answer.Choice.NO


def week_of(moment: datetime.datetime) -> datetime.date:
    """The Monday of the moment's week, in the organisation's time zone."""
    day = timezone.localdate(moment)
    return day - datetime.timedelta(days=day.weekday())


def _add(model, key: dict, deltas: dict) -> None:
    increments = {field: F(field) + value for field, value in deltas.items()}
    if model.objects.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **deltas)
    except IntegrityError:  # somebody created it meanwhile
        model.objects.filter(**key).update(**increments)


def count(evaluation: Evaluation, sign: int = 1) -> None:
    """Add a shared evaluation to the sums (sign 1), or take a replaced one out (sign -1)."""
    if evaluation.calibration_id is not None:
        return
    week = week_of(evaluation.call_at)
    team_key = evaluation.team_key  # the agent's team when the call was shared
    _add(
        CallTally,
        {
            "week": week,
            "agent_id": evaluation.agent_id,
            "team_key": team_key,
            "scorecard_version_id": evaluation.scorecard_version_id,
        },
        {
            "calls": sign,
            "earned": sign * evaluation.points_earned,
            "possible": sign * evaluation.points_possible,
            "critical": sign * int(evaluation.critical_failed),
            "score_sum": sign * evaluation.score,
        },
    )
    steps: Counter = Counter()
    for answer in evaluation.answers.select_related("line").filter(
        answer__in=[YES, NO], line__procedure__isnull=False
    ):
        key = (answer.line.procedure_id, answer.line.step_key)
        steps[key, "checked"] += 1
        steps[key, "missed"] += answer.answer == NO
    for key in {key for key, _field in steps}:
        procedure_id, step_key = key
        _add(
            StepTally,
            {
                "week": week,
                "team_key": team_key,
                "procedure_id": procedure_id,
                "step_key": step_key,
            },
            {"checked": sign * steps[key, "checked"], "missed": sign * steps[key, "missed"]},
        )


def _counted() -> "Evaluation.objects":
    return Evaluation.objects.filter(status=Evaluation.Status.SHARED, calibration__isnull=True)


@transaction.atomic
def rebuild() -> tuple[int, int]:
    """Recount every sum from the shared evaluations (each call in the team its agent was in
    when it was shared); the numbers of rows written."""
    CallTally.objects.all().delete()
    StepTally.objects.all().delete()
    calls = (
        _counted()
        .annotate(week=TruncWeek("call_at"))
        .values("week", "agent_id", "team_key", "scorecard_version_id")
        .annotate(
            calls=Count("pk"),
            earned=Sum("points_earned"),
            possible=Sum("points_possible"),
            critical=Count("pk", filter=Q(critical_failed=True)),
            score_sum=Sum("score"),
        )
        .order_by()
    )
    made = CallTally.objects.bulk_create(
        (
            CallTally(
                week=_day(row["week"]),
                agent_id=row["agent_id"],
                team_key=row["team_key"],
                scorecard_version_id=row["scorecard_version_id"],
                calls=row["calls"],
                earned=row["earned"],
                possible=row["possible"],
                critical=row["critical"],
                score_sum=row["score_sum"],
            )
            for row in calls
        ),
        batch_size=2000,
    )
    steps = (
        Answer.objects.filter(
            evaluation__in=_counted().values("pk"),
            answer__in=[YES, NO],
            line__procedure__isnull=False,
        )
        .annotate(week=TruncWeek("evaluation__call_at"))
        .values("week", "evaluation__team_key", "line__procedure_id", "line__step_key")
        .annotate(checked=Count("pk"), missed=Count("pk", filter=Q(answer=NO)))
        .order_by()
    )
    step_rows = StepTally.objects.bulk_create(
        (
            StepTally(
                week=_day(row["week"]),
                team_key=row["evaluation__team_key"],
                procedure_id=row["line__procedure_id"],
                step_key=row["line__step_key"],
                checked=row["checked"],
                missed=row["missed"],
            )
            for row in steps
        ),
        batch_size=2000,
    )
    return len(made), len(step_rows)


def _day(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
