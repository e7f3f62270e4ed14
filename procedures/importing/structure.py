"""The blocks of a Word file → its structure: the title, the sections each with the element it
seems to be, the lists that may be the steps (drafting.py turns it, with the author's
choices, into the draft). Pure functions: no database, no storage.

Real files rarely use heading styles: a section title is a heading style, or a short
paragraph that is bold, in capitals or outline-numbered, or that is the name of an element.
Steps are any list (numbered or bulleted) or hand-numbered paragraphs ("1)", "3/1", "2.")
under the procedure's section — or, when no section is called so, the longest list of short
lines in the document. Pictures and explanatory paragraphs between steps belong to the step
before them.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .names import ELEMENT_LABELS, element_for, is_element_name, normalise_heading

MAX_STEPS = 300  # what the editor takes
MAX_STEP_CHARS = 2000
OMIT = "omit"
ELEMENTS = tuple(ELEMENT_LABELS)
# A list may be interrupted by this many paragraphs (or tables) and go on.
_GAP = 3
_INDENT_STEP = 180  # twips (an eighth of an inch): less is the same indentation
# "1)", "2.", "3/1", "4.2.1", "a)" typed by hand at the start of a paragraph.
_HAND_NUMBER = re.compile(r"^\s*(\d{1,2}(?:[./]\d{1,2}){0,3})([.)]|(?=\s)|(?<=\d)(?=[A-Za-z]))\s*")
_LETTER_NUMBER = re.compile(r"^\s*([a-h])\)\s+")
# A phase: "1er étape :", "2ème étape", "Étape 3 -", "Step 2:", "Langkah 1", "1. lépés", "Phase 1".
_PHASE = re.compile(
    r"(?i)^\s*(?:(?:\d{1,2}\s*(?:er|ère|re|e|ème|eme|è|st|nd|rd|th)?\.?\s*"
    r"(?:étape|etape|phase|step|stage|lépés|fázis|szakasz|tahap|langkah))"
    r"|(?:étape|etape|phase|step|stage|tahap|langkah|fázis)\s*\d{1,2}(?!\d))\s*[:.\-–—]?\s*"
)
_NOT_TITLES = {"general", "généralités", "introduction", "umum", "általános", "contents"}
# What a document is, written where its title would be ("STANDARD OPERATING PROCEDURE" above
# "Password reset for agents"): the title is the line after it.
_DOCUMENT_KINDS = {
    "standard operating procedure", "standard operating procedures", "sop", "procedure",
    "operating procedure", "work instruction", "work instructions", "policy", "policy and procedure",
    "policies and procedures", "process description", "procédure", "mode opératoire",
    "instruction de travail", "procédure opérationnelle standard", "procédure opérationnelle",
    "fiche procédure", "prosedur operasional standar", "standar operasional prosedur",
    "standard operasional prosedur", "pos", "prosedur", "instruksi kerja", "eljárásrend",
    "munkautasítás", "szabályzat", "eljárás", "standard működési eljárás", "folyamatleírás",
}  # fmt: skip
# A section title's own outline number: "3", "3.1", "4.0", "IV".
_OUTLINE = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){0,4})\.?(?=\s|$)")
_CORE_TITLE_JUNK = re.compile(
    r"(?i)^(document\d*|doc\d*|title|titre|untitled|sans titre|microsoft word.*|"
    r"template|modèle|sablon|templat|.*\.docx?)$"
)
_CODE_IN_TEXT = re.compile(r"\b([A-Z][A-Z0-9]{0,9}(?:-[A-Z0-9]{1,10}){1,4})\b")


def _words(text: str) -> int:
    return len(text.split())


def _is_phase(block: dict) -> bool:
    return (
        block["k"] == "p"
        and not block["list"]
        and bool(_PHASE.match(block["text"]))
        and _words(block["text"]) <= 14
    )


def _hand_number(block: dict) -> str | None:
    if block["k"] != "p" or block["list"] or block["heading"]:
        return None
    text = block["text"]
    match = _HAND_NUMBER.match(text) or _LETTER_NUMBER.match(text)
    if not match or not text[match.end() :].strip():
        return None
    number = match.group(1)
    if re.fullmatch(r"\d{3,}", number) or re.fullmatch(r"(19|20)\d\d", number):
        return None
    if match.group(0).strip() == number and "." not in number and "/" not in number:
        return None  # "12 agents answer…": a number in a sentence, not a step's number
    return number


def is_step_like(block: dict) -> bool:
    return block["k"] == "p" and (
        bool(block["list"]) or _hand_number(block) is not None or _is_phase(block)
    )


def _is_heading(blocks: list[dict], index: int) -> bool:
    block = blocks[index]
    if block["k"] != "p" or block["title"]:
        return False
    text = block["text"].strip()
    if block["heading"]:
        return True
    if len(text) > 90 or _words(text) > 12 or _is_phase(block):
        return False
    exact = is_element_name(text)
    if text.endswith((".", ";", ",")) and not (exact and _words(text) <= 6):
        return False
    following = next((b for b in blocks[index + 1 : index + 4] if b["k"] in ("p", "table")), None)
    if block["list"]:
        # An outline-numbered section title is a list paragraph too: it is one when it names an
        # element or stands out, and the next paragraph is not the next item of its list.
        next_item = (
            following is not None
            and following["k"] == "p"
            and following["list"] is not None
            and following["list"]["id"] == block["list"]["id"]
            and following["list"]["lvl"] == block["list"]["lvl"]
        )
        return (exact and (block["bold"] or block["caps"] or not next_item)) or (
            (block["caps"] or block["bold"]) and not next_item and _words(text) <= 8
        )
    if exact and _words(text) <= 6:
        return True
    if not block["caps"] and _numbered_step_in_a_series(blocks, index):
        return False
    return (block["bold"] or block["caps"]) and not text.endswith("?")


def _numbered_step_in_a_series(blocks: list[dict], index: int) -> bool:
    """A bold line numbered by hand ("1) Greet the caller") beside others numbered the same
    way that name no element is a step written in bold, not a section title."""
    number = _hand_number(blocks[index])
    if number is None:
        return False
    depth = len(re.split(r"[./]", number))
    around = [
        i
        for i in range(max(0, index - 8), min(len(blocks), index + 9))
        if i != index and blocks[i]["k"] == "p"
    ]
    for other in around:
        sibling = _hand_number(blocks[other])
        if sibling is not None and len(re.split(r"[./]", sibling)) == depth:
            return not is_element_name(blocks[other]["text"])
    return False


def _title(blocks: list[dict], core_title: str, file_stem: str) -> tuple[str, int | None]:
    """(title, index of the block it came from, which is then not content)."""
    for index, block in enumerate(blocks[:30]):
        if block["k"] == "p" and block["title"]:
            return _named(blocks, index)
    paragraphs = [i for i, b in enumerate(blocks[:200]) if b["k"] == "p"]
    if core_title and not _CORE_TITLE_JUNK.match(core_title.strip()):
        # The first lines often repeat the file's own title: that line is not content then.
        same = next((i for i in paragraphs[:5] if _same_text(blocks[i]["text"], core_title)), None)
        return core_title[:200], same
    first = paragraphs[0] if paragraphs else None
    if first is not None:
        block = blocks[first]
        text = block["text"].strip()
        if (
            (block["bold"] or block["caps"] or block["heading"])
            and not is_element_name(text)
            and not block["list"]
            and _words(text) <= 15
            and not text.endswith(":")
            and normalise_heading(text) not in _NOT_TITLES
            and not _is_phase(block)
            and not _opens_a_section(blocks, first)
        ):
            return _named(blocks, first)
    stem = re.sub(r"[_]+", " ", file_stem).strip()
    stem = re.sub(r"(?i)[\s\-]*(v\d+(\.\d+)*|final|draft|copy|copie)$", "", stem).strip()
    return (stem[:200] or _("Imported procedure")), None


def _named(blocks: list[dict], index: int) -> tuple[str, int]:
    """The title at `index`, or, when that line only says what kind of document this is
    ("Standard Operating Procedure"), the short line right after it."""
    text = blocks[index]["text"].strip()
    if normalise_heading(text) in _DOCUMENT_KINDS:
        following = next(
            (i for i in range(index + 1, min(index + 4, len(blocks))) if blocks[i]["k"] == "p"),
            None,
        )
        if following is not None:
            line = blocks[following]["text"].strip()
            if (
                line
                and _words(line) <= 15
                and not line.endswith(":")
                and not is_element_name(line)
                and not blocks[following]["list"]
            ):
                return line[:200], following
    return text[:200], index


def kind_label(blocks: list[dict], title_block: int | None) -> int | None:
    """The "Standard Operating Procedure" line just above the title, if the title was read
    from the line after it (that line is then not content either)."""
    if title_block is None:
        return None
    before = next((i for i in range(title_block - 1, -1, -1) if blocks[i]["k"] == "p"), None)
    if before is not None and normalise_heading(blocks[before]["text"]) in _DOCUMENT_KINDS:
        return before
    return None


def _same_text(one: str, other: str) -> bool:
    def comparable(text: str) -> str:
        return " ".join(text.split()).casefold().strip(" .:")

    return comparable(one) == comparable(other)


def _opens_a_section(blocks: list[dict], first: int) -> bool:
    """Whether a bold or capitals first line is the title of the first section rather than of
    the document: its own text follows it, and later section titles look just like it."""
    block = blocks[first]
    following = next((b for b in blocks[first + 1 :] if b["k"] in ("p", "table")), None)
    if following is None or following["k"] == "table":
        return False
    if following["bold"] or following["caps"] or following["heading"] or following["title"]:
        return False
    look = (block["bold"], block["caps"], block["heading"])
    return any(
        (blocks[i]["bold"], blocks[i]["caps"], blocks[i]["heading"]) == look
        and _is_heading(blocks, i)
        for i in range(first + 2, len(blocks))
        if blocks[i]["k"] == "p"
    )


@dataclass
class Section:
    start: int  # the heading's block (or the first block, for the text before any heading)
    end: int
    heading: str
    element: str
    exact: bool


def _sections(blocks: list[dict], skip: set[int]) -> list[Section]:
    sections: list[Section] = []
    heads = [i for i in range(len(blocks)) if i not in skip and _is_heading(blocks, i)]
    if not heads or heads[0] > 0:
        first_end = heads[0] if heads else len(blocks)
        if any(
            b["k"] != "p" or b["text"] for i, b in enumerate(blocks[:first_end]) if i not in skip
        ):
            sections.append(Section(0, first_end, "", "purpose", False))
    current = "purpose"
    for number, start in enumerate(heads):
        end = heads[number + 1] if number + 1 < len(heads) else len(blocks)
        text = blocks[start]["text"]
        element, exact = element_for(text)
        if element is None:
            element = current
        current = element
        sections.append(Section(start, end, text[:200], element, exact))
    return sections


@dataclass
class Candidate:
    """A run of step-like paragraphs in one section: maybe the steps."""

    section: int
    items: list[int]
    start: int
    end: int  # after the last item
    score: float = 0.0
    heads: list[int] = field(default_factory=list)  # sub-section titles taken as steps


def _candidates(blocks: list[dict], sections: list[Section], skip: set[int]) -> list[Candidate]:
    found = []
    for number, section in enumerate(sections):
        first = section.start + (1 if section.heading else 0)
        runs: list[list[int]] = []
        kinds: set[str] = set()
        gap = 0
        for index in range(first, section.end):
            if index in skip:
                continue
            block = blocks[index]
            if is_step_like(block):
                kind = _list_kind(block)
                previous = blocks[runs[-1][-1]] if runs else None
                if runs and gap <= _GAP and (gap == 0 or _goes_on(block, kind, kinds, previous)):
                    runs[-1].append(index)
                else:
                    runs.append([index])
                    kinds = set()
                kinds.add(kind)
                gap = 0
            elif block["k"] in ("p", "table"):
                gap += 1
        if section.element == "procedure" and len(runs) > 1:
            runs = [[i for run in runs for i in run]]  # the procedure's section: all its lists
        for run in runs:
            if len(run) >= 2 or section.element == "procedure":
                end = run[-1] + 1
                while end < section.end and blocks[end]["k"] in ("pic", "obj"):
                    end += 1  # the last step's screenshot is the last step's
                if _explained(run):  # each step has its explanation: the last one's too
                    end = _explanation_end(blocks, end, section.end)
                found.append(Candidate(number, run, run[0], end))
    found.extend(_phased(blocks, sections, skip))
    for candidate in found:
        texts = [blocks[i]["text"] for i in candidate.items]
        short = sum(1 for t in texts if _words(t) <= 40 and not t.rstrip().endswith(":"))
        weight = {"procedure": 3.0, "purpose": 0.6, "scope": 0.5, "responsibilities": 0.5}
        candidate.score = short * weight.get(sections[candidate.section].element, 0.8)
    return found


def _outline_level(block: dict) -> int | None:
    """How deep a section title sits: its heading style's level, else its own number's depth
    ("3" and "4.0" are 1, "3.1" is 2); None when neither says."""
    if block["heading"]:
        return block["heading"]
    match = _OUTLINE.match(block["text"])
    if not match:
        return None
    parts = match.group(1).split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return len(parts)


def _phased(blocks: list[dict], sections: list[Section], skip: set[int]) -> list[Candidate]:
    """The procedure's section cut into sub-sections ("3 Procedure", "3.1 Verify the request",
    "3.2 Reset the password", each with its own list): one list of steps, each sub-section's
    title a step and its items the sub-steps under it."""
    found = []
    for number, section in enumerate(sections):
        if section.element != "procedure" or not section.exact or not section.heading:
            continue
        level = _outline_level(blocks[section.start])
        group = []
        for later in range(number + 1, len(sections)):
            sub = sections[later]
            sub_level = _outline_level(blocks[sub.start])
            if level is not None and sub_level is not None:
                inside = sub_level > level
            else:
                inside = element_for(sub.heading)[0] is None
            if not inside or sub.exact:
                break
            group.append(sub)
        if not group:
            continue
        items = [
            i
            for i in range(section.start + 1, group[0].start)
            if i not in skip and is_step_like(blocks[i])
        ]
        heads = []
        for sub in group:
            heads.append(sub.start)
            items.append(sub.start)
            items.extend(
                i
                for i in range(sub.start + 1, sub.end)
                if i not in skip and is_step_like(blocks[i])
            )
        found.append(Candidate(number, items, items[0], group[-1].end, heads=heads))
    return found


def _explained(run: list[int]) -> bool:
    """Whether paragraphs stand between the items of a list (each step explained below it)."""
    return any(b - a > 1 for a, b in zip(run, run[1:], strict=False))


def _explanation_end(blocks: list[dict], end: int, limit: int) -> int:
    """After a list whose steps are explained, the last step's explanation: up to _GAP
    paragraphs (and their pictures) before the section ends or a line ends with ':'."""
    paragraphs = 0
    while end < limit and blocks[end]["k"] in ("p", "pic", "obj"):
        if blocks[end]["k"] == "p":
            if paragraphs == _GAP or blocks[end]["text"].rstrip().endswith(":"):
                break
            paragraphs += 1
        end += 1
    return end


def _list_kind(block: dict) -> str:
    if block["list"]:
        return "list " + block["list"]["id"]
    return "phase" if _is_phase(block) else "hand"


def _goes_on(block: dict, kind: str, kinds: set[str], previous: dict) -> bool:
    """Whether a step-like line after a paragraph or two continues the list before it: the
    same list (or a phase, or a list under its last item: a deeper level, further indented)
    does; another list at the same depth, after its own introduction ("Contacts:"), is a
    list of its own."""
    listing, above = block["list"], previous["list"]
    nested = bool(listing) and (
        listing["lvl"] > 0
        or (
            above is not None
            and listing.get("ind") is not None
            and above.get("ind") is not None
            and listing["ind"] >= above["ind"] + _INDENT_STEP
        )
    )
    return kind in kinds or "phase" in kinds or kind == "phase" or nested


@dataclass
class Plan:
    """The structure found, and the author's choices (the defaults are the importer's)."""

    title: str
    title_block: int | None
    sections: list[Section]
    lists: list[Candidate]
    steps: int | None  # index in lists, or None
    choices: dict = field(default_factory=dict)
    label_block: int | None = None  # "Standard Operating Procedure" above the title

    @property
    def skipped(self) -> set[int]:
        """The blocks that are the title, not content."""
        return {i for i in (self.title_block, self.label_block) if i is not None}

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "title_block": self.title_block,
            "sections": [s.__dict__ for s in self.sections],
            "lists": [c.__dict__ for c in self.lists],
            "steps": self.steps,
            "label_block": self.label_block,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        return cls(
            title=data["title"],
            title_block=data["title_block"],
            sections=[Section(**s) for s in data["sections"]],
            lists=[Candidate(**c) for c in data["lists"]],
            steps=data["steps"],
            label_block=data.get("label_block"),
        )


def analyse(blocks: list[dict], *, core_title: str, file_stem: str) -> Plan:
    """The importer's reading of a document: its title, its sections each with the element it
    seems to be, the lists that could be the steps and the one it would take."""
    title, title_block = _title(blocks, core_title, file_stem)
    label_block = kind_label(blocks, title_block)
    skip = {i for i in (title_block, label_block) if i is not None}
    sections = _sections(blocks, skip)
    lists = _candidates(blocks, sections, skip)
    steps = None
    in_procedure = [n for n, c in enumerate(lists) if sections[c.section].element == "procedure"]
    if in_procedure:
        steps = max(in_procedure, key=lambda n: (lists[n].score, -n))
    elif lists:
        best = max(range(len(lists)), key=lambda n: (lists[n].score, -n))
        if len(lists[best].items) >= 3:
            steps = best
    return Plan(title, title_block, sections, lists, steps, label_block=label_block)
