"""Requests no view should see: a NUL character in the address, the query or a form field.
PostgreSQL refuses NUL in text, so such a value would otherwise end as a server error wherever
it reaches a query (search boxes, list filters, codes in addresses). The person gets the
styled 400 page; nothing is read or written. A cookie holding NUL (the session's, say) is
ignored as if it had not been sent. Runs before the session middleware, so the 400 page is
shown without the person's navigation (in the language their browser asks for).

UserLanguageMiddleware: a signed-in person reads SOP Desk in the language they chose (their
profile, the header's menu), whatever their browser says; before sign-in, LocaleMiddleware
follows the browser (the language cookie, then Accept-Language, then LANGUAGE_CODE)."""

from csp.middleware import CSPMiddleware
from django.core.exceptions import BadRequest
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
    would block; files and pictures run no script."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
