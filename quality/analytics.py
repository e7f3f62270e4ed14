"""What the scores say: read questions over shared evaluations, each answered by one aggregate
query over the sums quality/tallies.py keeps (a few thousand rows, however many calls were
evaluated; calibration scores and replaced evaluations never count, a correction counts in their
place).

Compliance is the weighted share of what was checked that was done (points earned / points
possible, critical failures included as answered); the score is the call's score (0 when a
critical line failed).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from procedures.models import Procedure, Team, User

from . import selectors
from .models import Answer, CallTally, Evaluation, QualityEvent, StepTally

YES, NO = Answer.Choice.YES, Answer.Choice.NO


def state() -> int:
    """Moves whenever a figure can: every share and correction is a quality event (the key of a
    kept dashboard, with page_cache's person, manual state and minute)."""
    return QualityEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def counted() -> QuerySet:
    """The evaluations the figures are made of."""
    return Evaluation.objects.filter(status=Evaluation.Status.SHARED, calibration__isnull=True)


@dataclass(frozen=True)
class Scope:
    """Whose calls, about what, over which weeks."""

    weeks: int = 12
    team: Team | None = None
    agent: User | None = None
    procedure: Procedure | None = None
    teams: tuple[int, ...] | None = None  # a supervisor sees their own teams only

    @property
    def since(self) -> datetime.datetime:
        today = timezone.localdate()
        monday = today - datetime.timedelta(days=today.weekday())
        start = monday - datetime.timedelta(weeks=self.weeks - 1)
        return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))

    @property
    def since_week(self) -> datetime.date:
        return self.since.date()

    def calls(self) -> QuerySet:
        """The scope's per-agent weekly sums (quality/tallies.py)."""
        found = CallTally.objects.filter(week__gte=self.since_week)
        if self.teams is not None:
            found = found.filter(team_key__in=self.teams)
        if self.team is not None:
            found = found.filter(team_key=self.team.pk)
        if self.agent is not None:
            found = found.filter(agent=self.agent)
        if self.procedure is not None:
            found = found.filter(scorecard_version__sources__procedure=self.procedure)
        return found

    def steps(self) -> QuerySet:
        """The scope's per-team weekly sums of each step (not for one agent: see missed_steps)."""
        found = StepTally.objects.filter(week__gte=self.since_week)
        if self.teams is not None:
            found = found.filter(team_key__in=self.teams)
        if self.team is not None:
            found = found.filter(team_key=self.team.pk)
        if self.procedure is not None:
            found = found.filter(procedure=self.procedure)
        return found

    def evaluations(self) -> QuerySet:
        found = counted().filter(call_at__gte=self.since)
        if self.teams is not None:
            found = found.filter(team_key__in=self.teams)
        if self.team is not None:
            found = found.filter(team_key=self.team.pk)
        if self.agent is not None:
            found = found.filter(agent=self.agent)
        if self.procedure is not None:
            found = found.filter(scorecard_version__sources__procedure=self.procedure)
        return found


