"""THE state machine of a revision. Nothing else changes a status.

    DRAFT ─submit─▶ IN_REVIEW ─all approvals─▶ APPROVED ─effective date─▶ EFFECTIVE ─next one─▶ SUPERSEDED
      ▲                 │                                                    │
      └─return──────────┘                                                    └─withdrawal approved─▶ WITHDRAWN

Every transition: atomic; locks the procedure row, then the revision row (always in that
order, so two transitions on one procedure queue instead of deadlocking); checks the
table, the permission and the invariants; saves with update_fields; writes the audit event
in the same transaction; sends e-mail on commit; refuses with TransitionNotAllowed (or a
subclass) whose message is for the user.
"""

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import (
    audit,
    feedback,
    jobs,
    lockout,
    notifications,
    permissions,
    reading,
    render_checks,
    search,
)
from .content import canonical_hash
from .models import (
    AuditEvent,
    Comment,
    Procedure,
    Revision,
    Signature,
    User,
)
from .review_rules import (  # noqa: F401 - part of the workflow's interface
    EDITING_ACTIONS,
    LOCKOUT_ATTEMPTS,
    LOCKOUT_PERIOD,
    editors_of,
    eligible_signers,
    missing_elements,
    months_later,
    rule_for,
    signing_locked_until,
    valid_signatures,
    what_happened,
)

S = Revision.Status
Meaning = Signature.Meaning
Action = AuditEvent.Action

# action → (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((S.DRAFT,), S.IN_REVIEW),
    "return_for_changes": ((S.IN_REVIEW,), S.DRAFT),
    "approve": ((S.IN_REVIEW,), S.APPROVED),
    "make_effective": ((S.APPROVED,), S.EFFECTIVE),
    "supersede": ((S.EFFECTIVE,), S.SUPERSEDED),
    "withdraw": ((S.EFFECTIVE,), S.WITHDRAWN),
}
# which status a signature of each meaning is given in
SIGNABLE_IN = {
    Meaning.REVIEWED: S.IN_REVIEW,
    Meaning.APPROVED: S.IN_REVIEW,
    Meaning.REVIEWED_NO_CHANGE: S.EFFECTIVE,
    Meaning.APPROVED_FOR_WITHDRAWAL: S.EFFECTIVE,
}


