"""Writing the audit trail: one append-only event per act, in the transaction of the act."""

from typing import Any

from .models import AuditEvent, Procedure, Revision, User


def record(
    *,
    action: str,
    actor: User | None,
    procedure: Procedure | None = None,
    revision: Revision | None = None,
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    target: str = "",
) -> AuditEvent:
    """Append one event. Call it inside the transaction that makes the change it records."""
    if revision is not None and procedure is None:
        procedure = revision.procedure
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.display_name if actor else "",
        procedure=procedure,
        revision=revision,
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
        reason=reason,
        target=target,
    )


def describe(value: Any) -> Any:
    """A value as it is kept in `changes`: JSON-friendly, readable."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


HISTORY_REASON_LENGTH = 100  # django-simple-history's history_change_reason column


def history_reason(text: str) -> str:
    """A reason short enough for the change history (the audit event keeps it whole)."""
    text = " ".join((text or "").split())
    if len(text) <= HISTORY_REASON_LENGTH:
        return text
    return text[: HISTORY_REASON_LENGTH - 1] + "…"
