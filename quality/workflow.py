"""THE state machine of a scorecard version, and the only place that changes its status:
draft → in review → approved → in use → retired (a version in review can be returned to draft).
Putting a version in use retires the one in use before it, in the same transaction. Each act
locks the row, checks the table and the policy (quality/permissions.py), saves the status with
its timestamp and records the event."""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.models import User

from . import permissions
from .models import ScorecardVersion
from .records import QualityRefused, record

Status = ScorecardVersion.Status

# action → (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "SUBMIT": ((Status.DRAFT,), Status.IN_REVIEW),
    "RETURN_FOR_CHANGES": ((Status.IN_REVIEW,), Status.DRAFT),
    "APPROVE": ((Status.IN_REVIEW,), Status.APPROVED),
    "PUT_IN_USE": ((Status.APPROVED,), Status.IN_USE),
    "RETIRE": ((Status.IN_USE,), Status.RETIRED),
}


def _move(
    version: ScorecardVersion,
    *,
    action: str,
    actor: User,
    allowed: Callable[[User, ScorecardVersion], bool],
    refusal: str,
    stamps: tuple[str, ...] = (),
    reason: str = "",
) -> ScorecardVersion:
    locked = (
        ScorecardVersion.objects.select_for_update().select_related("scorecard").get(pk=version.pk)
    )
    sources, target = TRANSITIONS[action]
    if locked.status not in sources:
        raise QualityRefused(
            _("Version %(number)d is %(status)s: this is not possible now.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    if not allowed(actor, locked):
        raise QualityRefused(refusal)
    before = locked.status
    locked.status = target
    now = timezone.now()
    for field in stamps:
        setattr(locked, field, actor if field.endswith("_by") else now)
    locked.save(update_fields=["status", *stamps])
    record(
        action=action,
        actor=actor,
        version=locked,
        from_status=before,
        to_status=target,
        reason=reason,
    )
    return locked


@transaction.atomic
def submit(*, version: ScorecardVersion, actor: User) -> ScorecardVersion:
    """Draft → in review, for a manager to approve. A version without lines is refused."""
    if not version.lines.exists():
        raise QualityRefused(_("A scorecard needs at least one line."))
    return _move(
        version,
        action="SUBMIT",
        actor=actor,
        allowed=permissions.can_submit_scorecard,
        refusal=_("You may not submit this scorecard."),
        stamps=("submitted_at",),
    )


@transaction.atomic
def return_for_changes(*, version: ScorecardVersion, actor: User, reason: str) -> ScorecardVersion:
    """In review → draft, with the reason the writer reads."""
    if not reason.strip():
        raise QualityRefused(_("Say what should change."))
    return _move(
        version,
        action="RETURN_FOR_CHANGES",
        actor=actor,
        allowed=permissions.can_approve_scorecard,
        refusal=_("A manager who did not write this version returns it."),
        reason=reason.strip(),
    )


@transaction.atomic
def approve(*, version: ScorecardVersion, actor: User) -> ScorecardVersion:
    """In review → approved, by a manager who did not write it."""
    return _move(
        version,
        action="APPROVE",
        actor=actor,
        allowed=permissions.can_approve_scorecard,
        refusal=_("A manager who did not write this version approves it."),
        stamps=("approved_by", "approved_at"),
    )


@transaction.atomic
def put_in_use(*, version: ScorecardVersion, actor: User) -> ScorecardVersion:
    """Approved → in use; the version in use before it is retired. New evaluations use it."""
    version = ScorecardVersion.objects.select_for_update().get(pk=version.pk)
    current = (
        ScorecardVersion.objects.select_for_update()
        .filter(scorecard_id=version.scorecard_id, status=Status.IN_USE)
        .first()
    )
    if current is not None and permissions.can_put_scorecard_in_use(actor, version):
        _move(
            current,
            action="RETIRE",
            actor=actor,
            allowed=lambda user, v: True,
            refusal="",
            stamps=("retired_at",),
            reason=_("Replaced by version %(number)d.") % {"number": version.number},
        )
    return _move(
        version,
        action="PUT_IN_USE",
        actor=actor,
        allowed=permissions.can_put_scorecard_in_use,
        refusal=_("A manager or a quality evaluator puts an approved scorecard in use."),
        stamps=("in_use_at",),
    )


@transaction.atomic
def retire(*, version: ScorecardVersion, actor: User, reason: str = "") -> ScorecardVersion:
    """In use → retired: no new evaluation uses it; those made with it keep it."""
    return _move(
        version,
        action="RETIRE",
        actor=actor,
        allowed=permissions.can_retire_scorecard,
        refusal=_("A manager retires a scorecard."),
        stamps=("retired_at",),
        reason=reason.strip(),
    )
