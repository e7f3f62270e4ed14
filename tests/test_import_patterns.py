"""Word files as other organisations write them (issue 14): each pattern measured on real
procedures is written by tests/docx_fixtures.py and imported as an author imports it; the tests
check what the author finds in the draft: the title, each element in its own field, the steps
in order at their levels, the pictures with their descriptions, and the import report."""

import re
import shutil
import unicodedata

import pytest

from procedures import importing, workflow
from procedures.models import AuditEvent, DocumentImport, RevisionImage
from procedures.rendering.markdown import render_markdown
from tests import docx_fixtures as fx
from tests import factories
from tests.test_templates_and_import import _import

LIMIT = 10 * 1024 * 1024


def _read(data, name="billing.docx"):
    """How the importer reads a file (the command line's --dry-run): nothing is stored."""
    return importing.dry_run(data=data, name=name, limit=LIMIT)


def _steps(revision):
    return [(s.level, s.text) for s in revision.ordered_steps()]


def _flat(steps):
    return [(1, text) for text in steps]


def _image_markdown(revision, description=""):
    return [f"![{description}]({image.get_absolute_url()})" for image in revision.images.all()]


def _assert_elements_filled(revision, purpose=fx.PURPOSE):
    assert revision.purpose == purpose
    assert revision.scope == fx.SCOPE
    assert revision.responsibilities == fx.RESPONSIBILITIES
    assert revision.training == fx.TRAINING
    assert [(m.name, m.target) for m in revision.ordered_measures()] == fx.MEASURES


# --- section titles without heading styles -----------------------------------------------------


def test_bold_paragraphs_are_section_titles_and_the_bold_first_line_is_the_title(supervisor):
    data = fx.bold_titles()

    revision = _import(supervisor, data).revision

    assert revision.title == "Handling a billing dispute"
    _assert_elements_filled(revision)
    assert _steps(revision) == _flat(fx.STEPS)
    assert revision.procedure_notes == ""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(fx.caps_titles, id="typed in capitals"),
        pytest.param(lambda: fx.caps_titles(formatted=True), id="all caps formatting"),
        pytest.param(fx.character_style_titles, id="bold character style"),
    ],
)
def test_titles_in_capitals_or_in_a_bold_character_style_fill_the_elements(supervisor, data):
    revision = _import(supervisor, data()).revision

    assert revision.title == "Handling a billing dispute"
    _assert_elements_filled(revision)
    assert _steps(revision) == _flat(fx.STEPS)
    report = " ".join(revision.import_report.notes)
    assert "was put in" not in report  # every section was recognised by its name


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="1. PURPOSE AND CONTENTS"),
        pytest.param({"fmt": "upperRoman"}, id="I. PURPOSE AND CONTENTS"),
        pytest.param({"bold": True, "capitals": False}, id="1. Purpose and contents, bold"),
        pytest.param({"capitals": False}, id="1. Purpose and contents, plain"),
    ],
)
def test_outline_numbered_section_titles_fill_the_elements(supervisor, options):
    data = fx.outline_numbered_titles(title="Handling a billing dispute", **options)

    revision = _import(supervisor, data).revision

    assert revision.title == "Handling a billing dispute"
    _assert_elements_filled(revision)
    assert _steps(revision) == _flat(fx.STEPS)


def test_section_titles_at_the_second_level_of_an_outline_fill_the_elements(supervisor):
    data = fx.outline_numbered_titles(title="Handling a billing dispute", level=1)

    revision = _import(supervisor, data).revision

    _assert_elements_filled(revision)  # the empty part title "GENERAL PROVISIONS" adds nothing
    assert _steps(revision) == _flat(fx.STEPS)


def test_steps_numbered_in_the_outline_of_the_section_titles_are_the_steps(supervisor):
    data = fx.outline_numbered_titles(title="Handling a billing dispute", steps_in_outline=True)

    revision = _import(supervisor, data).revision

    _assert_elements_filled(revision)
    assert _steps(revision) == _flat(fx.STEPS)


