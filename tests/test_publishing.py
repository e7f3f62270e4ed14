"""Publishing: each approved revision rendered once to HTML and PDF, stored with its SHA-256,
never changed; superseded PDFs stamped; failures retried by render_pending."""

import contextlib
import hashlib
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from procedures import publishing, review_rules, services
from procedures.models import Rendition, Revision
from procedures.steps import StepData
from tests.factories import make_effective, new_procedure, save, sign, submit


@pytest.fixture
def published(supervisor, approver, django_capture_on_commit_callbacks):
    """Approve through the workflow and run what it queues (the tasks run in-process in tests)."""

    def publish(revision, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            if fields or review_rules.missing_elements(revision):
                revision = save(revision, **fields)
            return make_effective(revision, approver)

    return publish


def pdf_of(rendition) -> PdfReader:
    with rendition.file.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_approval_stores_the_html_and_the_pdf_with_their_fingerprints(
    published, supervisor, approver
):
    revision = published(
        new_procedure(owner=supervisor, code="CC-CH-040"), title="Placing a caller on hold"
    )

    html, pdf = (revision.renditions.get(kind=k) for k in ("HTML", "PDF"))
    for rendition in (html, pdf):
        with rendition.file.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == rendition.sha256
    reader = pdf_of(pdf)
    text = text_of(reader)
    for expected in (
        "CC-CH-040", "Placing a caller on hold", "Revision 1", approver.display_name,
        "Page 1 of", "Printed copies are uncontrolled", "SOP Desk demo call center",
        "Effective:", "Greet the caller.", "Service level",
    ):  # fmt: skip
        assert expected in text, expected
    assert reader.metadata.title.startswith("CC-CH-040")
    assert reader.metadata.author == supervisor.display_name
    assert reader.metadata.subject.startswith("Standard operating procedure")
    assert "CC-CH-040" in reader.metadata["/Keywords"]
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]  # tagged (PDF/UA-1)
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[:5] == [
        "1. Purpose",
        "2. Scope",
        "3. Responsibilities",
        "4. Procedure",
        "5. Performance measures",
    ]
    assert {"Signatures", "Revision history"} <= set(outline)
    assert pdf.pages == len(reader.pages)
    assert "Greet the caller." in publishing.stored_text(html)


def test_a_flowchart_is_drawn_with_diamonds_and_labelled_branches(published, supervisor):
    steps = [
        StepData("q", "Is the caller verified?", kind="DECISION", yes="y", no="n"),
        StepData("y", "Help the caller."),
        StepData("n", "Explain that nothing can be disclosed.", kind="END"),
    ]
    revision = published(
        new_procedure(owner=supervisor, step_format="FLOWCHART"),
        step_format="FLOWCHART",
        steps=steps,
    )

    body = publishing.stored_text(revision.renditions.get(kind="HTML"))
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert svg.count("<polygon") >= 2  # the decision's diamond (and the background)
    assert ">yes</text>" in svg and ">no</text>" in svg
    assert "Is the caller verified?" in svg
    text = text_of(pdf_of(revision.renditions.get(kind="PDF")))
    assert "1. Is the caller" in text  # the diagram's label is in the PDF too


def test_hierarchical_steps_are_numbered_1_1_1_1_1_1(published, supervisor):
    steps = [
        StepData("a", "Open.", level=1),
        StepData("b", "Check.", level=2),
        StepData("c", "Deeper.", level=3),
    ]
    revision = published(
        new_procedure(owner=supervisor, step_format="HIERARCHICAL"),
        step_format="HIERARCHICAL",
        steps=steps,
    )

    body = publishing.stored_text(revision.renditions.get(kind="HTML"))

    assert [
        n for n in ("1", "1.1", "1.1.1") if f'<span class="step__number">{n}</span>' in body
    ] == ["1", "1.1", "1.1.1"]


def test_the_superseded_revision_gets_a_stamped_copy_and_its_pdf_never_changes(
    published, supervisor, approver, django_capture_on_commit_callbacks
):
    first = published(new_procedure(owner=supervisor))
    original = first.renditions.get(kind="PDF")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.start_revision(procedure=first.procedure, author=supervisor)
        make_effective(second, approver)

    first.refresh_from_db()
    assert first.status == "SUPERSEDED"
    stamped = first.renditions.get(kind="PDF_SUPERSEDED")
    reader = pdf_of(stamped)
    assert all("SUPERSEDED" in page.extract_text() for page in reader.pages)
    assert len(reader.pages) == original.pages
    with original.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == original.sha256
    assert "SUPERSEDED" not in text_of(pdf_of(original))


def test_a_stored_rendition_cannot_be_rewritten(published, supervisor):
    revision = published(new_procedure(owner=supervisor))

    with pytest.raises(DatabaseError), transaction.atomic():
        Rendition.objects.filter(revision=revision).update(sha256="0" * 64)


def test_a_failed_render_leaves_the_approval_and_render_pending_retries(
    supervisor, approver, settings, django_capture_on_commit_callbacks
):
    revision = submit(save(new_procedure(owner=supervisor)))  # it rendered at submission
    settings.SOPDESK_RENDER_MAX_CHARS = 50  # then the published render fails (say, a full disk)
    # the approval stands whatever the render does (its refusal may reach us here)
    with django_capture_on_commit_callbacks(execute=True), contextlib.suppress(Exception):
        sign(revision, approver)
    revision.refresh_from_db()
    assert revision.status == "EFFECTIVE" and not revision.renditions.exists()
    assert list(publishing.pending_revisions()) == [revision]

    settings.SOPDESK_RENDER_MAX_CHARS = 400_000
    call_command("render_pending")

    assert {r.kind for r in revision.renditions.all()} == {"HTML", "PDF"}
    assert not publishing.pending_revisions().exists()
    call_command("render_pending")  # idempotent
    assert revision.renditions.count() == 2


def test_a_draft_previewed_from_the_desk_is_watermarked_on_every_page(
    client, supervisor, django_capture_on_commit_callbacks
):
    long_steps = [
        StepData(f"s{i}", f"Step number {i} with enough words to fill the line.") for i in range(80)
    ]
    with django_capture_on_commit_callbacks(execute=True):  # the worker renders it
        draft = save(new_procedure(owner=supervisor), steps=long_steps)
    client.force_login(supervisor)

    page = client.get(f"/desk/{draft.procedure.code}/rev/1/").content.decode()
    assert f'href="/desk/{draft.procedure.code}/rev/1.pdf">Preview as PDF (watermarked)' in page
    response = client.get(f"/desk/{draft.procedure.code}/rev/1.pdf")

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert len(reader.pages) > 1
    # (the text is rotated: extraction loses the spaces)
    assert all("DRAFT—NOTAPPROVED" in "".join(p.extract_text().split()) for p in reader.pages)
    assert not Revision.objects.get(pk=draft.pk).renditions.exists()  # previews are not stored


def test_the_paper_size_is_a_setting(published, supervisor, settings):
    settings.SOPDESK_PAGE_SIZE = "Letter"

    revision = published(new_procedure(owner=supervisor))

    box = pdf_of(revision.renditions.get(kind="PDF")).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # 8.5 × 11 in


def test_a4_is_the_default(published, supervisor):
    revision = published(new_procedure(owner=supervisor))

    box = pdf_of(revision.renditions.get(kind="PDF")).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
