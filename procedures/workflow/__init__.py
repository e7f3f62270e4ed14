"""THE state machine of a revision. Nothing else changes a status.

    DRAFT ─submit─▶ IN_REVIEW ─all approvals─▶ APPROVED ─effective date─▶ EFFECTIVE ─next one─▶ SUPERSEDED
      ▲                 │                                                    │
      └─return──────────┘                                                    └─withdrawal approved─▶ WITHDRAWN

Every transition: atomic; locks the procedure row, then the revision row (always in that
order, so two transitions on one procedure queue instead of deadlocking); checks the
table, the permission and the invariants; saves with update_fields; writes the audit event
in the same transaction; sends e-mail on commit; refuses with TransitionNotAllowed (or a
subclass, all `errors.Refused`) whose message is for the user. What follows a change (render
checks, notifications, search, the manual PDF) runs after the commit: effects.py lists it.

    transitions.py  the table, the helpers, submit / return / approve / take effect
    signatures.py   sign (and what the last approval sets in motion)
    withdrawal.py   asking for a withdrawal; the signature that withdraws
    errors.py       what is refused
"""

from .errors import (
    IncompleteRevision,
    NotRenderable,
    SignatureRefused,
    SigningLocked,
    TransitionNotAllowed,
)
from .signatures import sign
from .transitions import (
    SIGNABLE_IN,
    TRANSITIONS,
    make_effective_if_due,
    publish_due,
    return_for_changes,
    submit,
)
from .withdrawal import request_withdrawal

__all__ = [
    "SIGNABLE_IN",
    "TRANSITIONS",
    "IncompleteRevision",
    "NotRenderable",
    "SignatureRefused",
    "SigningLocked",
    "TransitionNotAllowed",
    "make_effective_if_due",
    "publish_due",
    "request_withdrawal",
    "return_for_changes",
    "sign",
    "submit",
]