def test_french_phases_become_steps_with_their_actions_as_sub_steps(supervisor):
    data = fx.french_phases()

    revision = _import(supervisor, data).revision

    assert revision.title == "Procédure de traitement d'une réclamation"
    assert revision.step_format == "HIERARCHICAL"
    assert _steps(revision) == [
        (1, "Accueil du client"),
        (2, "Décrocher avant la troisième sonnerie."),
        (2, "Se présenter."),
        (1, "Identification"),
        (2, "Demander le numéro de compte."),
        (2, "Vérifier l'identité."),
        (1, "Traitement"),
        (2, "Ouvrir un dossier de réclamation."),
        (2, "Annoncer le délai."),
    ]
    assert revision.purpose == fx.PURPOSE and revision.scope == fx.SCOPE


def test_plain_phases_with_actions_numbered_by_hand_give_the_same_hierarchy(supervisor):
    data = fx.french_phases(bold=False, actions="typed")

    revision = _import(supervisor, data).revision

    assert [level for level, _text in _steps(revision)] == [1, 2, 2, 1, 2, 2, 1, 2, 2]
    assert _steps(revision)[1] == (2, "Décrocher avant la troisième sonnerie.")


# --- steps that are not Word numbering --------------------------------------------------------


def test_word_bullets_are_the_steps(supervisor):
    revision = _import(supervisor, fx.bullet_steps()).revision

    assert _steps(revision) == _flat(fx.STEPS)
    assert revision.step_format == "SIMPLE"


def test_numbers_typed_by_hand_are_taken_off_and_give_the_levels(supervisor):
    revision = _import(supervisor, fx.hand_numbered_steps()).revision

    assert _steps(revision) == [
        (1, "Greet the caller and give your name."),
        (1, "Ask for the account number."),
        (1, "Check the disputed charge:"),
        (2, "Open the invoice in the billing system."),
        (2, "Compare the charge with the contract."),
        (1, "Open a dispute case."),
        (1, "Tell the caller when they will hear back."),
    ]


@pytest.mark.parametrize("by", ["style", "ilvl"])
def test_bullets_in_several_levels_become_sub_steps(supervisor, by):
    revision = _import(supervisor, fx.nested_bullets(by=by)).revision

    assert _steps(revision) == [(level + 1, text) for level, text in fx.NESTED]
    assert revision.step_format == "HIERARCHICAL"


def test_a_screenshot_after_a_step_joins_that_step(supervisor):
    revision = _import(supervisor, fx.steps_with_screenshots()).revision

    steps = revision.ordered_steps()
    assert len(steps) == len(fx.STEPS)
    for step, text, description in zip(steps, fx.STEPS, fx.SCREENSHOTS, strict=False):
        image = RevisionImage.objects.get(revision=revision, token__in=_tokens(step.text))
        assert step.text == f"{text}\n\n![{description}]({image.get_absolute_url()})"
    assert [s.text for s in steps[len(fx.SCREENSHOTS) :]] == fx.STEPS[len(fx.SCREENSHOTS) :]
    assert revision.images.count() == len(fx.SCREENSHOTS)


def _tokens(text):
    return re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)


@pytest.mark.parametrize("bullets", [False, True], ids=["numbered", "bulleted"])
def test_a_list_interrupted_by_a_picture_goes_on_after_it(supervisor, bullets):
    revision = _import(supervisor, fx.list_interrupted_by_picture(bullets=bullets)).revision

    (picture,) = _image_markdown(revision, "The account search screen")
    assert _steps(revision) == [
        (1, fx.STEPS[0]),
        (1, f"{fx.STEPS[1]}\n\n{picture}"),
        *_flat(fx.STEPS[2:]),
    ]
    assert not any("- -" in text or text.strip("-• ") == "" for _l, text in _steps(revision))


def test_explanatory_paragraphs_join_the_step_before(supervisor):
    revision = _import(supervisor, fx.explanatory_paragraphs()).revision

    expected = [
        text + (f"\n\n{fx.EXPLANATIONS[n]}" if n in fx.EXPLANATIONS else "")
        for n, text in enumerate(fx.STEPS)
    ]
    assert _steps(revision) == _flat(expected)
    assert revision.procedure_notes == ""


