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
    {"k": "obj", "kind": "formula"|"object", "before": text, "img": token|None}
"""

import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..uploads import CleanImage, UploadRefused, clean_image
from . import pictures

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {
    "w": W,
    "r": R,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# ISO/IEC 29500 "strict" files name the same elements in other namespaces.
_STRICT = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main": W.encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships": R.encode(),
    b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing": NS["wp"].encode(),
    b"http://purl.oclc.org/ooxml/drawingml/main": NS["a"].encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/math": NS["m"].encode(),
}
_HEADING_STYLE = re.compile(r"^(heading|titre|berschrift|überschrift|judul|címsor|kop)\s*(\d)$")
_MAX_BLOCKS = 20000
_WMF_TIMEOUT = 10


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _on(element: ET.Element | None) -> bool | None:
    """A Word on/off property: None when absent."""
    if element is None:
        return None
    return element.get(q("w:val"), "true").lower() not in ("false", "0", "off", "none")


@dataclass
class Style:
    name: str = ""
    based_on: str = ""
    outline: int | None = None
    bold: bool | None = None
    caps: bool | None = None
    indent: int | None = None
    num: tuple[str, int] | None = None


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
        self.document = self._main_part()
        self.rels = self._rels(self.document)
        self.styles = self._styles()
        self.indents: dict[str, dict[int, int | None]] = {}
        self.numbering = self._numbering()
        self.last_text = ""

    # -- parts -------------------------------------------------------------------------------
    def _xml(self, name: str) -> ET.Element | None:
        if name not in self.names:
            return None
        data = self.archive.read(name)
        for strict, transitional in _STRICT.items():
            data = data.replace(strict, transitional)
        return ET.fromstring(data)  # noqa: S314 - expat refuses entity expansion bombs

    def _main_part(self) -> str:
        root = self._xml("_rels/.rels")
        if root is not None:
            for rel in root.findall("pr:Relationship", NS):
                if rel.get("Type", "").endswith("/officeDocument"):
                    return rel.get("Target", "").lstrip("/")
        return "word/document.xml"

    def _rels(self, part: str) -> dict[str, tuple[str, bool]]:
        path = PurePosixPath(part)
        root = self._xml(str(path.parent / "_rels" / (path.name + ".rels")))
        found = {}
        for rel in [] if root is None else root.findall("pr:Relationship", NS):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                resolved = PurePosixPath(target.lstrip("/")) if target.startswith("/") else None
                if resolved is None:
                    parts = []
                    for piece in (path.parent / target).parts:
                        if piece == "..":
                            parts and parts.pop()
                        elif piece != ".":
                            parts.append(piece)
                    resolved = PurePosixPath(*parts) if parts else PurePosixPath("")
                target = str(resolved)
            found[rel.get("Id", "")] = (target, external)
        return found

    def _styles(self) -> dict[str, Style]:
        root = self._xml("word/styles.xml")
        styles: dict[str, Style] = {}
        for element in [] if root is None else root.findall("w:style", NS):
            style = Style()
            name = element.find("w:name", NS)
            style.name = (name.get(q("w:val"), "") if name is not None else "").lower()
            based = element.find("w:basedOn", NS)
            style.based_on = based.get(q("w:val"), "") if based is not None else ""
            outline = element.find("w:pPr/w:outlineLvl", NS)
            if outline is not None and outline.get(q("w:val"), "").isdigit():
                style.outline = int(outline.get(q("w:val")))
            style.bold = _on(element.find("w:rPr/w:b", NS))
            style.caps = _on(element.find("w:rPr/w:caps", NS))
            style.indent = _indent(element.find("w:pPr", NS))
            num = element.find("w:pPr/w:numPr", NS)
            if num is not None:
                num_id = num.find("w:numId", NS)
                level = num.find("w:ilvl", NS)
                if num_id is not None:
                    style.num = (
                        num_id.get(q("w:val"), "0"),
                        int(level.get(q("w:val"), "0")) if level is not None else 0,
                    )
            styles[element.get(q("w:styleId"), "")] = style
        return styles

    def _style(self, style_id: str, attribute: str):
        for _depth in range(10):  # basedOn chains are short; a loop in a damaged file is not
            style = self.styles.get(style_id)
            if style is None:
                return None
            value = getattr(style, attribute)
            if value is not None:
                return value
            style_id = style.based_on
        return None

    def _numbering(self) -> dict[str, dict[int, str]]:
        """Each list's format by level (and, in self.indents, its indentation by level)."""
        root = self._xml("word/numbering.xml")
        if root is None:
            return {}
        abstract, indents = {}, {}
        for element in root.findall("w:abstractNum", NS):
            levels, indent = {}, {}
            for lvl in element.findall("w:lvl", NS):
                fmt = lvl.find("w:numFmt", NS)
                level = int(lvl.get(q("w:ilvl"), "0"))
                levels[level] = fmt.get(q("w:val"), "decimal") if fmt is not None else "decimal"
                indent[level] = _indent(lvl.find("w:pPr", NS))
            key = element.get(q("w:abstractNumId"), "")
            abstract[key], indents[key] = levels, indent
        found = {}
        for num in root.findall("w:num", NS):
            ref = num.find("w:abstractNumId", NS)
            if ref is not None:
                key = ref.get(q("w:val"), "")
                found[num.get(q("w:numId"), "")] = abstract.get(key, {})
                self.indents[num.get(q("w:numId"), "")] = indents.get(key, {})
        return found

    # -- body ----------------------------------------------------------------------------------
    def read(self) -> Read:
        root = self._xml(self.document)
        body = root.find("w:body", NS) if root is not None else None
        if body is None:
            return self.out
        self._container(body)
        self.out.core_title = self._core_title()
        return self.out

    def _core_title(self) -> str:
        root = self._xml("docProps/core.xml")
        title = root.find("dc:title", NS) if root is not None else None
        return nfc(" ".join((title.text or "").split())) if title is not None else ""

    def _container(self, element: ET.Element) -> None:
        for child in element:
            if len(self.out.blocks) >= _MAX_BLOCKS:
                return
            if child.tag == q("w:p"):
                self._paragraph(child)
            elif child.tag == q("w:tbl"):
                self._table(child)
            elif child.tag == q("w:sdt"):
                content = child.find("w:sdtContent", NS)
                if content is not None:
                    self._container(content)
            elif child.tag in (q("w:customXml"), q("w:ins")):
                self._container(child)

    def _table(self, table: ET.Element) -> None:
        rows = []
        for row in table.findall("w:tr", NS):
            cells = []
            for cell in row.findall("w:tc", NS):
                cells.append(cell)
            rows.append(cells)
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
                for paragraph in cell.iter(q("w:p")):
                    md, _text, found = self._inline(paragraph)
                    later.extend(found)
                    if md.strip():
                        parts.append(md.strip())
                line.append(" ".join(parts))
            texts.append(line)
        rows_text = [[_plain(c) for c in line] for line in texts]
        if not any(any(line) for line in rows_text):
            self._emit_found(later)
            return
        self.out.blocks.append({"k": "table", "md": _table_markdown(texts), "rows": rows_text})
        self.last_text = " ".join(" ".join(line) for line in rows_text)[-120:]
        self._emit_found(later)

    def _paragraph(self, paragraph: ET.Element) -> None:
        ppr = paragraph.find("w:pPr", NS)
        style_id = ""
        if ppr is not None and ppr.find("w:pStyle", NS) is not None:
            style_id = ppr.find("w:pStyle", NS).get(q("w:val"), "")
        md, text, found = self._inline(paragraph, paragraph_style=style_id)
        text = " ".join(text.split())
        if text:
            style = self.styles.get(style_id, Style())
            name = style.name or style_id.lower()
            heading = None
            outline = ppr.find("w:outlineLvl", NS) if ppr is not None else None
            level = (
                int(outline.get(q("w:val"), "9"))
                if outline is not None and outline.get(q("w:val"), "").isdigit()
                else self._style(style_id, "outline")
            )
            match = _HEADING_STYLE.match(name) or _HEADING_STYLE.match(style_id.lower())
            if match:
                heading = int(match.group(2))
            elif level is not None and level < 9:
                heading = level + 1
            block = {
                "k": "p",
                "md": md.strip(),
                "text": text,
                "heading": heading,
                "title": name in ("title", "titre") or style_id.lower() in ("title", "titre"),
                "bold": self._all(paragraph, style_id, "bold"),
                "caps": self._all(paragraph, style_id, "caps") or _typed_in_capitals(text),
                "list": self._list(ppr, style_id),
            }
            self.out.blocks.append(block)
            self.last_text = text[-120:]
        self._emit_found(found)

    def _list(self, ppr: ET.Element | None, style_id: str) -> dict | None:
        num = ppr.find("w:numPr", NS) if ppr is not None else None
        num_id, level, direct = None, 0, num is not None
        if num is not None:
            element = num.find("w:numId", NS)
            lvl = num.find("w:ilvl", NS)
            num_id = element.get(q("w:val"), "0") if element is not None else None
            level = int(lvl.get(q("w:val"), "0")) if lvl is not None else 0
        if num_id is None:
            inherited = self._style(style_id, "num")
            if inherited:
                num_id, level = inherited
        if not num_id or num_id == "0":
            return None
        fmt = self.numbering.get(num_id, {}).get(level, "decimal")
        if fmt == "none":
            return None
        # How far Word indents it: what tells a list nested under another list (Word's
        # "List Bullet 2" is a list of its own, indented further) from the next list.
        numbered = self.indents.get(num_id, {}).get(level)
        styled = self._style(style_id, "indent")
        indent = _indent(ppr)
        if indent is None:
            indent = numbered if direct and numbered is not None else styled
        if indent is None:
            indent = numbered
        return {"id": num_id, "lvl": min(max(level, 0), 8), "fmt": fmt, "ind": indent}

    def _runs(self, element: ET.Element):
        """The runs of a paragraph in reading order, with the hyperlink each is in."""
        for child in element:
            tag = child.tag
            if tag == q("w:r"):
                yield child, None
            elif tag == q("w:hyperlink"):
                for run in child.iter(q("w:r")):
                    yield run, child
            elif tag in (q("w:ins"), q("w:smartTag"), q("w:fldSimple"), q("w:customXml")):
                yield from self._runs(child)
            elif tag == q("w:sdt"):
                content = child.find("w:sdtContent", NS)
                if content is not None:
                    yield from self._runs(content)
            elif tag in (q("m:oMath"), q("m:oMathPara")):
                yield child, None

    def _all(self, paragraph: ET.Element, style_id: str, what: str) -> bool:
        """Whether every visible letter of the paragraph is bold (or in capitals by format)."""
        seen = False
        paragraph_value = bool(self._style(style_id, what))
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
                value = _on(rpr.find(f"w:{'b' if what == 'bold' else 'caps'}", NS))
                if value is None and rpr.find("w:rStyle", NS) is not None:
                    value = self._style(rpr.find("w:rStyle", NS).get(q("w:val"), ""), what)
            if not (paragraph_value if value is None else value):
                return False
        return seen

    def _inline(self, paragraph: ET.Element, paragraph_style: str = "") -> tuple[str, str, list]:
        """(Markdown, plain text, pictures and objects found) of one paragraph."""
        pieces: list[tuple[str, bool, bool, str | None]] = []  # text, bold, italic, link
        found: list[dict] = []
        plain: list[str] = []
        for run, link in self._runs(paragraph):
            if run.tag in (q("m:oMath"), q("m:oMathPara")):
                before = ("".join(plain) or self.last_text).strip()
                found.append({"k": "obj", "kind": "formula", "before": before[-80:], "img": None})
                continue
            rpr = run.find("w:rPr", NS)
            if rpr is not None and _on(rpr.find("w:vanish", NS)):
                continue
            bold = italic = False
            if rpr is not None:
                bold = bool(_on(rpr.find("w:b", NS)))
                italic = bool(_on(rpr.find("w:i", NS)))
                if rpr.find("w:rStyle", NS) is not None and _on(rpr.find("w:b", NS)) is None:
                    bold = bool(self._style(rpr.find("w:rStyle", NS).get(q("w:val"), ""), "bold"))
            href = self._link(link)
            for child in run:
                tag = child.tag
                if tag == q("w:t"):
                    value = nfc(child.text or "")
                    pieces.append((value, bold, italic, href))
                    plain.append(value)
                elif tag in (q("w:tab"), q("w:ptab")):
                    pieces.append((" ", False, False, None))
                    plain.append(" ")
                elif tag in (q("w:br"), q("w:cr")):
                    if child.get(q("w:type")) not in ("page", "column"):
                        pieces.append(("\n", False, False, None))
                        plain.append(" ")
                elif tag == q("w:noBreakHyphen"):
                    pieces.append(("-", bold, italic, href))
                    plain.append("-")
                elif tag == q("w:sym"):
                    pieces.append(("•", bold, italic, href))
                elif tag in (q("w:drawing"), q("w:pict"), q("mc:AlternateContent")):
                    before = ("".join(plain) or self.last_text).strip()
                    found.extend(self._pictures(child, before))
                elif tag == q("w:object"):
                    before = ("".join(plain) or self.last_text).strip()
                    found.append(self._object(child, before))
        return _markdown(pieces), "".join(plain), found

    def _link(self, link: ET.Element | None) -> str | None:
        if link is None:
            return None
        target, external = self.rels.get(link.get(q("r:id"), ""), ("", False))
        if external and re.match(r"(?i)^(https?://|mailto:)", target):
            return target
        return None

    def _pictures(self, element: ET.Element, before: str) -> list[dict]:
        if element.tag == q("mc:AlternateContent"):  # the same drawing twice: read one
            choice = element.find("mc:Choice", NS)
            element = choice if choice is not None else element
        found = []
        for box in element.iter(q("w:txbxContent")):  # a text box: its paragraphs, in place
            self._container(box)
        for holder in list(element.iter(q("wp:inline"))) + list(element.iter(q("wp:anchor"))):
            doc = holder.find("wp:docPr", NS)
            blip = holder.find(".//a:blip", NS)
            if blip is None:
                continue
            rel = blip.get(q("r:embed")) or ""
            descr = doc.get("descr", "") if doc is not None else ""
            title = doc.get("title", "") if doc is not None else ""
            found.append(self._picture(rel, descr or title, before))
        for image in element.iter(q("v:imagedata")):
            found.append(
                self._picture(image.get(q("r:id")) or "", image.get(q("o:title"), ""), before)
            )
        return [f for f in found if f]

    def _picture(self, rel: str, description: str, before: str) -> dict | None:
        target, external = self.rels.get(rel, ("", True))
        if external or target not in self.names:
            return None
        clean = self._image(target)
        if clean is None:
            self.out.refused_pictures.append(before[-80:])
            return None
        token = str(uuid.uuid4())
        self.out.images[token] = clean
        self.out.descriptions[token] = pictures.describe(description)
        return {"k": "pic", "img": token}

    def _image(self, target: str) -> CleanImage | None:
        data = self.archive.read(target)
        if target.lower().endswith((".wmf", ".emf", ".wmz", ".emz")):
            data = _metafile_png(data, target.lower())
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

    def _emit_found(self, found: list[dict]) -> None:
        self.out.blocks.extend(found)


