"""Nobody decides their own case: approving a scorecard one changed, deciding or correcting away
a dispute about one's own evaluation or call; hidden evaluators stay hidden; what a refused form
held is kept; the sums follow the team a call was in."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from procedures.management.commands._demo_time import as_of
from procedures.models import Notification, Team
from quality import evaluations, permissions, scorecards, tallies, workflow
from quality.models import CallTally, ScorecardVersion
from quality.records import QualityRefused
from tests import quality_factories as qf
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_manager_who_changed_a_version_does_not_approve_it(supervisor, manager, evaluator):
    revision = qf.effective_procedure(supervisor)
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=evaluator
    )
    line = version.lines.first()
    scorecards.save_lines(
        version=version, actor=manager, change_note="",
        edits=[scorecards.LineEdit(pk=line.pk, weight=5, critical=False, remove=False)], new_general=[],
    )  # fmt: skip
    workflow.submit(version=version, actor=evaluator)

    with pytest.raises(QualityRefused):
        workflow.approve(version=version, actor=manager)
    workflow.approve(version=version, actor=qf_other_manager())

    assert ScorecardVersion.objects.get(pk=version.pk).is_approved


def qf_other_manager():
    from tests.factories import manager

    return manager("approver9")


def test_nobody_decides_or_corrects_away_a_dispute_about_their_own_work(
    version, evaluator, agent, supervisor, team, manager
):
    evaluation = qf.scored(version, by=supervisor, agent=agent)  # Maria scored her own agent
    evaluations.respond(evaluation=evaluation, actor=agent, dispute=True, reason="I did it.")
    evaluation.refresh_from_db()

    told = {n.recipient_id for n in Notification.objects.filter(kind="EVALUATION_DISPUTED")}

    managers = set(Group.objects.get(name="Manager").user_set.values_list("pk", flat=True))
    assert told == managers and supervisor.pk not in told  # not Maria: she scored it
    assert not permissions.can_decide_dispute(supervisor, evaluation)
    assert not permissions.can_correct(supervisor, evaluation)  # a correction would settle it
    assert permissions.can_decide_dispute(manager, evaluation)
    assert permissions.can_correct(manager, evaluation)


def test_an_agent_who_is_also_a_manager_does_not_decide_their_own_dispute(version, evaluator):
    both = UserFactory(username="both", role="Agent")
    both.groups.add(
        *UserFactory._meta.model.groups.field.related_model.objects.filter(name="Manager")
    )
    evaluation = qf.scored(version, by=evaluator, agent=both)
    evaluations.respond(evaluation=evaluation, actor=both, dispute=True, reason="Mine.")
    evaluation.refresh_from_db()

    with pytest.raises(QualityRefused):
        evaluations.uphold(evaluation=evaluation, actor=both, note="I win.")

    assert evaluation.response.is_open_dispute


def test_a_hidden_evaluator_stays_hidden_as_the_one_who_settled_the_dispute(
    client, version, evaluator, agent, manager
):
    evaluation = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="R-9", call_at=timezone.now()
    )
    rows = evaluations.rows(evaluation)
    evaluations.save(
        evaluation=evaluation, actor=evaluator, summary="", hide_evaluator=True, share=True,
        answers={row.line.pk: ("YES", "") for row in rows},
    )  # fmt: skip
    evaluation.refresh_from_db()
    correction = evaluations.correct(
        evaluation=evaluation, actor=evaluator, reason="Line 1 was wrong."
    )
    evaluations.save(
        evaluation=correction, actor=evaluator, summary="", hide_evaluator=True, share=True,
        answers={row.line.pk: ("YES", "") for row in rows},
    )  # fmt: skip
    client.force_login(agent)

    shown = client.get(correction.get_absolute_url()).content.decode()
    shown += client.get(evaluation.get_absolute_url()).content.decode()

    assert "Szabó" not in shown and "Quality team" in shown


def test_a_comment_without_an_answer_is_refused_and_kept(client, version, evaluator, agent):
    evaluation = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="R-3", call_at=timezone.now()
    )
    line = evaluations.rows(evaluation)[1].line
    client.force_login(evaluator)

    response = client.post(
        evaluation.get_absolute_url(),
        {f"comment_{line.pk}": "Asked twice, then verified.", "save": ""},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose an answer where you wrote a comment: line 2." in page
    assert "Asked twice, then verified." in page
    assert not evaluation.answers.exists()


def test_a_refused_return_keeps_the_reason_as_typed(client, supervisor, manager, evaluator):
    revision = qf.effective_procedure(supervisor)
    version = scorecards.create_scorecard(
        name="Inbound", description="", procedures=[revision.procedure], actor=evaluator
    )
    workflow.submit(version=version, actor=evaluator)
    client.force_login(manager)
    long_reason = "Weigh the greeting less. " * 100  # over 2,000 characters

    response = client.post(f"{version.get_absolute_url()}return/", {"reason": long_reason})

    assert response.status_code == 400
    assert "Weigh the greeting less. Weigh" in response.content.decode()
    version.refresh_from_db()
    assert version.is_in_review


def test_a_call_date_far_in_the_past_is_refused_with_a_message(client, version, evaluator, agent):
    client.force_login(evaluator)

    response = client.post(
        "/quality/evaluations/new/",
        {
            "scorecard": version.pk,
            "agent": agent.pk,
            "call_reference": "OLD",
            "call_at": "0001-01-01T00:30",
        },
    )

    assert response.status_code == 400
    assert "too far in the past" in response.content.decode()


def test_a_procedure_not_in_force_at_the_call_counts_for_nothing_the_others_do(
    supervisor, manager, evaluator, agent
):
    with as_of(timezone.now() - datetime.timedelta(days=30)):
        old = qf.effective_procedure(supervisor, code="CC-OLD-001")
    new = qf.effective_procedure(supervisor, code="CC-NEW-001")
    version = qf.scorecard_in_use(old, new, builder=evaluator, approver=manager, general=())

    evaluation = qf.scored(
        version, by=evaluator, agent=agent, call_at=timezone.now() - datetime.timedelta(days=3)
    )

    rows = evaluations.rows(evaluation)
    assert [r.applicable for r in rows] == [True] * 4 + [False] * 4
    assert evaluation.points_possible == 4


def test_a_supervisor_calibrates_only_their_own_teams_calls(
    client, version, supervisor, supervisor2, evaluator, agent, team
):
    stranger = UserFactory(username="agent7", role="Agent")

    with pytest.raises(QualityRefused):
        from quality import calibration

        calibration.start(
            lead=supervisor, version=version, agent=stranger, call_reference="C", call_at=timezone.now(),
            participants=[supervisor, evaluator],
        )  # fmt: skip

    assert set(permissions.calibration_agents(supervisor)) == {agent}
    assert stranger in set(permissions.calibration_agents(evaluator))


def test_a_call_counts_in_the_team_its_agent_was_in_when_it_was_shared(
    version, evaluator, agent, team, supervisor2
):
    qf.scored(version, by=evaluator, agent=agent, reference="BEFORE")
    other = Team.objects.create(name="Sales", supervisor=supervisor2)
    agent.team = other
    agent.save()
    qf.scored(version, by=evaluator, agent=agent, reference="AFTER")
    kept = sorted(CallTally.objects.values_list("team_key", "calls"))

    tallies.rebuild()

    assert (
        kept
        == sorted(CallTally.objects.values_list("team_key", "calls"))
        == sorted([(team.pk, 1), (other.pk, 1)])
    )


def test_a_correction_is_announced_as_one_and_its_writer_goes_on_with_their_draft(
    version, evaluator, agent, team, supervisor
):
    evaluation = qf.scored(version, by=evaluator, agent=agent, answers={"Greet": "NO"})
    draft = evaluations.correct(
        evaluation=evaluation, actor=evaluator, reason="Heard the greeting."
    )

    again = evaluations.correct(evaluation=evaluation, actor=evaluator, reason="Still the same.")
    with pytest.raises(QualityRefused) as refused:
        evaluations.correct(evaluation=evaluation, actor=supervisor, reason="Mine.")
    evaluations.save(
        evaluation=draft, actor=evaluator, summary="", hide_evaluator=False, share=True,
        answers={row.line.pk: ("YES", "") for row in evaluations.rows(draft)},
    )  # fmt: skip

    assert again.pk == draft.pk
    assert refused.value.message == "Anna Szabó is already writing a correction of this evaluation."
    newest = Notification.objects.filter(recipient=agent).order_by("-pk").first()
    assert str(newest) == "The evaluation of your call REC-1 was corrected: 100.00 %"


def test_a_draft_on_the_wrong_call_is_discarded_by_its_evaluator_only(
    client, version, evaluator, agent, team, supervisor
):
    wrong = qf.scored(version, by=evaluator, agent=agent, share=False, reference="WRONG")
    shared = qf.scored(version, by=evaluator, agent=agent, answers={"Greet": "NO"})
    correction = evaluations.correct(evaluation=shared, actor=evaluator, reason="Maybe.")

    with pytest.raises(QualityRefused) as refused:
        evaluations.discard(evaluation=wrong, actor=supervisor)
    with pytest.raises(QualityRefused):
        evaluations.discard(evaluation=shared, actor=evaluator)
    client.force_login(evaluator)
    response = client.post(f"{wrong.get_absolute_url()}discard/", follow=True)
    evaluations.discard(evaluation=correction, actor=evaluator)
    another = evaluations.correct(evaluation=shared, actor=supervisor, reason="Heard the greeting.")

    assert refused.value.message == "Only the person scoring this call discards its draft."
    assert "Draft discarded: nobody sees it." in response.content.decode()
    assert "WRONG" not in response.content.decode()
    assert client.get(wrong.get_absolute_url()).status_code == 404
    wrong.refresh_from_db()
    assert wrong.is_discarded and wrong.answers.exists()  # set aside with its answers
    assert another.replaces_id == shared.pk  # the discarded correction gave its place up
