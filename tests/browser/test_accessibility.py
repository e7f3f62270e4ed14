"""axe-core (WCAG 2.1 A and AA rules) finds no violation on the desk's pages, laptop and phone widths."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from procedures import services
from procedures.steps import StepData
from tests.browser.conftest import log_in
from tests.factories import make_effective, new_procedure, save

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.mark.parametrize("width", [1366, 390])
def test_desk_pages_have_no_accessibility_violations(page, people, category, width):
    steps = [
        StepData("q", "Verified?", kind="DECISION", yes="y", no="n"),
        StepData("y", "Help."),
        StepData("n", "Stop.", kind="END"),
    ]
    first = make_effective(
        save(
            new_procedure(owner=people["supervisor"], code="CC-CH-030"),
            step_format="FLOWCHART",
            steps=steps,
        )
    )
    services.start_revision(procedure=first.procedure, author=people["supervisor"])
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "supervisor")
    urls = [
        "/desk/", "/desk/new/", "/desk/CC-CH-030/", "/desk/CC-CH-030/rev/1/",
        "/desk/CC-CH-030/rev/2/edit/", "/desk/CC-CH-030/compare/?from=1&to=2",
    ]  # fmt: skip

    problems = {}
    for url in urls:
        page.goto(url)
        results = Axe().run(page, options=WCAG_21_AA)
        if results.violations_count:
            problems[url] = results.generate_report()

    assert problems == {}
