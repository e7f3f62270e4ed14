"""WordprocessingML's vocabulary and a .docx's optional parts (styles and numbering), read
without trusting them: a missing or damaged part, or a value that is not what the standard
says, is passed over (defaults apply) rather than refusing the whole file."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {
    "w": W,
    "r": R,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "wpg": "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# ISO/IEC 29500 "strict" files name the same elements in other namespaces.
STRICT = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main": W.encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships": R.encode(),
    b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing": NS["wp"].encode(),
    b"http://purl.oclc.org/ooxml/drawingml/main": NS["a"].encode(),
    b"http://purl.oclc.org/ooxml/drawingml/picture": NS["pic"].encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/math": NS["m"].encode(),
}


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def number(value: str | None, default: int) -> int:
    """A number Word wrote in an attribute, or `default` when it is missing or not a number."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def on_off(element: ET.Element | None) -> bool | None:
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


def val(element: ET.Element | None, default: str = "") -> str:
    """An element's w:val, or `default` when the element or its value is missing."""
    return element.get(q("w:val"), default) if element is not None else default


def left_indent(ppr: ET.Element | None) -> int | None:
    """A paragraph's (or style's, or list level's) left indentation in twips, if it sets one."""
    ind = ppr.find("w:ind", NS) if ppr is not None else None
    if ind is None:
        return None
    value = ind.get(q("w:left")) or ind.get(q("w:start"))
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read_styles(root: ET.Element | None) -> dict[str, Style]:
    """styles.xml (None: missing or damaged) → its styles by id; odd values are passed over."""
    styles: dict[str, Style] = {}
    for element in [] if root is None else root.findall("w:style", NS):
        style = Style()
        style.name = val(element.find("w:name", NS)).lower()
        style.based_on = val(element.find("w:basedOn", NS))
        outline = element.find("w:pPr/w:outlineLvl", NS)
        if outline is not None and val(outline).isdigit():
            style.outline = int(val(outline))
        style.bold = on_off(element.find("w:rPr/w:b", NS))
        style.caps = on_off(element.find("w:rPr/w:caps", NS))
        style.indent = left_indent(element.find("w:pPr", NS))
        num = element.find("w:pPr/w:numPr", NS)
        if num is not None and num.find("w:numId", NS) is not None:
            level = num.find("w:ilvl", NS)
            style.num = (
                val(num.find("w:numId", NS), "0"),
                number(val(level, "0"), 0),
            )
        styles[element.get(q("w:styleId"), "")] = style
    return styles


def inherited(styles: dict[str, Style], style_id: str, attribute: str):
    """A style's attribute, or the one it inherits through basedOn."""
    for _depth in range(10):  # basedOn chains are short; a loop in a damaged file is not
        style = styles.get(style_id)
        if style is None:
            return None
        value = getattr(style, attribute)
        if value is not None:
            return value
        style_id = style.based_on
    return None


def read_numbering(root: ET.Element | None) -> tuple[dict, dict]:
    """numbering.xml (None: missing or damaged) → each list's format by level, and its
    indentation by level: ({numId: {level: format}}, {numId: {level: twips | None}})."""
    if root is None:
        return {}, {}
    abstract, indents = {}, {}
    for element in root.findall("w:abstractNum", NS):
        levels, indent = {}, {}
        for lvl in element.findall("w:lvl", NS):
            level = number(lvl.get(q("w:ilvl")), 0)
            levels[level] = val(lvl.find("w:numFmt", NS), "decimal")
            indent[level] = left_indent(lvl.find("w:pPr", NS))
        key = element.get(q("w:abstractNumId"), "")
        abstract[key], indents[key] = levels, indent
    found, indented = {}, {}
    for num in root.findall("w:num", NS):
        ref = num.find("w:abstractNumId", NS)
        if ref is not None:
            key = val(ref)
            found[num.get(q("w:numId"), "")] = abstract.get(key, {})
            indented[num.get(q("w:numId"), "")] = indents.get(key, {})
    return found, indented
