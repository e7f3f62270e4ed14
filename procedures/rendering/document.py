"""A revision as a controlled document: the body (the eight elements, the steps and their
flowchart, the measures) as sanitized HTML, and the complete PDF around it.

Pure: reads the revision, returns text or bytes, stores nothing (publishing.py stores).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..content import canonical_hash, snapshot_of, step_rows
from ..models import Revision
from ..steps import FLOWCHART
from .flowchart import flowchart_svg
from .markdown import render_markdown
from .pdf import RenderRefused, html_to_pdf

S = Revision.Status


def _check_size(revision: Revision, snapshot) -> None:
    size = sum(len(str(v or "")) for v in snapshot.fields.values())
    size += sum(len(s.text) + len(s.role) for s in snapshot.steps)
    size += sum(len(m.name) + len(m.target) + len(m.method) for m in snapshot.measures)
    if size > settings.SOPDESK_RENDER_MAX_CHARS:
        raise RenderRefused(
            _(
                "%(code)s revision %(number)d has %(size)d characters; documents of more than "
                "%(limit)d are not rendered. Split the procedure."
            )
            % {
                "code": revision.procedure.code,
                "number": revision.number,
                "size": size,
                "limit": settings.SOPDESK_RENDER_MAX_CHARS,
            }
        )


def _safe_url(url: str) -> str:
    return url if urlsplit(url or "").scheme in ("http", "https") else ""


def body_html(revision: Revision) -> str:
    """The document's body: every element, rendered and sanitized; the flowchart as SVG."""
    snapshot = snapshot_of(revision)
    _check_size(revision, snapshot)
    rows = step_rows(snapshot.steps)
    diagram = ""
    if revision.step_format == FLOWCHART and rows:
        diagram = mark_safe(flowchart_svg(rows))  # noqa: S308 - Graphviz output, labels escaped
    return render_to_string(
        "manual/_body.html",
        {
            "revision": revision,
            "html": {
                name: render_markdown(getattr(revision, name)) for name in revision.MARKDOWN_FIELDS
            },
            "step_rows": [(row, render_markdown(row.step.text)) for row in rows],
            "measures": snapshot.measures,
            "diagram": diagram,
            "training_url": _safe_url(revision.training_url),
            "attachments": list(revision.attachments.order_by("position", "pk")),
        },
    )


def history_rows(revision: Revision) -> list[dict]:
    """The procedure's revision history up to this revision: what each changed, who approved it."""
    rows = []
    for r in (
        revision.procedure.revisions.filter(number__lte=revision.number)
        .exclude(approved_at=None)
        .select_related("author")
        .prefetch_related("signatures")
        .order_by("number")
    ):
        rows.append(
            {
                "number": r.number,
                "effective_on": _day(r.effective_at),
                "change_summary": r.change_summary or (_("First issue.") if r.number == 1 else ""),
                "author": r.author.display_name,
                "approvers": [s.signer_name for s in r.signatures.all() if s.meaning == "APPROVED"],
            }
        )
    return rows


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y") if moment else ""


def document_pdf(
    revision: Revision,
    *,
    body: str | None = None,
    watermark: str = "",
    timeout: float | None = None,
) -> bytes:
    """The complete PDF: header, body, signatures, revision history; `watermark` on every page."""
    procedure = revision.procedure
    signatures = list(revision.signatures.order_by("signed_at"))
    html = render_to_string(
        "manual/document_pdf.html",
        {
            "language": get_language() or "en",
            "organisation": settings.SOPDESK_ORGANISATION,
            "procedure": procedure,
            "revision": revision,
            "status": revision.get_status_display(),
            "effective_on": _day(revision.effective_at),
            "body": mark_safe(body if body is not None else body_html(revision)),  # noqa: S308
            "signatures": signatures,
            "content_hash": canonical_hash(revision),
            "history": history_rows(revision),
            "watermark": watermark,
            "subject": _("Standard operating procedure, %(category)s")
            % {"category": procedure.category},
            "keywords": ", ".join(
                [
                    procedure.code,
                    str(procedure.category),
                    _("SOP"),
                    _("revision %(n)d") % {"n": revision.number},
                ]
            ),
        },
    )
    # Attachment links are relative on the page; in the PDF they point at the manual's address.
    html = html.replace('href="/files/', f'href="{settings.SOPDESK_BASE_URL.rstrip("/")}/files/')
    return html_to_pdf(html, timeout=timeout)
