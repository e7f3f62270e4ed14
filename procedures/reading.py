"""Read and acknowledge: what each agent still has to read, and each team's status.

Nothing is stored per agent until they acknowledge: "to read" is every revision in force of a
procedure meant for them (all agents, or their team) that they have not acknowledged. It is due
`acknowledge_within_days` after it came into force, or after the agent joined if that is later.

A procedure and its translations are one text: an agent reads the version in their language
when one is in force (a translation is for the agents of its language), else the source.
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from . import notifications, permissions, selectors
from .content import snapshot_of
from .diff import compare
from .models import Acknowledgement, Notification, Revision, Team, User
from .models.documents import site_language

ACKNOWLEDGED, OUTSTANDING, OVERDUE = "ACKNOWLEDGED", "OUTSTANDING", "OVERDUE"
NOT_THEIRS = "NOT_THEIRS"  # another language's version of a text the agent reads in theirs


@dataclass(frozen=True)
class ReadItem:
    revision: Revision
    due_at: datetime.datetime
    overdue: bool


def _due(effective_at: datetime.datetime, days: int, agent: User) -> datetime.datetime:
    return max(effective_at, agent.date_joined) + datetime.timedelta(days=days)


def due_at(revision: Revision, agent: User) -> datetime.datetime:
    return _due(revision.effective_at, revision.procedure.acknowledge_within_days, agent)


def meant_for(team_id: int | None) -> QuerySet:
    """Revisions in force of the procedures meant for the agents of this team (or of none)."""
    # a translation is meant for its source's audience (it is the same text)
    source = Q(procedure__translation_of__isnull=True)
    translation = Q(procedure__translation_of__isnull=False)
    audience = (source & Q(procedure__audience=None)) | (
        translation & Q(procedure__translation_of__audience=None)
    )
    if team_id:
        audience |= (source & Q(procedure__audience=team_id)) | (
            translation & Q(procedure__translation_of__audience=team_id)
        )
    return (
        selectors.in_force()
        .filter(pk__in=Revision.objects.filter(audience).values("pk"))
        .select_related("procedure")
    )


def in_their_language(revisions: QuerySet, language: str) -> QuerySet:
    """One version of each text for a reader of `language`: a translation only for the readers
    of its language, a source unless a translation into theirs is in force."""
    translated_for_them = selectors.in_force().filter(
        procedure__translation_of_id=OuterRef("procedure_id"),
        procedure__language=language,
        procedure__withdrawn_at=None,
    )
    return revisions.exclude(
        Q(procedure__translation_of__isnull=False) & ~Q(procedure__language=language)
    ).exclude(Exists(translated_for_them))


def _speaking(languages) -> Q:
    """The people who read SOP Desk in one of `languages` (no choice: the site's language)."""
    who = Q(language__in=languages)
    return who | Q(language="") if site_language() in languages else who


def to_read(agent: User, now: datetime.datetime | None = None) -> list[ReadItem]:
    """What the agent has still to read and acknowledge, overdue first, then soonest due."""
    if not permissions.is_agent(agent):
        return []
    now = now or timezone.now()
    revisions = in_their_language(
        meant_for(agent.team_id), notifications.language_of(agent)
    ).exclude(acknowledgements__agent=agent)
    items = [ReadItem(r, due, due < now) for r in revisions for due in [due_at(r, agent)]]
    return sorted(items, key=lambda item: (not item.overdue, item.due_at, item.revision.pk))


@dataclass(frozen=True)
class Summary:
    count: int
    overdue: int


def summary(agent: User, now: datetime.datetime | None = None) -> Summary:
    """How many revisions the agent has still to read, and how many of them are overdue: what
    the table of contents shows. Reads two columns per revision, not whole revisions."""
    if not permissions.is_agent(agent):
        return Summary(0, 0)
    now = now or timezone.now()
    rows = (
        in_their_language(meant_for(agent.team_id), notifications.language_of(agent))
        .exclude(acknowledgements__agent=agent)
        .values_list("effective_at", "procedure__acknowledge_within_days")
    )
    overdue = sum(_due(effective_at, days, agent) < now for effective_at, days in rows)
    return Summary(len(rows), overdue)


def last_acknowledged(agent: User, revision: Revision) -> Revision | None:
    """The latest earlier revision of the same procedure this agent acknowledged."""
    return (
        Revision.objects.filter(
            procedure_id=revision.procedure_id,
            number__lt=revision.number,
            acknowledgements__agent=agent,
        )
        .order_by("-number")
        .first()
    )


def agents_meant_for(procedure) -> QuerySet:
    """The active agents a procedure is for: all of them, or those of its teams; of a text in
    several languages, the readers of this version (see in_their_language)."""
    agents = User.objects.filter(groups__name=permissions.AGENT, is_active=True)
    teams = list((procedure.translation_of or procedure).audience.values_list("pk", flat=True))
    agents = agents.filter(team__in=teams) if teams else agents
    if procedure.translation_of_id:
        return agents.filter(_speaking([procedure.language]))
    translated = list(
        selectors.in_force()
        .filter(procedure__translation_of=procedure, procedure__withdrawn_at=None)
        .values_list("procedure__language", flat=True)
    )
    return agents.exclude(_speaking(translated)) if translated else agents


def announce(revision: Revision) -> None:
    """A revision just came into force: each agent it is meant for is told it is on their list.
    Idempotent: an agent already told about this revision is not told again."""
    procedure = revision.procedure
    due = revision.effective_at + datetime.timedelta(days=procedure.acknowledge_within_days)
    notifications.done_reading(code=procedure.code, but=revision.number)  # those it replaces
    told = Notification.objects.filter(
        kind=Notification.Kind.TO_READ,
        params__code=procedure.code,
        params__number=revision.number,
    ).values("recipient_id")
    notifications.post(  # each agent once, however often this runs
        agents_meant_for(procedure).exclude(pk__in=told),
        kind=Notification.Kind.TO_READ,
        params={
            "code": procedure.code,
            "number": revision.number,
            "title": revision.title,
            "due": timezone.localdate(due).isoformat(),
        },
        url=reverse("manual:procedure", kwargs={"code": procedure.code}),
        detail=revision.title,
    )


def teams_for(user: User) -> QuerySet:
    teams = Team.objects.select_related("supervisor").order_by("name")
    if permissions.sees_every_team(user):
        return teams
    if permissions.is_supervisor(user):
        return teams.filter(supervisor=user)
    return teams.none()


def with_agent_counts(teams: QuerySet) -> QuerySet:
    """The teams, each with `agent_count`: its active agents (one query for all)."""
    return teams.annotate(
        agent_count=Count(
            "members",
            filter=Q(members__groups__name=permissions.AGENT, members__is_active=True),
            distinct=True,
        )
    )


@dataclass
class Cell:
    status: str
    due_at: datetime.datetime
    acknowledged_at: datetime.datetime | None = None


@dataclass
class RevisionRow:
    revision: Revision
    cells: list[Cell] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(cell.status == status for cell in self.cells)

    @property
    def acknowledged(self) -> int:
        return self.count(ACKNOWLEDGED)

    @property
    def outstanding(self) -> int:
        return self.count(OUTSTANDING)

    @property
    def overdue(self) -> int:
        return self.count(OVERDUE)

    @property
    def readers(self) -> int:
        """The agents who read this version (the others read it in their language)."""
        return len(self.cells) - self.count(NOT_THEIRS)


@dataclass
class AgentRow:
    agent: User
    acknowledged: int = 0
    outstanding: int = 0
    overdue: list[Revision] = field(default_factory=list)


@dataclass
class TeamStatus:
    team: Team
    agents: list[User]
    revisions: list[RevisionRow]
    by_agent: list[AgentRow]


def team_status(team: Team, now: datetime.datetime | None = None) -> TeamStatus:
    """Per revision in force and per agent of the team: acknowledged, outstanding, overdue (or
    not theirs: they read it in their language). Three queries whatever the size of the team or
    the manual, and one per language its agents read."""
    now = now or timezone.now()
    agents = list(
        team.members.filter(groups__name=permissions.AGENT, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
    )
    revisions = list(meant_for(team.pk).order_by("procedure__code"))
    # what each agent reads of a text in several languages: one query per language spoken
    theirs = {
        language: set(in_their_language(meant_for(team.pk), language).values_list("pk", flat=True))
        for language in {notifications.language_of(a) for a in agents}
    }
    acknowledged = {
        (revision_id, agent_id): at
        for revision_id, agent_id, at in Acknowledgement.objects.filter(
            agent__in=[a.pk for a in agents], revision__in=meant_for(team.pk).values("pk")
        ).values_list("revision_id", "agent_id", "acknowledged_at")
    }
    rows, by_agent = [], {a.pk: AgentRow(a) for a in agents}
    for revision in revisions:
        row = RevisionRow(revision)
        for agent in agents:
            due = due_at(revision, agent)
            at = acknowledged.get((revision.pk, agent.pk))
            if revision.pk not in theirs[notifications.language_of(agent)]:
                row.cells.append(Cell(NOT_THEIRS, due))
            elif at is not None:
                row.cells.append(Cell(ACKNOWLEDGED, due, at))
                by_agent[agent.pk].acknowledged += 1
            elif due < now:
                row.cells.append(Cell(OVERDUE, due))
                by_agent[agent.pk].overdue.append(revision)
            else:
                row.cells.append(Cell(OUTSTANDING, due))
                by_agent[agent.pk].outstanding += 1
        rows.append(row)
    return TeamStatus(team, agents, rows, list(by_agent.values()))


def panel(
    user: User, procedure, revision: Revision, current: Revision | None, versions=()
) -> dict | None:
    """What an agent who has still to acknowledge this revision sees above it: when it is due,
    and what changed since the revision they last acknowledged. Nothing on another language's
    version of a text they read in theirs (`versions`: selectors.language_versions)."""
    if not permissions.must_acknowledge(user, revision, current):
        return None
    language = notifications.language_of(user)
    if procedure.translation_of_id and procedure.language != language:
        return None
    if any(
        v.procedure.translation_of_id and v.procedure.language == language != procedure.language
        for v in versions
    ):
        return None  # a translation into their language is in force: they read that one
    done = revision.acknowledgements.filter(agent=user).first()
    if done is not None:
        return {"done": done}
    revision.procedure = procedure
    due = due_at(revision, user)
    since = last_acknowledged(user, revision)
    return {
        "due_at": due,
        "overdue": due < timezone.now(),
        "since": since,
        "sections": changes(since, revision) if since else [],
    }


REDLINE_CACHE_SECONDS = 3600


def changes(old: Revision, new: Revision) -> list:
    """The redline between two published revisions. Both are frozen, so it is computed once
    and cached (the reading panel and the manual's "what changed" page both show it)."""
    return cache.get_or_set(
        f"sopdesk:redline:{old.pk}:{new.pk}:{get_language()}",
        lambda: compare(snapshot_of(old), snapshot_of(new)),
        REDLINE_CACHE_SECONDS,
    )
