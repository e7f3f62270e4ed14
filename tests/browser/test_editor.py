"""A supervisor writes a flowchart procedure in a real browser; an agent is refused."""

import pytest
from playwright.sync_api import expect

from procedures.models import Procedure
from tests.browser.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_supervisor_writes_a_flowchart_procedure_and_edits_it_again(page, people, category):
    log_in(page, "supervisor")
    expect(page.get_by_role("heading", name="Desk", exact=True)).to_be_visible()

    page.get_by_role("link", name="New procedure").first.click()
    page.get_by_label("Code").fill("cc-ch-020")
    page.get_by_label("Title").fill("Verifying a caller")
    page.get_by_label("Category").select_option(label="Call handling")
    page.get_by_label("Flowchart: steps with decision points and branches").check()
    page.get_by_role("button", name="Create and start writing").click()
    expect(page.get_by_text("CC-CH-020 is created")).to_be_visible()

    page.get_by_label("Purpose", exact=True).fill(
        "Protect customer data: **verify** before disclosing."
    )
    expect(page.locator('[data-preview-for="id_purpose"] strong')).to_have_text("verify")

    for text in (
        "Is the caller verified?",
        "Help the caller with their request.",
        "Explain that nothing can be disclosed.",
    ):
        page.get_by_role("button", name="+ Add a step").click()
        page.locator("[data-step-row]").last.get_by_label("What to do").fill(text)
    rows = page.locator("[data-step-row]")
    rows.nth(0).get_by_label("Kind").select_option("DECISION")
    rows.nth(2).get_by_label("Kind").select_option("END")
    rows.nth(0).get_by_label("If yes, go to").select_option(
        label="Step 2: Help the caller with their request."
    )
    rows.nth(0).get_by_label("If no, go to").select_option(
        label="Step 3: Explain that nothing can be disclosed."
    )
    page.get_by_role("button", name="+ Add a measure").click()
    page.locator("[data-measure-row]").last.get_by_label("Measure", exact=True).fill(
        "Calls verified before disclosure"
    )
    page.locator("[data-measure-row]").last.get_by_label("Target", exact=True).fill("100%")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    page.reload()  # reopen: everything typed is there
    rows = page.locator("[data-step-row]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).get_by_label("If no, go to")).to_have_value(
        rows.nth(2).locator("input[name$='-key']").input_value()
    )
    rows.nth(1).get_by_label("What to do").fill("Help the caller; note the request in the CRM.")
    rows.nth(1).get_by_role("button", name="Move step 2 down").press("Enter")  # keyboard reorder
    expect(page.locator("[data-step-row]").nth(2).get_by_label("What to do")).to_have_value(
        "Help the caller; note the request in the CRM."
    )
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("Draft saved.")).to_be_visible()
    revision = Procedure.objects.get(code="CC-CH-020").revisions.get()
    steps = revision.ordered_steps()
    assert [s.text for s in steps] == [
        "Is the caller verified?",
        "Explain that nothing can be disclosed.",
        "Help the caller; note the request in the CRM.",
    ]
    assert steps[0].yes_target == steps[2] and steps[0].no_target == steps[1]
    assert revision.purpose.startswith("Protect customer data")
    assert revision.measures.get().target == "100%"


def test_an_agent_who_opens_the_editor_is_refused(page, people, category):
    from tests.factories import new_procedure

    draft = new_procedure(owner=people["supervisor"], code="CC-CH-021")
    log_in(page, "agent")

    response = page.goto(f"/desk/{draft.procedure.code}/rev/1/edit/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()
    expect(
        page.get_by_text("The desk is for supervisors, managers and document controllers.")
    ).to_be_visible()


def test_text_typed_before_the_session_expired_is_restored_after_logging_in_again(
    page, people, category
):
    from tests.factories import new_procedure

    draft = new_procedure(owner=people["supervisor"], code="CC-CH-022")
    log_in(page, "supervisor")
    page.goto(f"/desk/{draft.procedure.code}/rev/1/edit/")
    page.get_by_label("Purpose", exact=True).fill("A long purpose typed over twenty minutes.")
    page.get_by_role("button", name="+ Add a step").click()
    page.locator("[data-step-row]").last.get_by_label("What to do").fill("Greet the caller.")
    page.context.clear_cookies()  # the session expires while the supervisor types

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("so nothing was saved")).to_be_visible()
    page.goto(f"/desk/{draft.procedure.code}/rev/1/edit/")
    expect(page.get_by_role("heading", name="Log in to SOP Desk")).to_be_visible()
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("that was never saved")).to_be_visible()
    page.get_by_role("button", name="Restore my unsaved text").click()
    expect(page.get_by_label("Purpose", exact=True)).to_have_value(
        "A long purpose typed over twenty minutes."
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    draft.refresh_from_db()
    assert draft.purpose == "A long purpose typed over twenty minutes."
    assert [s.text for s in draft.ordered_steps()] == ["Greet the caller."]
    page.reload()
    expect(page.get_by_text("that was never saved")).to_be_hidden()
