"""Publishing: each approved revision rendered once to HTML and PDF, stored with its SHA-256,
never changed; superseded PDFs stamped; failures retried by render_pending."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from procedures import publishing, services, workflow
from procedures.models import Rendition, Revision
from procedures.steps import StepData
from tests.factories import make_effective, manager, new_procedure, save, sign, submit


@pytest.fixture
def approver(db):
    return manager("approver")


@pytest.fixture
def published(supervisor, approver, django_capture_on_commit_callbacks):
    """Approve through the workflow and run what it queues (the tasks run in-process in tests)."""

    def publish(revision, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            if fields or workflow.missing_elements(revision):
                revision = save(revision, **fields)
            return make_effective(revision, approver)

    return publish


def pdf_of(rendition) -> PdfReader:
    with rendition.file.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_approval_stores_the_html_and_the_pdf_with_their_fingerprints(published, supervisor, approver):
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
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[:5] == ["1. Purpose", "2. Scope", "3. Responsibilities", "4. Procedure", "5. Performance measures"]
    assert {"Signatures", "Revision history"} <= set(outline)
    assert pdf.pages == len(reader.pages)
    assert "Greet the caller." in publishing.stored_text(html)
