"""Requests no view should see: a NUL character in the address, the query or a form field.
PostgreSQL refuses NUL in text, so such a value would otherwise end as a server error wherever
it reaches a query (search boxes, list filters, codes in addresses). The person gets the
styled 400 page; nothing is read or written. A cookie holding NUL (the session's, say) is
ignored as if it had not been sent. Runs before the session middleware, so the 400 page is
shown without the person's navigation (in the language their browser asks for).

UserLanguageMiddleware: a signed-in person reads SOP Desk in the language they chose (their
profile, the header's menu), whatever their browser says; before sign-in, LocaleMiddleware
follows the browser (the language cookie, then Accept-Language, then LANGUAGE_CODE)."""

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(values) -> bool:
    return any(NUL in key or any(NUL in value for value in items) for key, items in values)


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in [name for name, value in request.COOKIES.items() if NUL in name + value]:
            del request.COOKIES[name]
        if (
            NUL in request.path
            or _has_nul(request.GET.lists())
            or (request.method == "POST" and _has_nul(request.POST.lists()))
        ):
            # LocaleMiddleware has not run yet: the page is in the language the browser asks for.
            # (Only the cookie and Accept-Language are read; neither can reach the database.)
            translation.activate(translation.get_language_from_request(request))
            raise BadRequest(_("The address or the form holds a character that is not allowed."))
        return self.get_response(request)


class UserLanguageMiddleware:
    """After authentication: the signed-in person's own language, when they chose one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class PageCSPMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy on HTML pages only. A PDF opened inline is shown by
    the browser's own viewer, an embedded object that the page policy (`object-src 'none'`)
    would block; files and pictures run no script.

    The policy of a page without a nonce is a function of the settings and the response's
    replacements only (the panel's frame-ancestors): built once per process for each, not on
    every page (building it was ~5 % of a kept page's cost)."""

    # What makes a response's policy something else than its replacements of the settings'.
    OTHER_PARTS = ("_csp_config", "_csp_update", "_csp_exempt", "_csp_config_ro",
                   "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro")  # fmt: skip
    built: dict = {}

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if not self._plain(request, response):
            return super().process_response(request, response)
        replace = getattr(response, "_csp_replace", None)
        key = repr(sorted(replace.items())) if replace else ""
        policy = self.built.get(key)
        if policy is None:
            response = super().process_response(request, response)
            if response.get(HEADER):
                self.built[key] = response[HEADER]
            return response
        response[HEADER] = policy
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _plain(self, request, response) -> bool:
        """Nothing but the settings' policy and its replacements: no nonce, no other part, no
        header set by the view, no report-only policy and no excluded prefix configured."""
        return (
            not (settings.DEBUG and response.status_code in (404, 500))  # Django's debug pages
            and getattr(request, "_csp_nonce", None) is None
            and HEADER not in response
            and not any(getattr(response, name, None) for name in self.OTHER_PARTS)
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get(
                "EXCLUDE_URL_PREFIXES"
            )
        )


@receiver(setting_changed)
def _policy_changed(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        PageCSPMiddleware.built.clear()
