"""Screenshots and forms in a real browser: a supervisor pastes a screenshot into a step,
describes it, attaches a form and submits; after approval an agent sees the screenshot on the
page and in the PDF and downloads the form."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from procedures.models import Attachment, ProcedureTemplate, Revision, RevisionImage
from tests.browser.conftest import log_in
from tests.factories import UserFactory, new_procedure, save, sign

pytestmark = pytest.mark.browser

PASTE_SCREENSHOT = """(textarea) => new Promise((resolve) => {
  const canvas = document.createElement("canvas");
  canvas.width = 160; canvas.height = 90;
  const context = canvas.getContext("2d");
  context.fillStyle = "#0b5cad"; context.fillRect(0, 0, 160, 90);
  context.fillStyle = "#ffffff"; context.fillRect(20, 20, 120, 20);
  canvas.toBlob((blob) => {
    const data = new DataTransfer();
    data.items.add(new File([blob], "image.png", { type: "image/png" }));
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    textarea.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    resolve();
  }, "image/png");
})"""


def test_supervisor_pastes_a_screenshot_attaches_a_form_and_the_agent_gets_both(
    page, people, tmp_path
):
    supervisor = people["supervisor"]
    approver = UserFactory(
        username="manager", first_name="James", last_name="Okafor", role="Manager"
    )
    save(new_procedure(owner=supervisor, code="CC-CH-080"), title="Closing a call")
    form_file = tmp_path / "wrap-up-checklist.pdf"
    form_file.write_bytes(b"%PDF-1.4\n% wrap-up checklist\n")

    log_in(page, "supervisor")
    page.goto("/desk/CC-CH-080/rev/1/edit/")
    step = page.locator("textarea[name='steps-0-text']")
    step.evaluate(PASTE_SCREENSHOT)
    expect(step).to_have_value(re.compile(r"!\[\]\(/images/[0-9a-f-]{36}\.png\)"))
    warning = page.locator("#id_steps-0-text-alt-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("An image here has no description")
    page.keyboard.type("Disposition menu of the CRM")  # the cursor waits between the brackets
    expect(warning).to_be_hidden()
    preview = step.locator("xpath=following-sibling::div[contains(@class,'md-preview')]")
    expect(preview.locator("img[alt='Disposition menu of the CRM']")).to_be_visible()

    page.get_by_label("File to attach").set_input_files(str(form_file))
    page.get_by_label("Title of the file").fill("Wrap-up checklist")
    page.get_by_label("What it is for (optional)").fill("Tick every item before the next call.")
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("[data-attachment-status]")).to_contain_text(
        "Wrap-up checklist is attached"
    )
    expect(page.locator("[data-attachment-list]")).to_contain_text("wrap-up-checklist.pdf")
    expect(page.get_by_label("Title of the file")).to_have_value("")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Draft saved.")
    page.goto("/desk/CC-CH-080/rev/1/")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".badge").first).to_contain_text("In review")

    revision = Revision.objects.get(procedure__code="CC-CH-080", number=1)
    image = RevisionImage.objects.get(revision=revision)
    assert (
        f"![Disposition menu of the CRM]({image.get_absolute_url()})"
        in revision.steps.get(position=1).text
    )
    assert Attachment.objects.get(revision=revision).title == "Wrap-up checklist"
    sign(revision, approver)  # approved: effective at once, rendered on commit

    page.get_by_role("button", name="Log out").click()
    log_in(page, "agent")
    page.goto("/manual/CC-CH-080/")
    picture = page.get_by_role("img", name="Disposition menu of the CRM")
    expect(picture).to_have_attribute("loading", "lazy")
    picture.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('.sop-body img'); return i && i.complete && i.naturalWidth === 160; }"
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Wrap-up checklist").click()
    download = download_info.value
    assert download.suggested_filename == "wrap-up-checklist.pdf"
    assert download.path().read_bytes() == form_file.read_bytes()

    pdf = page.request.get("/manual/CC-CH-080.pdf")
    assert pdf.ok
    reader = PdfReader(io.BytesIO(pdf.body()))
    pictures = {p.data: p for pg in reader.pages for p in pg.images}
    assert [p.image.size for p in pictures.values()] == [(160, 90)]
    text = "".join(pg.extract_text() for pg in reader.pages)
    assert "Wrap-up checklist" in text and "wrap-up-checklist.pdf" in text


def test_a_procedure_from_a_template_shows_its_guidance_until_it_is_replaced(
    page, people, category
):
    ProcedureTemplate.objects.update(is_active=False)
    ProcedureTemplate.objects.create(
        name="Callback request",
        description="Promising and making a callback.",
        title="Making a callback",
        purpose="[[Why callbacks are offered.]]",
        scope="All queues.",
        responsibilities="- **Agent**: offers and records.",
        steps="[[Offer the callback.]]\nCall back at the promised time.",
        measures="Callbacks made on time | ≥ 95% | Dialler report | Weekly",
        training="Callback module.",
    )

    log_in(page, "supervisor")
    page.goto("/desk/new/")
    page.get_by_role("link", name="Callback request").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Making a callback")
    page.get_by_label("Code").fill("CC-CH-081")
    page.get_by_label("Category").select_option(label="Call handling")
    page.get_by_role("button", name="Create and start writing").click()

    purpose = page.locator("textarea[name='purpose']")
    expect(purpose).to_have_value("[[Why callbacks are offered.]]")
    note = page.locator("#id_purpose-guidance-warning")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Replace the template’s guidance between [[ and ]]")
    purpose.fill("Callers who cannot wait get a call back.")
    expect(note).to_be_hidden()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Draft saved.")

    page.goto("/desk/CC-CH-081/rev/1/")
    missing = page.locator(".notice", has_text="Before it can be submitted, this draft needs:")
    expect(
        missing.get_by_text(
            "4. Procedure, step 1 still holds the template's guidance “Offer the callback.”"
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    assert "1. Purpose" not in missing.inner_text()
