"""The quality audit trail and the refusals of quality acts."""

from procedures.audit import in_record_language
from procedures.errors import Refused
from procedures.models import User

from .models import CalibrationSession, Evaluation, QualityEvent, ScorecardVersion


class QualityRefused(Refused):
    """A scorecard or evaluation act was refused; `message` says why. Nothing was changed."""


def record(
    *,
    action: str,
    actor: User,
    version: ScorecardVersion | None = None,
    evaluation: Evaluation | None = None,
    calibration: CalibrationSession | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
) -> QualityEvent:
    """Append one event, inside the transaction that makes the change it records."""
    return QualityEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.display_name,
        scorecard_version=version,
        evaluation=evaluation,
        calibration=calibration,
        from_status=from_status,
        to_status=to_status,
        reason=in_record_language(reason),
    )
