"""Electronic signatures: the password re-entered, the content hash signed, and what the
signature that completes the approvals (or approves a withdrawal) sets in motion."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, effects, lockout, permissions, render_checks
from ..content import canonical_hash
from ..models import AuditEvent, Revision, Signature, User
from ..review_rules import months_later, rule_for, valid_signatures, what_happened
from .errors import NotRenderable, SignatureRefused, SigningLocked
from .transitions import SIGNABLE_IN, Status, _approve, _lock, _rendered, _save_procedure
from .withdrawal import _withdraw

Meaning = Signature.Meaning
Action = AuditEvent.Action


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
    if Revision.objects.filter(pk=revision.pk, status=Status.IN_REVIEW).exists():
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
    editors = permissions.editors_of(locked)
    if not permissions.can_review(signer, locked, editors):
        if signer.pk in editors:
            raise SignatureRefused(
                _("You wrote or edited this revision: another manager must sign it.")
            )
        raise SignatureRefused(_("Only managers sign revisions."))
    _check_meaning(locked, signer, meaning, content_hash, effective_at)
    if locked.status == Status.IN_REVIEW and not render_checks.passed(locked):
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
    effects.signed(locked)
    return signature


def _check_meaning(locked, signer, meaning, content_hash, effective_at) -> None:
    if Signature.objects.filter(
        revision=locked, signer=signer, meaning=meaning, content_hash=content_hash
    ).exists():
        raise SignatureRefused(_("You have already signed this revision with this meaning."))
    if meaning == Meaning.APPROVED:
        if not permissions.is_chosen_approver(signer, locked):
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
                "date": date_format(timezone.localtime(withdrawn_at), "DATETIME_FORMAT"),
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
        _save_procedure(procedure, signer, gettext_lazy("Reviewed — no change"), ["next_review_on"])
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
