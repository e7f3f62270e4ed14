"""The panel in a real browser, framed by a page on another origin as a CRM frames it: the agent
follows a decision to its step; an origin that is not configured is refused by the CSP; the
panel fits 320 px and axe finds nothing."""

import http.server
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from procedures import integrations
from procedures.steps import StepData
from tests.browser.conftest import log_in
from tests.factories import UserFactory, make_effective, new_procedure, save

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
STEPS = [
    StepData("greet", "Greet the caller and ask what the refund is for.", role="Agent"),
    StepData("q", "Was the order paid **by card**?", kind="DECISION", yes="card", no="other"),
    StepData("card", "Refund to the card within **3 working days**.", role="Agent", next="bye"),
    StepData("other", "Open a refund ticket for the billing team.", role="Billing team"),
    StepData("bye", "Confirm the refund and close the call.", kind="END", role="Agent"),
]


@pytest.fixture
def refund(people, category):
    revision = make_effective(
        save(
            new_procedure(owner=people["supervisor"], code="CC-RF-001"),
            title="Refunding an order",
            step_format="FLOWCHART",
            steps=STEPS,
            purpose="Every refund is made the same way, and only once.",
        )
    )
    integrations.set_call_reasons(
        procedure=revision.procedure,
        codes=["REFUND"],
        actor=UserFactory(username="controller", role="Document controller"),
    )
    return revision


@contextmanager
def crm_page(host: str, html: str):
    """A page on another origin (another port of the same host), as a CRM would serve it."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def framing(live_server_url: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>CRM</title></head>'
        "<body><h1>Incoming call: REFUND</h1>"
        f'<iframe title="SOP Desk" src="{live_server_url}/embed/for/REFUND/" width="360" '
        'height="600"></iframe></body></html>'
    )


def test_a_crm_on_a_configured_origin_frames_the_panel_and_the_agent_follows_a_decision(
    page, refund, live_server, settings
):
    host = urlsplit(live_server.url).hostname
    with crm_page(host, framing(live_server.url)) as crm:
        settings.SOPDESK_EMBED_ORIGINS = [crm]
        log_in(page, "agent")

        page.goto(crm)
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="Refunding an order")).to_be_visible()
        frame.get_by_role("link", name="Yes → step 3").click()

        panel = next(f for f in page.frames if f.url.startswith(live_server.url))
        expect(frame.locator("#step-3")).to_be_in_viewport()
        assert panel.evaluate("location.hash") == "#step-3"
        assert panel.evaluate("document.querySelector(':target').id") == "step-3"
        highlighted = panel.evaluate(
            "getComputedStyle(document.getElementById('step-3')).backgroundColor"
        )
        plain = panel.evaluate(
            "getComputedStyle(document.getElementById('step-1')).backgroundColor"
        )
        assert highlighted != plain


def test_a_crm_on_an_origin_not_configured_is_refused_by_the_csp(
    chromium, refund, live_server, settings
):
    host = urlsplit(live_server.url).hostname
    with crm_page(host, "") as allowed, crm_page(host, framing(live_server.url)) as other:
        settings.SOPDESK_EMBED_ORIGINS = [allowed]
        context = chromium.new_context(base_url=live_server.url)
        refused = []
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text) if "frame-ancestors" in message.text else None
                ),
            )
            log_in(page, "agent")

            page.goto(other)
            page.wait_for_timeout(1000)

            assert refused, "Chromium reported no frame-ancestors refusal"
            assert page.frame_locator("iframe").get_by_text("Yes → step 3").count() == 0
            assert not any(f.url.startswith(live_server.url) for f in page.frames)
        finally:
            context.close()


def test_the_panel_fits_320_px_is_accessible_and_usable_with_the_keyboard(page, refund):
    log_in(page, "agent")
    page.set_viewport_size({"width": 320, "height": 720})

    page.goto("/embed/for/REFUND/")

    expect(page.get_by_role("heading", name="Refunding an order")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()
    answer = page.get_by_role("link", name="No → step 4")
    answer.focus()
    assert answer.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#step-4"
    page.get_by_text("Purpose").click()  # the folded elements open
    expect(page.get_by_text("Every refund is made the same way")).to_be_visible()
    page.goto("/embed/for/REFUND/#step-3")
    page.screenshot(path="/tmp/embed-320.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/embed/for/REFUND/#step-3")
    assert Axe().run(page, options=WCAG_21_AA).violations_count == 0
    page.screenshot(path="/tmp/embed-1366.png", full_page=True)


def test_the_call_reasons_form_on_the_desk_page_is_accessible(page, refund):
    log_in(page, "controller")

    page.goto("/desk/CC-RF-001/")
    page.get_by_label("Call reason codes").fill("REFUND, queue:billing-hu")
    page.get_by_role("button", name="Save call reasons").click()

    expect(page.get_by_role("status").first).to_contain_text("REFUND, queue:billing-hu")
    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()
