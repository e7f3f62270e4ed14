"""A key for what the manual and the desk show, for caches: it changes whenever that can.

Every change of status, every saved draft, every signature and every piece of feedback is an
event on the audit trail, so the latest event's id moves with all of them; an approved revision
whose effective date has passed is in force before publish_due records it, so the latest such
date is part of the key too.
"""

from django.db.models import Max
from django.utils.translation import get_language

from . import selectors
from .models import AuditEvent


def manual_state() -> str:
    """Two small aggregate queries."""
    last_event = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    due = selectors.waiting_to_take_effect().aggregate(last=Max("effective_at"))["last"]
    return f"{last_event}:{due.timestamp() if due else 0}:{get_language() or ''}"
