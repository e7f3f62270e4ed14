"""Quality monitoring: scorecards built from procedures' steps, and the calls scored on them.

A scorecard is versioned like a procedure: each version has its own lines and goes draft → in
review → approved → in use → retired (quality/workflow.py is the only place that changes a
version's status). An evaluation scores one call on one scorecard version, against the
procedure revisions that were in force when the call was taken; once shared with the agent it
is never changed: a correction is a new evaluation that replaces it, with a reason.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from procedures.models import Procedure, Revision

MAX_WEIGHT = 10


class Scorecard(models.Model):
    """A named scorecard ("Inbound calls"), the versions of which carry the lines."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("what it is for"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("quality:scorecard", kwargs={"pk": self.pk})


class ScorecardVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        IN_REVIEW = "IN_REVIEW", _("In review")
        APPROVED = "APPROVED", _("Approved")
        IN_USE = "IN_USE", _("In use")
        RETIRED = "RETIRED", _("Retired")

    OPEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED)

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, related_name="versions", verbose_name=_("scorecard")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    change_note = models.TextField(_("what changed"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    in_use_at = models.DateTimeField(_("in use since"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "number"], name="scorecard_version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["DRAFT", "IN_REVIEW", "APPROVED", "IN_USE", "RETIRED"]),
                name="scorecard_version_status_valid",
            ),
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(status__in=["DRAFT", "IN_REVIEW", "APPROVED"]),
                name="one_open_version_per_scorecard",
                violation_error_message=_("This scorecard already has a version being prepared."),
            ),
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(status="IN_USE"),
                name="one_version_in_use_per_scorecard",
            ),
            models.CheckConstraint(
                condition=Q(status="DRAFT") | Q(submitted_at__isnull=False),
                name="submitted_scorecard_has_submission_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["APPROVED", "IN_USE", "RETIRED"])
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="approved_scorecard_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["IN_USE", "RETIRED"]) | Q(in_use_at__isnull=False),
                name="scorecard_in_use_has_start",
            ),
        ]

    def __str__(self) -> str:
        return _("%(name)s, version %(number)d") % {
            "name": self.scorecard.name,
            "number": self.number,
        }

    def get_absolute_url(self) -> str:
        return reverse("quality:version", kwargs={"pk": self.scorecard_id, "number": self.number})

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_in_review(self) -> bool:
        return self.status == self.Status.IN_REVIEW

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_in_use(self) -> bool:
        return self.status == self.Status.IN_USE

    @property
    def is_retired(self) -> bool:
        return self.status == self.Status.RETIRED


class ScorecardSource(models.Model):
    """A procedure a scorecard version was built from, and the revision its lines were taken from."""

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="sources")
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="+", verbose_name=_("procedure")
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="+", verbose_name=_("revision")
    )

    class Meta:
        verbose_name = _("procedure of a scorecard")
        verbose_name_plural = _("procedures of a scorecard")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "procedure"], name="scorecard_source_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return str(self.revision)


