"""What authors bring into a procedure besides text: screenshots, attached forms, the templates
a procedure starts from, and the report of a Word import.

Stored files never change: an image or an attachment is written once under a random name and
read through a permission-checked view. A new revision copies its attachments' rows (the
files are shared) and keeps referring to the same images, so an approved revision's files
are frozen with it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .documents import Revision, site_language
from .records import now


class RevisionImage(models.Model):
    """A screenshot or picture uploaded into a revision's text, re-encoded, stored once.

    Markdown refers to it as /images/<token>.<ext>; append-only (a trigger refuses changes).
    """

    class Format(models.TextChoices):
        PNG = "PNG", "PNG"
        JPEG = "JPEG", "JPEG"

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="images", verbose_name=_("revision")
    )
    file = models.CharField(_("stored file"), max_length=300)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("uploaded as"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=now)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=["PNG", "JPEG"]), name="revision_image_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("image", kwargs={"name": self.filename})

    @property
    def extension(self) -> str:
        return "jpg" if self.format == self.Format.JPEG else "png"

    @property
    def filename(self) -> str:
        return f"{self.token}.{self.extension}"

    @property
    def content_type(self) -> str:
        return "image/jpeg" if self.format == self.Format.JPEG else "image/png"


class Attachment(models.Model):
    """A form, report template or record sheet listed under a revision's Documentation.

    Versioned with the revision: starting a revision copies the rows, sharing the stored files.
    """

    class Kind(models.TextChoices):
        PDF = "PDF", "PDF"
        DOCX = "DOCX", _("Word document")
        XLSX = "XLSX", _("Excel workbook")
        ODT = "ODT", _("OpenDocument text")
        ODS = "ODS", _("OpenDocument spreadsheet")
        CSV = "CSV", "CSV"

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("revision")
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    file = models.CharField(_("stored file"), max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["PDF", "DOCX", "XLSX", "ODT", "ODS", "CSV"]),
                name="attachment_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("attachment", kwargs={"token": self.token, "filename": self.filename})


class ProcedureTemplate(models.Model):
    """The shape a new procedure can start from: every element pre-filled with guidance.

    Guidance is written between [[ and ]]; a draft cannot be submitted while any is left.
    Steps: one per line, two spaces of indent per level. Measures: one per line,
    "measure | target | how it is measured | how often".
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered for new procedures"), default=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=site_language,
        help_text=_("The language of its guidance: the procedures started from it are in it."),
    )
    title = models.CharField(_("suggested title"), max_length=200, blank=True)
    step_format = models.CharField(
        _("default step format"),
        max_length=20,
        choices=Revision.StepFormat.choices,
        default=Revision.StepFormat.SIMPLE,
    )
    purpose = models.TextField(_("purpose"), blank=True)
    scope = models.TextField(_("scope"), blank=True)
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    steps = models.TextField(
        _("steps"),
        blank=True,
        help_text=_("One step per line; indent a sub-step by two spaces per level."),
    )
    procedure_notes = models.TextField(_("notes on the steps"), blank=True)
    measures = models.TextField(
        _("default measures"),
        blank=True,
        help_text=_("One per line: measure | target | how it is measured | how often."),
    )
    measures_notes = models.TextField(_("notes on the performance measures"), blank=True)
    documentation = models.TextField(_("documentation"), blank=True)
    training = models.TextField(_("training"), blank=True)
    review_and_approval = models.TextField(_("review and approval"), blank=True)

    class Meta:
        verbose_name = _("procedure template")
        verbose_name_plural = _("procedure templates")
        constraints = [
            models.CheckConstraint(
                condition=Q(step_format__in=["SIMPLE", "HIERARCHICAL", "FLOWCHART"]),
                name="template_step_format_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentImport(models.Model):
    """The report of one Word file imported as a procedure's first draft."""

    revision = models.OneToOneField(
        Revision, on_delete=models.PROTECT, related_name="import_report", verbose_name=_("revision")
    )
    source_name = models.CharField(_("file"), max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), default=now)
    notes = models.JSONField(_("what to check"), default=list, blank=True)
    # The preview it was created from: a second "Create the draft" finds the draft.
    preview_id = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("Word import")
        verbose_name_plural = _("Word imports")

    def __str__(self) -> str:
        return self.source_name


class ImportPreview(models.Model):
    """A Word file read and cut into sections, waiting for its author to check the mapping and
    create the draft ("Create the draft" makes exactly what the preview showed).

    The blocks and the structure are kept as JSON and the pictures in the file store, so any
    application server can show the preview and create the draft. Deleted once used or discarded, or by
    `manage.py purge_import_previews` after 7 days.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source_name = models.CharField(_("file"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("procedures.Category", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), default=now)
    core_title = models.CharField(max_length=500, blank=True)
    blocks = models.JSONField(default=list)
    plan = models.JSONField(default=dict)
    pictures = models.JSONField(default=dict)
    refused_pictures = models.JSONField(default=list)
    # The author's corrections so far ("Apply the changes"), kept for when they come back.
    choices = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("Word import preview")
        verbose_name_plural = _("Word import previews")
        indexes = [models.Index(fields=["uploaded_by", "created_at"])]

    def __str__(self) -> str:
        return self.source_name
