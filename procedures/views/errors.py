"""Error pages in the site's layout, with the reason in the user's terms. Their language menu
leads back to the start page, not to the address that was refused."""

import json
import re

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def _for_api(request) -> bool:
    return getattr(request, "path", "").startswith("/api/")


def _problem(status: int, detail: str) -> HttpResponse:
    """The API's errors that never reached it (refused by a middleware, a crash) as problem
    details too, with the same type and title as the API's own (api/problems.py)."""
    from ..api.problems import CONTENT_TYPE, problem_body

    return HttpResponse(
        json.dumps(problem_body(status, detail)), status=status, content_type=CONTENT_TYPE
    )


def bad_request(request, exception=None):
    if _for_api(request):
        return _problem(400, str(exception or "") or _("The request is not valid."))
    if not hasattr(request, "user"):  # refused before the session was read
        request.user = AnonymousUser()
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "400.html", {"reason": reason, "language_next": "/"}, status=400)


def server_error(request):
    """Rendered without the request's context: whatever failed (the database, a context
    processor) must not fail this page too."""
    if _for_api(request):
        return _problem(500, "SOP Desk could not answer; the error is logged.")
    return HttpResponseServerError(loader.get_template("500.html").render())


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else _("You may not open this page.")
    if _for_api(request):
        return _problem(403, reason)
    return render(request, "403.html", {"reason": reason, "language_next": "/"}, status=403)


def page_not_found(request, exception=None):
    """The reason when it is ours (a missing procedure or revision), and a search box filled
    with the code the link named."""
    from django.http import Http404

    if _for_api(request):
        return _problem(404, _("There is nothing at this address of the API."))
    reason = ""
    if isinstance(exception, Http404) and exception.args and isinstance(exception.args[0], str):
        reason = exception.args[0]
        if reason.startswith(("No ", "Page not found")) or "matching the query" in reason:
            reason = ""  # Django's own wording, not for readers
    match = re.match(r"^/(?:manual|desk)/([^/.]+)", request.path)
    return render(
        request,
        "404.html",
        {"reason": reason, "guess": match.group(1) if match else "", "language_next": "/"},
        status=404,
    )


def csrf_failure(request, reason=""):
    """A refused form post (usually an expired session) explained, not a bare 403; in the
    panel, as the panel's own page, which its frame may show."""
    if request.path.startswith("/embed/"):
        from .embed import csrf_refused

        return csrf_refused(request)
    return render(
        request,
        "403.html",
        {
            "reason": _(
                "Your session changed before this form was sent (you may have logged out, or "
                "logged in again in another tab), so nothing was saved. Go back and send it "
                "again; the draft editor keeps your unsaved text in this browser and offers "
                "to restore it."
            )
        },
        status=403,
    )
