"""One revision as a controlled document, read from the database once, as plain data.

    revision ─gather()─▶ DocumentData ─rendering.document─▶ body HTML, PDF (no queries)

`gather` does every query the document needs, in a number of queries that does not grow with
the steps, measures, attachments, signatures or earlier revisions; the renderers only read the
frozen result, so they can run anywhere (in a sandboxed child process too) and be cached.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from .content import MeasureData, StepRow, canonical_hash, snapshot_of, step_rows
from .models import Attachment, Revision, Signature
from .steps import StepData

APPROVED = Signature.Meaning.APPROVED


@dataclass(frozen=True)
class AttachmentRecord:
    """An attached form as the document lists it."""

    token: str
    filename: str
    title: str
    description: str
    kind: str
    kind_label: str
    size: int
    sha256: str

    def get_kind_display(self) -> str:
        """The kind's label, under the model's name (templates/manual/_attachments.html)."""
        return self.kind_label


@dataclass(frozen=True)
class SignatureRecord:
    """One electronic signature on the revision, as the PDF prints it."""

    signer_name: str
    meaning: str
    meaning_label: str
    signed_at: datetime.datetime
    comment: str
    content_hash: str

    def get_meaning_display(self) -> str:
        """The meaning's label, under the model's name (templates/manual/document_pdf.html)."""
        return self.meaning_label


@dataclass(frozen=True)
class HistoryRow:
    """One approved revision of the procedure, up to the document's own."""

    number: int
    effective_at: datetime.datetime | None
    change_summary: str
    author: str
    approvers: tuple[str, ...]


@dataclass(frozen=True)
class DocumentData:
    """Everything a revision's body and PDF show, with nothing left to query."""

    code: str
    number: int
    title: str
    status: str
    status_label: str
    step_format: str
    # Revision.MARKDOWN_FIELDS → the author's Markdown
    text: Mapping[str, str]
    steps: tuple[StepData, ...]
    step_rows: tuple[StepRow, ...]
    measures: tuple[MeasureData, ...]
    training_hours: Decimal | None
    training_test_required: bool
    training_url: str
    review_interval_months: int
    category: str
    owner_name: str
    author_name: str
    effective_at: datetime.datetime | None
    attachments: tuple[AttachmentRecord, ...]
    signatures: tuple[SignatureRecord, ...]
    history: tuple[HistoryRow, ...]
    content_hash: str
    # the language the text is written in: the document's fixed text is in it too
    language: str = "en"

    @property
    def size(self) -> int:
        """Characters of content, counted as the renderers' size limit counts them."""
        fields = [
            self.title,
            self.step_format,
            self.training_hours,
            self.training_test_required,
            self.training_url,
            *self.text.values(),
        ]
        return (
            sum(len(str(v or "")) for v in fields)
            + sum(len(s.text) + len(s.role) for s in self.steps)
            + sum(len(m.name) + len(m.target) + len(m.method) for m in self.measures)
        )


def gather(revision: Revision) -> DocumentData:
    """Read everything the document shows about `revision` (as stored now), in a constant
    number of queries. Reads only."""
    revision = (
        Revision.objects.select_related("procedure__category", "procedure__owner", "author")
        .prefetch_related(
            "steps",
            "measures",
            Prefetch("attachments", queryset=Attachment.objects.order_by("position", "pk")),
            Prefetch("signatures", queryset=Signature.objects.order_by("signed_at", "pk")),
        )
        .get(pk=revision.pk)
    )
    procedure = revision.procedure
    snapshot = snapshot_of(revision)  # the prefetched steps and measures
    return DocumentData(
        code=procedure.code,
        number=revision.number,
        title=revision.title,
        status=revision.status,
        status_label=revision.get_status_display(),
        step_format=revision.step_format,
        text={name: getattr(revision, name) for name in revision.MARKDOWN_FIELDS},
        steps=tuple(snapshot.steps),
        step_rows=tuple(step_rows(snapshot.steps)),
        measures=tuple(snapshot.measures),
        training_hours=revision.training_hours,
        training_test_required=revision.training_test_required,
        training_url=revision.training_url,
        review_interval_months=procedure.review_interval_months,
        category=procedure.category.name,
        owner_name=procedure.owner.display_name,
        author_name=revision.author.display_name,
        effective_at=revision.effective_at,
        attachments=tuple(_attachment(a) for a in revision.attachments.all()),
        signatures=tuple(_signature(s) for s in revision.signatures.all()),
        history=_history(revision),
        content_hash=canonical_hash(revision),
        language=procedure.language,
    )


def _attachment(attachment: Attachment) -> AttachmentRecord:
    return AttachmentRecord(
        token=str(attachment.token),
        filename=attachment.filename,
        title=attachment.title,
        description=attachment.description,
        kind=attachment.kind,
        kind_label=attachment.get_kind_display(),
        size=attachment.size,
        sha256=attachment.sha256,
    )


def _signature(signature: Signature) -> SignatureRecord:
    return SignatureRecord(
        signer_name=signature.signer_name,
        meaning=signature.meaning,
        meaning_label=signature.get_meaning_display(),
        signed_at=signature.signed_at,
        comment=signature.comment,
        content_hash=signature.content_hash,
    )


def _history(revision: Revision) -> tuple[HistoryRow, ...]:
    """The procedure's approved revisions up to this one: what each changed, who approved it."""
    earlier = (
        revision.procedure.revisions.filter(number__lte=revision.number)
        .exclude(approved_at=None)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "signatures",
                queryset=Signature.objects.filter(meaning=APPROVED).order_by("signed_at", "pk"),
            )
        )
        .order_by("number")
    )
    return tuple(
        HistoryRow(
            number=r.number,
            effective_at=r.effective_at,
            change_summary=r.change_summary,
            author=r.author.display_name,
            approvers=tuple(s.signer_name for s in r.signatures.all()),
        )
        for r in earlier
    )
