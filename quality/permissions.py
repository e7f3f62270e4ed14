"""Who may do what with scorecards and evaluations, one function per question, in the shapes of
procedures/permissions.py: may this person do X to this object, which objects may they see.

Quality evaluators (often an outside firm) and supervisors score calls; evaluators, supervisors
and managers build scorecards; a manager who did not write a scorecard version approves it. An
agent sees their own shared evaluations, a supervisor their team's, managers and evaluators all
of them; nobody changes a shared evaluation (a correction replaces it). A draft its evaluator
left behind (account closed, or untouched for days) may be taken over by another who scores that
agent's calls.
"""

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from procedures.models import User
from procedures.permissions import (
    AGENT,
    MANAGER,
    QUALITY_EVALUATOR,
    SUPERVISOR,
    AnyUser,
    is_agent,
    is_manager,
    is_supervisor,
    roles_of,
)

from .models import CalibrationSession, Evaluation, QualityEvent, ScorecardVersion


def is_evaluator(user: AnyUser) -> bool:
    return QUALITY_EVALUATOR in roles_of(user)


def can_use_quality(user: AnyUser) -> bool:
    """The quality area (/quality/): scorecards, evaluations, disputes."""
    return is_evaluator(user) or is_supervisor(user) or is_manager(user)


def has_own_evaluations(user: AnyUser) -> bool:
    """Agents follow their own evaluations ("My evaluations")."""
    return is_agent(user)


def can_build_scorecards(user: AnyUser) -> bool:
    return is_evaluator(user) or is_supervisor(user) or is_manager(user)


def can_edit_scorecard(user: AnyUser, version: ScorecardVersion) -> bool:
    return version.is_draft and can_build_scorecards(user)


def can_submit_scorecard(user: AnyUser, version: ScorecardVersion) -> bool:
    return can_edit_scorecard(user, version)


def writers_of(version: ScorecardVersion) -> set[int]:
    """Everyone who created, changed or submitted the version (its audit trail says)."""
    acts = [QualityEvent.Action.SCORECARD_CREATED, QualityEvent.Action.SCORECARD_SAVED,
            QualityEvent.Action.SCORECARD_REVISED, QualityEvent.Action.SUBMIT]  # fmt: skip
    return {version.created_by_id} | set(
        version.events.filter(action__in=acts).values_list("actor_id", flat=True)
    )


def can_approve_scorecard(user: AnyUser, version: ScorecardVersion) -> bool:
    """A manager approves (or returns) a version they neither wrote nor changed."""
    return version.is_in_review and is_manager(user) and user.pk not in writers_of(version)


def can_put_scorecard_in_use(user: AnyUser, version: ScorecardVersion) -> bool:
    return version.is_approved and (is_manager(user) or is_evaluator(user))


def can_retire_scorecard(user: AnyUser, version: ScorecardVersion) -> bool:
    return version.is_in_use and is_manager(user)


def can_revise_scorecard(user: AnyUser, version: ScorecardVersion) -> bool:
    """Start the next version from one in use (or retired), e.g. when a procedure changed."""
    return (version.is_in_use or version.is_retired) and can_build_scorecards(user)


def can_score_calls(user: AnyUser) -> bool:
    return is_evaluator(user) or is_supervisor(user)


def supervises(user: AnyUser, agent: User) -> bool:
    return is_supervisor(user) and agent.team_id is not None and agent.team.supervisor_id == user.pk


def agents_to_score(user: AnyUser) -> QuerySet:
    """The agents this person may score: every active agent for an evaluator, a supervisor's
    own team's agents otherwise."""
    if not can_score_calls(user):
        return User.objects.none()
    agents = User.objects.filter(groups__name=AGENT, is_active=True).exclude(pk=user.pk)
    if not is_evaluator(user):
        agents = agents.filter(team__supervisor=user)
    return agents.order_by("first_name", "last_name", "username")


