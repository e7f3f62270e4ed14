"""A manual page as one person sees it, rendered once and served again while nothing it shows
can have changed: the key names all of it, so there is nothing to invalidate.

What a page shows for one person besides the document: their roles and team, their language,
their notifications (the header's count), their acknowledgements (the reading panel, the To-read
count), their feedback with its replies and status, the manual as a whole (what is in force; an
approved revision's date passing) and the time (overdue marks, to the minute). All of it is in
the key, read in one query (`state`). A page built
with messages waiting, or before the person has a CSRF cookie, is never kept: its forms' token
and its messages are for that response alone. The CSRF secret is in the key, so a kept page's
forms always carry a token that is valid for the person's cookie.

The same key, shortened, is the page's ETag: a browser that asks again with If-None-Match gets
a 304 without the page being built or read from the cache.
"""

import datetime
import functools
import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, OuterRef, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.translation import get_language

from . import freshness, permissions
from .models import Acknowledgement, Feedback, FeedbackReply, Notification, User

PAGE_SECONDS = 300
ROLE_BITS = {name: 1 << i for i, name in enumerate(permissions.ROLES)}


# The state query is built by the ORM once per process, with these stand-ins where the person
# and the time go, and run as plain SQL afterwards: compiling its eight subqueries cost more
# than everything else a kept page does.
_SOMEONE = -7_000_000_007
_SOMETIME = freshness.SOMETIME


@functools.cache
def _state_sql() -> tuple[str, tuple]:
    mine = OuterRef("pk")
    query = (
        User.objects.filter(pk=_SOMEONE)
        .annotate(
            notified=Subquery(
                Notification.objects.filter(recipient=mine).order_by("-pk").values("pk")[:1]
            ),
            unread=Subquery(
                Notification.objects.filter(recipient=mine, read_at=None)
                .values("recipient")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            acknowledged=Subquery(
                Acknowledgement.objects.filter(agent=mine).order_by("-pk").values("pk")[:1]
            ),
            feedback=Subquery(
                Feedback.objects.filter(author=mine)
                .values("author")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            addressed=Subquery(
                Feedback.objects.filter(author=mine)
                .values("author")
                .annotate(addressed=Coalesce(Sum("addressed_by_id"), 0))
                .values("addressed")
            ),
            replied=Subquery(
                FeedbackReply.objects.filter(feedback__author=mine).order_by("-pk").values("pk")[:1]
            ),
            roles=Subquery(  # the person's roles as bits of ROLE_BITS, read with the rest
                User.groups.through.objects.filter(user=mine, group__name__in=permissions.ROLES)
                .values("user")
                .annotate(
                    bits=Sum(
                        Case(
                            *(When(group__name=name, then=bit) for name, bit in ROLE_BITS.items()),
                            default=0,
                        )
                    )
                )
                .values("bits")
            ),
            **freshness.state_subqueries(at=_SOMETIME),
        )
        .values_list(
            "roles",
            "notified",
            "unread",
            "acknowledged",
            "feedback",
            "addressed",
            "replied",
            "manual_last_event",
            "manual_due",
        )
    )
    return query.query.sql_with_params()


def state(user: User) -> str:
    """Everything of this person's own that a manual page shows and the manual's state, in one
    query: their newest notification and how many are unread, their newest acknowledgement,
    their feedback (how much, the newest reply or status change, what revisions answer it),
    and freshness's two facts about the manual."""
    sql, params = _state_sql()
    params = freshness.at_now(
        tuple(user.pk if value == _SOMEONE else value for value in params), timezone.now()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return ""
    roles, *person, last_event, due = row
    permissions.remember_roles(
        user, {name for name, bit in ROLE_BITS.items() if (roles or 0) & bit}
    )
    if isinstance(due, str):  # SQLite returns dates in subqueries as text
        due = datetime.datetime.fromisoformat(due)
    return (
        ":".join(str(value or 0) for value in person) + "|" + freshness.state_text(last_event, due)
    )


def key(request, *parts) -> str | None:
    """The key of this page for this person, or None when it must be built for this response
    alone (not a GET, messages waiting, no CSRF cookie yet)."""
    if request.method not in ("GET", "HEAD"):
        return None
    if len(messages.get_messages(request)):  # counting reads them without marking them shown
        return None
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return None
    user = request.user
    person_state = state(user)  # first: it reads the person's roles too
    raw = "|".join(
        str(part)
        for part in (
            user.pk,
            user.team_id,
            ",".join(sorted(permissions.roles_of(user))),
            user.is_staff,
            get_language(),
            secret,
            person_state,
            timezone.now().strftime("%Y%m%d%H%M"),
            *parts,
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def serve(request, page_key: str | None, build) -> HttpResponse:
    """The page under `page_key`: a 304 when the browser has it, the kept bytes when the cache
    has them, else `build()` (kept when it is a plain 200)."""
    if page_key is None:
        return build()
    etag = f'"{page_key[:40]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        content = cache.get(f"sopdesk:page:{page_key}")
        if content is None:
            response = build()
            if hasattr(response, "render"):
                response.render()
            if response.status_code == 200 and not response.streaming:
                cache.set(f"sopdesk:page:{page_key}", response.content, PAGE_SECONDS)
        else:
            response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
