"""A revision of the manual as the API gives it: the eight elements as sanitized HTML and as
plain text, steps with their numbers and branches, measures, training, signatures with their
validity, attached forms. Built from `document_data.gather` (the same data as the PDF) and kept
in the cache while nothing it shows can change; a revision that was in force never changes."""

import hashlib
import html
import json

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import strip_tags

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
