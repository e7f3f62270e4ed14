"""Calibration: blind scores of one call, the statistics against hand-computed values, the
lead's reference answers and each evaluator's agreement with them over time."""

from decimal import Decimal

import pytest
from django.utils import timezone

from procedures.models import Notification
from quality import calibration, evaluations, permissions, scoring
from quality.models import Evaluation, ReferenceAnswer
from quality.records import QualityRefused
from tests import quality_factories as qf

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the statistics, by hand


def test_agreement_is_the_share_of_the_most_common_answer():
    assert scoring.agreement(["YES", "YES", "YES"]) == Decimal("1.00")
    assert scoring.agreement(["YES", "NO", "YES", "NO"]) == Decimal("0.50")
    assert scoring.agreement(["YES", "NO", "NA"]) == Decimal("0.33")
    assert scoring.agreement(["YES", "YES", "NO"]) == Decimal("0.67")
    assert scoring.agreement([]) is None


def test_the_score_spread_by_hand():
    result = scoring.spread([Decimal("80"), Decimal("90"), Decimal("100")])

    # mean 90; deviations -10, 0, 10; variance 200 / 3 = 66.67; its root 8.16
    assert (result.lowest, result.highest, result.range) == (80, 100, 20)
    assert result.mean == Decimal("90.00") and result.deviation == Decimal("8.16")
    assert scoring.spread([]) is None


def test_agreement_with_the_reference_by_hand():
    reference = {1: "YES", 2: "NO", 3: "YES", 4: "NA"}

    assert scoring.agreement_with({1: "YES", 2: "YES", 3: "YES", 4: "NA"}, reference) == Decimal(
        "75.00"
    )
    assert scoring.agreement_with({1: "NO"}, reference) == Decimal("0.00")
    assert scoring.agreement_with({1: "YES"}, {}) is None


# ---------------------------------------------------------------- a session


@pytest.fixture
def version(supervisor, manager):
    revision = qf.effective_procedure(supervisor, code="CC-CH-002")
    return qf.scorecard_in_use(
        revision, builder=qf.evaluator("builder"), approver=manager, general=()
    )


def answer_all(score, by, choices):
    """Answer the score's lines in order with `choices` and submit it."""
    rows = [row for row in evaluations.rows(score) if row.applicable]
    return evaluations.save(
        evaluation=score,
        actor=by,
        answers={row.line.pk: (choice, "") for row, choice in zip(rows, choices, strict=True)},
        summary="",
        hide_evaluator=False,
        share=True,
    )


def test_a_session_is_scored_blind_then_shows_the_spread_and_the_reference(
    version, evaluator, supervisor, agent
):
    second = qf.evaluator("evaluator2")
    session = calibration.start(
        lead=evaluator, version=version, agent=agent, call_reference="CAL-1",
        call_at=timezone.now(), participants=[evaluator, second, supervisor],
    )  # fmt: skip
    scores = {score.evaluator_id: score for score in calibration.scores(session)}
    # four lines of weight 1: 4/4 = 100 %, 3/4 = 75 %, 2/4 = 50 %
    answer_all(scores[evaluator.pk], evaluator, ["YES", "YES", "YES", "YES"])
    answer_all(scores[second.pk], second, ["YES", "NO", "YES", "YES"])

    blind = permissions.can_see_calibration_results(evaluator, session)
    peek = permissions.can_see_evaluation(evaluator, scores[second.pk])
    with pytest.raises(QualityRefused):
        calibration.record_reference(session=session, lead=evaluator, answers={}, note="")
    answer_all(scores[supervisor.pk], supervisor, ["YES", "NO", "NO", "YES"])
    results = calibration.results(session, calibration.scores(session))

    assert not blind and not peek
    assert [line.agreement for line in results.lines] == [
        Decimal("1.00"), Decimal("0.67"), Decimal("0.67"), Decimal("1.00"),
    ]  # fmt: skip
    assert results.agreement == Decimal("0.84")  # (1 + .67 + .67 + 1) / 4 = 0.835, half up
    assert (results.spread.lowest, results.spread.highest) == (Decimal("50.00"), Decimal("100.00"))
    assert results.spread.mean == Decimal("75.00") and results.spread.deviation == Decimal("20.41")
    assert permissions.can_see_evaluation(evaluator, scores[second.pk])
    assert not permissions.can_see_evaluation(agent, scores[second.pk])
    assert not Notification.objects.filter(recipient=agent).exists()

    lines = [line.row.line for line in results.lines]
    calibration.record_reference(
        session=session,
        lead=evaluator,
        answers=dict(zip([line.pk for line in lines], ["YES", "NO", "YES", "YES"], strict=True)),
        note="Line 2: the caller was verified by the IVR.",
    )

    rates = {a.score.evaluator_id: a.rate for a in calibration.agreement_over_time(supervisor)}
    assert rates == {supervisor.pk: Decimal("75.00")}
    assert calibration.agreement_over_time(second)[0].rate == Decimal("100.00")
    assert ReferenceAnswer.objects.count() == 4
    session.refresh_from_db()
    assert session.is_closed


