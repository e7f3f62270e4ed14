"""A revision as a controlled document: the body (the eight elements, the steps and their
flowchart, the measures) as sanitized HTML, and the complete PDF around it.

Pure: reads the plain data `document_data.gather` collected and returns text or bytes; it
queries nothing and stores nothing but the desk's cached body (publishing.py stores the
documents). One template, manual/_body.html, makes the body for the manual, the PDF and the
desk's revision page, so reviewers sign what agents will read.
"""

import dataclasses
import functools
import hashlib
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from ..steps import FLOWCHART
from . import sandbox
from .flowchart import flowchart_svg
from .markdown import render_markdown
from .pdf import RenderRefused, html_to_pdf

if TYPE_CHECKING:
    from ..document_data import DocumentData

logger = logging.getLogger(__name__)
# The desk's body is cached by what it shows, so it never goes stale; one that could not be
# rendered completely is kept only briefly (a busy moment of the server is not remembered).
DESK_BODY_SECONDS = 24 * 60 * 60
DESK_DEGRADED_SECONDS = 5 * 60


def _check_size(data: "DocumentData") -> None:
    size = data.size
    if size > settings.SOPDESK_RENDER_MAX_CHARS:
        raise RenderRefused(
            _(
                "%(code)s revision %(number)d has %(size)d characters; documents of more than "
                "%(limit)d are not rendered. Split the procedure."
            )
            % {
                "code": data.code,
                "number": data.number,
                "size": size,
                "limit": settings.SOPDESK_RENDER_MAX_CHARS,
            }
        )


def _safe_url(url: str) -> str:
    return url if urlsplit(url or "").scheme in ("http", "https") else ""


def _markdown(data: "DocumentData") -> tuple[dict[str, str], list[str]]:
    """Each element's and each step's Markdown as sanitized HTML (plain strings, so that they
    can come back from a child process)."""
    return (
        {name: str(render_markdown(text)) for name, text in data.text.items()},
        [str(render_markdown(row.step.text)) for row in data.step_rows],
    )


def _as_written(data: "DocumentData") -> tuple[dict[str, str], list[str]]:
    """Each element and step as the author typed it, escaped: when Markdown cannot render it."""

    def plain(text: str) -> str:
        return linebreaks(escape(text)) if text and text.strip() else ""

    return (
        {name: plain(text) for name, text in data.text.items()},
        [plain(row.step.text) for row in data.step_rows],
    )


def _diagram(data: "DocumentData") -> str:
    if data.step_format == FLOWCHART and data.step_rows:
        return flowchart_svg(list(data.step_rows))
    return ""


def _render(
    data: "DocumentData",
    html: dict[str, str],
    step_html: list[str],
    *,
    diagram: str = "",
    drafting: bool = False,
    problems: tuple[str, ...] = (),
    diagram_problem: str = "",
) -> SafeString:
    # Every piece marked safe here is sanitized Markdown, escaped text or Graphviz's SVG
    # (whose labels Graphviz escapes).
    return render_to_string(
        "manual/_body.html",
        {
            "document": data,
            "html": {name: mark_safe(value) for name, value in html.items()},  # noqa: S308
            "step_rows": [
                (row, mark_safe(value))  # noqa: S308
                for row, value in zip(data.step_rows, step_html, strict=True)
            ],
            "measures": data.measures,
            "diagram": mark_safe(diagram),  # noqa: S308
            "training_url": _safe_url(data.training_url),
            "attachments": data.attachments,
            "drafting": drafting,
            "not_written": _("Not written yet.") if drafting else "",
            "problems": problems,
            "diagram_problem": diagram_problem,
        },
    )


def in_document_language(function):
    """A document is written in one language (its procedure's): its headings, labels and dates
    are in that language, whoever reads it; the page around it follows the reader."""

    @functools.wraps(function)
    def rendered(data: "DocumentData", *args, **kwargs):
        with override(data.language):
            return function(data, *args, **kwargs)

    return rendered


@in_document_language
def body_html(data: "DocumentData", *, drafting: bool = False) -> str:
    """The document's body: every element, rendered and sanitized; the flowchart as SVG.

    For the manual and the PDF (`drafting=False`): raises RenderRefused when the document is too
    large, and Graphviz's errors, for the caller to record. For the desk (`drafting=True`):
    never refuses. An empty element says so; the Markdown and the diagram are each made in a
    child process with SOPDESK_CHECK_TIMEOUT, and what cannot be made is shown as written (the
    text) or left out (the diagram), with a message that says why.
    """
    if drafting:
        return _draft_body(data)[0]
    _check_size(data)
    html, step_html = _markdown(data)
    return _render(data, html, step_html, diagram=_diagram(data))


