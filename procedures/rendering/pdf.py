"""HTML → PDF with WeasyPrint, locked down.

One font configuration and one compiled stylesheet per process. The URL fetcher refuses
everything but `data:` URLs, the app's own static files (read from disk) and the documents'
uploaded images (read through the storage API by their random name): no `file:`, no
HTTP(S), no redirects, so a document can never make the renderer fetch anything else. A render
has an input size limit and runs in a child process with time and memory limits (sandbox.py).
"""

import mimetypes
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import sandbox
from .markdown import IMAGE_SRC
from .sandbox import RenderRefused

__all__ = ["RenderRefused", "html_to_pdf"]

# Documents are rendered as if they lived here; only /static/ below it resolves to anything.
BASE_URL = "https://sopdesk.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
IMAGES_PREFIX = BASE_URL + "images/"
PDF_VARIANT = "pdf/ua-1"


class LockedDownFetcher(URLFetcher):
    """Fetches `data:` URLs and the app's static files; refuses and records everything else."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_PREFIX):
            path = _static_file(url.removeprefix(STATIC_PREFIX).split("?")[0].split("#")[0])
            if path is not None:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        if url.startswith(IMAGES_PREFIX):
            data = _uploaded_image(url.removeprefix(BASE_URL[:-1]))
            if data is not None:
                mime = "image/jpeg" if url.endswith(".jpg") else "image/png"
                return URLFetcherResponse(url, data, {"Content-Type": mime})
        self.refused.append(url)
        raise ValueError(f"SOP Desk's renderer does not fetch {url[:200]}")


def _uploaded_image(path: str) -> bytes | None:
    """/images/<uuid>.png → the stored, re-encoded image's bytes (nothing else is readable)."""
    if not IMAGE_SRC.fullmatch(path):
        return None
    name = path.removeprefix("/")
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    except (FileNotFoundError, OSError):
        return None


def _static_file(relative: str) -> Path | None:
    if ".." in relative.split("/") or not re.fullmatch(r"[\w./-]+", relative):
        return None
    found = finders.find(relative)
    return Path(found) if found else None


@cache
def font_config() -> FontConfiguration:
    return FontConfiguration()


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _css_content(template: str) -> str:
    """'Page {page} of {pages}' → a CSS content value with the page counters in place."""
    parts = re.split(r"(\{page\}|\{pages\})", template)
    tokens = []
    for part in parts:
        if part == "{page}":
            tokens.append("counter(page)")
        elif part == "{pages}":
            tokens.append("counter(pages)")
        elif part:
            tokens.append(_css_string(part))
    return " ".join(tokens) or '""'


@cache
def _stylesheets(language: str, page_size: str) -> tuple[CSS, CSS]:
    base = (Path(__file__).parent / "document.css").read_text(encoding="utf-8")
    page = (
        f"@page {{ size: {'letter' if page_size.lower() == 'letter' else 'A4'};"
        f" @bottom-center {{ content: {_css_content(_('Printed copies are uncontrolled. Check the manual for the current revision.'))}; }}"
        f" @bottom-right {{ content: {_css_content(_('Page {page} of {pages}'))}; }} }}"
        f" .run-eff {{ string-set: effective {_css_string(_('Effective:'))} ' ' content(); }}"
    )
    return (
        CSS(string=base, font_config=font_config()),
        CSS(string=page, font_config=font_config()),
    )


def html_to_pdf(html: str, *, extra_css: str = "", timeout: float | None = None) -> bytes:
    """A complete HTML document → PDF bytes (tagged, PDF/UA-1), fetching nothing but our static files."""
    if len(html) > settings.SOPDESK_RENDER_MAX_CHARS * 4:
        raise RenderRefused(_("This document is too large to render."))
    # In a child process with time and memory limits: no document can hang or exhaust a worker.
    return sandbox.run(_write_pdf, html, extra_css, timeout=timeout)


def _write_pdf(html: str, extra_css: str) -> bytes:
    fetcher = LockedDownFetcher()
    stylesheets = list(_stylesheets(get_language() or "en", settings.SOPDESK_PAGE_SIZE))
    if extra_css:
        stylesheets.append(CSS(string=extra_css, font_config=font_config()))
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=stylesheets,
        font_config=font_config(),
        pdf_variant=PDF_VARIANT,
        uncompressed_pdf=False,
    )
