"""The Word reader on its own (procedures/importing/docx_reader.py): each .docx is zipped by
hand from the XML Word writes, so that one test varies exactly one thing: text boxes and
grouped pictures, tracked changes, tables of contents, damaged optional parts, pictures that
cannot be kept, and documents too long to import in one piece."""

import io
import zipfile

import pytest

from procedures.importing import docx_reader
from tests import docx_fixtures as fx

NAMESPACES = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wpg": "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
}
DECLARATIONS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
PICTURES = {
    "rIdPng1": "media/image1.png",
    "rIdPng2": "media/image2.png",
    "rIdEmf": "media/image3.emf",
    "rIdBroken": "media/image4.png",
}


# --- a .docx zipped by hand -------------------------------------------------------------------


def package(body: str, **parts: str | bytes) -> bytes:
    """A .docx whose body is `body` (paragraphs as Word writes them) and whose other parts
    are `parts` (word/styles.xml as styles="…"; None leaves the part out). The pictures of
    PICTURES are always there: two PNGs, an EMF and a PNG that is not one."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": relationships(
            {"rId1": ("officeDocument", "word/document.xml", False)}, officedocument=True
        ),
        "word/document.xml": f"<w:document {DECLARATIONS}><w:body>{body}</w:body></w:document>",
        "word/_rels/document.xml.rels": relationships(
            {rid: ("image", target, False) for rid, target in PICTURES.items()}
            | {"rIdLink": ("image", "https://example.com/screen.png", True)}
        ),
        "word/media/image1.png": fx.png("orange"),
        "word/media/image2.png": fx.png("blue"),
        "word/media/image3.emf": fx.emf(),
        "word/media/image4.png": b"\x89PNG\r\n\x1a\n but nothing of a picture follows",
    }
    names = {"styles": "word/styles.xml", "numbering": "word/numbering.xml"}
    names |= {"core": "docProps/core.xml", "document": "word/document.xml"}
    for key, content in parts.items():
        files[names[key]] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            if content is not None:
                archive.writestr(name, content)
    return out.getvalue()


def relationships(found: dict, *, officedocument=False) -> str:
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rows = "".join(
        f'<Relationship Id="{rid}" Type="{base}{kind}" Target="{target}"'
        f"{' TargetMode=' + chr(34) + 'External' + chr(34) if external else ''}/>"
        for rid, (kind, target, external) in found.items()
    )
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rows}</Relationships>"
    )


def p(text: str, *, style: str = "", inner: str = "") -> str:
    style_xml = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    run = f"<w:r><w:t xml:space='preserve'>{text}</w:t></w:r>" if text else ""
    return f"<w:p>{style_xml}{run}{inner}</w:p>"


def inline_picture(rid: str, description: str = "", *, attribute="r:embed") -> str:
    return (
        "<w:r><w:drawing><wp:inline><wp:extent cx='914400' cy='514350'/>"
        f"<wp:docPr id='1' name='Picture 1' descr='{description}'/>"
        "<a:graphic><a:graphicData uri='http://schemas.openxmlformats.org/drawingml/2006/picture'>"
        f"{pic(rid, attribute=attribute)}</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )


def pic(rid: str, description: str = "", *, attribute="r:embed") -> str:
    return (
        f"<pic:pic><pic:nvPicPr><pic:cNvPr id='0' name='screen.png' descr='{description}'/>"
        f"<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip {attribute}='{rid}'/>"
        "</pic:blipFill><pic:spPr/></pic:pic>"
    )


def vml_picture(rid: str) -> str:
    return f"<w:r><w:pict><v:shape><v:imagedata r:id='{rid}' o:title=''/></v:shape></w:pict></w:r>"


def text_box(choice_content: str, fallback_content: str) -> str:
    """A text box as Word 2010 and later write it: the DrawingML shape, and the same box in
    VML for older readers."""
    return (
        "<w:r><mc:AlternateContent><mc:Choice Requires='wps'><w:drawing><wp:anchor>"
        "<wp:extent cx='2000000' cy='1000000'/><wp:docPr id='5' name='Text Box 5'/>"
        "<a:graphic><a:graphicData "
        "uri='http://schemas.microsoft.com/office/word/2010/wordprocessingShape'>"
        "<wps:wsp><wps:cNvSpPr txBox='1'/><wps:spPr/><wps:txbx>"
        f"<w:txbxContent>{choice_content}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        "<mc:Fallback><w:pict><v:shape><v:textbox>"
        f"<w:txbxContent>{fallback_content}</w:txbxContent></v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )


def nested_boxes(depth: int) -> str:
    """Text boxes in text boxes; each one's VML fallback holds only its own line."""
    content = p("Box 0")
    for level in range(1, depth + 1):
        content = p(f"Box {level}", inner=text_box(content, p(f"Box {level - 1}")))
    return content


