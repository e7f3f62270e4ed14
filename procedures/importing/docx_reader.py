"""A Word .docx → the plain blocks the importer works on (no database, no storage).

Real procedures from other organisations rarely use Word's heading styles or numbering the
way a template would, so the reader keeps every fact the structure recognition needs, paragraph
by paragraph: its style and outline level, whether all of it is bold or in capitals, its list
(bullet or numbered, level), its text as Markdown and as plain text; pictures (with their
descriptions cleaned), tables, formulas and embedded objects, each in document order.

A block is a dict, so that an import preview can keep it as JSON:

    {"k": "p", "md", "text", "heading": int|None, "title": bool, "bold": bool, "caps": bool,
     "list": {"id", "lvl", "fmt", "ind": twips | None} | None}
    {"k": "pic", "img": token}
    {"k": "table", "md", "rows": [[cell text]]}
    {"k": "obj", "kind": "formula"|"object"|"picture", "before": text, "img": token|None}

A "picture" object is a picture that could not be kept (linked from outside the file, a format
that cannot be converted, not a picture at all): it marks the place where it stood.

What is not the procedure's content is left out: deleted and moved-away text (tracked
changes), tables of contents, hidden text. A document longer than MAX_BLOCKS blocks or
MAX_TEXT_CHARS characters of text is refused (DocumentTooLong), never cut.
"""

import io
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..uploads import CleanImage, UploadRefused, clean_image
from . import metafile, pictures
from .inline_markdown import markdown, plain, table_markdown
from .wordml import (
    NS,
    STRICT,
    Style,
    inherited,
    left_indent,
    number,
    on_off,
    q,
    read_numbering,
    read_styles,
    val,
)

