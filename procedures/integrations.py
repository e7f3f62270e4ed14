"""Writes for integrations: API keys (created, recognised, revoked), webhook subscriptions'
secrets, the call reasons mapped to a procedure. Reads that answer "which procedure for this
reason" are in selectors.py; who may do what, in permissions.py."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, permissions
from .errors import Refused
from .models import ApiKey, AuditEvent, CallReason, Procedure, User, WebhookSubscription
from .models.integrations import reason_code_validator
from .prebuilt import Prebuilt

KEY_PREFIX = "sopdesk_"
_PREFIX = re.compile(r"[0-9a-f]{8}")
# A key's last use is written at most this often: a busy integration does not write per request.
LAST_USED_EVERY = 60


class IntegrationRefused(Refused):
    pass


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the whole key: shown once, never stored


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_key_material() -> tuple[str, str, str]:
    """(the key, its prefix, its hash). The prefix identifies the key in lists and logs."""
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, _hash(raw)


@transaction.atomic
def create_key(
    *,
    name: str,
    created_by: User,
    read_manual: bool = True,
    read_reading: bool = False,
    act_for_agents: bool = False,
    requests_per_minute: int = 600,
) -> NewKey:
    """No key → an active key with these scopes; the key's text is returned once."""
    if not permissions.can_manage_integrations(created_by):
        raise IntegrationRefused(_("Only a document controller creates API keys."))
    raw, prefix, digest = new_key_material()
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        key_hash=digest,
        read_manual=read_manual,
        read_reading=read_reading,
        act_for_agents=act_for_agents,
        requests_per_minute=requests_per_minute,
        created_by=created_by,
    )
    audit.record(
        action=AuditEvent.Action.API_KEY_CREATED,
        actor=created_by,
        target=key.name,
        changes={"scopes": scopes_of(key), "requests_per_minute": requests_per_minute},
    )
    return NewKey(key=key, secret=raw)


def scopes_of(key: ApiKey) -> list[str]:
    return [
        name for name in ("read_manual", "read_reading", "act_for_agents") if getattr(key, name)
    ]


_ACTIVE_KEY = Prebuilt(
    lambda prefix: ApiKey.objects.filter(prefix=prefix, revoked_at=None).order_by("pk")[:1],
    stand_in="\x00no key\x00",  # new_key_material's prefixes are hex
)


def key_for(raw: str) -> ApiKey | None:
    """The active key whose text this is, or None (unknown, malformed or revoked). Its last use
    is recorded, at most once a minute."""
    if not raw.startswith(KEY_PREFIX):
        return None
    prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
    if not _PREFIX.fullmatch(prefix):  # what new_key_material makes; nothing else is looked up
        return None
    key = _ACTIVE_KEY.first(prefix)
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def revoke_key(*, key: ApiKey, actor: User) -> ApiKey:
    """An active key → revoked: from the next request on it is refused. Revoking twice does nothing."""
    if not permissions.can_manage_integrations(actor):
        raise IntegrationRefused(_("Only a document controller revokes API keys."))
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(action=AuditEvent.Action.API_KEY_REVOKED, actor=actor, target=key.name)
    return key


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def prepare_subscription(subscription: WebhookSubscription) -> WebhookSubscription:
    """A subscription about to be stored for the first time gets its signing secret."""
    if not subscription.secret:
        subscription.secret = new_webhook_secret()
    return subscription


def parse_reason_codes(text: str) -> list[str]:
    """Codes typed one per line or separated by commas → the distinct codes, as typed.
    Refuses the whole list if one code is not a code."""
    codes: dict[str, str] = {}
    for part in text.replace(",", "\n").splitlines():
        code = part.strip()
        if not code:
            continue
        try:
            reason_code_validator(code)
        except Exception:
            raise IntegrationRefused(
                _(
                    "“%(code)s” is not a call reason code: use letters, digits and _ . : - only "
                    "(e.g. REFUND or queue:billing-hu)."
                )
                % {"code": code[:100]}
            ) from None
        codes.setdefault(code.lower(), code)
    return list(codes.values())


@transaction.atomic
def set_call_reasons(*, procedure: Procedure, codes: list[str], actor: User) -> list[CallReason]:
    """The procedure is followed for exactly these call reasons (new codes are created; a code
    that matches an existing one in another case is that one). Recorded on the audit trail."""
    if not permissions.can_map_call_reasons(actor):
        raise IntegrationRefused(_("Only a document controller maps call reasons to procedures."))
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    before = sorted(procedure.call_reasons.values_list("code", flat=True), key=str.lower)
    reasons = []
    for code in codes:
        reason = CallReason.objects.filter(code__iexact=code).first()
        if reason is None:
            try:
                with transaction.atomic():  # another controller may create it at the same time
                    reason = CallReason.objects.create(code=code)
            except IntegrityError:
                reason = CallReason.objects.get(code__iexact=code)
        reasons.append(reason)
    after = sorted((r.code for r in reasons), key=str.lower)
    if before == after:
        return reasons
    procedure.call_reasons.set(reasons)
    audit.record(
        action=AuditEvent.Action.CALL_REASONS_CHANGED,
        actor=actor,
        procedure=procedure,
        changes={"call_reasons": [before, after]},
    )
    return reasons


def record_reason_change(*, code: str, gained: set[int], lost: set[int], actor: User) -> None:
    """A call reason was mapped to (`gained`) or unmapped from (`lost`) these procedures in the
    admin: each gets it on its audit trail, as set_call_reasons records it."""
    for procedure in Procedure.objects.filter(pk__in=gained | lost).order_by("code"):
        now = set(procedure.call_reasons.values_list("code", flat=True))
        before = now - {code} if procedure.pk in gained else now | {code}
        audit.record(
            action=AuditEvent.Action.CALL_REASONS_CHANGED,
            actor=actor,
            procedure=procedure,
            changes={"call_reasons": [sorted(before, key=str.lower), sorted(now, key=str.lower)]},
        )