def test_without_a_procedure_section_the_longest_list_of_short_lines_is_the_steps(supervisor):
    plan, _built = _read(fx.no_procedure_section())
    assert "procedure" not in {s.element for s in plan.sections}

    outcome = _import(supervisor, fx.no_procedure_section())

    revision = outcome.revision
    assert _steps(revision) == _flat(fx.STEPS)
    assert fx.PURPOSE in revision.purpose
    assert all(definition[:30] in revision.scope for definition in fx.DEFINITIONS)
    assert "5 steps were read from “What the agent does”" in " ".join(outcome.notes)


def test_without_any_section_title_the_steps_are_still_the_short_lines(supervisor):
    data = fx.no_procedure_section(titles=False)

    revision = _import(supervisor, data).revision

    assert _steps(revision) == _flat(fx.STEPS)
    assert all(definition[:30] in revision.purpose for definition in fx.DEFINITIONS)


# --- the names elements go by ------------------------------------------------------------------

VARIANTS = {
    "French: Objectif, Mode opératoire": {
        "purpose": "Objectif",
        "scope": "Domaine d’application",
        "responsibilities": "Rôles et responsabilités",
        "procedure": "Mode opératoire",
        "measures": "Indicateurs",
        "training": "Formation",
    },
    "French: But, Déroulement": {
        "purpose": "But",
        "scope": "Domaine d'application",
        "responsibilities": "Rôles et responsabilités",
        "procedure": "Déroulement",
        "measures": "Indicateurs de performance",
        "training": "Formation",
    },
    "Indonesian: Tujuan, Langkah-langkah": {
        "purpose": "Tujuan",
        "scope": "Ruang lingkup",
        "responsibilities": "Tanggung jawab",
        "procedure": "Langkah-langkah",
        "measures": "Indikator kinerja",
        "training": "Pelatihan",
    },
    "Indonesian: Maksud, Prosedur kerja": {
        "purpose": "Maksud",
        "scope": "Ruang Lingkup",
        "responsibilities": "Tanggung Jawab",
        "procedure": "Prosedur kerja",
        "measures": "Indikator Kinerja",
        "training": "Pelatihan",
    },
    "Hungarian: Cél, Eljárásrend": {
        "purpose": "Cél",
        "scope": "Hatály",
        "responsibilities": "Felelősség",
        "procedure": "Eljárásrend",
        "measures": "Mutatók",
        "training": "Képzés",
    },
    "Hungarian: Folyamat": {
        "purpose": "Cél",
        "scope": "Hatály",
        "responsibilities": "Felelősség",
        "procedure": "Folyamat",
        "measures": "Mutatók",
        "training": "Képzés",
    },
}


@pytest.mark.parametrize("names", VARIANTS.values(), ids=VARIANTS.keys())
def test_element_name_variants_fill_their_elements(supervisor, names):
    outcome = _import(supervisor, fx.named_sections(names))

    _assert_elements_filled(outcome.revision)
    assert _steps(outcome.revision) == _flat(fx.STEPS)
    assert not any("was put in" in note for note in outcome.notes)


def test_an_overview_section_goes_to_the_purpose(supervisor):
    names = dict(fx.ENGLISH, purpose="Overview")

    outcome = _import(supervisor, fx.named_sections(names))

    assert outcome.revision.purpose == f"### Overview\n\n{fx.PURPOSE}"
    assert "“Overview” was put in 1. Purpose." in outcome.notes


# --- pictures ----------------------------------------------------------------------------------


def test_words_generated_descriptions_are_kept_on_one_line_without_the_notice(supervisor):
    data = fx.pictures_with_descriptions([fx.FRENCH_GENERATED, fx.ENGLISH_GENERATED])

    outcome = _import(supervisor, data)

    texts = [text for _level, text in _steps(outcome.revision)]
    assert "![Une image contenant texte, capture d’écran, logiciel, Police](" in texts[0]
    assert "![A screenshot of a computer](" in texts[1]
    assert not any("incorrect" in text or "IA" in text for text in texts)
    assert not any("need a description" in note for note in outcome.notes)


