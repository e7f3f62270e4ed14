"""What is approved can always be rendered: every draft is rendered in the background after it
is saved; submission and signing need a passed render of the content; the draft PDF reviewers
open is that render, never made in a request."""

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from procedures import render_checks, workflow
from procedures.models import AuditEvent, RenderCheck, Revision, Signature
from procedures.rendering.pdf import RenderRefused
from tests.factories import new_procedure, save, sign, submit


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """Run what is queued after commit, as the background worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def unrenderable(monkeypatch):
    """Rendering fails from here on, as it would for a document the renderer cannot take."""

    def refuse(*args, **kwargs):
        raise RenderRefused("The document is nested too deeply to render.")

    monkeypatch.setattr(render_checks, "document_pdf", refuse)


def test_a_saved_draft_is_rendered_in_the_background(supervisor, worker):
    with worker():
        draft = save(new_procedure(owner=supervisor))

    check = render_checks.current(draft)
    assert check.status == "PASSED" and check.pages >= 1
    with check.file.open("rb") as handle:
        text = "".join(PdfReader(handle).pages[0].extract_text().split())
    assert "DRAFT—NOTAPPROVED" in text


def test_a_revision_that_cannot_be_rendered_cannot_be_submitted(supervisor, unrenderable):
    draft = save(new_procedure(owner=supervisor))

    with pytest.raises(workflow.NotRenderable, match="cannot be printed: The document is nested"):
        submit(draft)

    draft.refresh_from_db()
    assert draft.status == "DRAFT" and draft.submitted_at is None
    assert not AuditEvent.objects.filter(revision=draft, action="SUBMITTED").exists()
    assert render_checks.current(draft).status == "FAILED"


def test_the_author_sees_why_on_the_revision_page(client, supervisor, unrenderable, worker):
    with worker():
        draft = save(new_procedure(owner=supervisor))
    client.force_login(supervisor)

    page = client.get(f"/desk/{draft.procedure.code}/rev/1/").content.decode()

    assert "This revision cannot be printed as it is: The document is nested" in page


def test_submission_waits_while_another_worker_renders(supervisor):
    draft = save(new_procedure(owner=supervisor))
    RenderCheck.objects.filter(revision=draft).update(status="RUNNING")

    with pytest.raises(workflow.NotRenderable, match="still checking"):
        submit(draft)

    assert Revision.objects.get(pk=draft.pk).status == "DRAFT"


def test_a_render_abandoned_by_a_dead_worker_is_done_again(supervisor, approver):
    draft = save(new_procedure(owner=supervisor))
    RenderCheck.objects.filter(revision=draft).update(
        status="RUNNING", requested_at=timezone.now() - datetime.timedelta(hours=1)
    )

    submitted = submit(draft)

    assert submitted.status == "IN_REVIEW"
    assert RenderCheck.objects.filter(revision=draft, status="PASSED").exists()


def test_a_queued_render_is_done_at_submission_when_no_worker_got_to_it(supervisor, approver):
    draft = save(new_procedure(owner=supervisor))
    assert render_checks.current(draft).status == "QUEUED"

    assert submit(draft).status == "IN_REVIEW"


def test_nobody_signs_a_revision_whose_rendering_failed(supervisor, approver, monkeypatch):
    revision = submit(new_procedure(owner=supervisor))
    RenderCheck.objects.filter(revision=revision).delete()  # as for a revision from before

    def refuse(*args, **kwargs):
        raise RenderRefused("Rendering took longer than 120 seconds and was stopped.")

    monkeypatch.setattr(render_checks, "document_pdf", refuse)

    with pytest.raises(workflow.NotRenderable, match="longer than 120 seconds"):
        sign(revision, approver)

    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW"
    assert not Signature.objects.filter(revision=revision).exists()


def test_the_draft_pdf_is_never_rendered_in_the_request(client, supervisor, worker, monkeypatch):
    draft = save(new_procedure(owner=supervisor))
    client.force_login(supervisor)
    url = f"/desk/{draft.procedure.code}/rev/1.pdf"
    RenderCheck.objects.all().delete()

    def forbidden(*args, **kwargs):
        raise AssertionError("rendered in the request")

    monkeypatch.setattr(render_checks, "document_pdf", forbidden)
    waiting = client.get(url)
    assert waiting.status_code == 503
    assert "Prepare the PDF" in waiting.content.decode()
    assert not RenderCheck.objects.exists()  # reading wrote nothing

    monkeypatch.undo()
    with worker():
        asked = client.post(url)
    assert asked.status_code == 302
    ready = client.get(url)
    assert ready["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(b"".join(ready.streaming_content))).pages) >= 1


def test_the_reviewers_draft_pdf_follows_the_signatures(
    client, supervisor, approver, second_approver, worker
):
    from procedures.models import ApprovalRule

    draft = save(new_procedure(owner=supervisor))
    ApprovalRule.objects.create(category=draft.procedure.category, approvals_required=2)
    with worker():
        revision = submit(draft)
        sign(revision, approver)

    revision.refresh_from_db()
    check = render_checks.current(revision)
    assert revision.status == "IN_REVIEW" and check.status == "PASSED"
    with check.file.open("rb") as handle:
        text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(handle).pages)
    assert approver.display_name in text


def test_a_failed_render_is_tried_again_when_the_draft_is_saved_again(
    supervisor, worker, monkeypatch
):
    def refuse(*args, **kwargs):
        raise RenderRefused("Rendering took longer than 120 seconds and was stopped.")

    monkeypatch.setattr(render_checks, "document_pdf", refuse)
    with worker():
        draft = save(new_procedure(owner=supervisor))
    assert render_checks.current(draft).status == "FAILED"

    monkeypatch.undo()
    with worker():
        save(draft)  # the same text, saved again

    assert render_checks.current(draft).status == "PASSED"


def test_attaching_a_form_queues_a_new_render(client, supervisor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_files import docx_bytes

    draft = save(new_procedure(owner=supervisor))
    before = RenderCheck.objects.filter(revision=draft).count()
    client.force_login(supervisor)

    client.post(
        f"/desk/{draft.procedure.code}/rev/1/attachments/",
        {"file": SimpleUploadedFile("form.docx", docx_bytes()), "title": "Form"},
        HTTP_ACCEPT="application/json",
    )

    assert RenderCheck.objects.filter(revision=draft).count() == before + 1