def pictures_of(read) -> list[dict]:
    return [b for b in read.blocks if b["k"] == "pic"]


def texts_of(read) -> list[str]:
    return [b["text"] for b in read.blocks if b["k"] == "p"]


# --- 1. text boxes, shapes and groups ----------------------------------------------------------


def test_a_screenshot_in_a_text_box_is_read_once_with_the_box_text_once():
    box = p("The billing screen:") + p("", inner=inline_picture("rIdPng1", "Billing screen"))
    fallback = p("The billing screen:") + p("", inner=vml_picture("rIdPng1"))
    data = package(p("Open the bill.", inner=text_box(box, fallback)))

    read = docx_reader.read(data)

    assert texts_of(read) == ["Open the bill.", "The billing screen:"]
    assert len(pictures_of(read)) == 1
    assert list(read.descriptions.values())[0]["text"] == "Billing screen"


def test_a_group_of_pictures_gives_every_picture_of_the_group():
    group = (
        "<w:r><w:drawing><wp:anchor><wp:extent cx='1' cy='1'/><wp:docPr id='7' name='Group 7'/>"
        "<a:graphic><a:graphicData "
        "uri='http://schemas.microsoft.com/office/word/2010/wordprocessingGroup'>"
        f"<wpg:wgp><wpg:cNvGrpSpPr/><wpg:grpSpPr/>{pic('rIdPng1', 'Before')}"
        f"<wpg:grpSp><wpg:grpSpPr/>{pic('rIdPng2', 'After')}</wpg:grpSp></wpg:wgp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"
    )
    data = package(p("Compare the two screens.", inner=group))

    read = docx_reader.read(data)

    assert len(pictures_of(read)) == 2
    assert sorted(d["text"] for d in read.descriptions.values()) == ["After", "Before"]


def test_text_boxes_nested_eighteen_deep_are_each_read_once():
    data = package(nested_boxes(18))

    read = docx_reader.read(data)

    assert sorted(texts_of(read)) == sorted(f"Box {n}" for n in range(19))