@pytest.mark.parametrize("junk", fx.JUNK_DESCRIPTIONS)
def test_a_description_that_only_names_a_file_is_dropped_and_counted(supervisor, junk):
    data = fx.pictures_with_descriptions(["The dispute form, filled in", junk])

    outcome = _import(supervisor, data)

    texts = [text for _level, text in _steps(outcome.revision)]
    assert "![The dispute form, filled in](" in texts[0]
    assert texts[1].split("\n\n")[1].startswith("![](")
    assert "1 picture needs a description" in " ".join(outcome.notes)
    for part in ("cid:", "INetCache", "image00", "Foxmail"):
        assert all(part not in text for text in texts)


def test_a_picture_without_a_description_is_reported_and_blocks_submission(supervisor):
    data = fx.pictures_with_descriptions(["The dispute form, filled in", None])
    outcome = _import(supervisor, data)
    factories.manager()

    with pytest.raises(workflow.IncompleteRevision) as refused:
        workflow.submit(revision=outcome.revision, actor=supervisor)

    assert "1 picture needs a description" in " ".join(outcome.notes)
    assert "4. Procedure, step 2: the picture has no description" in refused.value.message
    outcome.revision.refresh_from_db()
    assert outcome.revision.status == "DRAFT"
    assert not AuditEvent.objects.filter(revision=outcome.revision, action="SUBMITTED").exists()


def test_pictures_described_in_the_preview_submit_and_render_as_pictures(supervisor):
    category = factories.CategoryFactory(name="Billing")
    data = fx.pictures_with_descriptions([fx.JUNK_DESCRIPTIONS[0], None])
    row = importing.preview(
        data=data,
        name="billing.docx",
        category=category,
        owner=supervisor,
        uploaded_by=supervisor,
        limit=LIMIT,
    )
    choices = importing.default_choices(row)
    typed = iter(["The billing screen [part 1]\nwith the total", "The total] shown below"])
    for token in choices["descriptions"]:
        choices["descriptions"][token] = next(typed)
    revision = importing.create_from_preview(preview=row, user=supervisor, choices=choices)
    factories.manager()

    submitted = factories.submit(revision)

    assert submitted.status == "IN_REVIEW"
    html = "".join(str(render_markdown(step.text)) for step in revision.ordered_steps())
    assert html.count("<img") == 2
    assert 'alt="The billing screen (part 1) with the total"' in html
    assert 'alt="The total) shown below"' in html
    assert "![" not in html
    report = DocumentImport.objects.get(revision=revision)
    assert not any("need a description" in note for note in report.notes)


# --- equations and other embedded objects ------------------------------------------------------

needs_wmf2gd = pytest.mark.skipif(shutil.which("wmf2gd") is None, reason="libwmf-bin")


@needs_wmf2gd
def test_an_equation_drawn_as_a_windows_metafile_becomes_a_picture_at_its_place(supervisor):
    outcome = _import(supervisor, fx.equation_objects(preview="wmf"))

    revision = outcome.revision
    parts = revision.measures_notes.split("\n\n")
    assert parts[0] == fx.FORMULA_LEADS[0] and parts[1].startswith("![](")
    assert parts[2] == fx.FORMULA_LEADS[1] and parts[3].startswith("![](")
    assert revision.images.count() == 3  # two formulas and the spreadsheet's preview
    assert "Formula left out" not in revision.measures_notes
    notes = " ".join(outcome.notes)
    assert (
        "2 formulas were found (after “…Average handling time =”; "
        "“…The dispute rate is computed as”): check them against the original." in notes
    )
    assert "1 embedded object was found (after “…Weekly figures, sheet 1:”)" in notes
    assert "3 pictures need a description" in notes