class ScorecardLine(models.Model):
    """One thing the evaluator checks: a step or decision of a procedure, or a general line."""

    class Kind(models.TextChoices):
        STEP = "STEP", _("Step")
        DECISION = "DECISION", _("Decision")
        GENERAL = "GENERAL", _("General")

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("what is checked"), max_length=500)
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("procedure"),
    )
    step_key = models.CharField(_("step"), max_length=16, blank=True)
    step_number = models.CharField(_("step number"), max_length=20, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_WEIGHT)]
    )
    critical = models.BooleanField(
        _("critical"), default=False, help_text=_("Answering No fails the whole call.")
    )

    class Meta:
        verbose_name = _("scorecard line")
        verbose_name_plural = _("scorecard lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=MAX_WEIGHT),
                name="scorecard_line_weight_in_range",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["STEP", "DECISION", "GENERAL"]),
                name="scorecard_line_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="GENERAL", procedure__isnull=True, step_key="")
                | (~Q(kind="GENERAL") & Q(procedure__isnull=False) & ~Q(step_key="")),
                name="scorecard_step_line_names_its_step",
            ),
            models.UniqueConstraint(
                fields=["version", "procedure", "step_key"],
                condition=Q(procedure__isnull=False),
                name="scorecard_step_once_per_version",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_general(self) -> bool:
        return self.kind == self.Kind.GENERAL

    @property
    def is_decision(self) -> bool:
        return self.kind == self.Kind.DECISION


class Evaluation(models.Model):
    """One call scored on one scorecard version. Shared evaluations are never changed; a
    correction is a new evaluation (`replaces`) with a reason, and the old one is marked so."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        SHARED = "SHARED", _("Shared with the agent")
        CORRECTED = "CORRECTED", _("Replaced by a correction")
        DISCARDED = "DISCARDED", _("Discarded draft")

    scorecard_version = models.ForeignKey(
        ScorecardVersion,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("scorecard"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations_made",
        verbose_name=_("evaluator"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("agent"),
    )
    call_reference = models.CharField(
        _("call reference"),
        max_length=200,
        help_text=_("The call's identifier in the recording system."),
    )
    call_at = models.DateTimeField(_("date and time of the call"))
    hide_evaluator = models.BooleanField(
        _("hide my name from the agent"),
        default=False,
        help_text=_("The agent sees “Quality team” instead of the evaluator's name."),
    )
    summary = models.TextField(_("overall comment"), blank=True, max_length=4000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    shared_at = models.DateTimeField(_("shared at"), null=True, blank=True)
    # set when shared, from the answers (quality/scoring.py)
    points_earned = models.PositiveIntegerField(_("points earned"), null=True, blank=True)
    points_possible = models.PositiveIntegerField(_("points possible"), null=True, blank=True)
    critical_failed = models.BooleanField(_("a critical line failed"), default=False)
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    team_key = models.PositiveIntegerField(
        _("the agent's team when shared"), default=0
    )  # a Team's id (0: none), kept as it was: the figures count a call in that team
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    calibration = models.ForeignKey(
        "CalibrationSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("calibration session"),
        help_text=_("A score given in a calibration session: never shown to the agent."),
    )

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["DRAFT", "SHARED", "CORRECTED", "DISCARDED"]),
                name="evaluation_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["DRAFT", "DISCARDED"])
                | Q(shared_at__isnull=False, score__isnull=False, points_possible__gt=0),
                name="shared_evaluation_has_score",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(correction_reason=""),
                name="correction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="evaluation_score_in_range",
            ),
            models.CheckConstraint(
                condition=Q(calibration__isnull=True) | Q(replaces__isnull=True),
                name="calibration_scores_are_not_corrected",
            ),
            models.UniqueConstraint(
                fields=["calibration", "evaluator"],
                condition=Q(calibration__isnull=False),
                name="one_score_per_evaluator_per_calibration",
            ),
        ]
        indexes = [models.Index(fields=["agent", "call_at"], name="evaluation_agent_call")]

    def __str__(self) -> str:
        return self.call_reference

    def get_absolute_url(self) -> str:
        return reverse("quality:evaluation", kwargs={"pk": self.pk})

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_shared(self) -> bool:
        return self.status == self.Status.SHARED

    @property
    def is_corrected(self) -> bool:
        return self.status == self.Status.CORRECTED

    @property
    def is_discarded(self) -> bool:
        return self.status == self.Status.DISCARDED

    @property
    def response_or_none(self) -> "Response | None":
        """The agent's acknowledgement or dispute, if they answered."""
        try:
            return self.response
        except ObjectDoesNotExist:
            return None


class EvaluatedRevision(models.Model):
    """The revision of each of the scorecard's procedures in force when the call was taken."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="revisions_in_force"
    )
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "procedure"], name="evaluated_revision_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.revision)


class Answer(models.Model):
    class Choice(models.TextChoices):
        YES = "YES", _("Yes")
        NO = "NO", _("No")
        NOT_APPLICABLE = "NA", _("Not applicable")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="answers")
    line = models.ForeignKey(ScorecardLine, on_delete=models.PROTECT, related_name="answers")
    answer = models.CharField(_("answer"), max_length=3, choices=Choice.choices)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "line"], name="one_answer_per_line"),
            models.CheckConstraint(
                condition=Q(answer__in=["YES", "NO", "NA"]), name="answer_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_answer_display()


class Response(models.Model):
    """The agent's answer to a shared evaluation: acknowledged, or disputed with a reason.
    A dispute goes to the supervisor, who closes it with a decision."""

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "ACKNOWLEDGED", _("Acknowledged")
        DISPUTED = "DISPUTED", _("Disputed")

    class Decision(models.TextChoices):
        UPHELD = "UPHELD", _("Score stands")
        CORRECTED = "CORRECTED", _("Corrected")

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="response")
    kind = models.CharField(_("response"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    responded_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True, max_length=2000)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["ACKNOWLEDGED", "DISPUTED"]), name="response_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="DISPUTED") | ~Q(reason=""), name="dispute_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(kind="DISPUTED", decided_at__isnull=False),
                name="only_disputes_are_decided",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_dispute(self) -> bool:
        return self.kind == self.Kind.DISPUTED

    @property
    def is_open_dispute(self) -> bool:
        return self.is_dispute and not self.decision


class CalibrationSession(models.Model):
    """Several evaluators score the same call, blind; once all have scored, the lead records
    the reference answer of each line and everyone sees where they agreed."""

    scorecard_version = models.ForeignKey(
        ScorecardVersion,
        on_delete=models.PROTECT,
        related_name="calibrations",
        verbose_name=_("scorecard"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent on the call"),
    )
    call_reference = models.CharField(_("call reference"), max_length=200)
    call_at = models.DateTimeField(_("date and time of the call"))
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="calibrations_led",
        verbose_name=_("session lead"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("reference recorded at"), null=True, blank=True)
    note = models.TextField(_("lead's note"), blank=True, max_length=4000)

    class Meta:
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")

    def __str__(self) -> str:
        return self.call_reference

    def get_absolute_url(self) -> str:
        return reverse("quality:calibration", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ReferenceAnswer(models.Model):
    """The answer the session lead records as right for one line of a calibrated call."""

    session = models.ForeignKey(
        CalibrationSession, on_delete=models.CASCADE, related_name="references"
    )
    line = models.ForeignKey(ScorecardLine, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(_("reference answer"), max_length=3, choices=Answer.Choice.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "line"], name="one_reference_per_line"),
            models.CheckConstraint(
                condition=Q(answer__in=["YES", "NO", "NA"]), name="reference_answer_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_answer_display()


class QualityEvent(models.Model):
    """The audit trail of quality records: who did what to which scorecard or evaluation, when."""

    class Action(models.TextChoices):
        SCORECARD_CREATED = "SCORECARD_CREATED", _("Scorecard created")
        SCORECARD_SAVED = "SCORECARD_SAVED", _("Lines saved")
        SCORECARD_REVISED = "SCORECARD_REVISED", _("Next version started")
        SUBMIT = "SUBMIT", _("Submitted for approval")
        RETURN_FOR_CHANGES = "RETURN_FOR_CHANGES", _("Returned for changes")
        APPROVE = "APPROVE", _("Approved")
        PUT_IN_USE = "PUT_IN_USE", _("Put in use")
        RETIRE = "RETIRE", _("Retired")
        EVALUATION_STARTED = "EVALUATION_STARTED", _("Scoring started")
        EVALUATION_SHARED = "EVALUATION_SHARED", _("Shared with the agent")
        EVALUATION_CORRECTED = "EVALUATION_CORRECTED", _("Replaced by a correction")
        CORRECTION_STARTED = "CORRECTION_STARTED", _("Correction started")
        EVALUATION_DISCARDED = "EVALUATION_DISCARDED", _("Draft discarded")
        EVALUATION_TAKEN_OVER = "EVALUATION_TAKEN_OVER", _("Draft taken over from")
        EVALUATION_ACKNOWLEDGED = "EVALUATION_ACKNOWLEDGED", _("Acknowledged by the agent")
        EVALUATION_DISPUTED = "EVALUATION_DISPUTED", _("Disputed by the agent")
        DISPUTE_DECIDED = "DISPUTE_DECIDED", _("Dispute decided")
        CALIBRATION_STARTED = "CALIBRATION_STARTED", _("Calibration session started")
        CALIBRATION_SCORED = "CALIBRATION_SCORED", _("Scored in a calibration session")
        REFERENCE_RECORDED = "REFERENCE_RECORDED", _("Reference answers recorded")

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    actor_name = models.CharField(_("actor"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    scorecard_version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, null=True, related_name="events"
    )
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, null=True, related_name="events"
    )
    calibration = models.ForeignKey(
        CalibrationSession, on_delete=models.PROTECT, null=True, related_name="events"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("quality event")
        verbose_name_plural = _("quality events")

    def __str__(self) -> str:
        return self.get_action_display()


class CallTally(models.Model):
    """The shared evaluations of one agent's calls in one week on one scorecard version, summed:
    what the dashboard reads instead of every evaluation (quality/tallies.py keeps it current
    when an evaluation is shared or replaced; `manage.py rebuild_quality_tallies` recounts)."""

    week = models.DateField(_("week starting"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team_key = models.PositiveIntegerField(default=0)  # Evaluation.team_key
    scorecard_version = models.ForeignKey(
        ScorecardVersion, on_delete=models.CASCADE, related_name="+"
    )
    calls = models.IntegerField(default=0)
    earned = models.IntegerField(default=0)
    possible = models.IntegerField(default=0)
    critical = models.IntegerField(default=0)
    score_sum = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["week", "agent", "team_key", "scorecard_version"],
                name="one_call_tally_per_key",
            )
        ]
        indexes = [models.Index(fields=["week", "team_key"], name="call_tally_week_team")]

    def __str__(self) -> str:
        return f"{self.week} {self.agent_id}"


class StepTally(models.Model):
    """How often one step was checked (answered Yes or No) and missed (No) on one team's
    evaluated calls in one week."""

    week = models.DateField(_("week starting"))
    team_key = models.PositiveIntegerField(default=0)
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="+")
    step_key = models.CharField(max_length=16)
    checked = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["week", "team_key", "procedure", "step_key"], name="one_step_tally_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.procedure_id} {self.step_key}"