def test_a_shape_without_a_drawingml_choice_is_read_from_its_vml_fallback():
    only_vml = (
        "<w:r><mc:AlternateContent><mc:Fallback><w:pict><v:shape><v:imagedata r:id='rIdPng1'/>"
        "</v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    data = package(p("Old drawing:", inner=only_vml))

    read = docx_reader.read(data)

    assert len(pictures_of(read)) == 1


# --- 2. tracked changes ------------------------------------------------------------------------


def test_moved_text_is_kept_at_its_new_place_and_deleted_text_is_left_out():
    body = (
        "<w:p><w:moveFrom w:id='1' w:author='A'><w:r><w:t>Check the charge.</w:t></w:r>"
        "</w:moveFrom><w:del w:id='2' w:author='A'><w:r><w:delText>Old step.</w:delText>"
        "</w:r></w:del><w:r><w:t>Greet the caller.</w:t></w:r></w:p>"
        "<w:p><w:moveTo w:id='3' w:author='A'><w:r><w:t>Check the charge.</w:t></w:r>"
        "</w:moveTo></w:p>"
        "<w:moveTo w:id='4' w:author='A'><w:p><w:r><w:t>A moved paragraph.</w:t></w:r></w:p>"
        "</w:moveTo>"
        "<w:moveFrom w:id='5' w:author='A'><w:p><w:r><w:t>Its old place.</w:t></w:r></w:p>"
        "</w:moveFrom>"
    )

    read = docx_reader.read(package(body))

    assert texts_of(read) == ["Greet the caller.", "Check the charge.", "A moved paragraph."]


# --- 3. documents too long to import in one piece ----------------------------------------------


def test_a_document_of_more_blocks_than_the_limit_is_refused_not_cut():
    body = p("x") * (docx_reader.MAX_BLOCKS + 1)

    with pytest.raises(docx_reader.DocumentTooLong) as refused:
        docx_reader.read(package(body))

    assert "too long to import in one piece" in refused.value.message
    assert "split it" in refused.value.message


def test_a_document_of_more_text_than_the_limit_is_refused():
    paragraph = p("word " * 2000)  # 10,000 characters each
    body = paragraph * (docx_reader.MAX_TEXT_CHARS // 10_000 + 1)

    with pytest.raises(docx_reader.DocumentTooLong) as refused:
        docx_reader.read(package(body))

    assert "too long to import in one piece" in refused.value.message


def test_a_document_just_within_the_text_limit_is_read():
    paragraph = p("word " * 2000)
    body = paragraph * (docx_reader.MAX_TEXT_CHARS // 10_000 - 1)

    read = docx_reader.read(package(body))

    assert len(read.blocks) == docx_reader.MAX_TEXT_CHARS // 10_000 - 1


# --- 4. damaged optional parts -----------------------------------------------------------------

NUMBERED = (
    "<w:p><w:pPr><w:pStyle w:val='ListStep'/><w:numPr><w:ilvl w:val='{ilvl}'/>"
    "<w:numId w:val='{num}'/></w:numPr></w:pPr><w:r><w:t>Greet the caller.</w:t></w:r></w:p>"
)
STYLES = (
    f"<w:styles {DECLARATIONS}><w:style w:type='paragraph' w:styleId='ListStep'>"
    "<w:name w:val='List Step'/><w:pPr><w:numPr><w:ilvl w:val='{ilvl}'/><w:numId w:val='1'/>"
    "</w:numPr><w:outlineLvl w:val='{outline}'/></w:pPr></w:style></w:styles>"
)
NUMBERING = (
    f"<w:numbering {DECLARATIONS}><w:abstractNum w:abstractNumId='0'>"
    "<w:lvl w:ilvl='{ilvl}'><w:numFmt w:val='decimal'/></w:lvl></w:abstractNum>"
    "<w:num w:numId='1'><w:abstractNumId w:val='0'/></w:num></w:numbering>"
)
DAMAGED = {
    "core.xml not XML": {"core": "<cp:coreProperties><dc:title>Billing"},
    "core.xml binary": {"core": b"\xff\xfe\x00garbage"},
    "styles.xml not XML": {"styles": "<w:styles><w:style"},
    "numbering.xml not XML": {"numbering": "<<<"},
    "empty ilvl in the paragraph": {"numbering": NUMBERING.format(ilvl="0"), "ilvl": ""},
    "letters as ilvl": {"numbering": NUMBERING.format(ilvl="0"), "ilvl": "one"},
    "empty ilvl in numbering": {"numbering": NUMBERING.format(ilvl="")},
    "letters in a style": {"styles": STYLES.format(ilvl="x", outline="")},
    "empty numId": {"numbering": NUMBERING.format(ilvl="0"), "num": ""},
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_optional_part_is_passed_over_and_the_text_is_read(damage):
    damage = dict(damage)
    body = NUMBERED.format(ilvl=damage.pop("ilvl", "0"), num=damage.pop("num", "1"))
    body = p("Purpose") + body

    read = docx_reader.read(package(body, **damage))

    assert texts_of(read) == ["Purpose", "Greet the caller."]
    assert read.core_title == ""


def test_a_missing_core_part_gives_an_empty_title_and_the_text():
    read = docx_reader.read(package(p("Purpose"), core=None))

    assert (read.core_title, texts_of(read)) == ("", ["Purpose"])


def test_a_damaged_main_document_refuses_the_file():
    data = package(p("Purpose"), document="<w:document><w:body><w:p>")

    with pytest.raises(Exception):  # noqa: B017, PT011 - the importer reports any failure
        docx_reader.read(data)


# --- 5. tables of contents ---------------------------------------------------------------------

TOC_STYLES = {
    "TOC1": "toc 1",
    "TOCHeading": "TOC Heading",
    "TM1": "Table des matières 1",
    "Verzeichnis1": "Inhaltsverzeichnis 1",
    "Tartalomjegyzk": "Tartalomjegyzék",
}


def toc_styles() -> str:
    defined = "".join(
        f"<w:style w:type='paragraph' w:styleId='{sid}'><w:name w:val='{name}'/></w:style>"
        for sid, name in TOC_STYLES.items()
    )
    return f"<w:styles {DECLARATIONS}>{defined}</w:styles>"


def test_paragraphs_in_table_of_contents_styles_are_left_out():
    body = "".join(p(f"{n}. PURPOSE {n + 1}", style=sid) for n, sid in enumerate(TOC_STYLES))
    body += p("Purpose") + p("Callers are heard.")

    read = docx_reader.read(package(body, styles=toc_styles()))

    assert texts_of(read) == ["Purpose", "Callers are heard."]


def test_a_table_of_contents_content_control_is_left_out():
    sdt = (
        "<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "<w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>"
        f"{p('Contents')}{p('1. PURPOSE 2')}{p('2. SCOPE 3')}</w:sdtContent></w:sdt>"
    )

    read = docx_reader.read(package(sdt + p("Purpose")))

    assert texts_of(read) == ["Purpose"]


def test_the_result_of_a_table_of_contents_field_is_left_out():
    begin = "<w:r><w:fldChar w:fldCharType='begin'/></w:r>"
    instruction = "<w:r><w:instrText xml:space='preserve'> TOC \\o \"1-3\" \\h </w:instrText></w:r>"
    separate = "<w:r><w:fldChar w:fldCharType='separate'/></w:r>"
    end = "<w:r><w:fldChar w:fldCharType='end'/></w:r>"
    body = (
        f"<w:p>{begin}{instruction}{separate}<w:r><w:t>1. PURPOSE 2</w:t></w:r></w:p>"
        f"{p('2. SCOPE 3')}<w:p><w:r><w:t>3. STEPS 4</w:t></w:r>{end}</w:p>"
        "<w:p><w:fldSimple w:instr=' TOC \\o '><w:r><w:t>1. PURPOSE 2</w:t></w:r></w:fldSimple>"
        "</w:p>"
        "<w:p><w:fldSimple w:instr=' PAGE '><w:r><w:t>Page 1</w:t></w:r></w:fldSimple></w:p>"
        + p("Purpose")
    )

    read = docx_reader.read(package(body))

    assert texts_of(read) == ["Page 1", "Purpose"]


def test_an_unfinished_field_does_not_swallow_the_rest_of_the_document():
    body = (
        "<w:p><w:r><w:fldChar w:fldCharType='begin'/></w:r><w:r><w:instrText>TOC</w:instrText>"
        "</w:r><w:r><w:fldChar w:fldCharType='separate'/></w:r></w:p>" + p("Purpose")
    )

    read = docx_reader.read(package(body))

    assert texts_of(read) == ["Purpose"]


# --- 6. pictures that cannot be kept -----------------------------------------------------------


@pytest.mark.parametrize(
    ("picture", "reason"),
    [
        (inline_picture("rIdLink", attribute="r:link"), "linked from outside the file"),
        (inline_picture("rIdEmf"), "an EMF no converter draws"),
        (inline_picture("rIdBroken"), "not a picture"),
        (inline_picture("rIdMissing"), "a relationship to nothing"),
        (vml_picture("rIdBroken"), "an old VML picture that is not a picture"),
    ],
)
def test_a_picture_that_cannot_be_kept_leaves_a_mark_where_it_stood(picture, reason):
    body = p("Open the bill.") + p("The screen:", inner=picture) + p("Next step.")

    read = docx_reader.read(package(body))

    assert read.blocks[2] == {"k": "obj", "kind": "picture", "before": "The screen:", "img": None}
    assert [b["k"] for b in read.blocks] == ["p", "p", "obj", "p"], reason
    assert read.refused_pictures == ["The screen:"]
    assert not read.images


# --- what the author is told ---------------------------------------------------------------------


def test_a_document_too_long_is_refused_in_the_importers_words_naming_the_file(db):
    from procedures import importing

    body = p("x") * (docx_reader.MAX_BLOCKS + 1)

    with pytest.raises(importing.ImportRefused) as refused:
        importing.dry_run(data=package(body), name="policy.docx", limit=50 * 1024 * 1024)

    assert refused.value.message.startswith("policy.docx: This document is too long to import")
    assert "could not be read as a Word document" not in refused.value.message


def test_a_picture_that_cannot_be_kept_is_marked_in_the_draft_and_named_once(db):
    from procedures import importing

    body = (
        p("Procedure")
        + p("Open the bill.", style="ListBullet")
        + p("The screen:", inner=inline_picture("rIdEmf"))
        + p("Close the bill.", style="ListBullet")
    )

    _plan, built = importing.dry_run(data=package(body), name="bill.docx", limit=10**7)

    text = "\n".join(s.text for s in built.steps) + "\n".join(
        part for parts in built.text.values() for part in parts
    )
    assert "\\[Picture left out: see the original document\\]" in text
    assert [n for n in built.notes if "picture" in n and "left out" in n] == [
        "1 picture could not be read and was left out (after “…The screen:”)."
    ]
    assert not [n for n in built.notes if "object" in n]