@pytest.mark.parametrize("preview", ["emf", "unknown"])
def test_an_equation_that_cannot_be_drawn_is_marked_where_it_stood(supervisor, preview):
    outcome = _import(supervisor, fx.equation_objects(preview=preview))

    parts = outcome.revision.measures_notes.split("\n\n")
    assert parts[:4] == [
        fx.FORMULA_LEADS[0],
        "\\[Formula left out: see the original document\\]",
        fx.FORMULA_LEADS[1],
        "\\[Formula left out: see the original document\\]",
    ]
    assert "\\[Object left out: see the original document\\]" in parts
    assert not outcome.revision.images.exists()
    notes = " ".join(outcome.notes)
    assert "2 formulas were found (after “…Average handling time =”;" in notes
    assert "1 embedded object was found" in notes
    assert "3 formulas or objects could not be shown as pictures" in notes
    html = str(render_markdown(outcome.revision.measures_notes))
    assert "[Formula left out: see the original document]" in html


def test_without_libwmf_a_metafile_equation_is_marked_left_out(supervisor, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)

    outcome = _import(supervisor, fx.equation_objects(preview="wmf"))

    assert outcome.revision.measures_notes.count("\\[Formula left out") == 2
    assert not outcome.revision.images.exists()


# --- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("first_section", ["General", "COMPLIANCE STATEMENT"])
@pytest.mark.parametrize("where", ["style", "core", "first_line"])
def test_the_real_title_wins_over_a_first_section_title(supervisor, where, first_section):
    data = fx.titled(where=where, first_section=first_section)

    revision = _import(supervisor, data, name="policy 12.docx").revision

    assert revision.title == "Handling a billing dispute"
    assert revision.purpose.startswith(f"### {first_section}\n\nThis procedure follows")
    assert revision.scope == fx.SCOPE


@pytest.mark.parametrize("first_section", ["General", "COMPLIANCE STATEMENT"])
def test_without_a_title_the_file_name_wins_over_a_first_section_title(supervisor, first_section):
    data = fx.titled(where="none", first_section=first_section, capitals=True)

    revision = _import(supervisor, data, name="Billing dispute handling.docx").revision

    assert revision.title == "Billing dispute handling"
    assert revision.purpose.startswith(f"### {first_section.upper()}\n\nThis procedure follows")


def test_a_file_name_in_decomposed_unicode_gives_a_composed_title(supervisor):
    name = unicodedata.normalize("NFD", "Procédure d'accueil.docx")

    outcome = _import(supervisor, fx.untitled(), name=name)

    assert outcome.revision.title == "Procédure d'accueil"
    assert unicodedata.is_normalized("NFC", outcome.revision.title)
    assert outcome.revision.import_report.source_name == "Procédure d'accueil.docx"


def test_a_first_line_repeating_the_files_own_title_is_not_a_section(supervisor):
    data = fx.large_policy(words=1500)

    plan, built = _read(data, name="policy.docx")

    assert built.title == "Information handling policy"
    assert plan.sections[0].heading == "1. PURPOSE"
    assert not any("INFORMATION HANDLING POLICY" in note for note in built.notes)


# --- size --------------------------------------------------------------------------------------


def test_a_long_policy_imports_without_error(supervisor):
    data = fx.large_policy(words=4000)

    outcome = _import(supervisor, data, name="policy.docx")

    revision = outcome.revision
    assert revision.title == "Information handling policy"
    assert len(revision.ordered_steps()) >= 12
    assert revision.images.count() == 4
    assert not any("need a description" in note for note in outcome.notes)


# --- documents cut into numbered sub-sections, titled under a "Standard Operating Procedure" ----


