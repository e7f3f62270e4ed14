"""Every error of the API as an RFC 9457 problem document (`application/problem+json`): a
`type` naming the kind of problem, a `title`, the `status`, a `detail` for the person reading
the integration's logs and, for invalid input, the fields at fault in `errors`."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from ..errors import Refused

TYPE_BASE = "https://sopdesk.invalid/problems/"
CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: ("invalid-request", "The request is not valid"),
    401: ("not-authenticated", "Authentication needed"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("refused", "Refused"),
    410: ("gone", "Gone"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
    500: ("server-error", "Server error"),
}


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"


class Conflict(exceptions.APIException):
    """An act the domain refused (services' and workflow's `Refused`): nothing was changed."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "refused"


def problem_body(status_code: int, detail: str, **extra) -> dict:
    kind, title = _TITLES.get(status_code, ("error", "Error"))
    return {
        "type": TYPE_BASE + kind,
        "title": title,
        "status": status_code,
        "detail": str(detail),
        **extra,
    }


def problem(status_code: int, detail: str, **extra) -> Response:
    return Response(
        problem_body(status_code, detail, **extra), status=status_code, content_type=CONTENT_TYPE
    )


def _detail(data) -> str:
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    if isinstance(data, list) and data:
        return str(data[0])
    return _("Some of the request's values are not valid: see errors.")


def exception_handler(exc, context):
    if isinstance(exc, Refused):
        exc = Conflict(exc.message)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if exc.args else None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if exc.args else None)
    response = drf_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 (logged), never details of it
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        detail = _("Some of the request's values are not valid: see errors.")
    else:
        detail = _detail(response.data)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait)
    result = problem(response.status_code, detail, **extra)
    for header, value in response.items():
        if header.lower() in ("retry-after", "www-authenticate", "allow"):
            result[header] = value
    return result
