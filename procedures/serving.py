"""Sending a stored file (a PDF, a picture, an attached form) once the view has checked who may
have it: the one place that decides how the bytes travel.

SOPDESK_SENDFILE chooses:
- "off" (default): Django streams the file (FileResponse, read in chunks, never whole);
- "nginx": an empty response with X-Accel-Redirect to SOPDESK_SENDFILE_PREFIX + the file's
  name: nginx sends the bytes from the media directory (an `internal` location), no Python
  copies them (files in the file system only);
- "apache": the same with X-Sendfile and the file's path (mod_xsendfile);
- "s3": a redirect to a presigned address of the S3-compatible store that expires after
  SOPDESK_PRESIGNED_SECONDS (for browsers that reach the store; files in S3 only).
Whatever the mode, the response carries the same headers: type, disposition, cache policy,
the file's ETag (its SHA-256 where known), and a 304 answers a browser that already has it.
"""

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

MODES = ("off", "nginx", "apache", "s3")


def stored_file(
    request,
    name: str,
    *,
    content_type: str,
    filename: str | None = None,
    as_attachment: bool = False,
    etag: str | None = None,
    cache_control: str = "private, max-age=86400, immutable",
    sandbox: bool = True,
) -> HttpResponse:
    """The stored file `name` for this request (its permission already checked)."""
    tag = f'"{etag}"' if etag else None
    if tag and tag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        disposition = content_disposition_header(as_attachment, filename) or "inline"
        response = _body(name, content_type, disposition)
        response["Content-Type"] = content_type
        response["Content-Disposition"] = disposition
    if tag:
        response["ETag"] = tag
    response["Cache-Control"] = cache_control
    if sandbox:  # files run no script, even opened on their own
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _body(name: str, content_type: str, disposition: str) -> HttpResponse:
    mode = settings.SOPDESK_SENDFILE
    local = isinstance(default_storage, FileSystemStorage)
    if mode == "nginx" and local:
        response = HttpResponse()
        response["X-Accel-Redirect"] = settings.SOPDESK_SENDFILE_PREFIX + quote(name)
        return response
    if mode == "apache" and local:
        response = HttpResponse()
        response["X-Sendfile"] = default_storage.path(name)
        return response
    if mode == "s3" and not local:
        return redirect(
            default_storage.url(
                name,
                parameters={
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": disposition,
                },
                expire=settings.SOPDESK_PRESIGNED_SECONDS,
            )
        )
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404(_("This file is no longer in the store.")) from error
    return FileResponse(handle, content_type=content_type)
