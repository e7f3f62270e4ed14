"""What the workflow records: approval rules, signatures, signing attempts, comments, audit events.

Signatures, attempts and audit events are append-only: workflow/ and audit.py create them,
nothing updates or deletes them (on PostgreSQL a trigger refuses it, see migration 0004).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .documents import Category, Procedure, Revision


def now():
    """The current time, looked up when called (so a demo seeded "as of" a date is consistent)."""
    return timezone.now()


class ApprovalRule(models.Model):
    """How many managers approve a category's procedures, and whether a review comes first."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="approval_rule", verbose_name=_("category")
    )
    approvals_required = models.PositiveSmallIntegerField(
        _("approvals required"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How many managers must sign “Approved”."),
    )
    review_required = models.BooleanField(
        _("a “Reviewed” signature is needed first"), default=False
    )

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1) & Q(approvals_required__lte=5),
                name="approval_rule_approvals_in_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.category)


class Signature(models.Model):
    """An electronic signature: who, their printed name, when, what it means, on which content."""

    class Meaning(models.TextChoices):
        REVIEWED = "REVIEWED", _("Reviewed")
        APPROVED = "APPROVED", _("Approved")
        REVIEWED_NO_CHANGE = "REVIEWED_NO_CHANGE", _("Reviewed — no change")
        APPROVED_FOR_WITHDRAWAL = "APPROVED_FOR_WITHDRAWAL", _("Approved for withdrawal")

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("revision")
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("signer"),
    )
    signer_name = models.CharField(_("printed name"), max_length=300)
    meaning = models.CharField(_("meaning"), max_length=30, choices=Meaning.choices)
    signed_at = models.DateTimeField(_("signed at"), default=now)
    comment = models.TextField(_("comment"), blank=True)
    content_hash = models.CharField(_("SHA-256 of the signed content"), max_length=64)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "signer", "meaning", "content_hash"],
                name="one_signature_per_signer_meaning_and_content",
                violation_error_message=_(
                    "You have already signed this content with this meaning."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    meaning__in=[
                        "REVIEWED",
                        "APPROVED",
                        "REVIEWED_NO_CHANGE",
                        "APPROVED_FOR_WITHDRAWAL",
                    ]
                ),
                name="signature_meaning_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signer_name}: {self.get_meaning_display()} ({self.revision})"

    def is_valid_for(self, content_hash: str) -> bool:
        """Valid while the revision's content still hashes to what was signed."""
        return self.content_hash == content_hash


class SigningAttempt(models.Model):
    """A failed signature (wrong password). Five in 15 minutes lock the signer out for 15."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signing_attempts"
    )
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    attempted_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        verbose_name = _("failed signing attempt")
        verbose_name_plural = _("failed signing attempts")

    def __str__(self) -> str:
        return f"{self.user} {self.attempted_at:%Y-%m-%d %H:%M}"


class CommentElement(models.TextChoices):
    GENERAL = "GENERAL", _("General")
    TITLE = "TITLE", _("Title")
    PURPOSE = "PURPOSE", _("Purpose")
    SCOPE = "SCOPE", _("Scope")
    RESPONSIBILITIES = "RESPONSIBILITIES", _("Responsibilities")
    STEPS = "STEPS", _("Procedure (steps)")
    MEASURES = "MEASURES", _("Performance measures")
    DOCUMENTATION = "DOCUMENTATION", _("Documentation")
    TRAINING = "TRAINING", _("Training")
    REVIEW = "REVIEW", _("Review and approval")
    CHANGE_SUMMARY = "CHANGE_SUMMARY", _("Change summary")


class Comment(models.Model):
    """A review comment on a revision, optionally about one element or one step."""

    Element = CommentElement

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="comments", verbose_name=_("revision")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    element = models.CharField(
        _("about"), max_length=20, choices=Element.choices, default=Element.GENERAL
    )
    step_key = models.CharField(_("step"), max_length=16, blank=True)
    body = models.TextField(_("comment"), max_length=5000)
    returned = models.BooleanField(_("sent with a return for changes"), default=False)
    created_at = models.DateTimeField(_("written at"), default=now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=Q(element__in=CommentElement.values), name="comment_element_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class LoginAttempt(models.Model):
    """A sign-in refused for a wrong password (or an unknown username). With SigningAttempt it
    is one counter: five wrong passwords for an account within 15 minutes, at sign-in or at
    signing, lock both for 15 minutes; many from one address lock that address. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="login_attempts",
    )
    username = models.CharField(_("username typed"), max_length=150)
    address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    attempted_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [models.Index(fields=["address", "attempted_at"], name="login_attempt_address")]

    def __str__(self) -> str:
        return f"{self.username} {self.attempted_at:%Y-%m-%d %H:%M}"