def active_agents() -> QuerySet:
    return User.objects.filter(groups__name=AGENT, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def can_edit_evaluation(user: AnyUser, evaluation: Evaluation) -> bool:
    """A draft, by whoever is scoring it; shared evaluations are never edited."""
    return evaluation.is_draft and evaluation.evaluator_id == user.pk


def _left_behind() -> Q:
    """Drafts their evaluator no longer works on: their account is closed, or nobody changed the
    draft for SOPDESK_QUALITY_DRAFT_IDLE_DAYS days. Never a calibration score (it is the
    person's own, for the session)."""
    idle_since = timezone.now() - datetime.timedelta(days=settings.SOPDESK_QUALITY_DRAFT_IDLE_DAYS)
    return Q(status=Evaluation.Status.DRAFT, calibration__isnull=True) & (
        Q(evaluator__is_active=False) | Q(updated_at__lte=idle_since)
    )


def drafts_to_take_over(user: AnyUser) -> QuerySet:
    """The drafts others left behind that this person may take over: of the agents they score."""
    if not can_score_calls(user):
        return Evaluation.objects.none()
    return (
        Evaluation.objects.filter(_left_behind(), agent__in=agents_to_score(user))
        .exclude(evaluator=user)
        .order_by("updated_at", "pk")
    )


def can_take_over(user: AnyUser, evaluation: Evaluation) -> bool:
    return drafts_to_take_over(user).filter(pk=evaluation.pk).exists()


def can_discard(user: AnyUser, evaluation: Evaluation) -> bool:
    """A draft, by whoever is scoring it; never a calibration score (the session waits for it)."""
    return can_edit_evaluation(user, evaluation) and evaluation.calibration_id is None


def evaluations_visible_to(user: AnyUser) -> QuerySet:
    """The evaluations this person may open: their own drafts, and the shared (or corrected)
    evaluations of the agents they may follow."""
    if not user.is_authenticated:
        return Evaluation.objects.none()
    mine = Q(evaluator=user, calibration__isnull=True) & ~Q(status=Evaluation.Status.DISCARDED)
    shared = Q(status__in=[Evaluation.Status.SHARED, Evaluation.Status.CORRECTED]) & Q(
        calibration__isnull=True
    )
    if is_evaluator(user) or is_manager(user):
        return Evaluation.objects.filter(mine | shared)
    seen = Q(agent=user)
    if is_supervisor(user):
        seen |= Q(agent__team__supervisor=user)
    return Evaluation.objects.filter(mine | (shared & seen))


def can_see_evaluation(user: AnyUser, evaluation: Evaluation) -> bool:
    if not user.is_authenticated or evaluation.is_discarded:
        return False
    if evaluation.evaluator_id == user.pk:
        return True
    if evaluation.calibration_id is not None:  # blind until everyone scored; never the agent's
        return can_see_calibration_results(user, evaluation.calibration)
    if evaluation.is_draft:
        return False
    return (
        evaluation.agent_id == user.pk
        or is_evaluator(user)
        or is_manager(user)
        or supervises(user, evaluation.agent)
    )


def shows_evaluator(user: AnyUser, evaluation: Evaluation, person_id: int | None = None) -> bool:
    """An evaluation can hide its evaluator's name from the agent (outside monitors), wherever
    the evaluator appears (as `person_id`: who decided, who corrected)."""
    hidden = evaluation.hide_evaluator and evaluation.agent_id == user.pk
    return not (hidden and person_id in (None, evaluation.evaluator_id))


def sees_evaluation_history(user: AnyUser, evaluation: Evaluation) -> bool:
    """Who did what to an evaluation, with their names: not for the agent (the evaluator's name
    may be hidden from them; what they need, the answers and the decisions, is on the page)."""
    return can_see_evaluation(user, evaluation) and evaluation.agent_id != user.pk


def can_respond(user: AnyUser, evaluation: Evaluation) -> bool:
    """The agent acknowledges or disputes a shared evaluation of theirs, once."""
    return (
        evaluation.is_shared
        and evaluation.calibration_id is None
        and evaluation.agent_id == user.pk
        and not has_response(evaluation)
    )


def has_response(evaluation: Evaluation) -> bool:
    return evaluation.response_or_none is not None


def can_decide_dispute(user: AnyUser, evaluation: Evaluation) -> bool:
    """The agent's supervisor (or a manager) decides an open dispute."""
    response = evaluation.response_or_none
    if response is None or not response.is_open_dispute:
        return False
    if user.pk in (evaluation.evaluator_id, evaluation.agent_id):  # never one's own case
        return False
    return supervises(user, evaluation.agent) or is_manager(user)


def can_correct(user: AnyUser, evaluation: Evaluation) -> bool:
    """A shared evaluation is corrected by a new one: by its evaluator, the agent's supervisor
    or a manager, never by the agent."""
    if not evaluation.is_shared or evaluation.calibration_id or evaluation.agent_id == user.pk:
        return False
    response = evaluation.response_or_none
    if response is not None and response.is_open_dispute:  # the correction would settle it
        return can_decide_dispute(user, evaluation)
    return (
        evaluation.evaluator_id == user.pk or supervises(user, evaluation.agent) or is_manager(user)
    )


def can_see_disputes(user: AnyUser) -> bool:
    return is_supervisor(user) or is_manager(user)


def dispute_handlers(evaluation: Evaluation) -> list[User]:
    """Who decides a dispute: the agent's supervisor; the managers when the agent has no team
    or their supervisor scored the call (nobody decides their own case)."""
    team = evaluation.agent.team
    if team is not None and team.supervisor_id not in (
        evaluation.evaluator_id,
        evaluation.agent_id,
    ):
        return [team.supervisor]
    return list(
        User.objects.filter(groups__name=MANAGER, is_active=True).exclude(
            pk__in=[evaluation.evaluator_id, evaluation.agent_id]
        )
    )


# ---------------------------------------------------------------- calibration


def can_lead_calibration(user: AnyUser) -> bool:
    return can_score_calls(user) or is_manager(user)


def calibration_agents(user: AnyUser) -> QuerySet:
    """Whose call a session may calibrate: any agent for the quality team and managers, a
    supervisor's own team's agents (the participants see how the call was scored)."""
    agents = active_agents()
    if is_evaluator(user) or is_manager(user):
        return agents
    return agents.filter(team__supervisor=user)


def calibrators() -> QuerySet:
    """Who may be asked to score a calibrated call: quality evaluators and supervisors."""
    return (
        User.objects.filter(groups__name__in=[QUALITY_EVALUATOR, SUPERVISOR], is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _takes_part(user: AnyUser, session: CalibrationSession) -> bool:
    return session.lead_id == user.pk or session.evaluations.filter(evaluator=user).exists()


def can_see_calibration(user: AnyUser, session: CalibrationSession) -> bool:
    """The lead and the participants; managers and evaluators follow every session."""
    return user.is_authenticated and (
        is_manager(user) or is_evaluator(user) or _takes_part(user, session)
    )


def can_see_calibration_results(user: AnyUser, session: CalibrationSession) -> bool:
    """Blind scoring: nobody sees another's answers before everyone has scored."""
    if not can_see_calibration(user, session):
        return False
    return (
        session.is_closed or not session.evaluations.filter(status=Evaluation.Status.DRAFT).exists()
    )


def can_record_reference(user: AnyUser, session: CalibrationSession) -> bool:
    return session.lead_id == user.pk and not session.is_closed


# ---------------------------------------------------------------- what the scores say


def dashboard_teams(user: AnyUser) -> tuple[int, ...] | None:
    """The teams whose figures this person sees: every team (None) for the quality team and
    managers, their own teams for a supervisor."""
    if is_evaluator(user) or is_manager(user):
        return None
    return tuple(user.supervised_teams.values_list("pk", flat=True))


def can_suggest_changes(user: AnyUser) -> bool:
    """Turning an often-missed step into feedback for the procedure's owner."""
    return is_evaluator(user) or is_manager(user)


def can_export_evaluations(user: AnyUser) -> bool:
    return can_use_quality(user)
