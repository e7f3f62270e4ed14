"""Who is calling the API: a person through their browser session (SOP Desk's own pages), or an
integration through its API key (`Authorization: Bearer sopdesk_…`). A key reads the manual as
a person with no role would; its scopes (permissions.key_*) add the rest. Rates are per key."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

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
    """The browser's session, with Django's CSRF check on writes (as DRF does)."""


class Caller(permissions.BasePermission):
    """Every endpoint needs a caller; what they may read or do is checked by each view."""

    message = _("Sign in to SOP Desk, or send an API key: Authorization: Bearer sopdesk_…")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


def key_of(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """A key's own rate (requests per minute, set in the admin); a person's session one rate."""

    scope = "sopdesk"

    def allow_request(self, request, view):
        key = key_of(request)
        if key is not None:
            self.rate = f"{key.requests_per_minute}/min"
        elif request.user and request.user.is_authenticated:
            self.rate = settings.SOPDESK_API_SESSION_RATE
        else:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return settings.SOPDESK_API_SESSION_RATE

    def get_cache_key(self, request, view):
        key = key_of(request)
        ident = f"key:{key.pk}" if key is not None else f"user:{request.user.pk}"
        return f"sopdesk:api-throttle:{ident}"


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
