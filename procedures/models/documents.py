"""SOP Desk's data: people, categories, procedures, their revisions, steps and measures.

Business rules live in services/ (writes), workflow/ (status changes), permissions.py (who
may do what) and selectors.py (what a status means for readers); the database holds the
invariants as constraints.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Django's salt for the session check (AbstractBaseUser._get_session_auth_hash), kept as is.
SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
UNREAD = object()

CODE_PATTERN = r"^[A-Z][A-Z0-9]{0,9}(-[A-Z0-9]{1,10}){1,4}$"


def site_language() -> str:
    """The site's language: LANGUAGE_CODE as one of LANGUAGES ("fr-fr" → "fr"), what a new
    procedure is written in unless chosen and what people read who chose none."""
    try:
        return get_supported_language_variant(settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


code_validator = RegexValidator(
    CODE_PATTERN,
    _(
        "Use capital letters and digits in groups joined by hyphens, "
        "for example CC-QM-003 (2 to 5 groups)."
    ),
)


class Team(models.Model):
    """A team of agents and its supervisor (typically up to 12–15 agents)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    supervisor = models.ForeignKey(
        "User",
        on_delete=models.PROTECT,
        related_name="supervised_teams",
        verbose_name=_("supervisor"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using SOP Desk. Roles are the groups of roles.py."""

    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
        help_text=_("The agent's team: its supervisor follows who has read what."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language SOP Desk speaks to this person in. Empty: their browser's."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name

    def _get_session_auth_hash(self, secret=None):
        """Django's check of a session (an HMAC of the password hash) with the person's session
        stamp in it: changing the password or signing out ends every session of theirs. The
        stamp is read with the person (page_cache.person), else here."""
        stamp = getattr(self, "sopdesk_session_stamp", UNREAD)
        if stamp is UNREAD:  # a missing row reads as None (its exception is an AttributeError)
            stamps = getattr(self, "personal_stamp", None) if self.pk else None
            stamp = stamps.session_stamp if stamps else None
        key = self.password if not stamp else f"{self.password}:{stamp}"
        return salted_hmac(SESSION_HASH_SALT, key, secret=secret, algorithm="sha256").hexdigest()

    @property
    def display_name(self) -> str:
        """The printed full name, or the username for an account without one."""
        return self.get_full_name() or self.username


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Categories are listed by this number, then by name.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class ProcedureQuerySet(models.QuerySet):
    def owned_by(self, user) -> "ProcedureQuerySet":
        return self.filter(owner=user)

    def by_code(self, code: str) -> "ProcedureQuerySet":
        return self.filter(code__iexact=code)

    def review_due_by(self, day) -> "ProcedureQuerySet":
        """Procedures in force whose periodic review is due on or before `day`, soonest first."""
        return (
            self.filter(next_review_on__lte=day, withdrawn_at=None)
            .filter(
                models.Exists(
                    Revision.objects.filter(procedure=models.OuterRef("pk"), status="EFFECTIVE")
                )
            )
            .order_by("next_review_on", "code")
        )

    def matching(self, text: str) -> "ProcedureQuerySet":
        """Procedures whose code or any revision's title contains the text (the desk filter)."""
        titled = Revision.objects.filter(procedure=models.OuterRef("pk"), title__icontains=text)
        return self.filter(Q(code__icontains=text) | Q(models.Exists(titled)))

    def with_desk_columns(self) -> "ProcedureQuerySet":
        """What the desk lists show, in a fixed number of queries however many procedures."""
        return self.select_related("category", "owner").prefetch_related(
            models.Prefetch(
                "revisions",
                queryset=Revision.objects.select_related("author").order_by("-number"),
            )
        )


class Procedure(models.Model):
    code = models.CharField(
        _("code"),
        max_length=40,
        validators=[code_validator],
        help_text=_("A stable identifier such as CC-QM-003. It never changes."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("category")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_procedures",
        verbose_name=_("owner"),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        _("review interval (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    audience = models.ManyToManyField(
        Team,
        blank=True,
        related_name="procedures",
        verbose_name=_("teams that must read it"),
        help_text=_("Leave empty for all agents."),
    )
    acknowledge_within_days = models.PositiveSmallIntegerField(
        _("read and acknowledge within (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_review_on = models.DateField(_("next review due"), null=True, blank=True)
    withdrawal_requested_at = models.DateTimeField(
        _("withdrawal requested at"), null=True, blank=True
    )
    withdrawal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawal requested by"),
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    language = models.CharField(
        _("language of the text"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=site_language,
        help_text=_("The language the procedure is written in: its page and PDF are marked so."),
    )
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
        help_text=_("The procedure this one translates, if it is a translation."),
    )
    history = HistoricalRecords()

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="procedure_code_unique_case_insensitive",
                violation_error_message=_("A procedure with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(review_interval_months__gte=1) & Q(review_interval_months__lte=60),
                name="procedure_review_interval_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(translation_of=F("pk")),
                name="procedure_not_a_translation_of_itself",
            ),
            models.CheckConstraint(
                condition=~Q(replaced_by=F("pk")), name="procedure_not_replaced_by_itself"
            ),
            models.CheckConstraint(
                condition=Q(acknowledge_within_days__gte=1) & Q(acknowledge_within_days__lte=90),
                name="procedure_acknowledge_within_1_to_90_days",
            ),
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=Q(translation_of__isnull=False),
                name="one_translation_per_language",
                violation_error_message=_(
                    "This procedure already has a translation in that language."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("desk:procedure", kwargs={"code": self.code})

    def clean(self) -> None:
        """A procedure and its translations are each in their own language."""
        super().clean()
        family = []
        if self.translation_of_id:
            family.append(self.translation_of.language)
        if self.pk:
            family += self.translations.values_list("language", flat=True)
        if self.language in family:
            raise ValidationError(
                {"language": _("A translation is written in another language than its source.")}
            )

    def latest_revision(self) -> "Revision | None":
        """The highest-numbered revision (uses the prefetch of with_desk_columns when present)."""
        revisions = list(self.revisions.all())
        return max(revisions, key=lambda r: r.number) if revisions else None


class RevisionQuerySet(models.QuerySet):
    def drafts(self) -> "RevisionQuerySet":
        return self.filter(status=Revision.Status.DRAFT)

    def open(self) -> "RevisionQuerySet":
        return self.filter(status__in=Revision.OPEN_STATUSES)


class Revision(models.Model):
    """One version of a procedure: the eight elements of an SOP, its steps and measures."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        IN_REVIEW = "IN_REVIEW", _("In review")
        APPROVED = "APPROVED", _("Approved")
        EFFECTIVE = "EFFECTIVE", _("Effective")
        SUPERSEDED = "SUPERSEDED", _("Superseded")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")

    class StepFormat(models.TextChoices):
        SIMPLE = "SIMPLE", _("Simple: a numbered list of steps")
        HIERARCHICAL = "HIERARCHICAL", _("Hierarchical: sections and sub-steps (1, 1.1, 1.1.1)")
        FLOWCHART = "FLOWCHART", _("Flowchart: steps with decision points and branches")

    # A procedure has at most one revision in these statuses at a time.
    OPEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED)
    # The free-text elements an author writes in Markdown.
    MARKDOWN_FIELDS = (
        "purpose",
        "scope",
        "responsibilities",
        "procedure_notes",
        "measures_notes",
        "documentation",
        "training",
        "review_and_approval",
        "change_summary",
    )

    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("procedure")
    )
    number = models.PositiveIntegerField(_("revision"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    scope = models.TextField(_("scope"), blank=True)
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    step_format = models.CharField(
        _("step format"), max_length=20, choices=StepFormat.choices, default=StepFormat.SIMPLE
    )
    procedure_notes = models.TextField(_("notes on the steps"), blank=True)
    measures_notes = models.TextField(_("notes on the performance measures"), blank=True)
    documentation = models.TextField(_("documentation"), blank=True)
    training = models.TextField(_("training"), blank=True)
    training_hours = models.DecimalField(
        _("training hours"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    training_test_required = models.BooleanField(_("a test must be passed"), default=False)
    training_url = models.URLField(
        _("link to the learning system"),
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    review_and_approval = models.TextField(_("review and approval"), blank=True)
    change_summary = models.TextField(_("change summary"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_revisions",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("last saved by"),
    )
    lock_version = models.PositiveIntegerField(_("lock version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    content_hash = models.CharField(
        _("SHA-256 of the submitted content"), max_length=64, blank=True
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="revisions_to_approve",
        verbose_name=_("chosen approvers"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    effective_at = models.DateTimeField(_("effective from"), null=True, blank=True)
    source_revision = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("translates revision"),
        help_text=_("For a translation: the source's revision this text translates."),
    )
    history = HistoricalRecords()

    objects = RevisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="revision_number_unique_per_procedure"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "DRAFT",
                        "IN_REVIEW",
                        "APPROVED",
                        "EFFECTIVE",
                        "SUPERSEDED",
                        "WITHDRAWN",
                    ]
                ),
                name="revision_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(step_format__in=["SIMPLE", "HIERARCHICAL", "FLOWCHART"]),
                name="revision_step_format_valid",
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status="EFFECTIVE"),
                name="one_effective_revision_per_procedure",
                violation_error_message=_("This procedure already has an effective revision."),
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status__in=["DRAFT", "IN_REVIEW", "APPROVED"]),
                name="one_open_revision_per_procedure",
                violation_error_message=_(
                    "This procedure already has a revision in draft, in review or approved."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="DRAFT") | Q(submitted_at__isnull=False),
                name="submitted_revision_has_submission_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["APPROVED", "EFFECTIVE", "SUPERSEDED"])
                | Q(approved_at__isnull=False),
                name="approved_revision_has_approval_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["EFFECTIVE", "SUPERSEDED"])
                | Q(effective_at__isnull=False),
                name="effective_revision_has_effective_date",
            ),
            # approved: its effective date is chosen with the last approval
            models.CheckConstraint(
                condition=~Q(status="APPROVED") | Q(effective_at__isnull=False),
                name="approved_revision_has_effective_date",
            ),
            models.CheckConstraint(
                condition=Q(training_hours__isnull=True) | Q(training_hours__gte=0),
                name="revision_training_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} rev. {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("desk:revision", kwargs={"code": self.procedure.code, "number": self.number})

    @classmethod
    def status_label(cls, status: str) -> str:
        """A stored status value's name for people (the value itself if it is unknown)."""
        return str(cls.Status(status).label) if status in cls.Status.values else status

    # One property per status, for templates and the policy in permissions.py; what a status
    # means for readers (in force, published) is answered in selectors.py.
    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_in_review(self) -> bool:
        return self.status == self.Status.IN_REVIEW

    @property
    def is_approved(self) -> bool:
        """Approved and waiting for its effective date (or for publish_due)."""
        return self.status == self.Status.APPROVED

    @property
    def is_effective(self) -> bool:
        return self.status == self.Status.EFFECTIVE

    @property
    def is_superseded(self) -> bool:
        return self.status == self.Status.SUPERSEDED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    def ordered_steps(self) -> list["Step"]:
        return sorted(self.steps.all(), key=lambda s: (s.position, s.pk or 0))

    def ordered_measures(self) -> list["Measure"]:
        return sorted(self.measures.all(), key=lambda m: (m.position, m.pk or 0))


class Step(models.Model):
    """One step of a revision's procedure. `key` is stable across edits and revisions."""

    class Kind(models.TextChoices):
        ACTION = "ACTION", _("Action")
        DECISION = "DECISION", _("Decision (yes / no)")
        END = "END", _("End")

    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="steps", verbose_name=_("revision")
    )
    key = models.CharField(_("key"), max_length=16)
    position = models.PositiveIntegerField(_("position"))
    level = models.PositiveSmallIntegerField(
        _("level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ACTION)
    text = models.TextField(_("text"), max_length=2000)
    role = models.CharField(_("responsible role"), max_length=100, blank=True)
    yes_target = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("if yes, go to"),
    )
    no_target = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("if no, go to"),
    )
    next_target = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("then go to"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "key"], name="step_key_unique_per_revision"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=4), name="step_level_in_range"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["ACTION", "DECISION", "END"]), name="step_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="DECISION")
                | (Q(yes_target__isnull=True) & Q(no_target__isnull=True)),
                name="only_decisions_have_yes_no_targets",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.revision} step {self.position}"


class Measure(models.Model):
    """A performance measure of a revision: what is measured, the target, how and how often."""

    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="measures", verbose_name=_("revision")
    )
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("measure"), max_length=200)
    target = models.CharField(_("target"), max_length=200)
    method = models.CharField(_("how it is measured"), max_length=300, blank=True)
    frequency = models.CharField(_("how often"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("performance measure")
        verbose_name_plural = _("performance measures")

    def __str__(self) -> str:
        return self.name
