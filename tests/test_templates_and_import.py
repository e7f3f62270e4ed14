"""Procedure templates (guidance that blocks submission) and importing procedures from Word.

The .docx files are written here with python-docx: headings in four languages, nested
numbered lists, a table, a picture; and broken files."""

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from PIL import Image

from procedures import importing, workflow
from procedures.models import (
    AuditEvent,
    DocumentImport,
    ImportPreview,
    Procedure,
    ProcedureTemplate,
    Revision,
    RevisionImage,
)
from procedures.review_rules import guidance_left
from tests import factories

# --- templates ------------------------------------------------------------------------------


def test_the_starter_templates_cover_the_call_center_topics(db):
    names = set(ProcedureTemplate.objects.values_list("name", flat=True))

    assert {
        "Inbound call handling",
        "Escalation",
        "Quality monitoring",
        "Shift swap request",
        "Complaint handling",
        "Caller verification",
    } <= names


def test_new_procedure_offers_blank_or_a_template(client, supervisor):
    template = ProcedureTemplate.objects.get(name="Quality monitoring")
    client.force_login(supervisor)

    page = client.get(reverse("desk:create") + f"?template={template.pk}").content.decode()

    assert "A blank procedure" in page and "Complaint handling" in page
    assert 'value="Quality monitoring and calibration"' in page  # the suggested title
    assert f'name="template" value="{template.pk}"' in page


def test_a_procedure_from_a_template_starts_with_its_guidance(client, supervisor):
    template = ProcedureTemplate.objects.get(name="Quality monitoring")
    category = factories.CategoryFactory()
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:create"),
        {
            "code": "CC-QM-010",
            "title": "Quality monitoring",
            "category": category.pk,
            "step_format": "HIERARCHICAL",
            "review_interval_months": 12,
            "template": template.pk,
        },
    )

    assert response.status_code == 302
    revision = Revision.objects.get(procedure__code="CC-QM-010")
    assert revision.purpose.startswith("[[Why calls are evaluated")
    steps = revision.ordered_steps()
    assert [s.level for s in steps][:3] == [1, 1, 2]
    assert revision.measures.count() == 3
    event = AuditEvent.objects.get(revision=revision, action="PROCEDURE_CREATED")
    assert "Quality monitoring" in event.reason


def test_guidance_left_blocks_submission_with_a_message_per_element(supervisor):
    template = ProcedureTemplate.objects.get(name="Shift swap request")
    from procedures.content import template_content
    from procedures.services import create_procedure

    revision = create_procedure(
        code="CC-WF-002",
        title="Shift swaps",
        category=factories.CategoryFactory(),
        owner=supervisor,
        step_format="SIMPLE",
        review_interval_months=12,
        created_by=supervisor,
        content=template_content(template),
    )
    factories.manager()

    with pytest.raises(workflow.IncompleteRevision) as refused:
        workflow.submit(revision=revision, actor=supervisor)

    message = refused.value.message
    assert "1. Purpose still holds the template's guidance “Why: flexibility" in message
    assert "4. Procedure, step 1 still holds" in message
    assert "“Schedule adherence on swapped shifts” still holds" in message
    revision.refresh_from_db()
    assert revision.status == "DRAFT"
    assert not AuditEvent.objects.filter(revision=revision, action="SUBMITTED").exists()


def test_replacing_the_guidance_lets_it_through(supervisor):
    revision = factories.new_procedure(owner=supervisor)
    revision = factories.save(revision, purpose="[[Say why.]]")
    assert len(guidance_left(revision)) == 1

    revision = factories.save(revision, purpose="Callers may swap shifts with notice.")
    factories.manager()

    assert guidance_left(revision) == []
    assert factories.submit(revision).status == "IN_REVIEW"


def test_the_controller_manages_templates_in_the_admin(client, controller):
    client.force_login(controller)

    page = client.get(reverse("admin:procedures_proceduretemplate_changelist"))

    assert page.status_code == 200
    assert "Caller verification" in page.content.decode()


# --- Word files, written here -----------------------------------------------------------------

