"""A revision of the manual as the API gives it, and the answer of a procedure read: the eight elements as sanitized HTML and as
plain text, steps with their numbers and branches, measures, training, signatures with their
validity, attached forms. Built from `document_data.gather` (the same data as the PDF) and kept
in the cache while nothing it shows can change; a revision that was in force never changes."""

import hashlib
import html
import json

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.html import strip_tags
from rest_framework.renderers import JSONRenderer
from rest_framework.reverse import reverse as api_reverse

from .. import freshness, selectors
from ..document_data import DocumentData, gather
from ..models import Procedure, Revision
from ..rendering.markdown import render_markdown

CACHE_SECONDS = 300
# The revision's elements in the manual's order (Procedure = the steps and procedure_notes).
ELEMENTS = (
    ("purpose", "PURPOSE"),
    ("scope", "SCOPE"),
    ("responsibilities", "RESPONSIBILITIES"),
    ("procedure_notes", "PROCEDURE"),
    ("measures_notes", "MEASURES"),
    ("documentation", "DOCUMENTATION"),
    ("training", "TRAINING"),
    ("review_and_approval", "REVIEW_AND_APPROVAL"),
)


def _text(markdown_text: str) -> dict:
    rendered = str(render_markdown(markdown_text or ""))
    return {"html": rendered, "text": html.unescape(strip_tags(rendered)).strip()}


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def revision_data(data: DocumentData, request=None) -> dict:
    code, number = data.code, data.number
    valid_hash = data.content_hash
    return {
        "code": code,
        "title": data.title,
        "language": data.language,
        "category": data.category,
        "revision": number,
        "status": data.status,
        "effective_at": data.effective_at,
        "owner": data.owner_name,
        "author": data.author_name,
        "change_summary": data.text.get("change_summary", ""),
        "step_format": data.step_format,
        "elements": {
            name: {"element": element, **_text(data.text.get(name, ""))}
            for name, element in ELEMENTS
        },
        "steps": [
            {
                "number": row.number,
                "key": row.step.key,
                "kind": row.step.kind,
                "level": row.step.level,
                "role": row.step.role,
                **_text(row.step.text),
                "yes": row.yes_number or None,
                "no": row.no_number or None,
                "next": row.next_number or None,
            }
            for row in data.step_rows
        ],
        "measures": [
            {
                "name": m.name,
                "target": m.target,
                "method": m.method,
                "frequency": m.frequency,
            }
            for m in data.measures
        ],
        "training": {
            "hours": str(data.training_hours) if data.training_hours is not None else None,
            "test_required": data.training_test_required,
            "url": data.training_url,
        },
        "signatures": [
            {
                "signer": s.signer_name,
                "meaning": s.meaning,
                "signed_at": s.signed_at,
                "comment": s.comment,
                "valid": s.content_hash == valid_hash,
                "validity": "Valid" if s.content_hash == valid_hash else "INVALID",
            }
            for s in data.signatures
        ],
        "attachments": [
            {
                "title": a.title,
                "filename": a.filename,
                "kind": a.kind,
                "size": a.size,
                "sha256": a.sha256,
                "url": _absolute(
                    request,
                    reverse("attachment", kwargs={"token": a.token, "filename": a.filename}),
                ),
            }
            for a in data.attachments
        ],
        "links": {
            "manual": _absolute(
                request, reverse("manual:revision", kwargs={"code": code, "number": number})
            ),
            "pdf": _absolute(
                request, reverse("manual:revision_pdf", kwargs={"code": code, "number": number})
            ),
            "api": _absolute(
                request, reverse("api:revision", kwargs={"code": code, "number": number})
            ),
        },
    }


def _encode(value) -> bytes:
    from rest_framework.utils.encoders import JSONEncoder

    return json.dumps(value, cls=JSONEncoder, sort_keys=True).encode()


def representation(
    procedure: Procedure, revision: Revision, current: Revision | None, request=None
) -> tuple[dict, str]:
    """(the revision as the API gives it, its ETag). Cached under a key naming everything it
    shows that can change: the revision in force, the procedure's withdrawal and replacement,
    and for a few minutes at most (a signature made invalid behind SOP Desk's back)."""
    host = request.get_host() if request is not None else ""
    state = ":".join(
        str(part)
        for part in (
            revision.pk,
            current.pk if current else 0,
            procedure.withdrawn_at,
            procedure.replaced_by_id,
            procedure.next_review_on,
            host,
        )
    )
    key = f"sopdesk:api-revision:{revision.pk}:{hashlib.sha256(state.encode()).hexdigest()[:32]}"
    cached = cache.get(key)
    if cached is None:
        body = revision_data(gather(revision), request)
        body["in_force"] = current is not None and current.pk == revision.pk
        body["withdrawn_at"] = procedure.withdrawn_at
        body["next_review_on"] = procedure.next_review_on if body["in_force"] else None
        etag = '"' + hashlib.sha256(_encode(body)).hexdigest()[:32] + '"'
        cached = (body, etag)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


ANSWER_SECONDS = 300


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison: `*`, or the tag with or without W/."""
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def kept(request, *parts, build) -> HttpResponse:
    """A procedure read's answer and its ETag, kept while the manual's state is the same (every
    change of status, signature or translation moves it; freshness.py): it holds nothing of the
    caller's, so one answer serves every caller who may read the manual. A 304 when the caller
    has it already."""
    raw = "|".join(
        str(part)
        for part in (*parts, request.get_host(), request.is_secure(), freshness.manual_state())
    )
    key = "sopdesk:api-answer:" + hashlib.sha256(raw.encode()).hexdigest()
    stored = cache.get(key)
    if stored is None:
        body, etag = build()  # refusals (404, 410) are raised, never kept
        stored = (JSONRenderer().render(body), etag)
        cache.set(key, stored, ANSWER_SECONDS)
    content, etag = stored
    if _matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _translations(request, procedure, versions) -> list[dict]:
    return [
        {
            "code": v.procedure.code,
            "language": v.procedure.language,
            "title": v.revision.title,
            "revision": v.revision.number,
            "api_url": api_reverse(
                "api:procedure", kwargs={"code": v.procedure.code}, request=request
            ),
        }
        for v in versions
        if v.procedure.pk != procedure.pk
    ]


def answer(request, procedure, revision, current) -> tuple[dict, str]:
    body, etag = representation(procedure, revision, current, request)
    versions = selectors.language_versions(procedure) if current else []
    translations = _translations(request, procedure, versions)
    if translations:
        digest = hashlib.sha256(f"{etag}{translations}".encode()).hexdigest()[:32]
        etag = f'"{digest}"'
    return {**body, "translations": translations}, etag
