"""Quality monitoring in Chromium: an evaluator scores a call with the keyboard only, the agent
disputes it, the supervisor sees the dispute; axe finds no WCAG 2.1 AA violation on any quality
page, at laptop and phone widths."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from procedures.models import Team
from quality import calibration, evaluations, scorecards
from quality.models import Evaluation
from tests import quality_factories as qf
from tests.browser.conftest import log_in
from tests.factories import UserFactory, manager

pytestmark = pytest.mark.browser
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def floor(people):
    """A team (Maria's, with Dewi), a quality evaluator and a scorecard in use."""
    team = Team.objects.create(name="Billing", supervisor=people["supervisor"])
    people["agent"].team = team
    people["agent"].save()
    evaluator = UserFactory(
        username="evaluator", first_name="Anna", last_name="Szabó", role="Quality evaluator"
    )
    revision = qf.effective_procedure(people["supervisor"], code="CC-CH-002")
    version = qf.scorecard_in_use(revision, builder=evaluator, approver=manager())
    return {"evaluator": evaluator, "version": version, **people}


def test_a_call_scored_with_the_keyboard_disputed_by_the_agent_and_seen_by_the_supervisor(
    page, floor
):
    log_in(page, "evaluator")
    page.goto("/quality/evaluations/new/")
    page.get_by_label("Scorecard").focus()  # from here on, only the keyboard
    page.keyboard.press("Tab")  # the agent: Dewi is the only one
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("REC-5521")
    page.keyboard.press("Tab")
    moment = timezone.localtime() + timezone.timedelta(minutes=1)
    page.keyboard.type(moment.strftime("%m%d%Y"))
    page.keyboard.press("Tab")
    page.keyboard.type(moment.strftime("%I%M%p"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Call REC-5521"))).to_be_visible()

    page.get_by_role("radio", name="Yes").first.focus()
    for line in range(5):  # four steps and one general line
        if line == 2:
            page.keyboard.press("ArrowRight")  # "No" for step 3
        else:
            page.keyboard.press("Space")  # "Yes"
        page.keyboard.press("Tab")  # the line's comment
        if line == 2:
            page.keyboard.type("The question was not answered.")
        page.keyboard.press("Tab")  # the next line's answers
    page.keyboard.press("Tab")  # past "Hide my name from the agent"
    page.keyboard.press("Tab")  # "Save the draft"
    page.keyboard.press("Tab")  # "Share with the agent"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Shared with the agent, who is told.")).to_be_visible()
    evaluation = Evaluation.objects.get()
    assert evaluation.is_shared and evaluation.points_earned == evaluation.points_possible - 1

    page.context.clear_cookies()
    log_in(page, "agent")
    page.get_by_role("link", name="My evaluations").click()
    page.get_by_role("link", name="REC-5521").click()
    expect(page.get_by_text("The question was not answered.")).to_be_visible()
    page.get_by_label("Reason").fill("I answered it at 2:10, listen again please.")
    page.get_by_role("button", name="Dispute it").click()
    expect(
        page.get_by_text("Disputed: your supervisor (or a manager) decides, and you are told.")
    ).to_be_visible()

    page.context.clear_cookies()
    log_in(page, "supervisor")
    page.get_by_role("link", name="Quality").click()
    expect(page.get_by_text("1 dispute waits for your decision")).to_be_visible()
    page.get_by_role("link", name="REC-5521").first.click()
    expect(page.get_by_text("I answered it at 2:10, listen again please.").first).to_be_visible()
    expect(page.get_by_role("heading", name="Decide the dispute")).to_be_visible()


@pytest.mark.parametrize("width", [1366, 390])
def test_quality_pages_have_no_accessibility_violations(page, floor, width):
    evaluator, version, agent = floor["evaluator"], floor["version"], floor["agent"]
    shared = qf.scored(version, by=evaluator, agent=agent, answers={"Answer": "NO"})
    evaluations.respond(evaluation=shared, actor=agent, dispute=True, reason="I did answer.")
    draft = qf.scored(version, by=evaluator, agent=agent, share=False, reference="R-2")
    gone = qf.evaluator("gone")  # a draft left behind: offered on /quality/ to take over
    qf.scored(version, by=gone, agent=agent, share=False, reference="R-3")
    gone.is_active = False
    gone.save()
    session = calibration.start(
        lead=evaluator, version=version, agent=agent, call_reference="CAL-1",
        call_at=timezone.now(), participants=[evaluator, floor["supervisor"]],
    )  # fmt: skip
    for score in calibration.scores(session):
        answers = {row.line.pk: ("YES", "") for row in evaluations.rows(score) if row.applicable}
        evaluations.save(
            evaluation=score, actor=score.evaluator, answers=answers, summary="",
            hide_evaluator=False, share=True,
        )  # fmt: skip
    next_version = scorecards.start_next_version(version=version, actor=evaluator)
    page.set_viewport_size({"width": width, "height": 900})
    visits = {
        "evaluator": [
            "/quality/", "/quality/evaluations/new/", draft.get_absolute_url(),
            shared.get_absolute_url(), "/quality/dashboard/", "/quality/calibration/",
            "/quality/calibration/new/", session.get_absolute_url(), "/quality/scorecards/",
            "/quality/scorecards/new/", version.get_absolute_url(), next_version.get_absolute_url(),
            f"/quality/people/{evaluator.username}/",
        ],
        "agent": ["/quality/", shared.get_absolute_url()],
        "supervisor": ["/quality/", shared.get_absolute_url()],
    }  # fmt: skip

    problems = {}
    for username, urls in visits.items():
        page.context.clear_cookies()
        log_in(page, username)
        for url in urls:
            page.goto(url)
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            results = Axe().run(page, options=WCAG_21_AA)
            if results.violations_count:
                problems[f"{username} {url}"] = results.generate_report()

    assert problems == {}
