"""A supervisor imports a Word file whose titles are only bold and whose steps are bullets:
corrects the preview, creates the draft and finds the steps, with their picture, in the editor."""

import io

import docx
import pytest
from playwright.sync_api import expect

from procedures.models import ImportPreview, Revision
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 40), (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _word_file() -> bytes:
    document = docx.Document()
    document.add_paragraph().add_run("Blocking a lost card").bold = True
    for title, body in (
        ("Purpose", "A lost card is blocked during the call."),
        ("Background", "Card holders who lose their card call the card line."),
        ("Responsibilities", "Agents block the card; the back office sends a new one."),
    ):
        document.add_paragraph().add_run(title).bold = True
        document.add_paragraph(body)
    document.add_paragraph().add_run("Procedure").bold = True
    for number, text in enumerate(
        ["Verify the caller's identity", "Block the card in the card system", "Order a new card"]
    ):
        document.add_paragraph(text, style="List Bullet")
        if number == 1:
            document.add_picture(io.BytesIO(_png()))  # no description: Word left none
    document.add_paragraph().add_run("Training").bold = True
    document.add_paragraph("Card system module, 1 hour.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_supervisor_corrects_the_preview_and_finds_the_steps_in_the_editor(
    page, people, category, tmp_path
):
    word = tmp_path / "Lost card.docx"
    word.write_bytes(_word_file())
    log_in(page, "supervisor")

    page.goto("/desk/import/")
    page.get_by_label("Word files (.docx)").set_input_files(str(word))
    page.get_by_label("Category").select_option(label="Call handling")
    page.get_by_role("button", name="Read the files").click()

    expect(page.get_by_role("heading", name="Check how Lost card.docx was read")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Blocking a lost card")
    expect(page.get_by_label("Element for “Background”")).to_have_value("purpose")
    expect(page.get_by_text("needs a description", exact=True)).to_be_visible()
    page.get_by_label("Element for “Background”").select_option(label="2. Scope")
    page.get_by_label("No list: I will write the steps").check()
    page.get_by_role("button", name="Apply the changes").click()
    expect(page.get_by_text("0 steps ·")).to_be_visible()
    expect(page.get_by_label("Element for “Background”")).to_have_value("scope")

    page.get_by_label("A list of 3 items in “Procedure”").check()
    page.get_by_label("Description of picture 1").fill("The card system's Block button")
    page.get_by_role("button", name="Create the draft").click()

    expect(page.get_by_text("was created as a draft from Lost card.docx")).to_be_visible()
    revision = Revision.objects.get(procedure__owner__username="supervisor")
    assert (
        revision.scope == "### Background\n\nCard holders who lose their card call the card line."
    )
    assert not ImportPreview.objects.exists()
    steps = page.locator("[data-step-row]")
    expect(steps).to_have_count(3)
    expect(steps.nth(0).get_by_label("What to do")).to_have_value("Verify the caller's identity")
    second = steps.nth(1).get_by_label("What to do")
    expect(second).to_have_value(
        f"Block the card in the card system\n\n![The card system's Block button]"
        f"({revision.images.get().get_absolute_url()})"
    )
    expect(page.get_by_text("Imported from Lost card.docx")).to_be_visible()