def _indent(ppr: ET.Element | None) -> int | None:
    """A paragraph's (or style's, or list level's) left indentation in twips, if it sets one."""
    ind = ppr.find("w:ind", NS) if ppr is not None else None
    if ind is None:
        return None
    value = ind.get(q("w:left")) or ind.get(q("w:start"))
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _typed_in_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


_ESCAPE = re.compile(r"([\\`*_\[\]|])")


def _escape(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text).replace("<", "&lt;")


def _markdown(pieces: list[tuple[str, bool, bool, str | None]]) -> str:
    """Runs → inline Markdown: bold, italics and links kept, every other character literal."""
    merged: list[list] = []
    for text, bold, italic, href in pieces:
        if merged and merged[-1][1:] == [bold, italic, href]:
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic, href])
    out = []
    for text, bold, italic, href in merged:
        if not text:
            continue
        core = text.strip(" ")
        if not core or core == "\n":
            out.append(text.replace("\n", "  \n"))
            continue
        lead = text[: len(text) - len(text.lstrip(" "))]
        trail = text[len(text.rstrip(" ")) :]
        body = _escape(core).replace("\n", "  \n")
        if italic:
            body = f"*{body}*"
        if bold:
            body = f"**{body}**"
        if href:
            body = f"[{body}](<{href}>)" if " " in href else f"[{body}]({href})"
        out.append(lead + body + trail)
    text = "".join(out)
    # A line that would start a Markdown list, heading or quote is shown as typed.
    return re.sub(r"(?m)^(\s*)([#>+-]|\d+\.)(\s)", lambda m: m[1] + "\\" + m[2] + m[3], text)


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", "").replace("&lt;", "<")).strip()


