"""Writes and reads of the files authors bring into a draft: screenshots and attached forms.

Every file is checked by content (uploads.py) before anything is stored; it is stored once,
under a random name, through Django's storage API (the file system or S3), and never changed.
A refusal raises services.ServiceError with a message for the user and stores nothing.
"""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit, permissions, tasks
from .models import Attachment, AuditEvent, Revision, RevisionImage, User
from .rendering.markdown import IMAGE_SRC
from .services import NotAllowed, ServiceError
from .uploads import CleanImage, UploadRefused, clean_attachment, clean_image, read_limited


def _editable(revision: Revision, user: User) -> Revision:
    locked = Revision.objects.select_for_update().select_related("procedure").get(pk=revision.pk)
    if not permissions.can_edit(user, locked):
        raise NotAllowed(
            _("Revision %(number)d is %(status)s: files are added only to a draft you own.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    return locked


def _stored_with_row(name: str, data: bytes, create):
    """Store the bytes, then `create(stored_name)` the row that lists them; if the row cannot
    be written, the file goes again: nothing is left behind by a refusal or a failure."""
    stored = default_storage.save(name, ContentFile(data))
    try:
        with transaction.atomic():
            return create(stored)
    except Exception:
        default_storage.delete(stored)
        raise


def image_url(token: uuid.UUID, clean: CleanImage) -> str:
    """Where the image will be served once stored (the model's own address)."""
    return RevisionImage(token=token, format=clean.format).get_absolute_url()


def store_image(
    *, revision: Revision, user: User, clean: CleanImage, token: uuid.UUID, name: str = ""
) -> RevisionImage:
    """A checked, re-encoded picture → an image owned by `revision`, at image_url(token, clean)
    (no permission check: callers check)."""
    return _stored_with_row(
        image_url(token, clean).removeprefix("/"),
        clean.data,
        lambda stored: RevisionImage.objects.create(
            token=token,
            revision=revision,
            file=stored,
            format=clean.format,
            width=clean.width,
            height=clean.height,
            size=len(clean.data),
            sha256=clean.sha256,
            original_name=name[:255],
            uploaded_by=user,
        ),
    )


@transaction.atomic
def add_image(*, revision: Revision, user: User, upload, max_bytes: int) -> RevisionImage:
    """A draft → the same draft with one more image its text can show."""
    locked = _editable(revision, user)
    name = getattr(upload, "name", "") or _("The pasted image")
    try:
        clean = clean_image(read_limited(upload, limit=max_bytes, what=name), name=name)
    except UploadRefused as refused:
        raise ServiceError(refused.message) from refused
    return store_image(revision=locked, user=user, clean=clean, token=uuid.uuid4(), name=name)


@transaction.atomic
def add_attachment(
    *, revision: Revision, user: User, upload, title: str, description: str, max_bytes: int
) -> Attachment:
    """A draft → the same draft with one more attached form, listed last, on the audit trail."""
    locked = _editable(revision, user)
    name = getattr(upload, "name", "") or "file"
    try:
        clean = clean_attachment(read_limited(upload, limit=max_bytes, what=name), name=name)
    except UploadRefused as refused:
        raise ServiceError(refused.message) from refused
    token = uuid.uuid4()
    last = locked.attachments.order_by("-position").values_list("position", flat=True).first()
    attachment = _stored_with_row(
        f"attachments/{token}/{clean.filename}",
        clean.data,
        lambda stored: Attachment.objects.create(
            token=token,
            revision=locked,
            position=(last or 0) + 1,
            title=title.strip(),
            description=description.strip(),
            kind=clean.kind,
            file=stored,
            filename=clean.filename,
            size=len(clean.data),
            sha256=clean.sha256,
            uploaded_by=user,
        ),
    )
    audit.record(
        action=AuditEvent.Action.DRAFT_SAVED,
        actor=user,
        revision=locked,
        changes={"attachments": [None, _("added %(title)s") % {"title": attachment.title}]},
    )
    tasks.queue_render_check(locked)  # the content (its files) changed
    return attachment


@transaction.atomic
def remove_attachment(*, attachment: Attachment, user: User) -> None:
    """A draft with the attachment → without it. The stored file goes too unless an earlier
    revision still lists it (then it is theirs, frozen with them)."""
    locked = _editable(attachment.revision, user)
    attachment = Attachment.objects.get(pk=attachment.pk, revision=locked)
    stored = attachment.file
    attachment.delete()
    audit.record(
        action=AuditEvent.Action.DRAFT_SAVED,
        actor=user,
        revision=locked,
        changes={"attachments": [_("removed %(title)s") % {"title": attachment.title}, None]},
    )
    if not Attachment.objects.filter(file=stored).exists():
        transaction.on_commit(lambda: default_storage.delete(stored))
    tasks.queue_render_check(locked)  # the content (its files) changed


def image_tokens(text: str) -> set[str]:
    return {match.group(1) for match in IMAGE_SRC.finditer(text or "")}


def foreign_images(revision: Revision, texts: list[str]) -> list[str]:
    """The image names these texts show that do not belong to this procedure (pasted from
    another procedure's draft, say): readers could not open them. A translation shows its
    source's pictures (its first draft is a copy of the source's text)."""
    tokens = set().union(*(image_tokens(t) for t in texts)) if texts else set()
    if not tokens:
        return []
    procedures = [revision.procedure_id, revision.procedure.translation_of_id]
    own = {
        str(t)
        for t in RevisionImage.objects.filter(
            token__in=tokens, revision__procedure_id__in=[p for p in procedures if p]
        ).values_list("token", flat=True)
    }
    return sorted(tokens - own)


def image_by_name(name: str) -> RevisionImage | None:
    match = IMAGE_SRC.fullmatch("/images/" + name)
    if not match:
        return None
    image = RevisionImage.objects.select_related("revision__procedure").filter(token=match.group(1))
    image = image.first()
    if image is None or image.extension != match.group(2):
        return None
    return image
