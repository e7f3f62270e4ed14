"""Withdrawing a procedure: its owner (or a document controller) asks, a manager's signature
"approved for withdrawal" withdraws it (workflow/signatures.py)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, effects, permissions
from ..models import AuditEvent, Procedure, Revision, User
from .errors import TransitionNotAllowed
from .transitions import Status, _save_procedure, _set_status

Action = AuditEvent.Action


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
    if not locked.revisions.filter(status=Status.EFFECTIVE).exists():
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
        gettext_lazy("Withdrawal requested"),
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
    procedure.withdrawn_at = timezone.now()
    _save_procedure(procedure, signer, gettext_lazy("Withdrawn"), ["withdrawn_at"])
    effects.withdrawn(revision)
