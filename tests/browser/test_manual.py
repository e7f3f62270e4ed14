"""An agent reads the manual in a real browser: the table of contents, a flowchart procedure
with its diagram, and its PDF, read back."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from procedures.steps import StepData
from tests.browser.conftest import log_in
from tests.factories import UserFactory, make_effective, new_procedure, save

pytestmark = pytest.mark.browser


def test_an_agent_finds_a_flowchart_procedure_reads_it_and_downloads_its_pdf(
    page, people, category
):
    approver = UserFactory(
        username="manager", first_name="James", last_name="Okafor", role="Manager"
    )
    steps = [
        StepData("q", "Is the caller verified?", kind="DECISION", yes="y", no="n"),
        StepData("y", "Help the caller with their request."),
        StepData("n", "Explain that nothing can be disclosed.", kind="END"),
    ]
    draft = new_procedure(owner=people["supervisor"], code="CC-CH-050", step_format="FLOWCHART")
    save(draft, title="Verifying a caller", step_format="FLOWCHART", steps=steps)
    make_effective(draft, approver)  # committed: the render task runs, as a worker would

    log_in(page, "agent")
    expect(page.get_by_role("heading", name="Manual", exact=True)).to_be_visible()
    page.get_by_role("link", name="Verifying a caller").click()

    expect(page.get_by_role("heading", name="Verifying a caller")).to_be_visible()
    expect(page.get_by_text("In force")).to_be_visible()
    diagram = page.locator("figure.flowchart svg")
    expect(diagram).to_be_visible()
    assert diagram.bounding_box()["height"] > 100
    expect(diagram.locator("text", has_text="Is the caller")).to_be_visible()
    expect(
        page.get_by_role("region", name="Signatures").get_by_text("James Okafor")
    ).to_be_visible()

    href = page.get_by_role("link", name="PDF").get_attribute("href")
    assert href == "/manual/CC-CH-050.pdf"
    response = page.context.request.get(href)  # with the agent's session, as the browser would
    assert response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.body()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    for expected in ("CC-CH-050", "Verifying a caller", "Revision 1", "James Okafor"):
        assert expected in text, expected
