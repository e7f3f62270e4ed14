"""Who is calling the API: a person through their browser session (SOP Desk's own pages), or an
integration through its API key (`Authorization: Bearer sopdesk_…`). A key reads the manual as
a person with no role would; its scopes (permissions.key_*) add the rest. Rates are per key."""

import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, negotiation, permissions, throttling
from rest_framework.permissions import SAFE_METHODS

from .. import integrations
from ..models import ApiKey


class Integration(AnonymousUser):
    """The reader an API key stands for: signed in, no role, no team, no language of its own.
    Every permission function treats it as a person who may read the manual and nothing else."""

    is_active = True
    _sopdesk_roles = frozenset()
    team_id = None
    language = ""
    date_joined = None

    def __init__(self, key: ApiKey):
        self.key = key
        self.display_name = key.name

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.key.name


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _space, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        key = integrations.key_for(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(
                _(
                    "This API key is not valid: it may have been revoked. Ask your document controller."
                )
            )
        return Integration(key), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="SOP Desk API"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with Django's CSRF check on writes. DRF runs the check on every
    request; for a read (GET, HEAD, OPTIONS) it accepts without looking at anything, so it is
    skipped there: the same answer, without the cost on the API's busiest path."""

    def enforce_csrf(self, request):
        if request.method not in SAFE_METHODS:
            super().enforce_csrf(request)


class Caller(permissions.BasePermission):
    """Every endpoint needs a caller; what they may read or do is checked by each view."""

    message = _("Sign in to SOP Desk, or send an API key: Authorization: Bearer sopdesk_…")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


def key_of(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def _now() -> float:
    return time.time()


def _rate(text: str) -> tuple[int, int]:
    """ "1200/min" → (1200, 60): requests and the seconds they are counted over (s, min, h, d)."""
    number, _slash, unit = text.partition("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[:1]]


class PerKeyThrottle(throttling.BaseThrottle):
    """A key's own rate (requests per minute, set in the admin); a person's session one rate
    (SOPDESK_API_SESSION_RATE). Counted in fixed windows of the rate's period with one counter in
    the cache: DRF's sliding log keeps every request's time, and reading and writing that list
    cost more than the rest of a cached answer at a busy integration's rate."""

    def allow_request(self, request, view) -> bool:
        key = key_of(request)
        if key is not None:
            ident, limit, period = f"key:{key.pk}", key.requests_per_minute, 60
        elif request.user and request.user.is_authenticated:
            limit, period = _rate(settings.SOPDESK_API_SESSION_RATE)
            ident = f"user:{request.user.pk}"
        else:
            return True
        now = _now()
        window = int(now // period)
        counter = f"sopdesk:api-rate:{ident}:{period}:{window}"
        try:
            count = cache.incr(counter)
        except ValueError:  # the window's first request (or its counter was evicted)
            count = 1 if cache.add(counter, 1, timeout=period * 2) else cache.incr(counter)
        self._wait = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float:
        return max(1.0, self._wait)


class Negotiation(negotiation.DefaultContentNegotiation):
    """The API answers only JSON: a caller that accepts anything, or JSON, gets it without DRF
    parsing the Accept header; any other Accept is negotiated as DRF does (406 when nothing fits)."""

    ANYTHING = frozenset({"", "*/*", "application/json"})

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "").strip()
        format_given = format_suffix or "format" in request.query_params
        if not format_given and len(renderers) == 1 and accept in self.ANYTHING:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API key created by the document controller in SOP Desk's admin "
                "(Procedures → API keys), shown once: `Authorization: Bearer sopdesk_…`."
            ),
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
