"""Word files written the way other organisations write their procedures (issue 14): each
builder returns the bytes of a .docx that shows one pattern measured on real files, with
python-docx and, where it has no API, the raw XML Word itself writes (numbering definitions,
character styles, OLE objects, picture descriptions).

The builders share one call-center procedure (a billing complaint) and vary only the pattern:
how section titles are marked, how steps are listed, what pictures and objects hold. The
tests in test_import_patterns.py import them; bench/import_docx.py imports large_policy().
"""

import io
import random
import struct

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from PIL import Image

# --- the procedure every builder writes --------------------------------------------------------

PURPOSE = "Callers who dispute a charge are heard and get an answer within five working days."
SCOPE = "All inbound calls about a bill, on every line of the billing queue."
RESPONSIBILITIES = "Agents record the dispute; the billing team decides on it."
STEPS = [
    "Greet the caller and give your name.",
    "Ask for the account number.",
    "Check the disputed charge in the billing system.",
    "Open a dispute case.",
    "Tell the caller when they will hear back.",
]
MEASURES = [("Disputes answered in 5 days", "95%"), ("Repeat calls", "10%")]
TRAINING = "Billing module, two hours, before taking billing calls."

ENGLISH = {
    "purpose": "Purpose",
    "scope": "Scope",
    "responsibilities": "Responsibilities",
    "procedure": "Procedure",
    "measures": "Performance measures",
    "training": "Training",
}


# --- what Word writes, as small helpers --------------------------------------------------------


def save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png(color="orange", size=(160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def new_list(document, *levels: tuple[str, str]) -> str:
    """A list definition in numbering.xml, one (numFmt, lvlText) per level → its numId."""
    numbering = document.part.numbering_part.element
    taken = [
        int(element.get(qn(attribute)))
        for tag, attribute in (("w:abstractNum", "w:abstractNumId"), ("w:num", "w:numId"))
        for element in numbering.findall(qn(tag))
    ]
    number = str(max(taken, default=0) + 1)
    xml = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{720 * (i + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">'
            f'<w:multiLevelType w:val="{"multilevel" if len(levels) > 1 else "singleLevel"}"/>'
            f"{xml}</w:abstractNum>"
        ),
    )
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{number}"><w:abstractNumId w:val="{number}"/></w:num>'
        )
    )
    return number


def decimal_list(document, depth=3) -> str:
    return new_list(
        document, *[("decimal", "".join(f"%{n}." for n in range(1, i + 2))) for i in range(depth)]
    )


def bullet_list(document, depth=3) -> str:
    return new_list(document, *[("bullet", "•") for _ in range(depth)])


def list_item(document, text: str, number: str, level: int = 0, *, bold=False):
    """A paragraph of a Word list: Word draws its number or bullet, the text holds none."""
    paragraph = document.add_paragraph(style="List Paragraph")
    paragraph.add_run(text).bold = bold or None
    paragraph._p.get_or_add_pPr().append(
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
            f'<w:numId w:val="{number}"/></w:numPr>'
        )
    )
    return paragraph


def describe(shape, description: str | None) -> None:
    """Word keeps a picture's description (alt text) in wp:docPr's descr attribute."""
    doc_pr = shape._inline.docPr
    if description is None:
        doc_pr.attrib.pop("descr", None)
    else:
        doc_pr.set("descr", description)


def picture(document, description: str | None = None, *, paragraph=None, color="orange"):
    """A screenshot in a paragraph of its own (or at the end of `paragraph`)."""
    if paragraph is None:
        shape = document.add_picture(io.BytesIO(png(color)))
    else:
        shape = paragraph.add_run().add_picture(io.BytesIO(png(color)))
    describe(shape, description)
    return shape


def bold_line(document, text: str):
    paragraph = document.add_paragraph()
    paragraph.add_run(text).bold = True
    return paragraph


def caps_line(document, text: str):
    """A title typed in capitals, in the body's own font."""
    return document.add_paragraph(text.upper())


def caps_formatted_line(document, text: str):
    """A title typed in lower case that Word shows in capitals (Font ▸ All caps)."""
    paragraph = document.add_paragraph()
    paragraph.add_run(text).font.all_caps = True
    return paragraph


