"""What publishing stores: each approved revision's rendered HTML and PDF (rendered once, kept
unchanged, fingerprinted), the stamped copy of a superseded revision's PDF, and the builds of
the whole manual as one PDF."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import Revision
from .records import now


def rendition_path(rendition: "Rendition", filename: str) -> str:
    revision = rendition.revision
    return f"renditions/{revision.procedure.code}/rev{revision.number}/{filename}"


class Rendition(models.Model):
    """One stored artifact of one revision. Append-only: a rendition is never replaced."""

    class Kind(models.TextChoices):
        HTML = "HTML", _("Web page")
        PDF = "PDF", _("PDF")
        PDF_SUPERSEDED = "PDF_SUPERSEDED", _("PDF stamped SUPERSEDED")

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="renditions", verbose_name=_("revision")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=rendition_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    created_at = models.DateTimeField(_("rendered at"), default=now)

    class Meta:
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        constraints = [
            models.UniqueConstraint(fields=["revision", "kind"], name="one_rendition_per_kind"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["HTML", "PDF", "PDF_SUPERSEDED"]),
                name="rendition_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.revision} {self.kind}"


class ManualBuild(models.Model):
    """One build of the whole manual as a PDF; the latest finished one is served."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("Queued")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_at = models.DateTimeField(_("requested at"), default=now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    procedures_done = models.PositiveIntegerField(_("procedures done"), default=0)
    procedures_total = models.PositiveIntegerField(_("procedures in the manual"), default=0)
    file = models.FileField(_("file"), upload_to="manual/", max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    left_out = models.JSONField(
        _("procedures left out (they could not be rendered)"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("manual build")
        verbose_name_plural = _("manual builds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["QUEUED", "RUNNING", "DONE", "FAILED"]),
                name="manual_build_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"manual build {self.pk} ({self.status})"


class RenderCheck(models.Model):
    """Whether a revision, exactly as it is now, can be rendered: HTML, flowchart and PDF.

    Run in the background after each save (and at submission at the latest); submission and
    signing need a passed check of the revision's content, so what is approved can always be
    printed. The PDF it made is the watermarked draft PDF reviewers open."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("Queued")
        RUNNING = "RUNNING", _("Running")
        PASSED = "PASSED", _("Passed")
        FAILED = "FAILED", _("Failed")

    revision = models.ForeignKey(
        "procedures.Revision", on_delete=models.CASCADE, related_name="render_checks"
    )
    content_hash = models.CharField(_("content fingerprint"), max_length=64)
    fingerprint = models.CharField(
        _("fingerprint of what the PDF shows"), max_length=64, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    message = models.TextField(_("why it failed"), blank=True)
    file = models.FileField(_("draft PDF"), upload_to="checks/", max_length=300, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("render check")
        verbose_name_plural = _("render checks")
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "fingerprint"], name="one_render_check_per_fingerprint"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["QUEUED", "RUNNING", "PASSED", "FAILED"]),
                name="render_check_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.revision} {self.status}"