def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _one_place(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Week:
    starts_on: datetime.date
    calls: int
    compliance: Decimal | None
    score: Decimal | None


def weekly(scope: Scope) -> list[Week]:
    """Each week of the scope, the weeks without evaluations included (with no figures)."""
    rows = (
        scope.calls()
        .values("week")
        .annotate(
            n=Sum("calls"), earned=Sum("earned"), possible=Sum("possible"), total=Sum("score_sum")
        )
        .order_by("week")
    )
    by_week = {row["week"]: row for row in rows}
    weeks = []
    for index in range(scope.weeks):
        day = scope.since_week + datetime.timedelta(weeks=index)
        row = by_week.get(day)
        calls = row["n"] if row else 0
        weeks.append(
            Week(
                starts_on=day,
                calls=calls,
                compliance=_percent(row["earned"], row["possible"]) if calls else None,
                score=_mean(row["total"], calls) if calls else None,
            )
        )
    return weeks


def _mean(total, calls) -> Decimal | None:
    if not calls:
        return None
    return _one_place(Decimal(total or 0) / calls)


@dataclass
class MissedStep:
    procedure_id: int
    code: str
    step_key: str
    step_number: str
    text: str
    checked: int  # calls in which the step was answered Yes or No
    missed: int
    has_open_feedback: bool = False  # somebody's feedback on the step waits for its owner

    @property
    def share(self) -> Decimal:
        return _percent(self.missed, self.checked) or Decimal(0)

    @property
    def worth_a_suggestion(self) -> bool:
        return (
            self.checked >= settings.SOPDESK_QUALITY_MISSED_CALLS
            and self.share >= settings.SOPDESK_QUALITY_MISSED_SHARE
        )


def missed_steps(scope: Scope, limit: int = 10) -> list[MissedStep]:
    """The procedure steps answered No most often (by share, then by number of calls)."""
    if scope.agent is None:
        rows = (
            scope.steps()
            .values("procedure_id", "procedure__code", "step_key")
            .annotate(n_checked=Sum("checked"), n_missed=Sum("missed"))
            .filter(n_missed__gt=0)
        )
        found = [
            (r["procedure_id"], r["procedure__code"], r["step_key"], r["n_checked"], r["n_missed"])
            for r in rows
        ]
    else:  # one agent's calls: few enough to count from their answers
        found = _missed_by_one_agent(scope)
    found.sort(key=lambda r: (-Decimal(r[4]) / r[3], -r[3], r[1], r[2]))
    found = found[:limit]
    texts = _latest_texts({(r[0], r[2]) for r in found})
    return [
        MissedStep(pid, code, key, *texts.get((pid, key), ("", "")), checked, missed)
        for pid, code, key, checked, missed in found
    ]


def _missed_by_one_agent(scope: Scope) -> list[tuple]:
    answers = Answer.objects.filter(
        evaluation__in=scope.evaluations().values("pk"),
        line__procedure__isnull=False,
        answer__in=[YES, NO],
    )
    if scope.procedure is not None:
        answers = answers.filter(line__procedure=scope.procedure)
    rows = (
        answers.values("line__procedure_id", "line__procedure__code", "line__step_key")
        .annotate(checked=Count("pk"), missed=Count("pk", filter=Q(answer=NO)))
        .filter(missed__gt=0)
    )
    return [
        (r["line__procedure_id"], r["line__procedure__code"], r["line__step_key"], r["checked"],
         r["missed"])
        for r in rows
    ]  # fmt: skip


def _latest_texts(steps: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[str, str]]:
    """The number and text of each step as its newest scorecard line has it (one query)."""
    if not steps:
        return {}
    wanted = Q()
    for procedure_id, key in steps:
        wanted |= Q(procedure_id=procedure_id, step_key=key)
    texts = {}
    for line in selectors.approved_lines().filter(wanted).order_by("pk"):
        texts[(line.procedure_id, line.step_key)] = (line.step_number, line.text)
    return texts


@dataclass(frozen=True)
class AgentFigures:
    agent: User
    calls: int
    per_week: Decimal
    this_week: int
    score: Decimal | None
    compliance: Decimal | None

    @property
    def below_target(self) -> bool:
        return self.per_week < settings.SOPDESK_QUALITY_CALLS_PER_WEEK[0]

    @property
    def above_target(self) -> bool:
        return self.per_week > settings.SOPDESK_QUALITY_CALLS_PER_WEEK[1]

    @property
    def below_threshold(self) -> bool:
        return self.score is not None and self.score < settings.SOPDESK_QUALITY_THRESHOLD


def per_agent(scope: Scope, agents: QuerySet) -> list[AgentFigures]:
    """Each agent of `agents` (those with no evaluation too): calls evaluated per week against
    the target, their average score and compliance; lowest score first."""
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    rows = {
        row["agent"]: row
        for row in scope.calls()
        .values("agent")
        .annotate(
            n=Sum("calls"),
            this_week=Sum("calls", filter=Q(week=monday)),
            earned=Sum("earned"),
            possible=Sum("possible"),
            total=Sum("score_sum"),
        )
        .order_by()
    }
    figures = []
    for agent in agents:
        row = rows.get(agent.pk, {})
        calls = row.get("n") or 0
        figures.append(
            AgentFigures(
                agent=agent,
                calls=calls,
                per_week=_per_week(calls, row.get("this_week") or 0, scope.weeks),
                this_week=row.get("this_week") or 0,
                score=_mean(row.get("total"), calls),
                compliance=_percent(row.get("earned"), row.get("possible")),
            )
        )
    figures.sort(key=lambda f: (f.score is None, f.score or 0, f.agent.display_name))
    return figures


@dataclass(frozen=True)
class TeamFigures:
    name: str
    calls: int
    score: Decimal | None
    compliance: Decimal | None


def per_team(scope: Scope) -> list[TeamFigures]:
    """Each team with evaluated calls in the scope (agents with no team together), by name."""
    rows = list(
        scope.calls()
        .values("team_key")
        .annotate(
            n=Sum("calls"), earned=Sum("earned"), possible=Sum("possible"), total=Sum("score_sum")
        )
        .order_by()
    )
    names = Team.objects.in_bulk([row["team_key"] for row in rows if row["team_key"]])
    figures = [
        TeamFigures(
            name=str(names[row["team_key"]]) if row["team_key"] in names else "",
            calls=row["n"],
            score=_mean(row["total"], row["n"]),
            compliance=_percent(row["earned"], row["possible"]),
        )
        for row in rows
    ]
    return sorted(figures, key=lambda f: (not f.name, f.name))


def _per_week(calls: int, this_week: int, weeks: int) -> Decimal:
    """Calls evaluated per complete week: this week has not ended, it would pull the rate down."""
    complete = weeks - 1 if weeks > 1 else 1
    done = calls - this_week if weeks > 1 else calls
    return (Decimal(done) / complete).quantize(Decimal("0.1"), ROUND_HALF_UP)


def summary(scope: Scope) -> dict:
    """The scope's totals: calls, average score, compliance, critical failures."""
    row = scope.calls().aggregate(
        n=Sum("calls"),
        earned=Sum("earned"),
        possible=Sum("possible"),
        total=Sum("score_sum"),
        critical=Sum("critical"),
    )
    calls = row["n"] or 0
    return {
        "calls": calls,
        "score": _mean(row["total"], calls),
        "compliance": _percent(row["earned"], row["possible"]),
        "critical": row["critical"] or 0,
    }