_HEADING_STYLE = re.compile(r"^(heading|titre|berschrift|überschrift|judul|címsor|kop)\s*(\d)$")
# Tables of contents, by style id or name (spaces, hyphens and underscores removed): Word's
# "toc 1" and "TOC Heading", and the ids and names localised Word gives them.
_TOC_STYLE = re.compile(
    r"^(?:(?:toc|tm|tj|verzeichnis)\d"
    r"|(?:toc|inhaltsverzeichnis|tabledesmati[eè]res|tartalomjegyz[eé]?k)"
    r"(?:heading|[uü]?berschrift|titre|c[ií]msor)?\d?)$"
)
# A document longer than this is refused, not cut: each block and each character is kept in
# the preview's JSON (twice, as Markdown and as text) and goes through the structure analysis.
MAX_BLOCKS = 20000
MAX_TEXT_CHARS = 1_500_000
# What an optional part (styles, numbering, properties, relationships) may fail with: the
# reader then goes on without it.
_DAMAGED = (ET.ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class DocumentTooLong(UploadRefused):
    """A document too long to import in one piece; the message tells the author to split it."""


@dataclass
class Read:
    """What the reader found: blocks in order, pictures by token, the file's own title."""

    blocks: list[dict] = field(default_factory=list)
    images: dict[str, CleanImage] = field(default_factory=dict)
    descriptions: dict[str, dict] = field(default_factory=dict)
    core_title: str = ""
    refused_pictures: list[str] = field(default_factory=list)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class _Reader:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = set(archive.namelist())
        self.out = Read()
        self.chars = 0
        self.document = self._main_part()
        self.rels = self._rels(self.document)
        self.styles = read_styles(self._xml("word/styles.xml"))
        self.numbering, self.indents = read_numbering(self._xml("word/numbering.xml"))
        self.last_text = ""
        self.fields: list[list] = []  # open complex fields: [instruction, showing its result]
        self.in_toc_field = False
        self.track_fields = True

    # -- parts -------------------------------------------------------------------------------
    def _xml(self, name: str, *, optional: bool = True) -> ET.Element | None:
        """A part of the package parsed; None if it is missing, or damaged and optional."""
        if name not in self.names:
            return None
        try:
            data = self.archive.read(name)
            for strict, transitional in STRICT.items():
                data = data.replace(strict, transitional)
            return ET.fromstring(data)  # noqa: S314 - expat refuses entity expansion bombs
        except _DAMAGED:
            if not optional:
                raise
            return None

    def _main_part(self) -> str:
        root = self._xml("_rels/.rels")
        for rel in [] if root is None else root.findall("pr:Relationship", NS):
            if rel.get("Type", "").endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target in self.names:
                    return target
        return "word/document.xml"

    def _rels(self, part: str) -> dict[str, tuple[str, bool]]:
        path = PurePosixPath(part)
        root = self._xml(str(path.parent / "_rels" / (path.name + ".rels")))
        found = {}
        for rel in [] if root is None else root.findall("pr:Relationship", NS):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                target = _resolve(path.parent, target)
            found[rel.get("Id", "")] = (target, external)
        return found

    def _is_toc_style(self, style_id: str) -> bool:
        style = self.styles.get(style_id)
        names = (style_id, style.name if style is not None else "")
        return any(_TOC_STYLE.match(re.sub(r"[\s\-_]", "", n.lower())) for n in names if n)

    # -- body ----------------------------------------------------------------------------------
    def read(self) -> Read:
        root = self._xml(self.document, optional=False)
        body = root.find("w:body", NS) if root is not None else None
        if body is None:
            return self.out
        # A field that never ends would hide the rest of the document: follow fields only
        # when every one that begins ends.
        kinds = [f.get(q("w:fldCharType")) for f in body.iter(q("w:fldChar"))]
        self.track_fields = kinds.count("begin") == kinds.count("end")
        self._container(body)
        self.out.core_title = self._core_title()
        return self.out

    def _core_title(self) -> str:
        root = self._xml("docProps/core.xml")
        title = root.find("dc:title", NS) if root is not None else None
        return nfc(" ".join((title.text or "").split())) if title is not None else ""

    def _keep(self, block: dict) -> None:
        """Adds a block, or refuses the document when it is too long to import in one piece."""
        if len(self.out.blocks) >= MAX_BLOCKS:
            raise DocumentTooLong(
                _(
                    "This document is too long to import in one piece (more than %(count)d "
                    "paragraphs, tables and pictures): split it into smaller documents and "
                    "import each one."
                )
                % {"count": MAX_BLOCKS}
            )
        if block["k"] == "p":
            self.chars += len(block["text"])
        elif block["k"] == "table":
            self.chars += sum(len(cell) for row in block["rows"] for cell in row)
        if self.chars > MAX_TEXT_CHARS:
            raise DocumentTooLong(
                _(
                    "This document is too long to import in one piece (more than %(count)s "
                    "characters of text): split it into smaller documents and import each one."
                )
                % {"count": number_format(MAX_TEXT_CHARS, force_grouping=True)}
            )
        self.out.blocks.append(block)

    def _container(self, element: ET.Element) -> None:
        for child in element:
            tag = child.tag
            if tag == q("w:p"):
                self._paragraph(child)
            elif tag == q("w:tbl"):
                self._table(child)
            elif tag in (q("w:sdt"), q("mc:AlternateContent")):
                content = _content(child)
                if content is not None:
                    self._container(content)
            elif tag in (q("w:customXml"), q("w:ins"), q("w:moveTo")):
                self._container(child)

    def _table(self, table: ET.Element) -> None:
        rows = [row.findall("w:tc", NS) for row in table.findall("w:tr", NS)]
        width = max((len(r) for r in rows), default=0)
        if width <= 1:  # a one-column table is a frame around paragraphs: read them as such
            for cells in rows:
                for cell in cells:
                    self._container(cell)
            return
        texts, later = [], []
        for cells in rows:
            line = []
            for cell in cells:
                parts = []
                for paragraph in _paragraphs(cell):
                    md, _text, found = self._inline(paragraph)
                    later.extend(found)
                    if md.strip():
                        parts.append(md.strip())
                line.append(" ".join(parts))
            texts.append(line)
        rows_text = [[plain(c) for c in line] for line in texts]
        if any(any(line) for line in rows_text):
            self._keep({"k": "table", "md": table_markdown(texts), "rows": rows_text})
            self.last_text = " ".join(" ".join(line) for line in rows_text)[-120:]
        self._emit_found(later)

    def _paragraph(self, paragraph: ET.Element) -> None:
        ppr = paragraph.find("w:pPr", NS)
        style_id = val(ppr.find("w:pStyle", NS)) if ppr is not None else ""
        if self._is_toc_style(style_id):  # a table of contents is not the procedure's text
            self._skip_fields(paragraph)
            return
        md, text, found = self._inline(paragraph)
        text = " ".join(text.split())
        if text:
            style = self.styles.get(style_id, Style())
            name = style.name or style_id.lower()
            self._keep(
                {
                    "k": "p",
                    "md": md.strip(),
                    "text": text,
                    "heading": self._heading(ppr, style_id, name),
                    "title": name in ("title", "titre") or style_id.lower() in ("title", "titre"),
                    "bold": self._all(paragraph, style_id, "bold"),
                    "caps": self._all(paragraph, style_id, "caps") or _typed_in_capitals(text),
                    "list": self._list(ppr, style_id),
                }
            )
            self.last_text = text[-120:]
        self._emit_found(found)

    def _heading(self, ppr: ET.Element | None, style_id: str, name: str) -> int | None:
        match = _HEADING_STYLE.match(name) or _HEADING_STYLE.match(style_id.lower())
        if match:
            return int(match.group(2))
        outline = ppr.find("w:outlineLvl", NS) if ppr is not None else None
        level = (
            int(val(outline))
            if outline is not None and val(outline).isdigit()
            else inherited(self.styles, style_id, "outline")
        )
        return level + 1 if level is not None and level < 9 else None

    def _list(self, ppr: ET.Element | None, style_id: str) -> dict | None:
        num = ppr.find("w:numPr", NS) if ppr is not None else None
        num_id, level, direct = None, 0, num is not None
        if num is not None:
            element = num.find("w:numId", NS)
            num_id = val(element, "0") if element is not None else None
            level = number(val(num.find("w:ilvl", NS), "0"), 0)
        if num_id is None:
            from_style = inherited(self.styles, style_id, "num")
            if from_style:
                num_id, level = from_style
        if not num_id or num_id == "0":
            return None
        fmt = self.numbering.get(num_id, {}).get(level, "decimal")
        if fmt == "none":
            return None
        # How far Word indents it: what tells a list nested under another list (Word's
        # "List Bullet 2" is a list of its own, indented further) from the next list.
        numbered = self.indents.get(num_id, {}).get(level)
        styled = inherited(self.styles, style_id, "indent")
        indent = left_indent(ppr)
        if indent is None:
            indent = numbered if direct and numbered is not None else styled
        if indent is None:
            indent = numbered
        return {"id": num_id, "lvl": min(max(level, 0), 8), "fmt": fmt, "ind": indent}

    def _runs(self, element: ET.Element, link: ET.Element | None = None):
        """The runs of a paragraph in reading order, with the hyperlink each is in: inserted
        and moved-here text kept, deleted and moved-away text (w:del, w:moveFrom) left out."""
        for child in element:
            tag = child.tag
            if tag == q("w:r"):
                yield child, link
            elif tag == q("w:hyperlink"):
                yield from self._runs(child, child)
            elif tag in (q("w:ins"), q("w:moveTo"), q("w:smartTag"), q("w:customXml")):
                yield from self._runs(child, link)
            elif tag == q("w:fldSimple"):
                if not _is_toc_field(child.get(q("w:instr"), "")):
                    yield from self._runs(child, link)
            elif tag in (q("w:sdt"), q("mc:AlternateContent")):
                content = _content(child)
                if content is not None:
                    yield from self._runs(content, link)
            elif tag in (q("m:oMath"), q("m:oMathPara")):
                yield child, None

    def _all(self, paragraph: ET.Element, style_id: str, what: str) -> bool:
        """Whether every visible letter of the paragraph is bold (or in capitals by format)."""
        seen = False
        paragraph_value = bool(inherited(self.styles, style_id, what))
        for run, _link in self._runs(paragraph):
            if run.tag != q("w:r"):
                continue
            text = "".join(t.text or "" for t in run.findall("w:t", NS))
            if not text.strip():
                continue
            seen = True
            rpr = run.find("w:rPr", NS)
            value = None
            if rpr is not None:
                value = on_off(rpr.find(f"w:{'b' if what == 'bold' else 'caps'}", NS))
                if value is None and rpr.find("w:rStyle", NS) is not None:
                    value = inherited(self.styles, val(rpr.find("w:rStyle", NS)), what)
            if not (paragraph_value if value is None else value):
                return False
        return seen

    # -- fields --------------------------------------------------------------------------------
    def _field(self, element: ET.Element) -> None:
        """Follows complex fields (begin, instruction, separate, result, end) so that the
        result of a table of contents field is left out."""
        if not self.track_fields:
            return
        if element.tag == q("w:instrText"):
            if self.fields and not self.fields[-1][1]:
                self.fields[-1][0] += element.text or ""
            return
        kind = element.get(q("w:fldCharType"))
        if kind == "begin":
            self.fields.append(["", False])
        elif kind == "separate" and self.fields:
            self.fields[-1][1] = True
        elif kind == "end" and self.fields:
            self.fields.pop()
        self.in_toc_field = any(shown and _is_toc_field(code) for code, shown in self.fields)

    def _skip_fields(self, paragraph: ET.Element) -> None:
        """A paragraph left out still begins or ends fields."""
        for run, _link in self._runs(paragraph):
            for child in run:
                if child.tag in _FIELD_PARTS:
                    self._field(child)

    # -- text ----------------------------------------------------------------------------------
    def _inline(self, paragraph: ET.Element) -> tuple[str, str, list]:
        """(Markdown, plain text, pictures, objects and text boxes found) of one paragraph."""
        pieces: list[tuple[str, bool, bool, str | None]] = []  # text, bold, italic, link
        found: list = []
        text: list[str] = []
        for run, link in self._runs(paragraph):
            if run.tag in (q("m:oMath"), q("m:oMathPara")):
                if not self.in_toc_field:
                    before = ("".join(text) or self.last_text).strip()
                    found.append(
                        {"k": "obj", "kind": "formula", "before": before[-80:], "img": None}
                    )
                continue
            rpr = run.find("w:rPr", NS)
            hidden = rpr is not None and on_off(rpr.find("w:vanish", NS))
            format_ = self._format(rpr) + (self._link(link),)
            for child in run:
                if child.tag in _FIELD_PARTS:
                    self._field(child)
                elif not hidden and not self.in_toc_field:
                    self._piece(child, format_, pieces, text, found)
        return markdown(pieces), "".join(text), found

    def _format(self, rpr: ET.Element | None) -> tuple[bool, bool]:
        if rpr is None:
            return False, False
        bold = bool(on_off(rpr.find("w:b", NS)))
        italic = bool(on_off(rpr.find("w:i", NS)))
        if rpr.find("w:rStyle", NS) is not None and on_off(rpr.find("w:b", NS)) is None:
            bold = bool(inherited(self.styles, val(rpr.find("w:rStyle", NS)), "bold"))
        return bold, italic

    def _piece(self, child: ET.Element, format_: tuple, pieces: list, text: list, found: list):
        """One child of a run → its Markdown piece and text, or what it holds into `found`."""
        tag = child.tag
        if tag == q("w:t"):
            value = nfc(child.text or "")
            pieces.append((value, *format_))
            text.append(value)
        elif tag in (q("w:tab"), q("w:ptab")):
            pieces.append((" ", False, False, None))
            text.append(" ")
        elif tag in (q("w:br"), q("w:cr")):
            if child.get(q("w:type")) not in ("page", "column"):
                pieces.append(("\n", False, False, None))
                text.append(" ")
        elif tag == q("w:noBreakHyphen"):
            pieces.append(("-", *format_))
            text.append("-")
        elif tag == q("w:sym"):
            pieces.append(("•", *format_))
        elif tag in (q("w:drawing"), q("w:pict"), q("mc:AlternateContent")):
            found.extend(self._drawn(child, ("".join(text) or self.last_text).strip()))
        elif tag == q("w:object"):
            found.append(self._object(child, ("".join(text) or self.last_text).strip()))

    def _link(self, link: ET.Element | None) -> str | None:
        if link is None:
            return None
        target, external = self.rels.get(link.get(q("r:id"), ""), ("", False))
        if external and re.match(r"(?i)^(https?://|mailto:)", target):
            return target
        return None

    # -- pictures and objects ------------------------------------------------------------------
    def _drawn(self, element: ET.Element, before: str) -> list:
        """The pictures of a drawing, shape, group or VML picture, each once and in order,
        and its text boxes (as elements: their paragraphs follow the one that holds them).
        Of mc:AlternateContent only the chosen form is read (mc:Fallback repeats it)."""
        found: list = []
        pending = [(element, "", "", False)]  # element, its frame's and its own description
        while pending:
            node, framed, own, grouped = pending.pop()
            tag = node.tag
            if tag == q("w:txbxContent"):
                found.append(node)
                continue
            if tag == q("a:blip"):
                rel = node.get(q("r:embed")) or node.get(q("r:link")) or ""
                described = (own or framed) if grouped else (framed or own)
                found.append(self._picture(rel, described, before))
                continue
            if tag == q("v:imagedata"):
                rel = node.get(q("r:id")) or ""
                found.append(self._picture(rel, node.get(q("o:title"), ""), before))
                continue
            if tag == q("mc:AlternateContent"):
                chosen = _content(node)
                children = [] if chosen is None else [chosen]
            else:
                children = list(node)
            if tag in (q("wp:inline"), q("wp:anchor")):
                framed = _described(node.find("wp:docPr", NS))
            elif tag == q("pic:pic"):
                own = _described(node.find("pic:nvPicPr/pic:cNvPr", NS))
            elif tag in (q("wpg:wgp"), q("wpg:grpSp")):
                grouped = True
            pending.extend((child, framed, own, grouped) for child in reversed(children))
        return found

    def _picture(self, rel: str, description: str, before: str) -> dict:
        """A picture kept (a "pic" block), or the mark of one that could not be."""
        target, external = self.rels.get(rel, ("", True))
        clean = None if external or target not in self.names else self._image(target)
        if clean is None:
            self.out.refused_pictures.append(before[-80:])
            return {"k": "obj", "kind": "picture", "before": before[-80:], "img": None}
        token = str(uuid.uuid4())
        self.out.images[token] = clean
        self.out.descriptions[token] = pictures.describe(description)
        return {"k": "pic", "img": token}

    def _image(self, target: str) -> CleanImage | None:
        data = self.archive.read(target)
        if target.lower().endswith(metafile.EXTENSIONS):
            data = metafile.png(data, target.lower())
            if data is None:
                return None
        try:
            return clean_image(data, name=PurePosixPath(target).name)
        except UploadRefused:
            return None

    def _object(self, element: ET.Element, before: str) -> dict:
        ole = element.find("o:OLEObject", NS)
        prog = (ole.get("ProgID", "") if ole is not None else "").lower()
        kind = "formula" if "equation" in prog or "mathtype" in prog else "object"
        token = None
        image = element.find(".//v:imagedata", NS)
        if image is not None:
            target, external = self.rels.get(image.get(q("r:id")) or "", ("", True))
            if not external and target in self.names:
                clean = self._image(target)
                if clean is not None:
                    token = str(uuid.uuid4())
                    self.out.images[token] = clean
                    self.out.descriptions[token] = pictures.describe("")
        return {"k": "obj", "kind": kind, "before": before[-80:], "img": token}

    def _emit_found(self, found: list) -> None:
        for item in found:
            if isinstance(item, dict):
                self._keep(item)
            else:  # a text box: its paragraphs, tables and pictures
                self._container(item)


_FIELD_PARTS = (q("w:fldChar"), q("w:instrText"))


def _described(element: ET.Element | None) -> str:
    if element is None:
        return ""
    return element.get("descr", "") or element.get("title", "")


def _content(element: ET.Element) -> ET.Element | None:
    """What a wrapper holds to be read: a content control's content (none for a table of
    contents), or the chosen form of mc:AlternateContent (its mc:Fallback only when it offers
    no mc:Choice)."""
    if element.tag == q("mc:AlternateContent"):
        chosen = element.find("mc:Choice", NS)
        return chosen if chosen is not None else element.find("mc:Fallback", NS)
    gallery = element.find("w:sdtPr/w:docPartObj/w:docPartGallery", NS)
    if val(gallery).lower().startswith("table of contents"):
        return None
    return element.find("w:sdtContent", NS)


def _is_toc_field(instruction: str) -> bool:
    return instruction.strip().upper().startswith("TOC")


def _paragraphs(element: ET.Element):
    """The paragraphs of a table cell, those of tables within it too, in order (not those
    of its text boxes: they are read on their own)."""
    for child in element:
        tag = child.tag
        if tag == q("w:p"):
            yield child
        elif tag in (q("w:sdt"), q("mc:AlternateContent")):
            content = _content(child)
            if content is not None:
                yield from _paragraphs(content)
        elif tag in (q("w:tbl"), q("w:tr"), q("w:tc"), q("w:customXml"), q("w:ins"), q("w:moveTo")):
            yield from _paragraphs(child)


def _resolve(folder: PurePosixPath, target: str) -> str:
    """A relationship's target as a name in the package."""
    if target.startswith("/"):
        return str(PurePosixPath(target.lstrip("/")))
    parts: list[str] = []
    for piece in (folder / target).parts:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece != ".":
            parts.append(piece)
    return str(PurePosixPath(*parts)) if parts else "."


def _typed_in_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def read(data: bytes) -> Read:
    """The .docx's bytes (already checked by check_file) → blocks, pictures and title.
    DocumentTooLong when it is too long to import in one piece; any other exception when its
    main part cannot be read."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _Reader(archive).read()
