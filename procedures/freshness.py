"""A key for what the manual and the desk show, for caches: it changes whenever that can.

Every change of status, every saved draft, every signature and every piece of feedback is an
event on the audit trail, so the latest event's id moves with all of them; an approved revision
whose effective date has passed is in force before publish_due records it, so the latest such
date is part of the key too.

Every kept page, document and answer asks for this state, so it is kept in the cache for a
moment (MOMENT): the manual's state costs one query per worker per moment, not one per request,
however many people read. A new event forgets it (`changed`, called by audit.record): at once
in the worker that recorded it, within the moment everywhere else (a reader elsewhere, or with
a shared cache one that read just before the commit, keeps what it read for the rest of its
moment). An approved revision's date passing ends the moment early, so that it takes effect
on time.
"""

import datetime
import functools

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language

from . import selectors
from .models import AuditEvent

# The query is built by the ORM once per process with this stand-in for the time, and run as
# plain SQL afterwards (building it cost more than running it); page_cache does the same.
SOMETIME = datetime.datetime(1901, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
MOMENT = datetime.timedelta(seconds=1)
KEY = "sopdesk:manual-state"


@functools.cache
def _state_sql() -> tuple[str, tuple]:
    last_event, last_event_params = (
        AuditEvent.objects.order_by("-pk").values("pk")[:1].query.sql_with_params()
    )
    due, due_params = (
        selectors.waiting_to_take_effect(SOMETIME)
        .order_by("-effective_at")
        .values("effective_at")[:1]
        .query.sql_with_params()
    )
    next_due, next_due_params = (
        selectors.approved_to_take_effect_after(SOMETIME)
        .values("effective_at")[:1]
        .query.sql_with_params()
    )
    return (
        f"SELECT ({last_event}), ({due}), ({next_due})",
        (*last_event_params, *due_params, *next_due_params),
    )


def at_now(params: tuple, now: datetime.datetime) -> tuple:
    """A built query's parameters with the stand-in time replaced by `now`, as the ORM would
    have passed it."""
    adapt = connection.ops.adapt_datetimefield_value
    times = {SOMETIME: now, adapt(SOMETIME): adapt(now)}
    return tuple(
        times.get(value, value) if isinstance(value, datetime.datetime | str) else value
        for value in params
    )


def manual_state() -> str:
    """The latest event's id and the latest passed date of an approved revision: one small
    query, kept for a moment (until the next approved revision's date if that comes first)."""
    now = timezone.now()
    kept = cache.get(KEY)
    if kept is None or kept[2] <= now:
        sql, params = _state_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, at_now(params, now))
            last_event, due, next_due = (_as_time(value) for value in cursor.fetchone())
        until = min(now + MOMENT, next_due) if next_due else now + MOMENT
        kept = (last_event, due, until)
        cache.set(KEY, kept, MOMENT.total_seconds())
    return state_text(kept[0], kept[1])


def changed() -> None:
    """An event was recorded: the manual's state is read anew, now (this transaction's own reads)
    and once it commits (what others read)."""
    cache.delete(KEY)
    transaction.on_commit(lambda: cache.delete(KEY))


def _as_time(value):
    """A date as SQLite may return it from a subquery (text, or a time without its zone, in UTC)
    made the aware time PostgreSQL returns."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def state_text(last_event, due) -> str:
    return f"{last_event or 0}:{due.timestamp() if due else 0}:{get_language() or ''}"
