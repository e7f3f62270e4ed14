"""Wrong passwords: one counter for signing in and for signing, one message, on the record.

Five wrong passwords for one account within 15 minutes, typed at the sign-in page, the admin's
sign-in or a signature, lock the account for both for 15 minutes (the signer and the document
controllers are told by e-mail, the controllers once per 15 minutes however many accounts are
locked: the rest are on the audit trail); a document controller can lift the lock. Many wrong
passwords from one network address (a whole floor shares one, so the limit is high) lock that
address; a document controller can lift that too.
The check, the password comparison and the record happen under a lock on the account's row,
so parallel guesses cannot get past five.
"""

import datetime
import ipaddress

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from . import audit, notifications, permissions
from .errors import Refused
from .models import (
    AccountUnlock,
    AddressUnlock,
    AuditEvent,
    LoginAttempt,
    Revision,
    SigningAttempt,
    User,
)
from .texts import later

Action = AuditEvent.Action
LOCKOUT_ATTEMPTS = 5
LOCKOUT_PERIOD = datetime.timedelta(minutes=15)


class Locked(Refused):
    """Passwords are not checked for now; `message` says until when, for the user."""

    def __init__(self, message: str, until: datetime.datetime):
        super().__init__(message)
        self.until = until


def client_address(request) -> str | None:
    """The address a request came from: REMOTE_ADDR or, behind a reverse proxy, the last
    address in the header named by SOPDESK_CLIENT_ADDRESS_HEADER: the one that proxy added
    (addresses before it are whatever the client sent, and could be forged)."""
    if request is None:
        return None
    header = settings.SOPDESK_CLIENT_ADDRESS_HEADER
    forwarded = request.META.get(header, "") if header else ""
    for value in (forwarded.split(",")[-1].strip(), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            continue
    return None


def _counting_since(unlocks, now: datetime.datetime) -> datetime.datetime:
    """Failures count from the start of the lockout period, or from the latest of these unlocks
    (an account's or an address's) if it came later."""
    since = now - LOCKOUT_PERIOD
    unlocked = (
        unlocks.filter(unlocked_at__gt=since)
        .order_by("-unlocked_at")
        .values_list("unlocked_at", flat=True)
        .first()
    )
    return max(since, unlocked) if unlocked else since


def _latest(attempts, limit: int) -> list[datetime.datetime]:
    """When the `limit` most recent of these attempts were made, newest first."""
    return list(attempts.order_by("-attempted_at").values_list("attempted_at", flat=True)[:limit])


def _locked_from(times: list[datetime.datetime], limit: int) -> datetime.datetime | None:
    """Until when `limit` failed attempts at these times lock, or None if they are fewer."""
    recent = sorted(times, reverse=True)
    return recent[0] + LOCKOUT_PERIOD if len(recent) >= limit else None


def locked_until(user: User) -> datetime.datetime | None:
    """When passwords are checked again for this account, or None if they are now."""
    since = _counting_since(AccountUnlock.objects.filter(user=user), timezone.now())
    times = _latest(
        LoginAttempt.objects.filter(user=user, attempted_at__gt=since), LOCKOUT_ATTEMPTS
    ) + _latest(SigningAttempt.objects.filter(user=user, attempted_at__gt=since), LOCKOUT_ATTEMPTS)
    return _locked_from(times, LOCKOUT_ATTEMPTS)


def address_locked_until(address: str | None) -> datetime.datetime | None:
    if not address:
        return None
    limit = settings.SOPDESK_LOGIN_ADDRESS_ATTEMPTS
    since = _counting_since(AddressUnlock.objects.filter(address=address), timezone.now())
    recent = _latest(LoginAttempt.objects.filter(address=address, attempted_at__gt=since), limit)
    return _locked_from(recent, limit)


def _message(until: datetime.datetime) -> str:
    return _(
        "This account is locked after five wrong passwords. Try again after %(time)s, or ask "
        "a document controller to unlock it."
    ) % {"time": time_format(timezone.localtime(until), "H:i")}


def _refuse_if_locked(user: User) -> None:
    until = locked_until(user)
    if until:
        raise Locked(_message(until), until)


def _after_failure(user: User, revision: Revision | None) -> None:
    until = locked_until(user)
    if until is None:
        return
    # Locking many accounts (guessing at many names) must not flood the controllers' mailboxes:
    # they hear of the first lock in 15 minutes; the others are on the audit trail.
    told_lately = AuditEvent.objects.filter(
        action=Action.SIGNING_LOCKED, at__gt=timezone.now() - LOCKOUT_PERIOD
    ).exists()
    audit.record(action=Action.SIGNING_LOCKED, actor=user, revision=revision)
    controllers = (
        []
        if told_lately
        else Group.objects.get(name=permissions.DOCUMENT_CONTROLLER).user_set.all()
    )
    notifications.account_locked(user, until=until, revision=revision, controllers=controllers)


def _unknown_name_locked_until(username: str) -> datetime.datetime | None:
    """Guesses at a name no account has lock it like an account (no hint that it is unknown)."""
    since = timezone.now() - LOCKOUT_PERIOD
    attempts = LoginAttempt.objects.filter(
        user=None, username=username[:150], attempted_at__gt=since
    )
    return _locked_from(_latest(attempts, LOCKOUT_ATTEMPTS), LOCKOUT_ATTEMPTS)


def verify_login(*, username: str, password: str, address: str | None) -> User | None:
    """The account if `password` is its password; None (recorded) if not. Raises Locked, checking
    nothing, while the account or the address is locked.

    The password is hashed before the account's row is locked (a hash takes tens of
    milliseconds; on SQLite the lock is the whole database's); the lock is then checked again
    under the row lock, so parallel guesses still cannot get past five."""
    until = address_locked_until(address)
    if until:
        raise Locked(
            _("Too many wrong passwords came from your network address. Try again after %(time)s.")
            % {"time": time_format(timezone.localtime(until), "H:i")},
            until,
        )
    user = User.objects.filter(username=username).first()
    if user is None:
        make_password(password)  # as slow as a real check: no hint that the name is unknown
        until = _unknown_name_locked_until(username)
        if until:
            raise Locked(_message(until), until)
        LoginAttempt.objects.create(username=username[:150], address=address)
        return None
    _refuse_if_locked(user)
    correct = user.check_password(password)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _refuse_if_locked(user)
        if correct:
            return user
        LoginAttempt.objects.create(user=user, username=username[:150], address=address)
        audit.record(action=Action.LOGIN_FAILED, actor=user, target=address or "")
        _after_failure(user, None)
        return None


def verify_signature(*, user: User, password: str, revision: Revision) -> bool:
    """Whether `password` is the signer's; a wrong one is recorded. Raises Locked while the
    account is locked, checking nothing. (Hashed before the row lock, as in verify_login.)"""
    _refuse_if_locked(user)
    correct = user.check_password(password)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        _refuse_if_locked(locked)
        if correct:
            return True
        SigningAttempt.objects.create(user=locked, revision=revision)
        audit.record(action=Action.SIGNATURE_FAILED, actor=locked, revision=revision)
        _after_failure(locked, revision)
        return False


@transaction.atomic
def unlock(*, user: User, by: User) -> bool:
    """Lift the lock on `user` (earlier failures stop counting). False if it was not locked."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked_until(locked) is None:
        return False
    AccountUnlock.objects.create(user=locked, unlocked_by=by)
    audit.record(
        action=Action.ACCOUNT_UNLOCKED,
        actor=by,
        target=later(lambda: f"{locked._meta.verbose_name}: {locked}"),
    )
    return True


@transaction.atomic
def unlock_address(*, address: str, by: User) -> bool:
    """Lift the lock on a network address (its earlier failures stop counting). False if it was
    not locked."""
    address = str(ipaddress.ip_address(address))
    if address_locked_until(address) is None:
        return False
    AddressUnlock.objects.create(address=address, unlocked_by=by)
    audit.record(action=Action.ACCOUNT_UNLOCKED, actor=by, target=address)
    return True
