"""A manual page as one person sees it, rendered once and served again while nothing it shows
can have changed: the key names all of it.

What a page shows for one person besides the document: their roles and team, their language,
their notifications (the header's count), their acknowledgements (the reading panel, the To-read
count), their feedback with its replies and status, the manual as a whole (what is in force; an
approved revision's date passing) and the time (overdue marks, to the minute). All of it is in
the key. What is the person's own is one value, their personal stamp, that every change of it
replaces (`touched`, called by notifications, services.acknowledge and feedback in the change's
transaction, applied once it commits); it is read with the person and their roles in the one
query that signs every request in (`person`), and the manual's state is kept for a moment
(freshness.manual_state), so a kept page costs what the bare signed-in request costs. A change
the stamp missed would still show within the minute: the minute is in the key.

A page built with messages waiting, or before the person has a CSRF cookie, is never kept: its
forms' token and its messages are for that response alone. The CSRF secret is in the key, so a
kept page's forms always carry a token that is valid for the person's cookie.

The same key, shortened, is the page's ETag: a browser that asks again with If-None-Match gets
a 304 without the page being built or read from the cache.
"""

import hashlib
import secrets

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, OuterRef, QuerySet, Subquery, Sum, When
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.translation import get_language

from . import freshness, permissions
from .models import PersonalStamp, User
from .prebuilt import Prebuilt

PAGE_SECONDS = 300
ROLE_BITS = {name: 1 << i for i, name in enumerate(permissions.ROLES)}


def _person_query(pk) -> QuerySet:
    mine = OuterRef("pk")
    return User.objects.filter(pk=pk).annotate(
        sopdesk_role_bits=Subquery(  # the person's roles as bits of ROLE_BITS
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
        sopdesk_stamp=Subquery(PersonalStamp.objects.filter(user=mine).values("stamp")),
        sopdesk_session_stamp=Subquery(
            PersonalStamp.objects.filter(user=mine).values("session_stamp")
        ),
    )


_PERSON = Prebuilt(_person_query, stand_in=-7_000_000_007)


def person(pk) -> User | None:
    """The person with `pk` as every request of theirs needs them, in one query: with their roles
    (kept as permissions.roles_of keeps them) and their personal stamp (`state`). The sign-in
    reads people this way (backends.LockoutBackend.get_user)."""
    user = _PERSON.first(pk)
    if user is None:
        return None
    bits = user.sopdesk_role_bits or 0
    permissions.remember_roles(user, {name for name, bit in ROLE_BITS.items() if bits & bit})
    return user


def touched(people) -> None:
    """Something of these people's own that their pages show has changed (a notification, an
    acknowledgement, their feedback or an answer to it): their pages are built anew. Call it in
    the transaction that makes the change: the stamps change once it commits, in one statement
    of their own for all of them (in the order of their ids), so no transaction holds a stamp
    while it works and two that touch the same people cannot deadlock. A page built between the
    commit and the new stamp shows the change under the old stamp, which is harmless; a failed
    stamp is logged, and the change shows within the minute (the minute is in the key)."""
    ids = sorted({getattr(one, "pk", one) for one in people})
    if ids:
        transaction.on_commit(lambda: _new_stamps(ids, "stamp"), robust=True)


def signed_out(user: User) -> None:
    """The person signed out: every session they have ends (their session stamp is part of each
    session's check), not only the one that signed out."""
    _new_stamps([user.pk], "session_stamp")


def _new_stamps(ids: list, field: str) -> None:
    # A person's first row gets a page stamp and no session stamp: touching them must not end
    # their sessions.
    if ids:
        PersonalStamp.objects.bulk_create(
            [
                PersonalStamp(
                    user_id=pk,
                    stamp=secrets.randbits(62),
                    session_stamp=secrets.randbits(62) if field == "session_stamp" else 0,
                )
                for pk in ids
            ],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=[field],
        )


def state(user: User) -> str:
    """What this person's pages show of their own (their stamp, read with them at sign-in) and
    the manual's state (freshness.manual_state, kept for a moment): no query of its own once the
    person was read by `person`."""
    if not hasattr(user, "sopdesk_stamp"):  # a user object read some other way
        fresh = person(user.pk)
        user.sopdesk_stamp = fresh.sopdesk_stamp if fresh else None
        permissions.remember_roles(user, set(permissions.roles_of(fresh)) if fresh else set())
    return f"{user.sopdesk_stamp or 0}|{freshness.manual_state()}"


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
    person_state = state(user)  # first: it reads the person's roles when they are not known
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
