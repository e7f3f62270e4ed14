"""The transitions of a revision's status, the table they follow, and the helpers every
status change goes through: lock, check, set the status and record it."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, effects, permissions, render_checks, selectors
from ..content import canonical_hash
from ..models import AuditEvent, Comment, Procedure, Revision, Signature, User
from ..review_rules import missing_elements, months_later, rule_for
from ..texts import later
from .errors import IncompleteRevision, NotRenderable, TransitionNotAllowed

Status = Revision.Status
Meaning = Signature.Meaning
Action = AuditEvent.Action

# action → (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((Status.DRAFT,), Status.IN_REVIEW),
    "return_for_changes": ((Status.IN_REVIEW,), Status.DRAFT),
    "approve": ((Status.IN_REVIEW,), Status.APPROVED),
    "make_effective": ((Status.APPROVED,), Status.EFFECTIVE),
    "supersede": ((Status.EFFECTIVE,), Status.SUPERSEDED),
    "withdraw": ((Status.EFFECTIVE,), Status.WITHDRAWN),
}
# which status a signature of each meaning is given in
SIGNABLE_IN = {
    Meaning.REVIEWED: Status.IN_REVIEW,
    Meaning.APPROVED: Status.IN_REVIEW,
    Meaning.REVIEWED_NO_CHANGE: Status.EFFECTIVE,
    Meaning.APPROVED_FOR_WITHDRAWAL: Status.EFFECTIVE,
}


# ---------------------------------------------------------------- helpers


def _lock(revision: Revision) -> Revision:
    """Lock the procedure, then the revision; return the revision as stored now."""
    procedure = Procedure.objects.select_for_update().get(pk=revision.procedure_id)
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    locked.procedure = procedure
    return locked


def _check(revision: Revision, action: str) -> None:
    sources, _target = TRANSITIONS[action]
    if revision.status not in sources:
        raise TransitionNotAllowed(
            _("Revision %(number)d of %(code)s is %(status)s: this is not possible now.")
            % {
                "number": revision.number,
                "code": revision.procedure.code,
                "status": revision.get_status_display().lower(),
            }
        )


def _set_status(revision: Revision, action: str, actor: User | None, reason: str, **fields) -> None:
    """Move the revision along `action`, save it and record the audit event."""
    old = revision.status
    revision.status = TRANSITIONS[action][1]
    for name, value in fields.items():
        setattr(revision, name, value)
    revision._history_user = actor
    revision._change_reason = audit.history_reason(reason or later(revision.get_status_display))
    revision.save(update_fields=["status", *fields])
    audit.record(
        action={
            "submit": Action.SUBMITTED,
            "return_for_changes": Action.RETURNED,
            "approve": Action.APPROVED,
            "make_effective": Action.EFFECTIVE,
            "supersede": Action.SUPERSEDED,
            "withdraw": Action.WITHDRAWN,
        }[action],
        actor=actor,
        revision=revision,
        from_status=old,
        to_status=revision.status,
        changes={name: [None, audit.describe(value)] for name, value in fields.items()},
        reason=reason,
    )


def _save_procedure(
    procedure: Procedure, actor: User | None, reason: str, fields: list[str]
) -> None:
    procedure._history_user = actor
    procedure._change_reason = audit.history_reason(reason)
    procedure.save(update_fields=fields)


# ---------------------------------------------------------------- transitions


def submit(*, revision: Revision, actor: User, approvers: Sequence[User] = ()) -> Revision:
    """DRAFT → IN_REVIEW, content frozen and hashed; the chosen approvers (or all eligible
    managers) are notified. Refuses if incomplete, listing what is missing, or if the revision
    cannot be rendered (render_checks.py: checked before any row is locked)."""
    stored = Revision.objects.get(pk=revision.pk)  # the caller's copy may be older
    if stored.status == Status.DRAFT and not missing_elements(stored):
        _rendered(stored)
    return _submit(revision=revision, actor=actor, approvers=approvers)


def _rendered(revision: Revision) -> None:
    try:  # the revision as stored (the caller's copy may be older)
        render_checks.ensure_passed(Revision.objects.get(pk=revision.pk))
    except render_checks.RenderNotReady as refusal:
        raise NotRenderable(refusal.message) from None


@transaction.atomic
def _submit(*, revision: Revision, actor: User, approvers: Sequence[User]) -> Revision:
    locked = _lock(revision)
    _check(locked, "submit")
    if not permissions.can_submit(actor, locked):
        raise TransitionNotAllowed(_("Only the author or the owner submits a revision."))
    missing = missing_elements(locked)
    if missing:
        raise IncompleteRevision(missing)
    eligible = permissions.eligible_signers(locked)
    chosen = list(approvers)
    not_eligible = [u.display_name for u in chosen if u not in eligible]
    if not_eligible:
        raise TransitionNotAllowed(
            _(
                "%(names)s cannot approve this revision: approvers are managers who did not write it."
            )
            % {"names": ", ".join(not_eligible)}
        )
    required = rule_for(locked).approvals_required
    if chosen and len(chosen) < required:
        raise TransitionNotAllowed(
            _("This category needs %(count)d approvals: choose at least %(count)d approvers.")
            % {"count": required}
        )
    if len(eligible) < required:
        raise TransitionNotAllowed(
            _(
                "This category needs %(count)d approvals but only %(eligible)d managers can approve it."
            )
            % {"count": required, "eligible": len(eligible)}
        )
    _set_status(
        locked,
        "submit",
        actor,
        locked.change_summary,
        submitted_at=timezone.now(),
        content_hash=canonical_hash(locked),
    )
    if not render_checks.passed(locked):
        raise NotRenderable(
            _("Revision %(number)d changed while it was checked: submit it again.")
            % {"number": locked.number}
        )
    locked.approvers.set(chosen)
    effects.submitted(locked, chosen or eligible)
    return locked


@transaction.atomic
def return_for_changes(
    *,
    revision: Revision,
    actor: User,
    comment: str,
    element: str = Comment.Element.GENERAL,
    step_key: str = "",
) -> Revision:
    """IN_REVIEW → DRAFT with a comment saying what to change; the author is notified."""
    locked = _lock(revision)
    _check(locked, "return_for_changes")
    if not permissions.can_return(actor, locked):
        raise TransitionNotAllowed(
            _("Only a manager who did not write this revision can return it.")
        )
    if not comment.strip():
        raise TransitionNotAllowed(_("Say what needs to change: a return needs a comment."))
    Comment.objects.create(
        revision=locked,
        author=actor,
        element=element,
        step_key=step_key,
        body=comment.strip(),
        returned=True,
    )
    _set_status(locked, "return_for_changes", actor, comment.strip())
    effects.returned(locked, actor, comment.strip())
    return locked


def _approve(locked: Revision, signer: User, effective_at: datetime.datetime | None) -> None:
    now = timezone.now()
    when = max(effective_at or now, now)
    _set_status(locked, "approve", signer, "", approved_at=now, effective_at=when)
    effects.approved(locked)
    if when <= now:
        _make_effective(locked, signer)


def _make_effective(revision: Revision, actor: User | None) -> None:
    """APPROVED → EFFECTIVE; the previous effective revision becomes SUPERSEDED first."""
    _check(revision, "make_effective")
    previous = (
        Revision.objects.select_for_update()
        .filter(procedure_id=revision.procedure_id, status=Status.EFFECTIVE)
        .first()
    )
    if previous is not None:
        previous.procedure = revision.procedure
        _set_status(
            previous,
            "supersede",
            actor,
            later(lambda: _(audit.SUPERSEDED_BY) % {"number": revision.number}),
        )
    _set_status(revision, "make_effective", actor, "")
    procedure = revision.procedure
    procedure.next_review_on = months_later(
        timezone.localtime(revision.effective_at).date(), procedure.review_interval_months
    )
    procedure.withdrawal_requested_at = procedure.withdrawn_at = None
    procedure.withdrawal_requested_by = None
    _save_procedure(
        procedure,
        actor,
        later(lambda: _(audit.REVISION_EFFECTIVE) % {"number": revision.number}),
        ["next_review_on", "withdrawal_requested_at", "withdrawn_at", "withdrawal_requested_by"],
    )
    effects.took_effect(revision, replaced=previous)


@transaction.atomic
def make_effective_if_due(*, revision: Revision, now: datetime.datetime | None = None) -> bool:
    """APPROVED and due → EFFECTIVE. Idempotent: False when there is nothing (left) to do."""
    locked = _lock(revision)
    now = now or timezone.now()
    if locked.status != Status.APPROVED or locked.effective_at > now:
        return False
    _make_effective(locked, None)
    return True


def publish_due(*, now: datetime.datetime | None = None) -> int:
    """Make every approved revision whose date has come effective; safe to run twice at once."""
    now = now or timezone.now()
    due = selectors.waiting_to_take_effect(now)
    return sum(make_effective_if_due(revision=r, now=now) for r in due)