def _draft_body(data: "DocumentData") -> tuple[str, bool]:
    """(the desk's body, whether something in it could not be rendered)."""
    try:
        _check_size(data)
    except RenderRefused as refused:  # too large to render at all: the text as written
        return _render(data, *_as_written(data), drafting=True, problems=(refused.message,)), True
    problems: tuple[str, ...] = ()
    try:
        html, step_html = sandbox.run(_markdown, data, timeout=settings.SOPDESK_CHECK_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - the desk shows the text as written instead
        logger.warning("the desk could not render %s rev %s: %r", data.code, data.number, error)
        html, step_html = _as_written(data)
        problems = (
            _("The formatting could not be displayed: %(reason)s The text is shown as written.")
            % {"reason": _reason(error)},
        )
    diagram, diagram_problem = "", ""
    if data.step_format == FLOWCHART and data.step_rows:
        try:
            diagram = sandbox.run(_diagram, data, timeout=settings.SOPDESK_CHECK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - the desk shows the steps without it
            logger.warning("the desk could not draw %s rev %s: %r", data.code, data.number, error)
            diagram_problem = _(
                "The flowchart could not be drawn: %(reason)s The steps are listed below without it."
            ) % {"reason": _reason(error)}
    html = _render(
        data,
        html,
        step_html,
        diagram=diagram,
        drafting=True,
        problems=problems,
        diagram_problem=diagram_problem,
    )
    return html, bool(problems or diagram_problem)


def _reason(error: Exception) -> str:
    return getattr(error, "message", "") or _("It could not be rendered (%(error)s).") % {
        "error": type(error).__name__
    }


@in_document_language
def desk_body(data: "DocumentData") -> SafeString:
    """The body as the desk shows it (`body_html(data, drafting=True)`), cached under a
    fingerprint of everything it shows: viewing the page again renders no Markdown and runs no
    Graphviz. Stores nothing but the cache entry."""
    key = f"sopdesk:desk-body:{_desk_fingerprint(data)}"
    html = cache.get(key)
    if html is None:
        html, degraded = _draft_body(data)
        cache.set(key, html, DESK_DEGRADED_SECONDS if degraded else DESK_BODY_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by _render above


def _desk_fingerprint(data: "DocumentData") -> str:
    shown = {
        # the identity, every element, the steps, the measures, the files' SHA-256
        "content": data.content_hash,
        "step_format": data.step_format,
        # what the content hash leaves out: the files' links, kinds and sizes
        "attachments": [dataclasses.astuple(a) for a in data.attachments],
        "review_interval_months": data.review_interval_months,
        "language": get_language() or "",
        "templates": _templates_fingerprint(),  # a release that changes them shows the change
    }
    encoded = json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@functools.cache
def _templates_fingerprint() -> str:
    """The body's templates as this process loaded them."""
    sources = [
        get_template(name).template.source
        for name in ("manual/_body.html", "procedures/_steps.html", "manual/_attachments.html")
    ]
    return hashlib.sha256("\0".join(sources).encode("utf-8")).hexdigest()


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def _history_rows(data: "DocumentData") -> list[dict]:
    """The revision history up to this revision: what each changed, who approved it."""
    return [
        {
            "number": row.number,
            "effective_on": _day(row.effective_at),
            "change_summary": row.change_summary or (_("First issue.") if row.number == 1 else ""),
            "author": row.author,
            "approvers": list(row.approvers),
        }
        for row in data.history
    ]


@in_document_language
def document_pdf(
    data: "DocumentData",
    *,
    body: str | None = None,
    watermark: str = "",
    timeout: float | None = None,
) -> bytes:
    """The complete PDF: header, body, signatures, revision history; `watermark` on every page."""
    html = render_to_string(
        "manual/document_pdf.html",
        {
            "language": get_language() or "en",
            "organisation": settings.SOPDESK_ORGANISATION,
            # the names manual/document_pdf.html reads, as plain values
            "procedure": {
                "code": data.code,
                "category": data.category,
                "owner": {"display_name": data.owner_name},
            },
            "revision": {
                "number": data.number,
                "title": data.title,
                "author": {"display_name": data.author_name},
            },
            "status": data.status_label,
            "effective_on": _day(data.effective_at),
            "body": mark_safe(body if body is not None else body_html(data)),  # noqa: S308
            "signatures": data.signatures,
            "content_hash": data.content_hash,
            "history": _history_rows(data),
            "watermark": watermark,
            "subject": _("Standard operating procedure, %(category)s")
            % {"category": data.category},
            "keywords": ", ".join(
                [
                    data.code,
                    data.category,
                    _("SOP"),
                    _("revision %(n)d") % {"n": data.number},
                ]
            ),
        },
    )
    # Attachment links are relative on the page; in the PDF they point at the manual's address.
    html = html.replace('href="/files/', f'href="{settings.SOPDESK_BASE_URL.rstrip("/")}/files/')
    return html_to_pdf(html, timeout=timeout)
