"""The line from the floor to the owners: agents' feedback on procedures, its replies, and the
in-app notifications (new feedback, replies, new revisions to read)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .documents import Procedure, Revision


def now():
    return timezone.now()


class FeedbackQuerySet(models.QuerySet):
    def unresolved(self) -> "FeedbackQuerySet":
        return self.filter(status__in=[Feedback.Status.OPEN, Feedback.Status.ACCEPTED])


class FeedbackElement(models.TextChoices):
    GENERAL = "GENERAL", _("The procedure in general")
    PURPOSE = "PURPOSE", _("Purpose")
    SCOPE = "SCOPE", _("Scope")
    RESPONSIBILITIES = "RESPONSIBILITIES", _("Responsibilities")
    STEPS = "STEPS", _("Procedure (steps)")
    MEASURES = "MEASURES", _("Performance measures")
    DOCUMENTATION = "DOCUMENTATION", _("Documentation")
    TRAINING = "TRAINING", _("Training")


class Feedback(models.Model):
    """One piece of feedback on a procedure, as read in one revision, optionally about one
    element or one step. Its status changes only through feedback.py."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        ACCEPTED = "ACCEPTED", _("Accepted")
        DECLINED = "DECLINED", _("Declined")
        DONE = "DONE", _("Done")

    Element = FeedbackElement

    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("procedure")
    )
    revision = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        related_name="feedback_received",
        verbose_name=_("revision read"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="feedback_sent",
        verbose_name=_("from"),
    )
    element = models.CharField(
        _("about"), max_length=20, choices=Element.choices, default=Element.GENERAL
    )
    step_key = models.CharField(_("step"), max_length=16, blank=True)
    step_number = models.CharField(_("step number"), max_length=32, blank=True)
    body = models.TextField(_("feedback"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("sent at"), default=now, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=now)
    addressed_by = models.ForeignKey(
        Revision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback_addressed",
        verbose_name=_("revision started from it"),
    )

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["OPEN", "ACCEPTED", "DECLINED", "DONE"]),
                name="feedback_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(element__in=FeedbackElement.values), name="feedback_element_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["procedure", "status"], name="feedback_procedure_status"),
            models.Index(fields=["author", "created_at"], name="feedback_author_created"),
        ]

    def __str__(self) -> str:
        return _("Feedback #%(pk)s on %(code)s") % {"pk": self.pk, "code": self.procedure.code}

    def about(self) -> str:
        """“Step 5”, “Scope”, or “The procedure in general”."""
        if self.step_number:
            return _("Step %(number)s") % {"number": self.step_number}
        return self.get_element_display()


class FeedbackReply(models.Model):
    """One message in a feedback's conversation: the owner's (or a manager's) reply, perhaps
    with a new status, or the agent's follow-up. Kept, never edited."""

    feedback = models.ForeignKey(
        Feedback, on_delete=models.PROTECT, related_name="replies", verbose_name=_("feedback")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    body = models.TextField(_("reply"), max_length=4000, blank=True)
    status_to = models.CharField(
        _("status set to"), max_length=10, choices=Feedback.Status.choices, blank=True
    )
    created_at = models.DateTimeField(_("written at"), default=now)

    class Meta:
        verbose_name = _("feedback reply")
        verbose_name_plural = _("feedback replies")
        constraints = [
            models.CheckConstraint(
                condition=Q(status_to="") | Q(status_to__in=Feedback.Status.values),
                name="feedback_reply_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class NotificationKind(models.TextChoices):
    FEEDBACK_RECEIVED = "FEEDBACK_RECEIVED", _("New feedback")
    FEEDBACK_REPLY = "FEEDBACK_REPLY", _("Reply to feedback")
    FEEDBACK_FOLLOW_UP = "FEEDBACK_FOLLOW_UP", _("Follow-up on feedback")
    TO_READ = "TO_READ", _("New revision to read")
    EVALUATION_SHARED = "EVALUATION_SHARED", _("A call of yours was evaluated")
    EVALUATION_DISPUTED = "EVALUATION_DISPUTED", _("An evaluation was disputed")
    DISPUTE_DECIDED = "DISPUTE_DECIDED", _("Your dispute was decided")
    CALIBRATION_INVITED = "CALIBRATION_INVITED", _("A call to score for calibration")


class Notification(models.Model):
    """Something for one person to look at, shown with an unread badge. The message is composed
    when shown (in the reader's language) from the kind and its parameters."""

    Kind = NotificationKind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("for"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("details"), default=dict)
    url = models.CharField(_("link"), max_length=300)
    created_at = models.DateTimeField(_("when"), default=now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "created_at"], name="notification_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        p = self.params
        if self.kind == self.Kind.FEEDBACK_RECEIVED:
            about = (
                _("Step %(number)s") % {"number": p["step"]}
                if p.get("step")
                else Feedback.Element(p["element"]).label
            )
            return _("%(name)s sent feedback on %(code)s: %(about)s") % {**p, "about": about}
        if self.kind == self.Kind.FEEDBACK_REPLY:
            return _("%(name)s replied to your feedback on %(code)s (%(status)s)") % {
                **p,
                "status": Feedback.Status(p["status"]).label,
            }
        if self.kind == self.Kind.FEEDBACK_FOLLOW_UP:
            return _("%(name)s added to their feedback on %(code)s") % p
        if self.kind == self.Kind.EVALUATION_SHARED and p.get("corrected"):
            return _("The evaluation of your call %(call)s was corrected: %(score)s %%") % p
        if self.kind == self.Kind.EVALUATION_SHARED:
            return _("Your call %(call)s was evaluated: %(score)s %%") % p
        if self.kind == self.Kind.EVALUATION_DISPUTED:
            return _("%(name)s disputed the evaluation of call %(call)s") % p
        if self.kind == self.Kind.DISPUTE_DECIDED:
            return _("Your dispute about call %(call)s was decided") % p
        if self.kind == self.Kind.CALIBRATION_INVITED:
            return _("%(name)s asks you to score call %(call)s for calibration") % p
        due = formats.date_format(datetime.date.fromisoformat(p["due"]), "DATE_FORMAT")
        return _("%(code)s revision %(number)s is in force: please read it by %(due)s") % {
            **p,
            "due": due,
        }


class PersonalStamp(models.Model):
    """Two values read with the person on every request (page_cache.person), each replaced by a
    new random one when what it stands for changes, never counted: nothing read-modify-writes
    them. `stamp` changes whenever something of the person's own that their pages show changes
    (a notification, an acknowledgement, their feedback and its answers): page_cache keys their
    pages by it. `session_stamp` changes when they sign out: it is part of their sessions'
    check (User.get_session_auth_hash), so signing out ends every session they had, a copied
    cookie too. 0: never signed out since sessions were checked this way."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="personal_stamp",
    )
    stamp = models.BigIntegerField()
    session_stamp = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("personal stamp")
        verbose_name_plural = _("personal stamps")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.stamp}"
