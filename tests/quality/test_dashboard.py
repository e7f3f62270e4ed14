"""What the scores say: weekly compliance, the steps most often missed and the suggestion to
their owner, calls per agent against the target, the threshold, the CSV; the dashboard's queries
do not grow with the number of evaluations."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from procedures.management.commands._demo_time import as_of
from procedures.models import Feedback, Team
from quality import analytics, charts
from tests import quality_factories as qf
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOLD = "Answer the question."  # step 3 of the factories' procedure


@pytest.fixture
def world(supervisor, manager, evaluator, agent):
    """A procedure in force for months and a scorecard in use since, two agents in one team."""
    team = Team.objects.create(name="Billing", supervisor=supervisor)
    agent.team = team
    agent.save()
    other = UserFactory(username="agent2", first_name="Lucas", role="Agent", team=team)
    with as_of(timezone.now() - datetime.timedelta(days=120)):
        revision = qf.effective_procedure(supervisor, code="CC-CH-002")
        version = qf.scorecard_in_use(revision, builder=evaluator, approver=manager, general=())
    return {"version": version, "agent": agent, "other": other, "team": team, "revision": revision}


def week_ago(weeks: int, hours: int = 0) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(weeks=weeks, hours=hours)


def test_compliance_per_week_by_hand(world, evaluator):
    version, agent = world["version"], world["agent"]
    qf.scored(version, by=evaluator, agent=agent, call_at=week_ago(2), answers={HOLD: "NO"})  # 3/4
    qf.scored(version, by=evaluator, agent=agent, call_at=week_ago(2, 1))  # 4/4
    qf.scored(
        version, by=evaluator, agent=agent, call_at=week_ago(1), answers={"Greet": "NO", HOLD: "NO"}
    )  # 2/4

    weeks = analytics.weekly(analytics.Scope(weeks=4))

    assert [w.calls for w in weeks] == [0, 2, 1, 0] or [w.calls for w in weeks] == [0, 0, 2, 1]
    filled = [w for w in weeks if w.calls]
    assert [w.compliance for w in filled] == [Decimal("87.5"), Decimal("50.0")]  # 7/8, 2/4
    assert [w.score for w in filled] == [Decimal("87.5"), Decimal("50.0")]


def test_the_steps_most_often_missed_and_who_is_under_the_threshold(world, evaluator, settings):
    version, agent, other = world["version"], world["agent"], world["other"]
    for index in range(4):
        qf.scored(
            version, by=evaluator, agent=agent, call_at=week_ago(1, index), answers={HOLD: "NO"}
        )
    for index in range(4):
        answers = {HOLD: "NO"} if index == 0 else {}
        qf.scored(version, by=evaluator, agent=other, call_at=week_ago(1, index), answers=answers)
    settings.SOPDESK_QUALITY_MISSED_CALLS = 8
    settings.SOPDESK_QUALITY_MISSED_SHARE = 50

    missed = analytics.missed_steps(analytics.Scope(weeks=4))
    figures = {
        f.agent.username: f for f in analytics.per_agent(analytics.Scope(weeks=4), qf_agents())
    }

    assert [(m.code, m.step_number, m.text, m.missed, m.checked) for m in missed] == [
        ("CC-CH-002", "3", HOLD, 5, 8)
    ]
    assert missed[0].share == Decimal("62.5") and missed[0].worth_a_suggestion
    assert figures["agent"].score == Decimal("75.0") and figures["agent"].below_threshold
    assert figures["agent2"].score == Decimal("93.8") and not figures["agent2"].below_threshold
    assert (
        figures["agent"].per_week == Decimal("1.3") and figures["agent"].below_target
    )  # 4 in 3 complete weeks


def qf_agents():
    from quality.permissions import active_agents

    return active_agents()


def test_a_supervisor_sees_their_own_teams_figures_only(
    world, evaluator, supervisor, supervisor2, client
):
    stranger = UserFactory(username="agent9", role="Agent")
    Team.objects.create(name="Sales", supervisor=supervisor2)
    stranger.team = Team.objects.get(name="Sales")
    stranger.save()
    qf.scored(
        world["version"], by=evaluator, agent=stranger, call_at=week_ago(1), reference="THEIRS"
    )
    qf.scored(
        world["version"], by=evaluator, agent=world["agent"], call_at=week_ago(1), reference="OURS"
    )
    client.force_login(supervisor)

    page = client.get("/quality/dashboard/").content.decode()
    exported = client.get("/quality/dashboard/evaluations.csv").content.decode("utf-8")

    assert "Dewi Lestari" in page and stranger.display_name not in page
    assert "OURS" in exported and "THEIRS" not in exported


def test_the_dashboard_runs_the_same_queries_for_ten_or_forty_calls(world, evaluator, client):
    client.force_login(evaluator)

    def count() -> int:
        cache.clear()  # the manual's state is kept for a second: read it in both counts
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/quality/dashboard/?weeks=12").status_code == 200
        return len(queries)

    client.get("/quality/dashboard/")  # the CSRF cookie: both counts below build a kept page
    for index in range(10):
        answers = {HOLD: "NO"} if index % 3 == 0 else {}
        qf.scored(
            world["version"],
            by=evaluator,
            agent=world["agent"],
            call_at=week_ago(index % 6 + 1, index),
            answers=answers,
        )
    few = count()
    for index in range(30):
        agent = world["agent"] if index % 2 else world["other"]
        answers = {HOLD: "NO", "Greet": "NO"} if index % 4 == 0 else {}
        qf.scored(
            world["version"],
            by=evaluator,
            agent=agent,
            call_at=week_ago(index % 9 + 1, index),
            answers=answers,
        )
    many = count()

    assert few == many


def test_an_often_missed_step_is_suggested_to_its_owner_once(
    world, evaluator, supervisor, client, settings
):
    settings.SOPDESK_QUALITY_MISSED_CALLS = 3
    for index in range(3):
        qf.scored(
            world["version"],
            by=evaluator,
            agent=world["agent"],
            call_at=week_ago(1, index),
            answers={HOLD: "NO"},
        )
    client.force_login(evaluator)
    step = world["version"].lines.get(step_key="c")

    sent = client.post(
        "/quality/dashboard/suggest/?weeks=4",
        {"procedure": step.procedure_id, "step": "c"},
        follow=True,
    )
    again = client.post(
        "/quality/dashboard/suggest/?weeks=4",
        {"procedure": step.procedure_id, "step": "c"},
        follow=True,
    )

    item = Feedback.objects.get()
    assert item.procedure.owner == supervisor and item.step_key == "c" and item.author == evaluator
    assert (
        "Step 3 of CC-CH-002 (“Answer the question.”) was missed in 100 % of 3 evaluated calls"
        in item.body
    )
    assert "Sent to Maria Santos, who owns CC-CH-002" in sent.content.decode()
    assert "Feedback on this step already waits for its owner" in again.content.decode()
    assert "Open feedback on this step already" in again.content.decode()


def test_agents_and_supervisors_do_not_send_suggestions(
    world, evaluator, supervisor, client, settings
):
    settings.SOPDESK_QUALITY_MISSED_CALLS = 1
    qf.scored(
        world["version"],
        by=evaluator,
        agent=world["agent"],
        call_at=week_ago(1),
        answers={HOLD: "NO"},
    )
    step = world["version"].lines.get(step_key="c")
    client.force_login(supervisor)

    refused = client.post(
        "/quality/dashboard/suggest/", {"procedure": step.procedure_id, "step": "c"}
    )

    assert refused.status_code == 403
    assert not Feedback.objects.exists()


def test_the_csv_has_one_row_per_call_and_no_formulas(world, evaluator, client):
    qf.scored(
        world["version"],
        by=evaluator,
        agent=world["agent"],
        call_at=week_ago(1),
        reference="=HYPERLINK(1)",
    )
    client.force_login(evaluator)

    response = client.get("/quality/dashboard/evaluations.csv?weeks=4")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:3] == ["Call reference", "Call date and time", "Agent"]
    assert len(rows) == 2 and rows[1][0] == "'=HYPERLINK(1)" and rows[1][7] == "100.00"


def test_the_chart_is_an_accessible_svg_with_a_gap_for_weeks_without_calls():
    svg = charts.line_chart(
        [charts.Point("1 Nov", Decimal(80)), charts.Point("8 Nov", None), charts.Point("15 Nov", Decimal(90)),
         charts.Point("22 Nov", Decimal(95))],
        title="Compliance <per> week", description="Weekly.", target=85, target_label="Threshold",
    )  # fmt: skip

    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert '<title id="chart-title">Compliance &lt;per&gt; week</title>' in svg
    assert len(re.findall("<polyline", svg)) == 2  # the week without calls breaks the line
    assert len(re.findall("<circle", svg)) == 3
    assert 'class="chart__target"' in svg


def test_the_sums_kept_as_calls_are_shared_and_corrected_equal_a_recount(
    world, evaluator, supervisor
):
    from quality import calibration, evaluations, tallies
    from quality.models import CallTally, StepTally

    version, agent, other = world["version"], world["agent"], world["other"]
    for index in range(6):
        qf.scored(version, by=evaluator, agent=agent if index % 2 else other, call_at=week_ago(index % 3 + 1, index),
                  answers={HOLD: "NO"} if index % 3 == 0 else {"Greet": "NA"})  # fmt: skip
    wrong = qf.scored(
        version, by=evaluator, agent=agent, call_at=week_ago(2), answers={HOLD: "NO", "Greet": "NO"}
    )
    draft = evaluations.correct(
        evaluation=wrong, actor=supervisor, reason="Heard it on the second recording."
    )
    evaluations.save(
        evaluation=draft, actor=supervisor, answers={r.line.pk: ("YES", "") for r in evaluations.rows(draft)},
        summary="", hide_evaluator=False, share=True,
    )  # fmt: skip
    qf.scored(version, by=evaluator, agent=agent, share=False, reference="DRAFT")
    session = calibration.start(
        lead=evaluator, version=version, agent=agent, call_reference="CAL", call_at=week_ago(1),
        participants=[evaluator, supervisor],
    )  # fmt: skip
    for score in calibration.scores(session):
        evaluations.save(
            evaluation=score, actor=score.evaluator, summary="", hide_evaluator=False, share=True,
            answers={r.line.pk: ("NO", "") for r in evaluations.rows(score) if r.applicable},
        )  # fmt: skip

    def sums():
        calls = sorted(
            CallTally.objects.values_list(
                "week", "agent", "team_key", "calls", "earned", "possible", "critical", "score_sum"
            )
        )
        steps = sorted(
            StepTally.objects.exclude(checked=0).values_list(
                "week", "team_key", "procedure", "step_key", "checked", "missed"
            )
        )
        return calls, steps

    kept = sums()
    tallies.rebuild()

    assert sums() == kept
    assert (
        sum(row[3] for row in kept[0]) == 7
    )  # six calls and the correction; not the replaced, the draft or the calibration


def test_the_dashboard_is_kept_until_a_call_is_shared(world, evaluator, client):
    qf.scored(
        world["version"], by=evaluator, agent=world["agent"], call_at=week_ago(1), reference="FIRST"
    )
    client.force_login(evaluator)
    client.get("/quality/dashboard/")  # the CSRF cookie: a page with forms is kept only then
    first = client.get("/quality/dashboard/")

    with CaptureQueriesContext(connection) as kept:
        again = client.get("/quality/dashboard/")
    qf.scored(
        world["version"],
        by=evaluator,
        agent=world["agent"],
        call_at=week_ago(1),
        reference="SECOND",
    )
    after = client.get("/quality/dashboard/").content.decode()

    assert again.content == first.content
    assert len(kept) <= 3  # the person, the quality state, the manual's state: no figure is counted
    summary = re.search(r"Calls evaluated</dt><dd>(\d+)", after)
    assert summary and summary.group(1) == "2"
