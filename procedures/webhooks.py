"""Webhooks: an integration is told that the manual changed. `record` writes one delivery per
subscriber in the act's transaction; `deliver` makes one attempt in the worker, outside any
transaction (the row is locked only to claim the attempt and to record its outcome).

A delivery is a POST signed Stripe-style (`SOPDesk-Signature: t=<unix seconds>,v1=<hex
HMAC-SHA256 of "<t>.<body>">`); the receiver checks it with `verify`, refuses a timestamp older
than five minutes and remembers event ids, so a captured request cannot be replayed. It goes
only where the controller said: http(s) without credentials, no redirect followed, every
address of the host public (unless SOPDESK_WEBHOOK_ALLOW_PRIVATE), and the connection made to
the vetted address, so the name cannot resolve elsewhere in between.
"""

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import permissions
from .errors import Refused
from .models import ApiKey, Revision, WebhookDelivery, WebhookEvent, WebhookSubscription

Status = WebhookDelivery.Status
# After the 1st, 2nd … failed attempt, the next one waits this long; after the last, it gives up.
BACKOFF = tuple(datetime.timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720))
MAX_ATTEMPTS = len(BACKOFF) + 1
SWITCH = {
    WebhookEvent.REVISION_IN_FORCE: "on_revision_in_force",
    WebhookEvent.PROCEDURE_WITHDRAWN: "on_procedure_withdrawn",
}
USER_AGENT = "SOPDesk-Webhooks/1"
ANSWER_LIMIT = 4096  # bytes of the receiver's answer read; the rest is not wanted
TOLERANCE = 300  # seconds a signature's timestamp stays acceptable
NOT_PUBLIC = ("is_private", "is_loopback", "is_link_local", "is_multicast", "is_reserved")


class WebhookRefused(Refused):
    """The address cannot receive webhooks (its message says why)."""


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message, self.status = message, status


# ---------------------------------------------------------------- signing


