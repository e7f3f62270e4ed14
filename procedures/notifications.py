"""Notifications: in the app (a Notification row, the unread badge) and by e-mail. E-mail goes
after the transaction that caused it commits, never inside it.

Each person reads in their own language: an in-app notice is composed when it is shown, an
e-mail once per language of its recipients. Texts are therefore passed as `later(...)`, composed
when they are read, in the language active then."""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import page_cache
from .models import Notification, Revision, User
from .models.documents import site_language
from .texts import later

logger = logging.getLogger(__name__)


def _send(recipients: list[str], subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # a mail server outage must not undo or hide a committed act
        logger.exception("Could not send %r to %s", subject, recipients)


def language_of(user: User) -> str:
    """The language a person reads SOP Desk in: theirs, or the site's."""
    return user.language or site_language()


def day(moment: datetime.datetime | datetime.date) -> str:
    """A date as the active language writes it."""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment)
    return date_format(moment, "DATE_FORMAT")


def moment(when: datetime.datetime) -> str:
    """A date and time as the active language writes them."""
    return date_format(timezone.localtime(when), "DATETIME_FORMAT")


def notify(users: Iterable[User], subject, body) -> None:
    """Queue one e-mail to each user with an address, sent once the transaction commits; the
    subject and body (text, or `later(...)`) are composed in each recipient's language."""
    by_language: dict[str, set[str]] = defaultdict(set)
    for user in users:
        if user.email and user.is_active:
            by_language[language_of(user)].add(user.email)
    for language, addresses in sorted(by_language.items()):
        with override(language):
            text = (str(subject), str(body))
        recipients = sorted(addresses)
        transaction.on_commit(lambda r=recipients, t=text: _send(r, *t))


def _link(revision: Revision) -> str:
    path = reverse(
        "desk:revision", kwargs={"code": revision.procedure.code, "number": revision.number}
    )
    return settings.SOPDESK_BASE_URL.rstrip("/") + path


def revision_submitted(revision: Revision, reviewers: Iterable[User]) -> None:
    notify(
        reviewers,
        later(
            lambda: (
                _("Please review %(code)s rev. %(number)d: %(title)s")
                % {
                    "code": revision.procedure.code,
                    "number": revision.number,
                    "title": revision.title,
                }
            )
        ),
        later(
            lambda: (
                _("%(author)s submitted revision %(number)d of %(code)s for review.\n\n%(link)s")
                % {
                    "author": revision.author.display_name,
                    "number": revision.number,
                    "code": revision.procedure.code,
                    "link": _link(revision),
                }
            )
        ),
    )


def revision_changed(revision: Revision, what, detail: str = "") -> None:
    """Tell the author (and the owner) what happened to their revision (`what`: `later(...)`)."""
    people = {revision.author, revision.procedure.owner}
    notify(
        people,
        later(
            lambda: (
                _("%(code)s rev. %(number)d: %(what)s")
                % {"code": revision.procedure.code, "number": revision.number, "what": what}
            )
        ),
        later(lambda: f"{what}\n\n{detail}\n\n{_link(revision)}".replace("\n\n\n\n", "\n\n")),
    )


def account_locked(
    user: User,
    *,
    until: datetime.datetime,
    revision: Revision | None,
    controllers: Iterable[User],
) -> None:
    """The person, the document controllers (and the owner of a procedure being signed)."""

    def where() -> str:
        if revision is None:
            return _("the last one at sign-in")
        return _("the last one signing %(code)s rev. %(number)d") % {
            "code": revision.procedure.code,
            "number": revision.number,
        }

    link = (
        _link(revision)
        if revision
        else settings.SOPDESK_BASE_URL.rstrip("/") + reverse("desk:audit")
    )
    owner = [revision.procedure.owner] if revision else []
    notify(
        [user, *owner, *controllers],
        later(lambda: _("Account locked: %(name)s") % {"name": user.display_name}),
        later(
            lambda: (
                _(
                    "Five wrong passwords were typed for %(name)s within 15 minutes (%(where)s). "
                    "Signing in and signing are locked until %(time)s. If this was not them, their "
                    "account may be under attack; a document controller can unlock it in the "
                    "administration.\n\n%(link)s"
                )
                % {
                    "name": user.display_name,
                    "where": where(),
                    "time": time_format(timezone.localtime(until), "TIME_FORMAT"),
                    "link": link,
                }
            )
        ),
    )


