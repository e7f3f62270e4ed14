"""The manual's way into other systems: API keys for integrations, call reasons mapped to
procedures, webhook subscriptions and their deliveries. Keys and subscriptions are created and
revoked through integrations.py; deliveries are written by webhooks.py."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .documents import Procedure


def now():
    return timezone.now()


class ApiKey(models.Model):
    """One integration's key. Only a hash of the key is kept; the key itself is shown once, when
    it is created. What the key may do is its scopes; it never sees more than a person with no
    role reads in the manual (what is in force), whatever its scopes."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        help_text=_("Which system uses it, e.g. “CRM side panel”."),
    )
    prefix = models.CharField(_("key starts with"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("hash of the key"), max_length=64, editable=False)
    read_manual = models.BooleanField(
        _("read the manual"),
        default=True,
        help_text=_("Procedures in force, search, call reasons, the KPI register."),
    )
    read_reading = models.BooleanField(
        _("read reading status"),
        default=False,
        help_text=_("Every team's reading status and every agent's To-read list."),
    )
    act_for_agents = models.BooleanField(
        _("act for agents"),
        default=False,
        help_text=_(
            "Read, acknowledge and send feedback for an agent named by their username, as they could."
        ),
    )
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=600, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(_("created at"), default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(read_manual=True) | Q(read_reading=True) | Q(act_for_agents=True),
                name="api_key_has_a_scope",
            ),
            models.CheckConstraint(
                condition=Q(requests_per_minute__gte=1), name="api_key_rate_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


reason_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$",
    _(
        "Use letters, digits and _ . : - only, starting with a letter or digit "
        "(e.g. REFUND or queue:billing-hu)."
    ),
)


class CallReason(models.Model):
    """A reason a customer calls, as the center's other systems name it (a disposition code, an
    IVR queue …), and the procedures an agent follows for it. Codes match whatever their case."""

    code = models.CharField(
        _("code"),
        max_length=100,
        validators=[reason_code_validator],
        help_text=_(
            "As the phone system or CRM sends it, e.g. REFUND, CARD_LOST, queue:billing-hu."
        ),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    procedures = models.ManyToManyField(
        Procedure,
        blank=True,
        related_name="call_reasons",
        verbose_name=_("procedures"),
    )

    class Meta:
        verbose_name = _("call reason")
        verbose_name_plural = _("call reasons")
        constraints = [
            models.UniqueConstraint(Lower("code"), name="call_reason_code_unique_any_case"),
        ]

    def __str__(self) -> str:
        return self.code


class WebhookEvent(models.TextChoices):
    REVISION_IN_FORCE = "REVISION_IN_FORCE", _("A revision came into force")
    PROCEDURE_WITHDRAWN = "PROCEDURE_WITHDRAWN", _("A procedure was withdrawn")


class WebhookSubscription(models.Model):
    """An integration asks to be told when the manual changes, at an address the document
    controller entered. Every delivery is signed with the subscription's secret."""

    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.PROTECT,
        related_name="webhooks",
        verbose_name=_("integration"),
    )
    url = models.URLField(
        _("address"),
        max_length=500,
        help_text=_("Where SOP Desk posts the events (https:// in production)."),
    )
    secret = models.CharField(_("signing secret"), max_length=64, editable=False)
    on_revision_in_force = models.BooleanField(_("a revision came into force"), default=True)
    on_procedure_withdrawn = models.BooleanField(_("a procedure was withdrawn"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.api_key} → {self.url}"


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription, with what happened at each attempt."""

    class Status(models.TextChoices):
        PENDING = "PENDING", pgettext_lazy("delivery status", "Waiting")
        DELIVERED = "DELIVERED", _("Delivered")
        FAILED = "FAILED", _("Failed, will retry")
        GAVE_UP = "GAVE_UP", _("Failed, gave up")

    Event = WebhookEvent

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=30, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=now)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(
        _("last response status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(event__in=WebhookEvent.values), name="webhook_delivery_event_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "DELIVERED", "FAILED", "GAVE_UP"]),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["subscription", "created_at"], name="webhook_delivery_sub")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.subscription.url}"