class AccountUnlock(models.Model):
    """A document controller lifted a lockout: earlier failed attempts no longer count."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="unlocks"
    )
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unlocked_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        verbose_name = _("account unlock")
        verbose_name_plural = _("account unlocks")

    def __str__(self) -> str:
        return f"{self.user} {self.unlocked_at:%Y-%m-%d %H:%M}"


class AddressUnlock(models.Model):
    """A document controller lifted the lock on a network address: earlier failed sign-ins
    from it no longer count. Append-only."""

    address = models.GenericIPAddressField(_("network address"))
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unlocked_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        verbose_name = _("address unlock")
        verbose_name_plural = _("address unlocks")

    def __str__(self) -> str:
        return f"{self.address} {self.unlocked_at:%Y-%m-%d %H:%M}"


class AuditEventQuerySet(models.QuerySet):
    def for_procedure(self, procedure: Procedure) -> "AuditEventQuerySet":
        return self.filter(procedure=procedure)


class AuditAction(models.TextChoices):
    PROCEDURE_CREATED = "PROCEDURE_CREATED", _("Procedure created")
    DRAFT_SAVED = "DRAFT_SAVED", _("Draft saved")
    REVISION_STARTED = "REVISION_STARTED", _("Revision started")
    SUBMITTED = "SUBMITTED", _("Submitted for review")
    RETURNED = "RETURNED", _("Returned for changes")
    COMMENTED = "COMMENTED", _("Commented")
    SIGNED = "SIGNED", _("Signed")
    SIGNATURE_FAILED = "SIGNATURE_FAILED", _("Signature refused: wrong password")
    SIGNING_LOCKED = "SIGNING_LOCKED", _("Account locked after wrong passwords")
    LOGIN_FAILED = "LOGIN_FAILED", _("Sign-in refused: wrong password")
    ACCOUNT_UNLOCKED = "ACCOUNT_UNLOCKED", _("Account unlocked")
    APPROVED = "APPROVED", _("Approved")
    EFFECTIVE = "EFFECTIVE", _("Became effective")
    SUPERSEDED = "SUPERSEDED", _("Superseded")
    REVIEWED_NO_CHANGE = "REVIEWED_NO_CHANGE", _("Periodic review: no change")
    WITHDRAWAL_REQUESTED = "WITHDRAWAL_REQUESTED", _("Withdrawal requested")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")
    ADMIN_CHANGE = "ADMIN_CHANGE", _("Administrative change")
    ACKNOWLEDGED = "ACKNOWLEDGED", _("Read and acknowledged")
    FEEDBACK_RECEIVED = "FEEDBACK_RECEIVED", _("Feedback received")
    FEEDBACK_ANSWERED = "FEEDBACK_ANSWERED", _("Feedback answered")
    FEEDBACK_LINKED = "FEEDBACK_LINKED", _("Feedback linked to a revision")
    CALL_REASONS_CHANGED = "CALL_REASONS_CHANGED", _("Call reasons changed")
    API_KEY_CREATED = "API_KEY_CREATED", _("API key created")
    API_KEY_REVOKED = "API_KEY_REVOKED", _("API key revoked")


class AuditEvent(models.Model):
    """One act on the record: who, when, what, from which state to which, the values, why."""

    Action = AuditAction

    at = models.DateTimeField(_("when"), default=now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who (printed name)"), max_length=300, blank=True)
    action = models.CharField(_("what"), max_length=30, choices=Action.choices)
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("procedure"),
    )
    revision = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("revision"),
    )
    from_status = models.CharField(pgettext_lazy("status", "from"), max_length=20, blank=True)
    to_status = models.CharField(pgettext_lazy("status", "to"), max_length=20, blank=True)
    changes = models.JSONField(_("old and new values"), default=dict, blank=True)
    reason = models.TextField(_("why"), blank=True)
    target = models.CharField(_("object"), max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["procedure", "at"], name="audit_procedure_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_event_action_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"


class Acknowledgement(models.Model):
    """An agent's confirmation: "I have read and understood this procedure". Append-only; it
    stays with its revision when a newer one supersedes it."""

    revision = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("revision"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("agent"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=now)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "agent"], name="one_acknowledgement_per_agent_and_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.revision}"
