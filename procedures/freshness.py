"""A key for what the manual and the desk show, for caches: it changes whenever that can.

Every change of status, every saved draft, every signature and every piece of feedback is an
event on the audit trail, so the latest event's id moves with all of them; an approved revision
whose effective date has passed is in force before publish_due records it, so the latest such
date is part of the key too.
"""

from django.db.models import Max, Subquery
from django.utils.translation import get_language

from . import selectors
from .models import AuditEvent


def manual_state() -> str:
    """Two small aggregate queries."""
    last_event = AuditEvent.objects.aggregate(last=Max("pk"))["last"]
    due = selectors.waiting_to_take_effect().aggregate(last=Max("effective_at"))["last"]
    return state_text(last_event, due)


def state_subqueries(at=None) -> dict:
    """The same two facts as subqueries, for a caller that reads them with others in one query
    (page_cache): the latest event's id and the latest passed date of an approved revision."""
    return {
        "manual_last_event": Subquery(AuditEvent.objects.order_by("-pk").values("pk")[:1]),
        "manual_due": Subquery(
            selectors.waiting_to_take_effect(at)
            .order_by("-effective_at")
            .values("effective_at")[:1]
        ),
    }


def state_text(last_event, due) -> str:
    return f"{last_event or 0}:{due.timestamp() if due else 0}:{get_language() or ''}"