def define_character_style(document, style_id: str, name: str, *, bold=True) -> None:
    """A character style in styles.xml as Word defines it (the run then only names it)."""
    styles = document.styles.element
    for existing in styles.findall(qn("w:style")):
        if existing.get(qn("w:styleId")) == style_id:
            styles.remove(existing)
    styles.append(
        parse_xml(
            f'<w:style {nsdecls("w")} w:type="character" w:styleId="{style_id}">'
            f'<w:name w:val="{name}"/><w:basedOn w:val="DefaultParagraphFont"/>'
            f'<w:uiPriority w:val="32"/><w:qFormat/><w:rPr>{"<w:b/><w:bCs/>" if bold else ""}'
            f'<w:smallCaps/><w:color w:val="C0504D"/><w:spacing w:val="5"/></w:rPr></w:style>'
        )
    )


def character_styled_line(document, text: str, style_id="IntenseReference"):
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run._r.get_or_add_rPr().insert(0, parse_xml(f'<w:rStyle {nsdecls("w")} w:val="{style_id}"/>'))
    return paragraph


def measures_table(document, header=("Measure", "Target")) -> None:
    table = document.add_table(rows=len(MEASURES) + 1, cols=2)
    for r, row in enumerate([header, *MEASURES]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


def numbered_steps(document, steps=STEPS) -> None:
    number = decimal_list(document)
    for text in steps:
        list_item(document, text, number)


def procedure(document, heading, *, names=ENGLISH, steps=numbered_steps) -> None:
    """The shared procedure, its section titles written by `heading(document, text)` and its
    steps by `steps(document)`."""
    heading(document, names["purpose"])
    document.add_paragraph(PURPOSE)
    heading(document, names["scope"])
    document.add_paragraph(SCOPE)
    heading(document, names["responsibilities"])
    document.add_paragraph(RESPONSIBILITIES)
    heading(document, names["procedure"])
    steps(document)
    heading(document, names["measures"])
    measures_table(document)
    heading(document, names["training"])
    document.add_paragraph(TRAINING)


# --- section titles without heading styles -----------------------------------------------------


def bold_titles(title="Handling a billing dispute", names=ENGLISH) -> bytes:
    """The title and every section title are bold paragraphs of the body's style."""
    document = docx.Document()
    bold_line(document, title)
    procedure(document, bold_line, names=names)
    return save(document)


def caps_titles(title="Handling a billing dispute", *, formatted=False) -> bytes:
    """Section titles in capitals, not bold: typed so, or shown so by Word's All caps."""
    document = docx.Document()
    document.core_properties.title = title
    procedure(document, caps_formatted_line if formatted else caps_line)
    return save(document)


def character_style_titles(title="Handling a billing dispute") -> bytes:
    """Section titles whose boldness comes from a character style (Intense Reference)."""
    document = docx.Document()
    define_character_style(document, "IntenseReference", "Intense Reference")
    document.core_properties.title = title
    procedure(document, character_styled_line)
    return save(document)


def outline_numbered_titles(
    *,
    fmt="decimal",
    level=0,
    names=None,
    bold=False,
    capitals=True,
    title=None,
    steps_in_outline=False,
) -> bytes:
    """Section titles that are paragraphs of a Word outline list: Word draws "1." / "I." /
    "4.2" before them, the text holds only the name. `level` 1 puts them at the second level
    of the outline ("4.1", "4.2"), under a first-level part title. steps_in_outline: the
    steps are the next level of the same outline ("4.1 Greet the caller…")."""
    document = docx.Document()
    if title:
        bold_line(document, title)
    if fmt == "upperRoman":
        number = new_list(
            document, ("upperRoman", "%1."), ("decimal", "%1.%2."), ("decimal", "%1.%2.%3.")
        )
    else:
        number = new_list(
            document, ("decimal", "%1."), ("decimal", "%1.%2."), ("decimal", "%1.%2.%3.")
        )
    if level:
        list_item(document, "GENERAL PROVISIONS" if capitals else "General provisions", number, 0)

    def heading(document, text):
        list_item(document, text.upper() if capitals else text, number, level, bold=bold)

    def outline_steps(document):
        for text in STEPS:
            list_item(document, text, number, level + 1)

    procedure(
        document,
        heading,
        names=names or dict(ENGLISH, purpose="Purpose and contents"),
        steps=outline_steps if steps_in_outline else numbered_steps,
    )
    return save(document)


def french_phases(*, bold=True, actions="bullets") -> bytes:
    """A French procedure whose mode opératoire is in phases ("1er étape :"), bold or not,
    each followed by its actions: bulleted, or numbered by hand from 1) in each phase."""
    document = docx.Document()
    bold_line(document, "Procédure de traitement d'une réclamation")
    names = {
        "purpose": "Objectif",
        "scope": "Domaine d'application",
        "responsibilities": "Rôles et responsabilités",
        "procedure": "Mode opératoire",
        "measures": "Indicateurs",
        "training": "Formation",
    }

    def steps(document):
        bullets = bullet_list(document)
        for phase, texts in PHASES:
            if bold:
                bold_line(document, phase)
            else:
                document.add_paragraph(phase)
            for number, action in enumerate(texts, start=1):
                if actions == "bullets":
                    list_item(document, action, bullets)
                else:
                    document.add_paragraph(f"{number}) {action}")

    procedure(document, bold_line, names=names, steps=steps)
    return save(document)


PHASES = [
    ("1er étape : Accueil du client", ["Décrocher avant la troisième sonnerie.", "Se présenter."]),
    ("2eme étape : Identification", ["Demander le numéro de compte.", "Vérifier l'identité."]),
    ("3ème étape : Traitement", ["Ouvrir un dossier de réclamation.", "Annoncer le délai."]),
]


# --- steps that are not Word numbering --------------------------------------------------------


def bullet_steps(steps=STEPS) -> bytes:
    """Steps in Word's List Bullet style (its bullet numbering comes from the style)."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def bulleted(document):
        for text in steps:
            document.add_paragraph(text, style="List Bullet")

    procedure(document, bold_line, steps=bulleted)
    return save(document)


HAND_NUMBERED = [
    "1) Greet the caller and give your name.",
    "2) Ask for the account number.",
    "3) Check the disputed charge:",
    "3/1 Open the invoice in the billing system.",
    "3/2 Compare the charge with the contract.",
    "4. Open a dispute case.",
    "5. Tell the caller when they will hear back.",
]


def hand_numbered_steps(lines=HAND_NUMBERED) -> bytes:
    """Steps numbered by typing the numbers: "1)", "3/1", "4." in plain paragraphs."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def typed(document):
        for line in lines:
            document.add_paragraph(line)

    procedure(document, bold_line, steps=typed)
    return save(document)


NESTED = [
    (0, "Check the disputed charge."),
    (1, "Open the invoice."),
    (2, "Find the line the caller disputes."),
    (1, "Compare the charge with the contract."),
    (0, "Open a dispute case."),
    (1, "Attach the invoice."),
    (0, "Tell the caller when they will hear back."),
]


def nested_bullets(*, by="style", items=NESTED) -> bytes:
    """Bullets in several levels: Word's List Bullet / List Bullet 2 / List Bullet 3 styles
    (by="style", each its own single-level list) or one bullet list's levels (by="ilvl")."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def bulleted(document):
        number = bullet_list(document)
        for level, text in items:
            if by == "style":
                style = "List Bullet" if level == 0 else f"List Bullet {level + 1}"
                document.add_paragraph(text, style=style)
            else:
                list_item(document, text, number, level)

    procedure(document, bold_line, steps=bulleted)
    return save(document)


SCREENSHOTS = [
    "The billing system's search box",
    "The disputed line, highlighted",
    "The Open case button",
]


def steps_with_screenshots(descriptions=SCREENSHOTS) -> bytes:
    """Each of the first steps followed by its screenshot, in a paragraph of its own."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def illustrated(document):
        number = decimal_list(document)
        for index, text in enumerate(STEPS):
            list_item(document, text, number)
            if index < len(descriptions):
                picture(document, descriptions[index], color=("red", "green", "blue")[index % 3])

    procedure(document, bold_line, steps=illustrated)
    return save(document)


def list_interrupted_by_picture(*, bullets=False) -> bytes:
    """A list whose third paragraph holds only a picture (still a list paragraph, so Word
    shows a bullet or number beside it) followed by an empty list paragraph; the list goes on."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def interrupted(document):
        number = bullet_list(document) if bullets else decimal_list(document)
        list_item(document, STEPS[0], number)
        list_item(document, STEPS[1], number)
        holder = list_item(document, "", number)
        picture(document, "The account search screen", paragraph=holder)
        list_item(document, "", number)
        for text in STEPS[2:]:
            list_item(document, text, number)

    procedure(document, bold_line, steps=interrupted)
    return save(document)


EXPLANATIONS = {
    1: "The number is on the top right of every bill.",
    2: "If the charge is older than twelve months, say that it can no longer be disputed.",
}


def explanatory_paragraphs(explanations=EXPLANATIONS) -> bytes:
    """Steps with plain paragraphs between them that explain the step before."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def explained(document):
        number = decimal_list(document)
        for index, text in enumerate(STEPS):
            list_item(document, text, number)
            if index in explanations:
                document.add_paragraph(explanations[index])

    procedure(document, bold_line, steps=explained)
    return save(document)


DEFINITIONS = [
    "Dispute: a caller's statement that a charge on their bill is wrong, made by phone, "
    "e-mail or letter, which the billing team must answer in writing within five working days.",
    "Adjustment: a credit the billing team writes on the next bill when it accepts a dispute, "
    "for the disputed amount and any late fee charged because of it.",
    "Escalation: a dispute that the billing team could not settle, handed to the customer "
    "relations manager with the case history and the caller's preferred way of contact.",
]
CONTACTS = ["Billing team lead, extension 4410", "Customer relations manager, extension 4420"]


def no_procedure_section(*, titles=True) -> bytes:
    """A work instruction with no section called procedure: a bulleted glossary of long
    definitions, the steps as a list of short imperative lines and two contacts, under bold
    section titles (titles=False: only lines that introduce each list)."""
    document = docx.Document()
    bold_line(document, "Billing disputes")
    title = bold_line if titles else (lambda document, text: document.add_paragraph(text + ":"))
    if titles:
        bold_line(document, "Overview")
    document.add_paragraph(PURPOSE)
    title(document, "Definitions")
    bullets = bullet_list(document)
    for text in DEFINITIONS:
        list_item(document, text, bullets)
    title(document, "What the agent does")
    number = decimal_list(document)
    for text in STEPS:
        list_item(document, text, number)
    title(document, "Contacts")
    contacts = bullet_list(document)
    for text in CONTACTS:
        list_item(document, text, contacts)
    return save(document)


def named_sections(names: dict[str, str], title="Handling a billing dispute") -> bytes:
    """The procedure with section titles in another language's (or variant) names, in bold."""
    return bold_titles(title=title, names=names)


# --- pictures --------------------------------------------------------------------------------

FRENCH_GENERATED = (
    "Une image contenant texte, capture d’écran, logiciel, Police\n\n"
    "Le contenu généré par l’IA peut être incorrect."
)
ENGLISH_GENERATED = "A screenshot of a computer\n\nAI-generated content may be incorrect."
JUNK_DESCRIPTIONS = [
    "cid:0.jpg",
    "C:\\Users\\x\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\AB12\\image001.jpg",
    "cid:_Foxmail.1@qq.com",
    "image003.png",
]


def pictures_with_descriptions(descriptions: list[str | None]) -> bytes:
    """The procedure whose steps are each followed by a picture with the given description
    (None: the picture has none), as pasted from Word, e-mails and the snipping tool."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")
    steps = [f"{STEPS[i % len(STEPS)][:-1]} (screen {i + 1})." for i in range(len(descriptions))]

    def illustrated(document):
        number = decimal_list(document)
        for index, (text, description) in enumerate(zip(steps, descriptions, strict=True)):
            list_item(document, text, number)
            picture(document, description, color=(index * 40 % 255, 80, 160))

    procedure(document, bold_line, steps=illustrated)
    return save(document)


# --- equations and other embedded objects ------------------------------------------------------


def wmf(width=400, height=200) -> bytes:
    """A small valid Windows Metafile: the placeable header, the header, a window, one
    rectangle and the end record (what Equation Editor's previews are made of)."""
    records = [
        struct.pack("<IHhh", 5, 0x020B, 0, 0),  # META_SETWINDOWORG y, x
        struct.pack("<IHhh", 5, 0x020C, height, width),  # META_SETWINDOWEXT y, x
        struct.pack("<IHhhhh", 7, 0x041B, height - 20, width - 20, 20, 20),  # META_RECTANGLE
        struct.pack("<IH", 3, 0x0000),  # META_EOF
    ]
    body = b"".join(records)
    size_words = (18 + len(body)) // 2
    header = struct.pack("<HHHIHIH", 1, 9, 0x0300, size_words, 0, 7, 0)
    words = struct.unpack(
        "<10H", struct.pack("<IHhhhhHI", 0x9AC6CDD7, 0, 0, 0, width, height, 1440, 0)[:20]
    )
    checksum = 0
    for word in words:
        checksum ^= word
    placeable = struct.pack("<IHhhhhHIH", 0x9AC6CDD7, 0, 0, 0, width, height, 1440, 0, checksum)
    return placeable + header + body


def emf() -> bytes:
    """An Enhanced Metafile with nothing drawn: EMR_HEADER (its " EMF" signature) and EMR_EOF."""
    bounds, frame = (0, 0, 100, 50), (0, 0, 2646, 1323)
    header = struct.pack("<II4i4i4sIIIHH", 1, 88, *bounds, *frame, b" EMF", 0x10000, 108, 2, 1, 0)
    header += struct.pack("<IIIiiii", 0, 0, 0, 1920, 1080, 508, 285)
    return header + struct.pack("<IIIII", 14, 20, 0, 16, 20)


_FORMATS = {
    "wmf": ("image/x-wmf", wmf),
    "emf": ("image/x-emf", emf),
    "unknown": ("application/octet-stream", lambda: b"\x00\x01not a picture format\x00" * 8),
}
_VML = 'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'


def add_part(owner, name: str, content_type: str, blob: bytes, relationship: str) -> str:
    """A part of the package (a picture, an embedded object) related from `owner`'s part."""
    part = Part(PackURI(name), content_type, blob, owner.package)
    return owner.relate_to(part, relationship)


def ole_object(paragraph, *, preview="wmf", prog_id="Equation.3") -> None:
    """An embedded OLE object (Equation Editor 3.0 by default) at the end of `paragraph`:
    w:object with its preview picture (v:imagedata) and the object's own part."""
    document_part = paragraph.part
    number = len(document_part.rels) + 1
    content_type, make = _FORMATS[preview]
    extension = {"wmf": "wmf", "emf": "emf"}.get(preview, "bin")

    picture_rid = add_part(
        document_part, f"/word/media/object{number}.{extension}", content_type, make(), RT.IMAGE
    )
    object_rid = add_part(
        document_part,
        f"/word/embeddings/oleObject{number}.bin",
        "application/vnd.openxmlformats-officedocument.oleObject",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        RT.OLE_OBJECT,
    )
    run = paragraph.add_run()
    run._r.append(
        parse_xml(
            f'<w:object {nsdecls("w", "r")} {_VML} w:dxaOrig="1440" w:dyaOrig="720">'
            f'<v:shape id="_x0000_i10{number:02d}" type="#_x0000_t75" '
            f'style="width:72pt;height:36pt" o:ole="">'
            f'<v:imagedata r:id="{picture_rid}" o:title=""/></v:shape>'
            f'<o:OLEObject Type="Embed" ProgID="{prog_id}" ShapeID="_x0000_i10{number:02d}" '
            f'DrawAspect="Content" ObjectID="_17{number:08d}" r:id="{object_rid}"/>'
            f"</w:object>"
        )
    )


FORMULA_LEADS = [
    "Average handling time =",
    "The dispute rate is computed as",
]


def equation_objects(*, preview="wmf", leads=FORMULA_LEADS, other_objects=1) -> bytes:
    """The procedure whose measures section explains its figures with Equation Editor
    objects (each after a sentence), and a spreadsheet embedded as an object."""
    document = docx.Document()
    bold_line(document, "Handling a billing dispute")

    def heading(document, text):
        bold_line(document, text)
        if text == ENGLISH["measures"]:
            for lead in leads:
                ole_object(document.add_paragraph(lead + " "), preview=preview)
            for number in range(other_objects):
                document.add_paragraph(f"Weekly figures, sheet {number + 1}:")
                ole_object(document.add_paragraph(), preview=preview, prog_id="Excel.Sheet.12")

    procedure(document, heading)
    return save(document)


# --- titles ------------------------------------------------------------------------------------


def titled(
    *, title="Handling a billing dispute", where="style", first_section="General", capitals=False
) -> bytes:
    """The title in the Title style, only in the file's properties, or as a bold first line;
    the body starts with a section (such as "General" or "COMPLIANCE STATEMENT") before the
    elements. where="none": the document holds no title at all. capitals: every section
    title in bold capitals, as policies write them."""
    document = docx.Document()
    if where == "style":
        document.add_paragraph(title, style="Title")
    elif where == "core":
        document.core_properties.title = title
    elif where == "first_line":
        bold_line(document, title)
    heading = (lambda document, text: bold_line(document, text.upper())) if capitals else bold_line
    heading(document, first_section)
    document.add_paragraph("This procedure follows the company's customer charter.")
    procedure(document, heading)
    return save(document)


def untitled(first_line="Purpose") -> bytes:
    """No title anywhere: the file name is all there is."""
    document = docx.Document()
    document.core_properties.title = ""
    procedure(document, bold_line, names=dict(ENGLISH, purpose=first_line))
    return save(document)


# --- size -----------------------------------------------------------------------------------

_WORDS = """
the company employee customer data must shall should record access system information manager
team review approval policy security request process report incident within days business
personal confidential any all each when where before after under this that with procedure
compliance requirement responsible department service call center agent quality
"""
_VOCABULARY = _WORDS.split()
_POLICY_SECTIONS = [
    "PURPOSE",
    "SCOPE",
    "DEFINITIONS",
    "ROLES AND RESPONSIBILITIES",
    "POLICY STATEMENTS",
    "DATA HANDLING",
    "ACCESS CONTROL",
    "INCIDENT REPORTING",
    "PROCEDURE",
    "RECORD KEEPING",
    "TRAINING",
    "COMPLIANCE STATEMENT",
    "REVIEW AND APPROVAL",
]


_SUBSECTIONS = [
    "Principles",
    "Requests from customers",
    "Requests from staff",
    "Exceptions",
    "Records kept",
    "Third parties",
    "Retention periods",
    "Sanctions",
]


def _sentence(rng: random.Random, low=8, high=22) -> str:
    words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def large_policy(words=31000, seed=14) -> bytes:
    """A long policy as organisations write them: a bold capitals title repeating the file's
    own title, numbered section titles in bold capitals with bold sub-titles ("5.2 Exceptions"),
    paragraphs of about 80 words, bulleted lists, a numbered procedure with a second level and
    four pictures with Word's generated descriptions. Deterministic for a given seed."""
    rng = random.Random(seed)
    document = docx.Document()
    document.core_properties.title = "Information handling policy"
    bold_line(document, "INFORMATION HANDLING POLICY")
    per_section = max(words // len(_POLICY_SECTIONS), 60)
    bullets = bullet_list(document)
    for index, name in enumerate(_POLICY_SECTIONS, start=1):
        bold_line(document, f"{index}. {name}")
        written = 0
        if name == "PROCEDURE":
            number = decimal_list(document)
            for step in range(12):
                text = _sentence(rng, 5, 12)
                list_item(document, text, number, 1 if step % 4 == 3 else 0)
                written += len(text.split())
        paragraphs = 0
        while written < per_section:
            if paragraphs and paragraphs % 12 == 0:
                title = _SUBSECTIONS[(paragraphs // 12 - 1) % len(_SUBSECTIONS)]
                bold_line(document, f"{index}.{paragraphs // 12} {title}")
            if paragraphs % 7 == 3:
                for _ in range(rng.randint(3, 6)):
                    text = _sentence(rng)
                    list_item(document, text, bullets)
                    written += len(text.split())
            text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
            document.add_paragraph(text)
            written += len(text.split())
            paragraphs += 1
            if paragraphs == 2 and index % 3 == 2:
                picture(document, ENGLISH_GENERATED, color=(index * 20, 90, 120))
    return save(document)