def sign(secret: str, body: bytes | str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret."""
    if isinstance(body, str):
        body = body.encode()
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={sign(secret, body, timestamp)}"


def verify(
    secret: str,
    body: bytes | str,
    signature_header: str,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether a `SOPDesk-Signature` header signs this body with this secret, at a timestamp
    no further than `tolerance` seconds from `now` (a receiver's check, shown in the README)."""
    parts = [item.split("=", 1) for item in signature_header.split(",") if "=" in item]
    timestamps = [value.strip() for name, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, value in parts if name.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


# ---------------------------------------------------------------- who is told, and what


def subscribable_keys():
    """The keys a subscription may belong to: active, allowed to read the manual."""
    keys = ApiKey.objects.filter(revoked_at=None).order_by("name")
    return keys.filter(pk__in=[k.pk for k in keys if permissions.key_reads_manual(k)])


def subscribers(event: str) -> list[WebhookSubscription]:
    """The active subscriptions to `event` whose key is active and may read the manual."""
    wanted = {"is_active": True, "api_key__revoked_at": None, SWITCH[event]: True}
    subscriptions = WebhookSubscription.objects.filter(**wanted).select_related("api_key")
    return [s for s in subscriptions.order_by("pk") if permissions.key_reads_manual(s.api_key)]


def _absolute(path: str) -> str:
    return settings.SOPDESK_BASE_URL.rstrip("/") + path


def payload(*, event: str, revision: Revision, event_id, occurred_at) -> dict:
    """What the receiver is told: the event, the procedure, the revision (the last one in
    force, for a withdrawal)."""
    procedure = revision.procedure
    data = {
        "id": str(event_id),
        "event": str(event),
        "occurred_at": occurred_at.isoformat(),
        "procedure": {
            "code": procedure.code,
            "title": revision.title,
            "language": procedure.language,
            "category": procedure.category.name,
            "api_url": _absolute(reverse("api:procedure", args=[procedure.code])),
            "manual_url": _absolute(reverse("manual:procedure", args=[procedure.code])),
        },
        "revision": {
            "number": revision.number,
            "effective_at": revision.effective_at.isoformat() if revision.effective_at else None,
            "change_summary": revision.change_summary,
            "api_url": _absolute(reverse("api:revision", args=[procedure.code, revision.number])),
        },
    }
    if event == WebhookEvent.PROCEDURE_WITHDRAWN:
        data["withdrawn_at"] = (procedure.withdrawn_at or occurred_at).isoformat()
        data["reason"] = procedure.withdrawal_reason
    return data


def record(*, event: str, revision: Revision) -> list[WebhookDelivery]:
    """In the act's transaction: a PENDING delivery, due now, for each subscriber to `event`.
    Nothing is sent here; the caller hands them to the worker after the commit."""
    at = timezone.now()
    deliveries = []
    for subscription in subscribers(event):
        delivery = WebhookDelivery(subscription=subscription, event=event, next_attempt_at=at)
        delivery.payload = payload(
            event=event, revision=revision, event_id=delivery.event_id, occurred_at=at
        )
        delivery.save()
        deliveries.append(delivery)
    return deliveries


# ---------------------------------------------------------------- the address and the POST


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: list[tuple]  # getaddrinfo's (family, sockaddr), every one vetted


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # an IPv4 address inside an IPv6 one (mapped, 6to4, Teredo's client) must be public too
        inner = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if any(v4 is not None and not _is_public(str(v4)) for v4 in inner):
            return False
        ip = ip.ipv4_mapped or ip
    return ip.is_global and not ip.is_unspecified and not any(getattr(ip, n) for n in NOT_PUBLIC)


def target(url: str) -> Target:
    """The address a webhook may be sent to, resolved and vetted; refused with the reason."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        host = None
    if not host:
        raise WebhookRefused(_("This is not a valid web address."))
    if parts.scheme not in ("http", "https"):
        raise WebhookRefused(_("Only http:// and https:// addresses can receive webhooks."))
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused(_("The address must not contain a user name or password."))
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookRefused(_("%(host)s could not be found.") % {"host": host}) from None
    addresses = [(family, sockaddr) for family, _type, _proto, _name, sockaddr in found]
    if not settings.SOPDESK_WEBHOOK_ALLOW_PRIVATE and not all(
        _is_public(sockaddr[0]) for _family, sockaddr in addresses
    ):
        raise WebhookRefused(
            _(
                "%(host)s is on a private, loopback or link-local network: webhooks go only to "
                "public addresses (unless SOPDESK_WEBHOOK_ALLOW_PRIVATE is set)."
            )
            % {"host": host}
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)


def _connect(addresses: list[tuple], timeout: float) -> socket.socket:
    error: OSError = OSError("no address")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as failure:
            sock.close()
            error = failure
    raise error


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the vetted addresses, never to whatever the name resolves to later."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self):
        self.sock = _connect(self.addresses, self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self):
        # Certificate and SNI are checked against the host name, whichever address was used.
        sock = _connect(self.addresses, self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST the body to the vetted address → the 2xx status; anything else raises
    DeliveryFailed (or WebhookRefused) with a short reason, and the status if there was one."""
    timeout = settings.SOPDESK_WEBHOOK_TIMEOUT
    where = target(url)  # refused (WebhookRefused) before anything is sent
    connection = (_PinnedHTTPS if where.scheme == "https" else _PinnedHTTP)(where, timeout)
    try:
        connection.request("POST", where.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(ANSWER_LIMIT)
    except TimeoutError:
        raise DeliveryFailed(
            _("The receiver did not answer within %(seconds)d s.") % {"seconds": timeout}
        ) from None
    except ssl.SSLError as error:
        raise DeliveryFailed(
            _("Could not connect securely: %(error)s") % {"error": error}
        ) from None
    except (OSError, http.client.HTTPException) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise DeliveryFailed(_("Could not connect: %(error)s") % {"error": reason}) from None
    finally:
        connection.close()
    if 300 <= response.status < 400:
        raise DeliveryFailed(
            _("The receiver answered with a redirect; webhooks do not follow redirects."),
            response.status,
        )
    if not 200 <= response.status < 300:
        raise DeliveryFailed(
            _("The receiver answered %(status)d.") % {"status": response.status}, response.status
        )
    return response.status


def _request(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "SOPDesk-Event": delivery.event,
        "SOPDesk-Event-Id": str(delivery.event_id),
        "SOPDesk-Timestamp": str(timestamp),
        "SOPDesk-Signature": signature_header(delivery.subscription.secret, body, timestamp),
    }
    return body, headers


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_at: datetime.datetime | None = None  # set only by the attempt that failed


def _lease() -> datetime.timedelta:
    """How long a claimed attempt keeps other workers off: longer than a send can take. A
    worker that died mid-attempt leaves the delivery due again after it (retry_webhooks)."""
    return datetime.timedelta(seconds=max(60, 4 * settings.SOPDESK_WEBHOOK_TIMEOUT))


@transaction.atomic
def _claim(delivery_id: int, now) -> WebhookDelivery | Outcome:
    """Due → PENDING with one more attempt, leased to this worker; else what it is."""
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        return Outcome("")  # deleted with its subscription
    if delivery.status in (Status.DELIVERED, Status.GAVE_UP) or (
        delivery.next_attempt_at is not None and delivery.next_attempt_at > now
    ):
        return Outcome(delivery.status)  # done, not yet due, or in flight: its own run follows
    subscription = delivery.subscription
    if not subscription.is_active or not permissions.key_reads_manual(subscription.api_key):
        delivery.status, delivery.next_attempt_at = Status.GAVE_UP, None
        delivery.last_error = (
            _("The integration's key was revoked or may not read the manual.")
            if subscription.is_active
            else _("The subscription was switched off.")
        )
        delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
        return Outcome(delivery.status)
    delivery.status = Status.PENDING
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.next_attempt_at = now + _lease()
    delivery.save(update_fields=["status", "attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


@transaction.atomic
def _record_outcome(delivery_id: int, attempt: int, status: int | None, error: str) -> Outcome:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.attempts != attempt or delivery.status != Status.PENDING:
        return Outcome(delivery.status)  # moved on meanwhile
    now = timezone.now()
    delivery.last_response_status = status
    delivery.last_error = error[:500]
    delivery.next_attempt_at = None
    if not error:
        delivery.status = Status.DELIVERED
        delivery.delivered_at = now
    elif attempt >= MAX_ATTEMPTS:
        delivery.status = Status.GAVE_UP
    else:
        delivery.status = Status.FAILED
        delivery.next_attempt_at = delivery.last_attempt_at + BACKOFF[attempt - 1]
    fields = ["status", "last_response_status", "last_error", "delivered_at", "next_attempt_at"]
    delivery.save(update_fields=fields)
    return Outcome(delivery.status, delivery.next_attempt_at)


def deliver(delivery_id: int, *, now: datetime.datetime | None = None) -> Outcome:
    """A delivery due at `now` → one attempt: DELIVERED, FAILED with the time of the next
    attempt, or GAVE_UP (after the last attempt, or when its subscription is off or its key
    revoked). Delivered, given up, not yet due, or being sent by another worker → nothing
    sent. The POST happens outside any transaction; what went wrong is recorded in the
    organisation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        claimed = _claim(delivery_id, now or timezone.now())
        if isinstance(claimed, Outcome):
            return claimed
        body, headers = _request(claimed)
        try:
            status, error = post(claimed.subscription.url, body, headers), ""
        except (DeliveryFailed, WebhookRefused) as failure:
            status, error = getattr(failure, "status", None), failure.message
        return _record_outcome(delivery_id, claimed.attempts, status, error)


def due(now: datetime.datetime | None = None) -> list[int]:
    """Deliveries waiting or failed whose next attempt is due (or whose worker went away)."""
    return list(
        WebhookDelivery.objects.filter(
            status__in=[Status.PENDING, Status.FAILED], next_attempt_at__lte=now or timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def send_again(delivery_ids: list[int]) -> list[int]:
    """Failed or given-up deliveries → due now (a given-up one starts its retries over).
    Delivered and waiting ones are left alone. Returns the ones to hand to the worker."""
    now = timezone.now()
    again = []
    for delivery in WebhookDelivery.objects.select_for_update().filter(
        pk__in=delivery_ids, status__in=[Status.FAILED, Status.GAVE_UP]
    ):
        if delivery.status == Status.GAVE_UP:
            delivery.attempts = 0
        delivery.status, delivery.next_attempt_at = Status.FAILED, now
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        again.append(delivery.pk)
    return sorted(again)