def test_calibration_scores_are_never_the_agents(version, evaluator, supervisor, agent):
    session = calibration.start(
        lead=evaluator, version=version, agent=agent, call_reference="CAL-2",
        call_at=timezone.now(), participants=[evaluator, supervisor],
    )  # fmt: skip
    for score in calibration.scores(session):
        answer_all(score, score.evaluator, ["YES"] * 4)

    assert not permissions.evaluations_visible_to(agent).exists()
    assert not permissions.evaluations_visible_to(qf.evaluator("other")).exists()
    assert Evaluation.objects.filter(calibration=session, status="SHARED").count() == 2
    assert all(not permissions.can_respond(agent, s) for s in calibration.scores(session))


def test_participants_are_told_and_a_session_needs_two_evaluators(
    version, evaluator, supervisor, agent
):
    with pytest.raises(QualityRefused) as refused:
        calibration.start(
            lead=evaluator, version=version, agent=agent, call_reference="CAL-3",
            call_at=timezone.now(), participants=[evaluator],
        )  # fmt: skip
    assert refused.value.message == "A calibration needs at least two evaluators."

    calibration.start(
        lead=evaluator, version=version, agent=agent, call_reference="CAL-3",
        call_at=timezone.now(), participants=[evaluator, supervisor],
    )  # fmt: skip

    note = Notification.objects.get(recipient=supervisor)
    assert str(note) == "Anna Szabó asks you to score call CAL-3 for calibration"
    assert not Notification.objects.filter(recipient=evaluator).exists()


def test_only_the_lead_records_the_reference(version, evaluator, supervisor, agent):
    session = calibration.start(
        lead=evaluator, version=version, agent=agent, call_reference="CAL-4",
        call_at=timezone.now(), participants=[evaluator, supervisor],
    )  # fmt: skip
    for score in calibration.scores(session):
        answer_all(score, score.evaluator, ["YES"] * 4)
    lines = [
        line.row.line.pk for line in calibration.results(session, calibration.scores(session)).lines
    ]

    with pytest.raises(QualityRefused):
        calibration.record_reference(
            session=session, lead=supervisor, answers=dict.fromkeys(lines, "YES"), note=""
        )
    with pytest.raises(QualityRefused) as refused:
        calibration.record_reference(
            session=session, lead=evaluator, answers=dict.fromkeys(lines[:2], "YES"), note=""
        )

    assert refused.value.message == "Give the reference answer of every line: 3, 4."
    assert not ReferenceAnswer.objects.exists()


def test_the_calibration_pages(client, version, evaluator, supervisor, agent):
    moment = (timezone.localtime() + timezone.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(evaluator)

    started = client.post(
        "/quality/calibration/new/",
        {"scorecard": version.pk, "agent": agent.pk, "call_reference": "CAL-9", "call_at": moment,
         "participants": [evaluator.pk, supervisor.pk]},
    )  # fmt: skip
    session = Evaluation.objects.get(evaluator=evaluator).calibration
    client.force_login(supervisor)
    waiting = client.get("/quality/").content.decode()
    client.force_login(evaluator)
    for score in calibration.scores(session):
        answer_all(score, score.evaluator, ["YES", "NO", "YES", "YES"])
    results_page = client.get(session.get_absolute_url())
    lines = calibration.results(session, calibration.scores(session)).lines
    recorded = client.post(
        session.get_absolute_url(),
        {f"reference_{line.row.line.pk}": "YES" for line in lines} | {"note": "Fine."},
        follow=True,
    )
    people_page = client.get(f"/quality/people/{supervisor.username}/").content.decode()
    client.force_login(agent)
    agents_view = client.get(session.get_absolute_url())

    assert started.status_code == 302
    assert "A calibration session waits for your score." in waiting
    assert "Answers per line" in results_page.content.decode()
    assert "Reference recorded: each evaluator sees how they agreed." in recorded.content.decode()
    assert "75 %" in people_page
    assert agents_view.status_code == 404  # not theirs to see