def password_set(person: User, *, by: User) -> None:
    """The person whose password an administrator set hears of it at once."""
    notify(
        [person],
        later(lambda: _("Your SOP Desk password was set by %(by)s") % {"by": by.display_name}),
        later(
            lambda: (
                _(
                    "%(by)s set a new password for your SOP Desk account (%(username)s). If you did "
                    "not ask for this, tell a document controller now: whoever knows the password "
                    "can sign as you."
                )
                % {"by": by.display_name, "username": person.get_username()}
            )
        ),
    )


def roles_changed(
    person: User, *, before: list[str], after: list[str], by: User, controllers: Iterable[User]
) -> None:
    """The person whose roles changed and every document controller hear of it."""
    link = settings.SOPDESK_BASE_URL.rstrip("/") + reverse("desk:audit")
    notify(
        [person, *controllers],
        later(lambda: _("Roles changed for %(name)s") % {"name": person.display_name}),
        later(
            lambda: (
                _(
                    "%(by)s changed the roles of %(name)s from “%(before)s” to “%(after)s”. If this "
                    "was not agreed, tell a document controller or an administrator now.\n\n%(link)s"
                )
                % {
                    "by": by.display_name,
                    "name": person.display_name,
                    "before": ", ".join(before) or _("no role"),
                    "after": ", ".join(after) or _("no role"),
                    "link": link,
                }
            )
        ),
    )


def _send_each(messages: list[tuple[str, str, str, list[str]]]) -> None:
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # as in _send: the act stands, the outage is logged
        logger.exception("Could not send %d notification e-mails", len(messages))


def post(
    users: Iterable[User], *, kind: str, params: dict, url: str, detail: str = ""
) -> list[Notification]:
    """One in-app notification per user, and one e-mail each (nobody sees the others' addresses)
    once the transaction commits. The e-mail carries the detail (the feedback, the reply)."""
    people = {u.pk: u for u in users if u.is_active}.values()
    notes = Notification.objects.bulk_create(
        Notification(recipient=u, kind=kind, params=params, url=url) for u in people
    )
    page_cache.touched(people)
    link = settings.SOPDESK_BASE_URL.rstrip("/") + url
    messages = []
    for note in notes:
        if note.recipient.email:
            with override(language_of(note.recipient)):
                subject = str(note.message())
            body = "\n\n".join(part for part in (subject, detail, link) if part)
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [note.recipient.email]))
    if messages:
        transaction.on_commit(lambda: _send_each(messages))
    return notes


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at=None).count()


def done_reading(
    *, code: str, number: int | None = None, agent: User | None = None, but: int | None = None
) -> int:
    """The notices to read a procedure (one revision of it, one agent's; all `but` one revision)
    are done with: read."""
    notes = Notification.objects.filter(
        kind=Notification.Kind.TO_READ, params__code=code, read_at=None
    )
    if number is not None:
        notes = notes.filter(params__number=number)
    if agent is not None:
        notes = notes.filter(recipient=agent)
    if but is not None:
        notes = notes.exclude(params__number=but)
    return _read(notes)


def mark_read(user: User, url: str) -> int:
    """Opening the page a notification points to reads it."""
    return _read(Notification.objects.filter(recipient=user, url=url, read_at=None))


def read_all(user: User) -> int:
    """Everything the person was notified of is read."""
    return _read(Notification.objects.filter(recipient=user, read_at=None))


def read(note: Notification) -> None:
    """The person opened this notification."""
    if note.read_at is None:
        _read(Notification.objects.filter(pk=note.pk, read_at=None))


@transaction.atomic
def _read(notes) -> int:
    """The unread `notes` are read, and their recipients' pages show it."""
    found = list(notes.select_for_update().values_list("pk", "recipient"))
    if not found:
        return 0
    count = Notification.objects.filter(pk__in=[pk for pk, _ in found], read_at=None).update(
        read_at=timezone.now()
    )
    page_cache.touched({recipient for _, recipient in found})
    return count