class TransitionNotAllowed(Exception):
    """A refusal; `message` says why, in the user's terms. Nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class IncompleteRevision(TransitionNotAllowed):
    def __init__(self, missing: list[str]):
        super().__init__(
            _("This revision cannot be submitted yet. Missing: %(missing)s.")
            % {"missing": "; ".join(missing)}
        )
        self.missing = missing


class SignatureRefused(TransitionNotAllowed):
    pass


class SigningLocked(SignatureRefused):
    pass


class NotRenderable(TransitionNotAllowed):
    """The revision, as it is, cannot be rendered (or is still being checked)."""


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
    revision._change_reason = audit.history_reason(reason or revision.get_status_display())
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
    if stored.status == S.DRAFT and not missing_elements(stored):
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
    eligible = eligible_signers(locked)
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
    notifications.revision_submitted(locked, chosen or eligible)
    render_checks.request(locked)  # the draft PDF reviewers open, as submitted
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
    if not permissions.can_review(actor, locked, editors_of(locked)):
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
    notifications.revision_changed(
        locked,
        _("returned for changes by %(name)s") % {"name": actor.display_name},
        comment.strip(),
    )
    render_checks.request(locked)  # the draft PDF, back in draft
    return locked


def sign(
    *,
    revision: Revision,
    signer: User,
    password: str,
    meaning: str,
    seen_status: str,
    seen_hash: str = "",
    comment: str = "",
    effective_at: datetime.datetime | None = None,
) -> Signature:
    """An electronic signature, after the signer re-enters their password.

    `seen_status` (and `seen_hash`, the content hash of the page the signer read) are what
    the signer saw: if the revision moved on since, nothing is signed.

    A wrong password is recorded (outside the signature's transaction, so the record stays)
    and refused; five in 15 minutes, here or at sign-in, lock the account for 15 minutes
    (lockout.py). The signature that completes
    the approvals approves the revision, effective now or at `effective_at`.
    """
    try:
        correct = lockout.verify_signature(user=signer, password=password, revision=revision)
    except lockout.Locked as locked:
        raise SigningLocked(locked.message) from None
    if not correct:
        raise SignatureRefused(_("The password is not correct. Nothing was signed."))
    if Revision.objects.filter(pk=revision.pk, status=S.IN_REVIEW).exists():
        _rendered(revision)  # only what renders is approved; checked before the row lock
    return _sign(
        revision=revision,
        signer=signer,
        meaning=meaning,
        seen_status=seen_status,
        seen_hash=seen_hash,
        comment=comment.strip(),
        effective_at=effective_at,
    )


@transaction.atomic
def _sign(
    *,
    revision: Revision,
    signer: User,
    meaning: str,
    seen_status: str,
    seen_hash: str,
    comment: str,
    effective_at: datetime.datetime | None,
) -> Signature:
    locked = _lock(revision)
    content_hash = canonical_hash(locked)
    if locked.status != seen_status or (seen_hash and seen_hash != content_hash):
        raise SignatureRefused(
            _(
                "Revision %(number)d changed while you were reading it (%(what)s). Nothing was signed: reload the page."
            )
            % {"number": locked.number, "what": what_happened(locked)}
        )
    if locked.status != SIGNABLE_IN.get(meaning):
        raise SignatureRefused(
            _("A revision that is %(status)s cannot be signed “%(meaning)s”.")
            % {"status": locked.get_status_display().lower(), "meaning": Meaning(meaning).label}
        )
    if not permissions.can_review(signer, locked, editors_of(locked)):
        if signer.pk in editors_of(locked):
            raise SignatureRefused(
                _("You wrote or edited this revision: another manager must sign it.")
            )
        raise SignatureRefused(_("Only managers sign revisions."))
    _check_meaning(locked, signer, meaning, content_hash, effective_at)
    if locked.status == S.IN_REVIEW and not render_checks.passed(locked):
        raise NotRenderable(
            _("Revision %(number)d has not been rendered yet: nothing was signed. Try again.")
            % {"number": locked.number}
        )
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                revision=locked,
                signer=signer,
                signer_name=signer.display_name,
                meaning=meaning,
                comment=comment,
                content_hash=content_hash,
            )
    except IntegrityError as error:
        raise SignatureRefused(
            _("You have already signed this revision with this meaning.")
        ) from error
    audit.record(
        action=Action.SIGNED,
        actor=signer,
        revision=locked,
        changes={"meaning": [None, meaning], "content_hash": [None, content_hash]},
        reason=comment,
    )
    _after_signature(locked, signer, meaning, content_hash, effective_at)
    if locked.status == S.IN_REVIEW:
        render_checks.request(locked)  # the draft PDF now lists this signature
    return signature


def _check_meaning(locked, signer, meaning, content_hash, effective_at) -> None:
    if Signature.objects.filter(
        revision=locked, signer=signer, meaning=meaning, content_hash=content_hash
    ).exists():
        raise SignatureRefused(_("You have already signed this revision with this meaning."))
    if meaning == Meaning.APPROVED:
        chosen = set(locked.approvers.values_list("pk", flat=True))
        if chosen and signer.pk not in chosen:
            raise SignatureRefused(_("The author chose other managers to approve this revision."))
        if rule_for(locked).review_required and not valid_signatures(
            locked, Meaning.REVIEWED, content_hash
        ):
            raise SignatureRefused(_("This category needs a “Reviewed” signature before approval."))
    withdrawn_at = locked.procedure.withdrawn_at
    if (
        meaning in (Meaning.REVIEWED, Meaning.APPROVED)
        and withdrawn_at
        and locked.submitted_at
        and withdrawn_at > locked.submitted_at
    ):
        raise SignatureRefused(
            _(
                "%(code)s was withdrawn on %(date)s, after this revision was submitted. Nothing was "
                "signed: return it to the author; submitting it again would put the procedure back in force."
            )
            % {
                "code": locked.procedure.code,
                "date": timezone.localtime(withdrawn_at).strftime("%d %b %Y %H:%M"),
            }
        )
    if meaning == Meaning.APPROVED_FOR_WITHDRAWAL and not locked.procedure.withdrawal_requested_at:
        raise SignatureRefused(_("Nobody has asked to withdraw this procedure."))
    if effective_at and effective_at < timezone.now() - datetime.timedelta(minutes=5):
        raise SignatureRefused(_("The effective date cannot be in the past."))


def _after_signature(locked, signer, meaning, content_hash, effective_at) -> None:
    if meaning == Meaning.APPROVED:
        approvals = len(valid_signatures(locked, Meaning.APPROVED, content_hash))
        if approvals >= rule_for(locked).approvals_required:
            _approve(locked, signer, effective_at)
    elif meaning == Meaning.REVIEWED_NO_CHANGE:
        procedure = locked.procedure
        old = procedure.next_review_on
        procedure.next_review_on = months_later(
            timezone.localdate(), procedure.review_interval_months
        )
        _save_procedure(procedure, signer, _("Reviewed — no change"), ["next_review_on"])
        audit.record(
            action=Action.REVIEWED_NO_CHANGE,
            actor=signer,
            revision=locked,
            changes={
                "next_review_on": [audit.describe(old), audit.describe(procedure.next_review_on)]
            },
        )
    elif meaning == Meaning.APPROVED_FOR_WITHDRAWAL:
        _withdraw(locked, signer)


def _approve(locked: Revision, signer: User, effective_at: datetime.datetime | None) -> None:
    now = timezone.now()
    when = max(effective_at or now, now)
    _set_status(locked, "approve", signer, "", approved_at=now, effective_at=when)
    jobs.after_approval(locked)
    notifications.revision_changed(
        locked,
        _("approved, effective %(date)s")
        % {"date": timezone.localtime(when).strftime("%d %b %Y %H:%M")},
    )
    if when <= now:
        _make_effective(locked, signer)


def _make_effective(revision: Revision, actor: User | None) -> None:
    """APPROVED → EFFECTIVE; the previous effective revision becomes SUPERSEDED first."""
    _check(revision, "make_effective")
    previous = (
        Revision.objects.select_for_update()
        .filter(procedure_id=revision.procedure_id, status=S.EFFECTIVE)
        .first()
    )
    if previous is not None:
        previous.procedure = revision.procedure
        _set_status(
            previous,
            "supersede",
            actor,
            _("Superseded by revision %(number)d") % {"number": revision.number},
        )
    _set_status(revision, "make_effective", actor, "")
    search.index_revision(revision)  # already indexed when saved; made sure of as it goes live
    jobs.manual_changed(replaced=previous)
    procedure = revision.procedure
    procedure.next_review_on = months_later(
        timezone.localtime(revision.effective_at).date(), procedure.review_interval_months
    )
    procedure.withdrawal_requested_at = procedure.withdrawn_at = None
    procedure.withdrawal_requested_by = None
    _save_procedure(
        procedure,
        actor,
        _("Revision %(number)d effective") % {"number": revision.number},
        ["next_review_on", "withdrawal_requested_at", "withdrawn_at", "withdrawal_requested_by"],
    )
    notifications.revision_changed(revision, _("now effective"))
    reading.announce(revision)
    feedback.revision_in_force(revision)


@transaction.atomic
def make_effective_if_due(*, revision: Revision, now: datetime.datetime | None = None) -> bool:
    """APPROVED and due → EFFECTIVE. Idempotent: False when there is nothing (left) to do."""
    locked = _lock(revision)
    now = now or timezone.now()
    if locked.status != S.APPROVED or locked.effective_at > now:
        return False
    _make_effective(locked, None)
    return True


def publish_due(*, now: datetime.datetime | None = None) -> int:
    """Make every approved revision whose date has come effective; safe to run twice at once."""
    now = now or timezone.now()
    due = Revision.objects.filter(status=S.APPROVED, effective_at__lte=now).order_by("effective_at")
    return sum(make_effective_if_due(revision=r, now=now) for r in due)


@transaction.atomic
def request_withdrawal(
    *, procedure: Procedure, actor: User, reason: str, replaced_by: Procedure | None = None
) -> Procedure:
    """Ask for an effective procedure to be withdrawn; a manager's signature then withdraws it."""
    locked = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if not permissions.can_request_withdrawal(actor, locked):
        raise TransitionNotAllowed(
            _("Only the owner or a document controller asks for a withdrawal.")
        )
    if not locked.revisions.filter(status=S.EFFECTIVE).exists():
        raise TransitionNotAllowed(_("Only a procedure in force can be withdrawn."))
    if locked.withdrawal_requested_at:
        raise TransitionNotAllowed(
            _("A withdrawal of this procedure is already waiting for approval.")
        )
    if not reason.strip():
        raise TransitionNotAllowed(_("Say why the procedure is withdrawn."))
    if replaced_by is not None and replaced_by.pk == locked.pk:
        raise TransitionNotAllowed(_("A procedure cannot replace itself."))
    locked.withdrawal_requested_at = timezone.now()
    locked.withdrawal_requested_by = actor
    locked.withdrawal_reason = reason.strip()
    locked.replaced_by = replaced_by
    _save_procedure(
        locked,
        actor,
        _("Withdrawal requested"),
        ["withdrawal_requested_at", "withdrawal_requested_by", "withdrawal_reason", "replaced_by"],
    )
    audit.record(
        action=Action.WITHDRAWAL_REQUESTED,
        actor=actor,
        procedure=locked,
        reason=reason.strip(),
        changes={"replaced_by": [None, replaced_by.code if replaced_by else None]},
    )
    return locked


def _withdraw(revision: Revision, signer: User) -> None:
    procedure = revision.procedure
    _set_status(revision, "withdraw", signer, procedure.withdrawal_reason)
    jobs.manual_changed(replaced=revision)
    procedure.withdrawn_at = timezone.now()
    _save_procedure(procedure, signer, _("Withdrawn"), ["withdrawn_at"])
    notifications.revision_changed(revision, _("withdrawn"), procedure.withdrawal_reason)
