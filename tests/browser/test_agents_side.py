"""The agents' side in a real browser: an agent searches for a word from a step, opens the
procedure, sees what changed, acknowledges it and sends feedback on a step; the supervisor sees
the acknowledgement on the team dashboard and replies; the agent sees the reply."""

import re

import pytest
from playwright.sync_api import expect

from procedures import services
from procedures.models import Acknowledgement, Feedback, Team
from procedures.steps import StepData
from tests.browser.conftest import log_in
from tests.factories import UserFactory, make_effective, new_procedure, save

pytestmark = pytest.mark.browser


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_agent_searches_reads_the_changes_acknowledges_and_gets_a_reply_to_feedback(page, people):
    supervisor, agent = people["supervisor"], people["agent"]
    approver = UserFactory(
        username="manager", first_name="James", last_name="Okafor", role="Manager"
    )
    team = Team.objects.create(name="Team Santos", supervisor=supervisor)
    agent.team = team
    agent.save(update_fields=["team"])
    steps = [
        StepData("a", "Greet the caller with the approved greeting."),
        StepData("b", "Ask for the account number."),
        StepData("c", "Verify the caller with two security questions."),
    ]
    first = make_effective(
        save(new_procedure(owner=supervisor, code="CC-CH-070"), title="Taking a call", steps=steps),
        approver,
    )
    services.acknowledge(agent=agent, revision=first)
    draft = services.start_revision(procedure=first.procedure, author=supervisor)
    steps[1] = StepData("b", "Offer a callback when the queue is longer than five minutes.")
    make_effective(
        save(draft, title="Taking a call", steps=steps, change_summary="Callbacks."), approver
    )

    log_in(page, "agent")
    page.get_by_label("Search the manual").fill("callback")
    page.get_by_label("Search the manual").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("One procedure matches")
    page.get_by_role("link", name="CC-CH-070 Taking a call").click()

    expect(page.get_by_role("heading", name="To read and acknowledge")).to_be_visible()
    changes = page.locator(".reading")
    expect(changes).to_contain_text("What changed since revision 1, the one you last confirmed")
    expect(changes.locator("ins", has_text="Offer a callback")).to_be_visible()
    page.get_by_role("button", name="I have read and understood this procedure").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Recorded: you read and understood CC-CH-070 revision 2"
    )

    page.get_by_label("About").select_option("STEPS")
    page.get_by_label("Step (optional)").select_option("b")
    page.get_by_label("Your feedback").fill("Callbacks are not in the CRM yet on floor 2.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("Sent to Maria Santos, who owns CC-CH-070.")).to_be_visible()
    assert Feedback.objects.get().step_number == "2"
    log_out(page)

    log_in(page, "supervisor")
    expect(page.locator(".badge--count")).to_contain_text("1")
    page.get_by_role("link", name="Reading").click()
    row = page.get_by_role("row", name="Dewi Lestari")
    expect(row.get_by_role("cell").nth(0)).to_have_text("1")  # acknowledged
    assert Acknowledgement.objects.filter(agent=agent, revision__number=2).exists()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    row = page.get_by_role("row", name=re.compile("Step 2 rev. 2 Callbacks are not in the CRM"))
    expect(row).to_contain_text("Dewi Lestari")
    row.get_by_role("link").click()
    expect(page.get_by_text("Callbacks are not in the CRM yet on floor 2.")).to_be_visible()
    page.get_by_label("Status").select_option("ACCEPTED")
    page.get_by_label("Your reply").fill(
        "Good catch: IT adds them on Monday; until then, note it in the call log."
    )
    page.get_by_role("button", name="Save and tell the sender").click()
    expect(page.get_by_text("Saved. Dewi Lestari is told.")).to_be_visible()
    log_out(page)

    log_in(page, "agent")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role(
        "link", name="Maria Santos replied to your feedback on CC-CH-070 (Accepted)"
    ).click()
    expect(page.get_by_text("IT adds them on Monday")).to_be_visible()
    expect(page.get_by_role("heading", name="Your feedback on CC-CH-070")).to_contain_text(
        "Accepted"
    )
    expect(page.locator(".badge--count")).to_have_count(0)
