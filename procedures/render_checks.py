"""What is approved can always be rendered: each revision is rendered (HTML, flowchart, PDF)
before it can be submitted or signed.

    draft saved ─request()─▶ check QUEUED ─run() in the worker─▶ PASSED (with the draft PDF)
                                                              └▶ FAILED (with the reason)
    submit / sign ─ensure_passed()─▶ needs a PASSED check of the revision's content

A check is keyed by a fingerprint of what its PDF shows (the content, the status, the
signatures), so the draft PDF reviewers open is always the current one, made in the
background and never in a request. Rendering itself runs in a child process with time and
memory limits (rendering/sandbox.py). Status changes stay in workflow/; this module only
records whether a render worked.
"""

import datetime
import hashlib
import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import PdfReader

from .content import canonical_hash
from .document_data import gather
from .errors import Refused
from .models import RenderCheck, Revision
from .rendering.document import body_html, document_pdf

logger = logging.getLogger(__name__)
Status = RenderCheck.Status


class RenderNotReady(Refused):
    """Submission or signing waits for, or was refused by, the render check."""

    def __init__(self, message: str, check: RenderCheck):
        super().__init__(message)
        self.check = check


def fingerprint(revision: Revision) -> tuple[str, str]:
    """(content hash, fingerprint of everything the draft PDF shows)."""
    content = canonical_hash(revision)
    signatures = ",".join(
        str(pk) for pk in revision.signatures.order_by("pk").values_list("pk", flat=True)
    )
    shown = hashlib.sha256(f"{content}|{revision.status}|{signatures}".encode()).hexdigest()
    return content, shown


def current(revision: Revision) -> RenderCheck | None:
    """The check of the revision exactly as it is now, if there is one."""
    _content, shown = fingerprint(revision)
    return RenderCheck.objects.filter(revision=revision, fingerprint=shown).first()


def request(revision: Revision) -> tuple[RenderCheck, bool]:
    """A check of the revision as it is now (or the existing one), and whether it was queued
    now: effects.check_rendering then hands it to the worker once the transaction commits."""
    content, shown = fingerprint(revision)
    existing = RenderCheck.objects.filter(revision=revision, fingerprint=shown).first()
    stale = existing and (
        existing.status == Status.FAILED  # asked again (saved again): retry it
        or (existing.status == Status.PASSED and not existing.file)  # its PDF was dropped
    )
    if stale:
        RenderCheck.objects.filter(pk=existing.pk, status=existing.status).update(
            status=Status.QUEUED, message="", requested_at=timezone.now()
        )
        existing.refresh_from_db()
        return existing, True
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            check = RenderCheck.objects.create(
                revision=revision, content_hash=content, fingerprint=shown
            )
    except IntegrityError:  # asked for twice at the same moment
        return RenderCheck.objects.get(revision=revision, fingerprint=shown), False
    return check, True


def run(check_id: int, *, timeout: float | None = None) -> str:
    """Render a queued check's revision and record the outcome; its status. `timeout`: the
    render's limit in seconds (SOPDESK_RENDER_TIMEOUT in the worker)."""
    with transaction.atomic():
        check = RenderCheck.objects.select_for_update().get(pk=check_id)
        if check.status != Status.QUEUED:
            return check.status
        check.status, check.requested_at = Status.RUNNING, timezone.now()
        check.save(update_fields=["status", "requested_at"])
    revision = Revision.objects.select_related("procedure__category", "author").get(
        pk=check.revision_id
    )
    if fingerprint(revision)[1] != check.fingerprint:
        return _finish(check, Status.FAILED, _("The revision changed while it was checked."))
    try:
        document = gather(revision)
        # lazy: the stamp is in the document's language, as the rest of its fixed text
        watermark = gettext_lazy("DRAFT — NOT APPROVED")
        data = document_pdf(document, body=body_html(document), watermark=watermark)
    except Exception as error:  # noqa: BLE001 - every failure is the document's, and recorded
        logger.warning("render check of %s failed: %s", revision, error)
        reason = getattr(error, "message", "") or _("It could not be rendered (%(error)s).") % {
            "error": type(error).__name__
        }
        return _finish(check, Status.FAILED, str(reason))
    check.pages = len(PdfReader(io.BytesIO(data)).pages)
    check.file.save(
        f"{revision.procedure.code}-rev{revision.number}-draft.pdf", ContentFile(data), save=False
    )
    return _finish(check, Status.PASSED, "")


def _finish(check: RenderCheck, status: str, message: str) -> str:
    check.status, check.message, check.finished_at = status, message, timezone.now()
    check.save(update_fields=["status", "message", "finished_at", "file", "pages"])
    if status == Status.PASSED:  # only the newest draft PDF is ever opened: drop the others
        for older in (
            RenderCheck.objects.filter(revision_id=check.revision_id)
            .exclude(pk=check.pk)
            .exclude(file="")
        ):
            older.file.delete(save=True)
    return status


def passed(revision: Revision) -> bool:
    """Whether the revision's content, as it is now, has passed a render check (no rendering)."""
    return RenderCheck.objects.filter(
        revision=revision, content_hash=canonical_hash(revision), status=Status.PASSED
    ).exists()


def _abandoned(check: RenderCheck) -> bool:
    """Running (since `requested_at`, reset when it starts) for longer than any render may
    take: its worker died."""
    limit = datetime.timedelta(seconds=settings.SOPDESK_RENDER_TIMEOUT * 2 + 60)
    return check.requested_at < timezone.now() - limit


def ensure_passed(revision: Revision) -> None:
    """Return if the revision's content has passed a render check; run it now if it is still
    queued (or was never asked for); raise RenderNotReady while another worker runs it, or if
    it failed."""
    if passed(revision):
        return
    checks = RenderCheck.objects.filter(revision=revision, content_hash=canonical_hash(revision))
    check = checks.order_by("-requested_at", "-pk").first() or request(revision)[0]
    if check.status == Status.RUNNING and _abandoned(check):
        RenderCheck.objects.filter(pk=check.pk, status=Status.RUNNING).update(status=Status.QUEUED)
        check.refresh_from_db()
    if check.status == Status.QUEUED:  # the worker has not got to it (or none runs): now,
        run(check.pk, timeout=settings.SOPDESK_CHECK_TIMEOUT * 2)  # within the request's time
        check.refresh_from_db()
    if check.status == Status.PASSED:
        return
    if check.status == Status.FAILED:
        raise RenderNotReady(
            _(
                "Revision %(number)d cannot be printed: %(reason)s Change the text and save it "
                "(saving again also tries again)."
            )
            % {"number": revision.number, "reason": check.message},
            check,
        )
    raise RenderNotReady(
        _(
            "SOP Desk is still checking that revision %(number)d can be printed (it renders the "
            "page, the flowchart and the PDF). Try again in a moment."
        )
        % {"number": revision.number},
        check,
    )
