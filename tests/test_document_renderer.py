"""One document renderer: the desk's revision page and the manual show a revision's body from
the same template and the same gathered data (the flowchart diagram included), the renderers
make no queries, and a draft the renderer cannot draw still opens on the desk."""

import re
import subprocess
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procedures import files, publishing, services
from procedures.document_data import gather
from procedures.rendering import document
from procedures.rendering.document import body_html, desk_body, document_pdf
from procedures.steps import StepData
from tests.factories import make_effective, new_procedure, save, sign, submit

FLOWCHART_STEPS = [
    StepData("q", "Is the caller verified?", kind="DECISION", yes="y", no="n"),
    StepData("y", "Help the caller."),
    StepData("n", "Explain that nothing can be disclosed.", kind="END"),
]
CAPTION = "Flowchart of the steps below"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the workflow queues (rendering the approved revision) as after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def flowchart_draft(owner, **fields):
    return save(
        new_procedure(owner=owner, step_format="FLOWCHART"),
        step_format="FLOWCHART",
        steps=FLOWCHART_STEPS,
        **fields,
    )


def desk_page(client, revision) -> str:
    response = client.get(
        reverse(
            "desk:revision", kwargs={"code": revision.procedure.code, "number": revision.number}
        )
    )
    assert response.status_code == 200
    return response.content.decode()


def svg_of(html: str) -> str:
    return html[html.index("<svg") : html.index("</svg>") + len("</svg>")]


def attach(revision, user, n: int) -> None:
    files.add_attachment(
        revision=revision,
        user=user,
        upload=SimpleUploadedFile(f"form{n}.pdf", b"%PDF-1.7\nform"),
        title=f"Form {n}",
        description="",
        max_bytes=10**6,
    )


def test_reviewers_see_the_flowchart_diagram_on_the_desk(client, supervisor, manager):
    revision = submit(flowchart_draft(supervisor))
    client.force_login(manager)

    html = desk_page(client, revision)

    assert revision.status == "IN_REVIEW"
    assert '<figure class="flowchart"' in html and CAPTION in html
    svg = svg_of(html)
    assert "Is the caller verified?" in svg
    assert ">yes</text>" in svg and ">no</text>" in svg
    assert "IN REVIEW — NOT APPROVED" in html  # the desk's banner and panels stay around it


def test_the_desk_and_the_manual_show_the_body_from_one_template(
    client, supervisor, approver, on_commit
):
    with on_commit():
        revision = make_effective(flowchart_draft(supervisor), approver)
    manual = publishing.stored_text(revision.renditions.get(kind="HTML"))
    client.force_login(supervisor)

    desk = desk_page(client, revision)

    def section_ids(html):
        return re.findall(r'<section[^>]* id="(el-[a-z]+)"', html)

    assert section_ids(desk) == section_ids(manual)
    assert section_ids(desk)[:4] == [
        "el-purpose",
        "el-scope",
        "el-responsibilities",
        "el-procedure",
    ]
    assert svg_of(desk) == svg_of(manual)  # the diagram exactly as agents see it


def test_the_desk_says_what_is_not_written_yet_and_the_manual_does_not(supervisor):
    draft = new_procedure(owner=supervisor)
    data = gather(draft)

    desk, manual = body_html(data, drafting=True), body_html(data)

    assert "Not written yet." in desk and "No measures yet." in desk
    assert "Not written yet." not in manual and "No measures yet." not in manual


def test_rendering_gathered_data_makes_no_queries(supervisor, approver, django_assert_num_queries):
    revision = flowchart_draft(supervisor, change_summary="Clearer branches.")
    attach(revision, supervisor, 1)
    revision = submit(revision)
    sign(revision, approver, meaning="REVIEWED")
    data = gather(revision)

    with django_assert_num_queries(0):
        manual = body_html(data)
        desk = body_html(data, drafting=True)
        cached = desk_body(data)
        pdf = document_pdf(data, watermark="DRAFT")

    assert "<svg" in manual and "<svg" in desk and "<svg" in cached
    assert "Form 1" in manual and "What changed" in manual
    assert pdf.startswith(b"%PDF")
    assert data.signatures[0].signer_name == approver.display_name
    assert data.content_hash == revision.content_hash


def test_gathering_takes_as_many_queries_however_large_the_revision(
    supervisor, approver, on_commit
):
    with on_commit():
        first = make_effective(flowchart_draft(supervisor), approver)
    draft = services.start_revision(procedure=first.procedure, author=supervisor)
    save(draft, steps=[StepData("a", "Greet the caller.")], measures=[])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            gather(draft)
        return len(captured)

    few = queries()
    save(
        draft,
        steps=[StepData(f"s{i}", f"Step {i}.") for i in range(12)],
        measures=[services.MeasureData(f"Measure {i}", "100%") for i in range(5)],
    )
    for n in range(4):
        attach(draft, supervisor, n)

    assert queries() == few <= 10
    assert len(gather(draft).attachments) == 4 and len(gather(draft).history) == 1


def test_a_draft_whose_flowchart_cannot_be_drawn_still_opens(client, supervisor, monkeypatch):
    def graphviz_fails(rows):
        raise subprocess.CalledProcessError(1, ["dot", "-Tsvg"])

    draft = flowchart_draft(supervisor)
    monkeypatch.setattr(document, "flowchart_svg", graphviz_fails)
    client.force_login(supervisor)

    html = desk_page(client, draft)

    assert (
        "The flowchart could not be drawn: It could not be rendered (CalledProcessError)." in html
    )
    assert "<svg" not in html
    assert "Is the caller verified?" in html  # the steps, listed without the diagram


def test_a_flowchart_too_slow_to_draw_is_left_out_after_the_time_limit(
    client, supervisor, monkeypatch, settings
):
    def slow(rows):
        time.sleep(30)

    draft = flowchart_draft(supervisor)
    monkeypatch.setattr(document, "flowchart_svg", slow)
    settings.SOPDESK_CHECK_TIMEOUT = 1
    client.force_login(supervisor)

    html = desk_page(client, draft)

    assert "Rendering took longer than 1 seconds and was stopped." in html
    assert "<svg" not in html and "Help the caller." in html


def test_text_whose_formatting_cannot_be_rendered_is_shown_as_written(
    client, supervisor, monkeypatch
):
    def too_deep(text):
        raise RecursionError

    draft = save(new_procedure(owner=supervisor), purpose="Every caller is **greeted**.")
    monkeypatch.setattr(document, "render_markdown", too_deep)
    client.force_login(supervisor)

    html = desk_page(client, draft)

    assert "The formatting could not be displayed: The document is nested too deeply" in html
    assert "Every caller is **greeted**." in html


def test_the_desk_renders_a_body_once_until_what_it_shows_changes(client, supervisor, monkeypatch):
    draft = flowchart_draft(supervisor)
    client.force_login(supervisor)
    desk_page(client, draft)

    def graphviz_fails(rows):
        raise subprocess.CalledProcessError(1, ["dot", "-Tsvg"])

    monkeypatch.setattr(document, "flowchart_svg", graphviz_fails)
    again = desk_page(client, draft)
    steps = [*FLOWCHART_STEPS[:2], StepData("n", "Say goodbye.", kind="END")]
    save(draft, step_format="FLOWCHART", steps=steps)
    changed = desk_page(client, draft)

    assert "<svg" in again  # from the cache: Graphviz did not run again
    assert "<svg" not in changed and "The flowchart could not be drawn" in changed