def _table_markdown(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)
    lines = []
    for index, row in enumerate(rows):
        cells = [" ".join(c.split()) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if index == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    return "\n".join(lines)


def _metafile_png(data: bytes, name: str) -> bytes | None:
    """A Windows Metafile (an Equation Editor preview, most often) → PNG with libwmf's
    wmf2gd; None for what it cannot draw (EMF among them)."""
    if name.endswith((".wmz", ".emz")):
        import gzip

        try:
            data = gzip.decompress(data[: 20 * 1024 * 1024])
        except OSError:
            return None
        name = name[:-1] + "f"
    if not name.endswith(".wmf"):
        return None
    program = shutil.which("wmf2gd")
    if program is None:  # libwmf-bin is not installed: the formula is marked left out
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = f"{folder}/in.wmf"
        target = f"{folder}/out.png"
        with open(source, "wb") as handle:
            handle.write(data)
        try:
            subprocess.run(  # noqa: S603 - fixed program, our own temporary files
                [
                    program,
                    "-t",
                    "png",
                    "--maxwidth=1600",
                    "--maxheight=1200",
                    "-o",
                    target,
                    source,
                ],
                check=True,
                capture_output=True,
                timeout=_WMF_TIMEOUT,
            )
            with open(target, "rb") as handle:
                return handle.read()
        except (OSError, subprocess.SubprocessError):
            return None


def read(data: bytes) -> Read:
    """The .docx's bytes (already checked by check_file) → blocks, pictures and title."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _Reader(archive).read()
