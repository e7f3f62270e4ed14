"""A draft evaluation its evaluator left behind (their account closed, or nobody changed it for
SOPDESK_QUALITY_DRAFT_IDLE_DAYS days) is taken over by another person who scores that agent's
calls: its answers kept, the history naming whom it was taken over from."""

import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

from quality import evaluations, permissions
from quality.models import Answer, Evaluation, QualityEvent
from quality.records import QualityRefused
from tests import quality_factories as qf

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(version, team, agent):
    """Bence's draft of Dewi's call, every line answered Yes, not shared."""
    return qf.scored(version, by=qf.evaluator("bence"), agent=agent, share=False, reference="R-7")


def _idle(evaluation, days):
    Evaluation.objects.filter(pk=evaluation.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_a_draft_whose_evaluator_left_is_taken_over_with_its_answers(draft, evaluator, agent):
    answers = set(Answer.objects.filter(evaluation=draft).values_list("line_id", "answer"))
    draft.evaluator.is_active = False
    draft.evaluator.save()

    taken = evaluations.take_over(evaluation=draft, actor=evaluator)

    assert taken.evaluator == evaluator and taken.is_draft
    assert set(Answer.objects.filter(evaluation=draft).values_list("line_id", "answer")) == answers
    event = QualityEvent.objects.get(evaluation=draft, action="EVALUATION_TAKEN_OVER")
    assert (event.actor, event.reason) == (evaluator, draft.evaluator.display_name)
    assert permissions.can_edit_evaluation(evaluator, taken)
    assert not permissions.can_edit_evaluation(draft.evaluator, taken)
    answered = {r.line.pk: (r.answer, "") for r in evaluations.rows(taken) if r.applicable}
    evaluations.save(evaluation=taken, actor=evaluator, answers=answered, summary="",
                     hide_evaluator=False, share=True)  # fmt: skip
    assert Evaluation.objects.get(pk=draft.pk).status == Evaluation.Status.SHARED


def test_a_draft_someone_is_still_working_on_is_not_taken_over(draft, evaluator, settings):
    settings.SOPDESK_QUALITY_DRAFT_IDLE_DAYS = 7
    _idle(draft, days=6)

    with pytest.raises(QualityRefused) as refused:
        evaluations.take_over(evaluation=draft, actor=evaluator)

    assert "its evaluator is still working on it" in refused.value.message
    assert Evaluation.objects.get(pk=draft.pk).evaluator.username == "bence"
    assert not QualityEvent.objects.filter(action="EVALUATION_TAKEN_OVER").exists()
    _idle(draft, days=7)
    assert evaluations.take_over(evaluation=draft, actor=evaluator).evaluator == evaluator


def test_only_who_scores_the_agent_takes_over_and_never_their_own_or_a_shared_one(
    draft, evaluator, supervisor, supervisor2, manager, agent, version
):
    _idle(draft, days=30)

    assert permissions.can_take_over(evaluator, draft)
    assert permissions.can_take_over(supervisor, draft)  # Dewi is in Maria's team
    assert not permissions.can_take_over(supervisor2, draft)
    assert not permissions.can_take_over(manager, draft)  # managers do not score calls
    assert not permissions.can_take_over(agent, draft)
    assert not permissions.can_take_over(draft.evaluator, draft)
    gone = qf.evaluator("carol")  # a shared evaluation is never changed (PostgreSQL refuses)
    shared = qf.scored(version, by=gone, agent=agent, reference="R-8")
    gone.is_active = False
    gone.save()
    assert not permissions.can_take_over(supervisor, shared)
    assert list(permissions.drafts_to_take_over(supervisor)) == [draft]


def test_a_calibration_score_is_never_offered(version, team, agent, evaluator, manager):
    from quality import calibration

    session = calibration.start(
        lead=manager,
        version=version,
        agent=agent,
        call_reference="CAL-1",
        call_at=timezone.now(),
        participants=[qf.evaluator("bence"), evaluator],
    )
    Evaluation.objects.filter(calibration=session).update(
        updated_at=timezone.now() - datetime.timedelta(days=30)
    )

    assert not permissions.drafts_to_take_over(evaluator).exists()


def test_the_list_offers_drafts_left_behind_and_taking_one_over_opens_it(client, draft, evaluator):
    _idle(draft, days=30)
    client.force_login(evaluator)

    listed = client.get("/quality/").content.decode()
    taken = client.post(f"/quality/evaluations/{draft.pk}/take-over/", follow=True)

    assert "Drafts left behind" in listed and "R-7" in listed
    assert "Take over the draft of call R-7" in listed
    assert taken.redirect_chain[-1][0] == draft.get_absolute_url()
    page = taken.content.decode()
    assert "You took over the draft of call R-7: it is yours to finish or discard." in page
    assert f"Draft taken over from: {escape(draft.evaluator.display_name)}" in page  # history
    assert 'name="share"' in page  # the form to finish it


def test_a_refused_take_over_says_why_and_changes_nothing(client, draft, evaluator):
    client.force_login(evaluator)

    refused = client.post(f"/quality/evaluations/{draft.pk}/take-over/", follow=True)

    assert refused.redirect_chain[-1][0] == "/quality/"
    assert "This draft cannot be taken over" in refused.content.decode()
    assert "Drafts left behind" not in refused.content.decode()
    assert Evaluation.objects.get(pk=draft.pk).evaluator.username == "bence"
