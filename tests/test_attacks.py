"""Whatever an author types, nothing runs in a reader's browser and the PDF renderer fetches
nothing: attack inputs in every Markdown field and in the steps, on the page and in the PDF.

A local HTTP server counts every request made to it: it must count zero.
"""

import html.parser
import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from procedures import publishing
from procedures.models import Revision
from procedures.rendering.pdf import html_to_pdf
from procedures.steps import StepData
from tests.factories import make_effective, manager, new_procedure, save


@pytest.fixture
def trap():
    """An HTTP server on 127.0.0.1 that counts the requests it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def attacks(base: str) -> list[str]:
    return [
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)>",
        "[click me](javascript:alert(1))",
        'A paragraph\n{: onclick="alert(1)" }',
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f"<style>@import url({base}/import.css); body {{ background: url({base}/bg.png) }}</style>",
        f'<div style="background: url({base}/inline.png)">styled</div>',
        '<svg><image href="file:///etc/passwd" /><use href="file:///etc/passwd#x" /></svg>',
        f"![remote image]({base}/image.png)",
        '<a href="file:///etc/passwd">local file</a>',
        "<iframe src='javascript:alert(1)'></iframe><object data='file:///etc/passwd'></object>",
    ]


FORBIDDEN_TAGS = {
    "script",
    "style",
    "link",
    "img",
    "iframe",
    "object",
    "embed",
    "image",
    "use",
    "foreignobject",
    "meta",
    "base",
    "form",
}


class ActiveContent(html.parser.HTMLParser):
    """Every element and attribute that could run, fetch or restyle something."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "xlink:href", "data", "action") and not value.startswith(
                ("#", "/", "http://", "https://", "mailto:")
            ):
                self.found.append(f"{tag}[{name}={value[:30]}]")


def active_content(markup: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(markup)
    return parser.found


def test_attack_inputs_in_every_field_and_step_reach_no_reader(
    client, agent, supervisor, trap, django_capture_on_commit_callbacks
):
    base, hits = trap
    payload = "\n\n".join(attacks(base))
    fields = {name: payload for name in Revision.MARKDOWN_FIELDS}
    steps = [StepData(f"s{i}", text) for i, text in enumerate(attacks(base))]
    with django_capture_on_commit_callbacks(execute=True):
        revision = save(
            new_procedure(owner=supervisor, code="CC-AT-001", step_format="FLOWCHART"),
            step_format="FLOWCHART",
            steps=steps,
            **fields,
        )
        revision = make_effective(revision, manager())
    client.force_login(agent)

    page = client.get("/manual/CC-AT-001/").content.decode()
    body = page[page.index('<div class="sop-body">') : page.index('id="signatures-heading"')]
    pdf_bytes = b"".join(client.get("/manual/CC-AT-001.pdf").streaming_content)

    assert active_content(body) == []
    assert "&lt;script" in body  # in the diagram's labels, as text
    assert b"/EmbeddedFile" not in pdf_bytes and b"/FileAttachment" not in pdf_bytes
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages)
    assert "root:x:0:0" not in text
    assert hits == []
    assert publishing.stored_text(revision.renditions.get(kind="HTML")) in page


def test_the_renderer_itself_fetches_nothing_even_from_unsanitized_html(trap):
    base, hits = trap
    html = (
        '<html lang="en"><head><title>t</title>'
        f'<link rel="stylesheet" href="{base}/linked.css">'
        '<link rel="attachment" href="file:///etc/passwd">'
        f"<style>@import url({base}/import.css); p {{ background: url({base}/bg.png) }}</style></head><body>"
        '<p>text</p><img src="file:///etc/passwd"><img src="/etc/passwd">'
        f'<img src="{base}/img.png"><object data="file:///etc/passwd"></object>'
        '<svg><image href="file:///etc/passwd" width="10" height="10"/></svg>'
        f'<a rel="attachment" href="{base}/a.txt">a</a>'
        "</body></html>"
    )

    pdf = html_to_pdf(html)

    assert hits == []
    assert b"/EmbeddedFile" not in pdf
    assert "root:x:0:0" not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_renderer_still_reads_the_apps_own_static_files_and_data_urls():
    from procedures.rendering.pdf import LockedDownFetcher

    fetcher = LockedDownFetcher()

    favicon = fetcher.fetch("https://sopdesk.invalid/static/favicon.svg")
    data = fetcher.fetch("data:text/plain;base64,aGk=")

    assert b"<svg" in favicon.read()
    assert data.read() == b"hi"
    for refused in (
        "https://sopdesk.invalid/static/../settings.py",
        "https://sopdesk.invalid/media/renditions/x.pdf",
        "file:///etc/passwd",
        "http://127.0.0.1/",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(refused)
    assert len(fetcher.refused) == 4


def test_an_oversized_document_is_refused_with_a_reason(supervisor, settings):
    from procedures.document_data import gather
    from procedures.rendering.document import body_html
    from procedures.rendering.pdf import RenderRefused

    settings.SOPDESK_RENDER_MAX_CHARS = 1000
    revision = save(new_procedure(owner=supervisor), purpose="word " * 1000)

    with pytest.raises(RenderRefused, match="are not rendered. Split the procedure."):
        body_html(gather(revision))