NUMBERING_ID = 90


def _numbered(document):
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        f'<w:lvlText w:val="%{i + 1}."/></w:lvl>'
        for i in range(3)
    )
    numbering = document.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{NUMBERING_ID}">{levels}</w:abstractNum>'
        ),
    )
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{NUMBERING_ID}"><w:abstractNumId w:val="{NUMBERING_ID}"/></w:num>'
        )
    )

    def item(text, level=0):
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(
            parse_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{NUMBERING_ID}"/></w:numPr>'
            )
        )

    return item


def _picture() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (120, 60), "orange").save(out, "PNG")
    out.seek(0)
    return out


def word_file(headings: dict[str, str], *, title="CC-BL-007 Handling a billing dispute") -> bytes:
    """A procedure as call centers write them in Word; `headings` names the elements."""
    document = docx.Document()
    item = _numbered(document)
    document.add_heading(title, 0)
    document.add_paragraph("Owner: billing team.")
    document.add_heading(headings["purpose"], 1)
    document.add_paragraph("Callers who dispute a bill are heard and get an answer in 5 days.")
    document.add_heading(headings["scope"], 1)
    document.add_paragraph("All inbound billing calls.")
    document.add_heading(headings["responsibilities"], 1)
    document.add_paragraph("Agents record, the billing team decides.")
    document.add_heading(headings["procedure"], 1)
    item("Listen to the dispute.")
    item("Check the invoice in the CRM.")
    item("Open the invoice screen.", 1)
    item("Compare the charges with the contract.", 1)
    item("Open a dispute case.")
    document.add_picture(_picture())
    document.add_heading(headings["measures"], 1)
    table = document.add_table(rows=3, cols=4)
    for r, row in enumerate(
        [
            ("Measure", "Target", "How", "How often"),
            ("Disputes answered in 5 days", "≥ 95%", "Case log", "Weekly"),
            ("Repeat calls", "≤ 10%", "CRM", "Monthly"),
        ]
    ):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_heading("Escalation contacts", 1)
    document.add_paragraph("Billing team lead: ext. 4410.")
    document.add_heading(headings["training"], 1)
    document.add_paragraph("Billing module, 2 hours.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


ENGLISH = {
    "purpose": "1. Purpose",
    "scope": "2. Scope",
    "responsibilities": "3. Responsibilities",
    "procedure": "4. Procedure",
    "measures": "5. Performance measures",
    "training": "7. Training",
}
INDONESIAN = {
    "purpose": "Tujuan",
    "scope": "Ruang Lingkup",
    "responsibilities": "Tanggung Jawab",
    "procedure": "Prosedur",
    "measures": "Indikator Kinerja",
    "training": "Pelatihan",
}
FRENCH = {
    "purpose": "1. Objet",
    "scope": "2. Champ d'application",
    "responsibilities": "3. Responsabilités",
    "procedure": "4. Procédure",
    "measures": "5. Indicateurs de performance",
    "training": "7. Formation",
}
HUNGARIAN = {
    "purpose": "Cél",
    "scope": "Hatály",
    "responsibilities": "Felelősségek",
    "procedure": "Eljárás",
    "measures": "Teljesítménymutatók",
    "training": "Képzés",
}


def _import(supervisor, data, name="billing.docx"):
    return importing.import_docx(
        data=data,
        name=name,
        category=factories.CategoryFactory(name="Billing"),
        owner=supervisor,
        created_by=supervisor,
        limit=10 * 1024 * 1024,
    )


@pytest.mark.parametrize("headings", [ENGLISH, INDONESIAN, FRENCH, HUNGARIAN])
def test_headings_in_four_languages_fill_the_elements(supervisor, headings):
    outcome = _import(supervisor, word_file(headings))

    revision = outcome.revision
    assert revision.procedure.code == "CC-BL-007"
    assert revision.title == "Handling a billing dispute"
    assert revision.purpose.startswith("Owner: billing team.")  # text before the first heading
    assert "Callers who dispute a bill" in revision.purpose
    assert revision.scope == "All inbound billing calls."
    assert "billing team decides" in revision.responsibilities
    assert "Billing module" in revision.training
    assert revision.status == "DRAFT" and revision.author == supervisor


def test_nested_numbered_lists_become_hierarchical_steps(supervisor):
    revision = _import(supervisor, word_file(ENGLISH)).revision

    steps = revision.ordered_steps()
    assert revision.step_format == "HIERARCHICAL"
    assert [(s.level, s.text) for s in steps] == [
        (1, "Listen to the dispute."),
        (1, "Check the invoice in the CRM."),
        (2, "Open the invoice screen."),
        (2, "Compare the charges with the contract."),
        (1, "Open a dispute case.\n\n" + _only_image_markdown(revision)),
    ]


def _only_image_markdown(revision):
    image = RevisionImage.objects.get(revision=revision)
    return f"![]({image.get_absolute_url()})"


def test_a_measures_table_becomes_measures(supervisor):
    revision = _import(supervisor, word_file(ENGLISH)).revision

    measures = [(m.name, m.target, m.method, m.frequency) for m in revision.ordered_measures()]
    assert measures == [
        ("Disputes answered in 5 days", "≥ 95%", "Case log", "Weekly"),
        ("Repeat calls", "≤ 10%", "CRM", "Monthly"),
    ]


def test_embedded_pictures_become_screenshots_of_the_draft(supervisor):
    revision = _import(supervisor, word_file(ENGLISH)).revision

    image = RevisionImage.objects.get(revision=revision)
    assert (image.width, image.height) == (120, 60)
    assert image.get_absolute_url() in revision.ordered_steps()[-1].text  # the step before it


def test_unmatched_sections_are_placed_and_reported(supervisor):
    outcome = _import(supervisor, word_file(ENGLISH))

    report = DocumentImport.objects.get(revision=outcome.revision)
    assert report.source_name == "billing.docx"
    notes = " ".join(report.notes)
    assert "“Escalation contacts” was put in 4. Procedure." in notes
    assert "The text before the first section title was put in 1. Purpose." in notes
    assert "Billing team lead: ext. 4410." in outcome.revision.procedure_notes
    event = AuditEvent.objects.get(revision=outcome.revision, action="PROCEDURE_CREATED")
    assert event.reason == "Imported from billing.docx"


def test_a_taken_code_gets_a_new_one_and_says_so(supervisor):
    _import(supervisor, word_file(ENGLISH))

    second = _import(supervisor, word_file(ENGLISH), name="billing-copy.docx")

    assert second.revision.procedure.code == "B-001"
    assert any("CC-BL-007" in note for note in second.notes)


def test_a_broken_file_is_refused_and_nothing_created(supervisor):
    for data, reason in [
        (b"this is not a word file", "is not a Word .docx file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000, "password-protected"),
        (word_file(ENGLISH)[:3000], "is not a Word .docx file"),
    ]:
        with pytest.raises(importing.ImportRefused, match=reason):
            _import(supervisor, data, name="broken.docx")

    assert not Procedure.objects.exists()


def test_a_file_over_the_limit_is_refused(supervisor):
    with pytest.raises(importing.ImportRefused, match="larger than"):
        importing.import_docx(
            data=word_file(ENGLISH),
            name="big.docx",
            category=factories.CategoryFactory(),
            owner=supervisor,
            created_by=supervisor,
            limit=1000,
        )


def test_the_import_page_reads_each_file_and_refuses_the_bad_ones(client, supervisor):
    category = factories.CategoryFactory(name="Billing")
    client.force_login(supervisor)

    response = client.post(
        reverse("desk:import"),
        {
            "category": category.pk,
            "files": [
                SimpleUploadedFile("good.docx", word_file(FRENCH)),
                SimpleUploadedFile("bad.docx", b"not a docx"),
            ],
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 file could not be read" in page
    assert "bad.docx</strong>: bad.docx is not a Word .docx file" in page
    preview = ImportPreview.objects.get()
    assert reverse("desk:import_preview", args=[preview.pk]) in page
    assert not Procedure.objects.exists()  # nothing is created before the author checks it
    created = client.post(
        reverse("desk:import_preview", args=[preview.pk]),
        {"action": "create", **_preview_defaults(client, preview)},
    )
    assert created.status_code == 302
    editor = client.get(created.url).content.decode()
    assert "Imported from good.docx" in editor and "Escalation contacts" in editor
    assert not ImportPreview.objects.exists()


def _preview_defaults(client, preview):
    """The preview form's fields as the page fills them."""
    from bs4 import BeautifulSoup

    page = client.get(reverse("desk:import_preview", args=[preview.pk])).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    form = soup.find("form", class_="import-preview")
    data = {}
    for field in form.find_all(["input", "select"]):
        name = field.get("name")
        if not name or name in ("csrfmiddlewaretoken", "action"):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen["value"]
        elif field.get("type") == "radio":
            if field.has_attr("checked"):
                data[name] = field["value"]
        else:
            data[name] = field.get("value", "")
    return data


def test_agents_cannot_import(client, agent):
    client.force_login(agent)

    assert client.get(reverse("desk:import")).status_code == 403


def test_the_command_imports_a_batch(supervisor, tmp_path, capsys):
    category = factories.CategoryFactory(name="Billing")
    good = tmp_path / "Verification.docx"
    good.write_bytes(word_file(HUNGARIAN, title="Caller verification"))
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"nope")

    with pytest.raises(CommandError, match="1 file"):
        call_command("import_docx", str(good), str(bad), "--category", category.name)

    out = capsys.readouterr()
    assert "IMPORTED Verification.docx → B-001 “Caller verification”" in out.out
    assert "REFUSED  broken.docx" in out.err
    assert Procedure.objects.get().owner == supervisor


def test_a_list_longer_than_the_editor_takes_is_cut_and_reported():
    from procedures.importing import drafting, structure

    blocks = [_paragraph("Procedure", bold=True)] + [
        _paragraph(f"Step {i}", listing={"id": "1", "lvl": 0, "fmt": "decimal"})
        for i in range(1, 306)
    ]
    plan = structure.analyse(blocks, core_title="", file_stem="long")

    built = drafting.build(
        blocks, plan, choices={}, descriptions={}, image_url=str, file_stem="long"
    )

    assert len(built.steps) == importing.MAX_STEPS == 300
    assert built.steps[-1].text == "Step 300"
    assert "Only the first 300 steps were kept: split the procedure." in built.notes


def _paragraph(text, *, bold=False, listing=None):
    return {
        "k": "p",
        "md": text,
        "text": text,
        "heading": None,
        "title": False,
        "bold": bold,
        "caps": False,
        "list": listing,
    }


def test_a_controller_imports_for_the_supervisor_who_will_own_it(client, controller, supervisor):
    category = factories.CategoryFactory(name="Billing")
    client.force_login(controller)

    response = client.post(
        reverse("desk:import"),
        {
            "category": category.pk,
            "owner": supervisor.pk,
            "files": [SimpleUploadedFile("billing.docx", word_file(ENGLISH))],
        },
    )

    preview = ImportPreview.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "desk:import_preview", args=[preview.pk]
    )
    assert preview.owner == supervisor
    client.post(response.url, {"action": "create", **_preview_defaults(client, preview)})
    revision = Revision.objects.get(procedure__code="CC-BL-007")
    assert revision.procedure.owner == supervisor and revision.author == supervisor
    event = AuditEvent.objects.get(revision=revision, action="PROCEDURE_CREATED")
    assert event.actor == controller


def test_an_import_without_files_keeps_the_choice_and_says_what_is_missing(client, supervisor):
    category = factories.CategoryFactory(name="Billing")
    client.force_login(supervisor)

    response = client.post(reverse("desk:import"), {"category": category.pk})

    page = response.content.decode()
    assert "This field is required." in page
    assert f'<option value="{category.pk}" selected>' in page
    assert not Procedure.objects.exists()
