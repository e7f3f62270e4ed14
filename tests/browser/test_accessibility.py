"""axe-core (WCAG 2.1 A and AA rules) finds no violation on the desk's pages, laptop and phone widths."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from procedures import feedback, files, importing, services
from procedures.models import ProcedureTemplate
from procedures.steps import StepData
from tests import docx_fixtures
from tests.browser.conftest import log_in
from tests.factories import UserFactory, make_effective, new_procedure, save, submit

pytestmark = pytest.mark.browser

FLOWCHART_STEPS = [
    StepData("q", "Verified?", kind="DECISION", yes="y", no="n"),
    StepData("y", "Help."),
    StepData("n", "Stop.", kind="END"),
]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.mark.parametrize("width", [1366, 390])
def test_desk_pages_have_no_accessibility_violations(page, people, category, width):
    first = make_effective(
        save(
            new_procedure(owner=people["supervisor"], code="CC-CH-030"),
            step_format="FLOWCHART",
            steps=FLOWCHART_STEPS,
        )
    )
    second = services.start_revision(procedure=first.procedure, author=people["supervisor"])
    UserFactory(username="controller", role="Document controller")
    sent = feedback.send(
        author=people["agent"], revision=first, body="Step 1 is unclear.", step_key="q"
    )
    feedback.reply(feedback=sent, author=people["supervisor"], body="Which part?")
    template, _new = ProcedureTemplate.objects.get_or_create(
        name="Complaint handling", defaults={"purpose": "[[Why.]]"}
    )
    files.add_attachment(
        revision=second,
        user=people["supervisor"],
        upload=SimpleUploadedFile("form.pdf", b"%PDF-1.4\n"),
        title="Call form",
        description="The form agents fill in.",
        max_bytes=10**6,
    )
    preview = importing.preview(
        data=docx_fixtures.steps_with_screenshots(),
        name="billing.docx",
        category=category,
        owner=people["supervisor"],
        uploaded_by=people["supervisor"],
        limit=10**7,
    )
    page.set_viewport_size({"width": width, "height": 900})
    visits = {
        "supervisor": [
            "/desk/", "/desk/new/", f"/desk/new/?template={template.pk}", "/desk/import/",
            f"/desk/import/{preview.pk}/", "/desk/CC-CH-030/", "/desk/CC-CH-030/rev/1/",
            "/desk/CC-CH-030/rev/2/edit/", "/desk/CC-CH-030/compare/?from=1&to=2",
            "/desk/search/?q=help", "/desk/reading/", "/desk/feedback/", f"/desk/feedback/{sent.pk}/",
            "/notifications/",
        ],
        # in review: the sign, return and comment forms
        "approver": ["/desk/CC-CH-030/rev/2/", "/desk/CC-CH-030/history/", "/desk/"],
        "controller": ["/desk/audit/"],
    }  # fmt: skip

    problems = {}
    for username, urls in visits.items():
        if username == "approver":
            submit(second)
        page.context.clear_cookies()
        log_in(page, username)
        for url in urls:
            page.goto(url)
            expect(page.get_by_role("button", name="Log out")).to_be_visible()  # not the login page
            results = Axe().run(page, options=WCAG_21_AA)
            if results.violations_count:
                problems[f"{username} {url}"] = results.generate_report()

    assert problems == {}


@pytest.mark.parametrize("width", [1366, 390])
def test_manual_pages_have_no_accessibility_violations(page, people, category, width):
    first = make_effective(
        save(
            new_procedure(owner=people["supervisor"], code="CC-CH-031"),
            step_format="FLOWCHART",
            steps=FLOWCHART_STEPS,
        )
    )
    make_effective(services.start_revision(procedure=first.procedure, author=people["supervisor"]))
    sent = feedback.send(author=people["agent"], revision=first, body="Step 1 is unclear.")
    feedback.reply(
        feedback=sent, author=people["supervisor"], body="Which part?", status="ACCEPTED"
    )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "agent")

    problems = {}
    for url in (
        "/manual/",
        "/manual/CC-CH-031/",
        "/manual/CC-CH-031/rev/1/",
        "/manual/CC-CH-031/rev/2/changes/",
        "/manual/NO-SUCH-1/",
        "/manual/search/?q=help",
        "/manual/search/?q=nothing+matches+this",
        "/manual/kpis/",
        "/manual/to-read/",
        "/manual/feedback/",
        f"/manual/feedback/{sent.pk}/",
        "/notifications/",
    ):
        page.goto(url)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        results = Axe().run(page, options=WCAG_21_AA)
        if results.violations_count:
            problems[url] = results.generate_report()

    assert problems == {}
