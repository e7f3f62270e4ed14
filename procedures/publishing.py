"""Publishing: render each approved revision once, store it, and never change it.

    approved revision ─render_revision─▶ HTML + PDF renditions (SHA-256 recorded)
    superseded revision ─stamp_superseded─▶ a stamped copy of its PDF (the original stays)

Everything here is idempotent and is run by background tasks (tasks.py) after the workflow's
transaction commits, or by `manage.py render_pending`. A failed render leaves the approval
standing; the next run retries. Reads never render: they serve what is stored.
"""

import hashlib
import io
import logging

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import override
from pypdf import PdfReader, PdfWriter

from . import selectors
from .document_data import gather
from .models import Rendition, Revision
from .rendering.document import body_html, document_pdf
from .rendering.pdf import html_to_pdf

logger = logging.getLogger(__name__)
Kind = Rendition.Kind


def _store(revision: Revision, kind: str, data: bytes, filename: str) -> Rendition:
    """Save one artifact through the storage API and record it; an existing one wins."""
    existing = Rendition.objects.filter(revision=revision, kind=kind).first()
    if existing:
        return existing
    pages = len(PdfReader(io.BytesIO(data)).pages) if filename.endswith(".pdf") else None
    rendition = Rendition(
        revision=revision,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pages=pages,
    )
    rendition.file.save(filename, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            rendition.save()
    except IntegrityError:  # another worker stored it first: keep theirs
        rendition.file.delete(save=False)
        return Rendition.objects.get(revision=revision, kind=kind)
    return rendition


def render_revision(revision_id: int) -> list[Rendition]:
    """An approved (or later) revision → its stored HTML body and PDF. Idempotent."""
    revision = Revision.objects.select_related(
        "procedure__category", "procedure__owner", "author"
    ).get(pk=revision_id)
    if not selectors.is_signed_off(revision):
        return []
    done = {r.kind: r for r in revision.renditions.all()}
    name = f"{revision.procedure.code}-rev{revision.number}"
    if Kind.HTML not in done:
        done[Kind.HTML] = _store(
            revision, Kind.HTML, body_html(gather(revision)).encode(), f"{name}.html"
        )
    if Kind.PDF not in done:
        body = stored_text(done[Kind.HTML])
        done[Kind.PDF] = _store(
            revision, Kind.PDF, document_pdf(gather(revision), body=body), f"{name}.pdf"
        )
    if selectors.no_longer_in_force(revision):
        stamp_superseded(revision.pk)
    return list(done.values())


def stamp_superseded(revision_id: int) -> Rendition | None:
    """A superseded (or withdrawn) revision's PDF with the stamp on every page, stored beside
    the original, which never changes."""
    revision = Revision.objects.select_related("procedure").get(pk=revision_id)
    if not selectors.no_longer_in_force(revision):
        return None
    existing = revision.renditions.filter(kind=Kind.PDF_SUPERSEDED).first()
    original = revision.renditions.filter(kind=Kind.PDF).first()
    if existing or original is None:
        return existing
    with override(revision.procedure.language):  # the document's language, as its text
        label = _("SUPERSEDED") if revision.is_superseded else _("WITHDRAWN")
        stamp = PdfReader(io.BytesIO(_stamp_pdf(label, revision.procedure.language))).pages[0]
    writer = PdfWriter(clone_from=PdfReader(original.file.open("rb")))
    for page in writer.pages:
        page.merge_page(stamp, over=True)
    out = io.BytesIO()
    writer.write(out)
    original.file.close()
    ended = "superseded" if revision.is_superseded else "withdrawn"
    name = f"{revision.procedure.code}-rev{revision.number}-{ended}.pdf"
    return _store(revision, Kind.PDF_SUPERSEDED, out.getvalue(), name)


def _stamp_pdf(label: str, language: str) -> bytes:
    label, language = escape(label), escape(language)
    note = escape(
        _("This revision is no longer in force. Check the manual for the current revision.")
    )
    return html_to_pdf(
        f'<html lang="{language}"><head><title>{label}</title></head><body>'
        f'<p class="stamp">{label}</p><p class="stamp-note">{note}</p></body></html>',
        extra_css=(
            "@page { @top-left { content: none } @top-right { content: none }"
            " @bottom-left { content: none } @bottom-center { content: none }"
            " @bottom-right { content: none } }"
            " .stamp { margin-top: 95mm; text-align: center; font-size: 60pt; font-weight: bold;"
            " color: rgba(190, 0, 0, .22); transform: rotate(-35deg); }"
            " .stamp-note { position: fixed; top: -14mm; left: 0; right: 0; text-align: center;"
            " font-size: 9pt; font-weight: bold; color: #b00000; }"
        ),
    )


def stored_text(rendition: Rendition) -> str:
    """A stored HTML rendition's text, cached by its fingerprint (it never changes)."""
    key = f"sopdesk:rendition:{rendition.sha256}"
    text = cache.get(key)
    if text is None:
        with rendition.file.open("rb") as handle:
            text = handle.read().decode("utf-8")
        cache.set(key, text, timeout=None)
    return text


def pending_revisions():
    """Published revisions that still lack an artifact (a render failed or has not run yet)."""
    from django.db.models import Count, Q

    return (
        selectors.signed_off()
        .annotate(
            stored=Count("renditions", filter=Q(renditions__kind__in=[Kind.HTML, Kind.PDF])),
            stamped=Count("renditions", filter=Q(renditions__kind=Kind.PDF_SUPERSEDED)),
        )
        .filter(
            Q(stored__lt=2) | (Q(status__in=selectors.NO_LONGER_IN_FORCE_STATUSES) & Q(stamped=0))
        )
        .order_by("pk")
    )


def render_pending() -> tuple[int, list[str]]:
    """Render what is missing; (how many revisions were completed, the failures' messages)."""
    done, failures = 0, []
    for revision in pending_revisions().select_related("procedure"):
        try:
            render_revision(revision.pk)
            done += 1
        except Exception as error:  # noqa: BLE001 - one bad document must not stop the others
            logger.exception("rendering %s rev %s failed", revision.procedure.code, revision.number)
            failures.append(f"{revision.procedure.code} rev. {revision.number}: {error}")
    return done, failures