def _it_operations_sop() -> bytes:
    """An IT operations SOP: a generic Title above the real one, numbered heading styles, and a
    procedure in sub-sections, each with its own numbered list."""
    import docx

    document = docx.Document()
    document.add_paragraph("Standard Operating Procedure", style="Title")
    document.add_paragraph("Password reset for contact-center agents")
    document.add_heading("1 Introduction", 1)
    document.add_heading("1.1 Purpose", 2)
    document.add_paragraph("Reset an agent's password without delaying the queue.")
    document.add_heading("1.2 Scope", 2)
    document.add_paragraph("Directory and CRM accounts of agents.")
    document.add_heading("2 Roles and Responsibilities", 1)
    document.add_paragraph("Service desk analysts reset; team leads confirm identity.")
    document.add_heading("3 Procedure", 1)
    document.add_heading("3.1 Verify the request", 2)
    document.add_paragraph("Confirm the employee number with the team lead.", style="List Number")
    document.add_paragraph("Check the ticket is assigned to you.", style="List Number")
    document.add_heading("3.2 Reset the password", 2)
    document.add_paragraph("Reset it in the directory only on a verified ticket.")
    document.add_paragraph("Open the directory console.", style="List Number")
    document.add_paragraph("Choose Reset Password on the account.", style="List Number")
    document.add_heading("4 References", 1)
    document.add_paragraph("IT security policy ITS-01.")
    return fx.save(document)


def test_a_procedure_in_numbered_sub_sections_gives_each_its_step_and_its_list_below(supervisor):
    revision = _import(supervisor, _it_operations_sop()).revision

    assert _steps(revision) == [
        (1, "Verify the request"),
        (2, "Confirm the employee number with the team lead."),
        (2, "Check the ticket is assigned to you."),
        (1, "Reset the password\n\nReset it in the directory only on a verified ticket."),
        (2, "Open the directory console."),
        (2, "Choose Reset Password on the account."),
    ]
    assert revision.step_format == "HIERARCHICAL"
    assert "Verify the request" not in revision.procedure_notes


def test_a_generic_title_gives_way_to_the_line_under_it_and_neither_is_content(supervisor):
    revision = _import(supervisor, _it_operations_sop()).revision

    assert revision.title == "Password reset for contact-center agents"
    assert "Standard Operating Procedure" not in revision.purpose
    assert revision.purpose.startswith("Reset an agent's password")


def test_an_empty_parent_section_leaves_no_stray_heading(supervisor):
    revision = _import(supervisor, _it_operations_sop()).revision

    assert "Introduction" not in revision.purpose


def test_a_bold_hand_number_leaves_no_stray_bold_marks(supervisor):
    import docx

    document = docx.Document()
    fx.bold_line(document, "Handling a billing dispute")
    fx.bold_line(document, "Procedure")
    for number, (lead, rest) in enumerate(
        [("Greet the caller", ", then verify them."), ("Open the invoice", " in the CRM.")], 1
    ):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{number}) {lead}").bold = True
        paragraph.add_run(rest)
    paragraph = document.add_paragraph()
    paragraph.add_run("3)").bold = True
    paragraph.add_run(" Close the call.")

    revision = _import(supervisor, fx.save(document)).revision

    assert [text for _, text in _steps(revision)] == [
        "**Greet the caller**, then verify them.",
        "**Open the invoice** in the CRM.",
        "Close the call.",
    ]


def test_a_description_ending_in_a_backslash_still_shows_as_a_picture(supervisor):
    from procedures.importing import drafting

    markdown = drafting.image_markdown("t", "Folder C:\\Data\\", lambda token: "/images/t.png")

    assert markdown == "![Folder C:/Data/](/images/t.png)"  # no "\\]" to escape the bracket


def test_steps_numbered_by_hand_and_all_in_bold_are_steps_not_section_titles(supervisor):
    import docx

    document = docx.Document()
    fx.bold_line(document, "Handling a billing dispute")
    fx.bold_line(document, "Procedure")
    for number, text in enumerate(["Greet the caller", "Verify the account", "Close"], 1):
        document.add_paragraph().add_run(f"{number}) {text}").bold = True
        document.add_paragraph(f"What to say: {text.lower()}.")
    fx.bold_line(document, "Training")
    document.add_paragraph(fx.TRAINING)

    revision = _import(supervisor, fx.save(document)).revision

    assert _steps(revision) == [
        (1, "**Greet the caller**\n\nWhat to say: greet the caller."),
        (1, "**Verify the account**\n\nWhat to say: verify the account."),
        (1, "**Close**\n\nWhat to say: close."),
    ]
    assert revision.training == fx.TRAINING
