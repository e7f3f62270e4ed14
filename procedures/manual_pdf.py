"""The whole manual as one PDF: a cover, a table of contents with page numbers, then every
procedure in force in category order, each from its stored PDF, with a bookmark each.

Built from the stored per-revision PDFs, never re-rendered, streamed into one file by
pdfmerge.py, so its time grows with the number of pages and its memory stays flat. Rebuilt in the background whenever the
manual changes; the latest finished build is served.
"""

import hashlib
import io
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pypdf import PdfReader

from . import pdfmerge, publishing, selectors
from .models import ManualBuild, Rendition, Revision
from .pdfmerge import Part
from .rendering.pdf import html_to_pdf

logger = logging.getLogger(__name__)
Status = ManualBuild.Status


@dataclass
class Entry:
    revision: Revision
    pdf: Rendition
    first_page: int = 0


@dataclass
class LeftOut:
    """A procedure in force that could not be rendered: named on the cover, not included."""

    code: str
    number: int
    title: str
    reason: str


def in_force_revisions():
    """Every revision in force now, in manual order: category order, then code."""
    return (
        selectors.in_force()
        .select_related("procedure__category", "procedure__owner")
        .order_by("procedure__category__order", "procedure__category__name", "procedure__code")
    )


def request_build() -> tuple[ManualBuild, bool]:
    """A rebuild to queue, and True; or the one already waiting to start (it will include this
    change), and False. effects.rebuild_manual hands a new one to the worker."""
    waiting = ManualBuild.objects.filter(status=Status.QUEUED).order_by("-pk").first()
    if waiting:
        return waiting, False
    return ManualBuild.objects.create(), True


def left_out_now() -> list[dict]:
    """The procedures the latest finished manual PDF had to leave out (for the controllers)."""
    build = latest_done()
    return list(build.left_out) if build else []


def latest_done() -> ManualBuild | None:
    return ManualBuild.objects.filter(status=Status.DONE).order_by("-finished_at", "-pk").first()


def in_progress() -> ManualBuild | None:
    return (
        ManualBuild.objects.filter(status__in=[Status.QUEUED, Status.RUNNING])
        .order_by("-pk")
        .first()
    )


def _front_matter(entries: list[Entry], left_out: list[LeftOut], offset: int, today: str) -> bytes:
    html = render_to_string(
        "manual/manual_front.html",
        {
            "language": get_language() or "en",
            "organisation": settings.SOPDESK_ORGANISATION,
            "today": today,
            "count": len(entries),
            "left_out": left_out,
            "entries": [
                {
                    "code": e.revision.procedure.code,
                    "title": e.revision.title,
                    "number": e.revision.number,
                    "category": e.revision.procedure.category.name,
                    "page": e.first_page + offset,
                }
                for e in entries
            ],
        },
    )
    no_margin_texts = (
        "@page { @top-left { content: none } @top-right { content: none }"
        " @bottom-left { content: none } @bottom-center { content: none }"
        " @bottom-right { content: none } }"
    )
    return html_to_pdf(html, extra_css=no_margin_texts)


def _stored_pdf(revision: Revision) -> Rendition:
    pdf = revision.renditions.filter(kind=Rendition.Kind.PDF).first()
    if pdf is None:  # not rendered yet (a worker is behind, or rendering failed): now
        publishing.render_revision(revision.pk)
        pdf = revision.renditions.get(kind=Rendition.Kind.PDF)
    return pdf


def write_manual(
    target,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    left_out: list[LeftOut] | None = None,
) -> tuple[int, int]:
    """Write the whole manual PDF to the binary file `target`; (procedures, pages). A procedure
    whose revision cannot be rendered is left out, named on the cover and added to `left_out`:
    one bad document never stops the manual."""
    entries = []
    left_out = [] if left_out is None else left_out
    revisions = list(in_force_revisions())
    for index, revision in enumerate(revisions, start=1):
        try:
            entries.append(Entry(revision, _stored_pdf(revision)))
        except Exception as error:  # noqa: BLE001 - whatever failed, the rest of the manual stands
            logger.exception(
                "%s rev %s left out of the manual", revision.procedure.code, revision.number
            )
            reason = getattr(error, "message", "") or _("it could not be rendered")
            left_out.append(
                LeftOut(revision.procedure.code, revision.number, revision.title, str(reason)[:300])
            )
        progress(index, len(revisions) * 2)
    page = 1
    for entry in entries:
        entry.first_page = page
        page += entry.pdf.pages or 1
    today = date_format(timezone.localdate(), "DATE_FORMAT")
    # The front matter's length shifts every page number: render until it is stable.
    front_bytes = _front_matter(entries, left_out, 1, today)
    offset = len(PdfReader(io.BytesIO(front_bytes)).pages)
    for _attempt in range(3):
        front_bytes = _front_matter(entries, left_out, offset, today)
        length = len(PdfReader(io.BytesIO(front_bytes)).pages)
        if length == offset:
            break
        offset = length

    def parts():
        yield Part(io.BytesIO(front_bytes), _("Contents"))
        for index, entry in enumerate(entries, start=1):
            with entry.pdf.file.open("rb") as handle:
                yield Part(handle, f"{entry.revision.procedure.code} {entry.revision.title}")
            progress(len(entries) + index, len(entries) * 2)

    pages = pdfmerge.merge(
        parts(),
        target,
        {
            "Title": _("%(organisation)s — manual of procedures")
            % {"organisation": settings.SOPDESK_ORGANISATION},
            "Author": settings.SOPDESK_ORGANISATION,
            "Subject": _("Standard operating procedures in force on %(date)s") % {"date": today},
            "Producer": "SOP Desk",
        },
    )
    return len(entries), pages


def build(build_id: int) -> int:
    """Run one queued build: write the manual, store it, record its fingerprint."""
    with transaction.atomic():
        job = ManualBuild.objects.select_for_update().get(pk=build_id)
        if job.status != Status.QUEUED:
            return 0
        job.status, job.started_at = Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])

    def progress(done: int, total: int) -> None:
        ManualBuild.objects.filter(pk=build_id).update(
            procedures_done=done // 2, procedures_total=total // 2
        )

    left_out: list[LeftOut] = []
    try:
        with tempfile.TemporaryFile() as out:  # on disk: the build's memory stays flat
            count, pages = write_manual(out, progress=progress, left_out=left_out)
            out.seek(0)
            digest = hashlib.sha256()
            for chunk in iter(lambda: out.read(1 << 20), b""):
                digest.update(chunk)
            out.seek(0)
            job.refresh_from_db()
            job.file.save(f"manual-{timezone.now():%Y%m%d-%H%M%S}.pdf", File(out), save=False)
        job.sha256, job.pages = digest.hexdigest(), pages
        job.left_out = [vars(item) for item in left_out]
        job.procedures_done = job.procedures_total = count
        job.status, job.finished_at = Status.DONE, timezone.now()
        job.save()
    except Exception as error:
        logger.exception("building the manual failed")
        ManualBuild.objects.filter(pk=build_id).update(
            status=Status.FAILED, finished_at=timezone.now(), error=str(error)[:2000]
        )
        raise
    return pages
