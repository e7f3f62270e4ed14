"""The structure found in a Word file (structure.analyse) and the author's choices → the content
of a first draft: the text of each element, the steps at their levels, the measures, the
pictures shown and the import report. Pure functions: no database, no storage, so the preview
shows exactly what "Create the draft" makes."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..content import MeasureData
from ..steps import MAX_LEVEL, StepData
from .names import ELEMENT_LABELS, TEXT_FIELD
from .pictures import one_line
from .structure import (
    _CODE_IN_TEXT,
    _HAND_NUMBER,
    _INDENT_STEP,
    _LETTER_NUMBER,
    _OUTLINE,
    _PHASE,
    MAX_STEP_CHARS,
    MAX_STEPS,
    OMIT,
    Plan,
    _hand_number,
    _is_phase,
)


@dataclass
class Built:
    title: str
    code: str
    text: dict[str, list[str]]
    steps: list[StepData]
    measures: list[MeasureData]
    images: list[str]  # the tokens of the pictures the draft shows
    notes: list[str]
    undescribed: int = 0


def image_markdown(token: str, description: str, url) -> str:
    # A backslash would escape the closing bracket and show the Markdown as text.
    description = description.replace("\\", "/").replace("[", "(").replace("]", ")")
    return f"![{description}]({url(token)})"


def _step_text(block: dict, *, head: bool = False) -> str:
    text = block["md"]
    if head:  # a sub-section's title: "3.1 Verify the request" → "Verify the request"
        rest = _OUTLINE.sub("", block["text"], count=1).strip(" :.-–—")
        return _escape_plain(rest) if rest else text
    if _is_phase(block):
        rest = _PHASE.sub("", block["text"], count=1).strip()
        return _escape_plain(rest) if rest else text
    number = _hand_number(block)
    if number is not None:
        bold = re.match(r"^\s*(\*\*|__)", text)
        opener = bold.group(1) if bold else ""
        body = text[bold.end() :] if bold else text
        stripped = _HAND_NUMBER.match(body) or _LETTER_NUMBER.match(body)
        rest = body[stripped.end() :] if stripped else re.sub(r"^\s*\S+\s*", "", body)
        if opener and rest.lstrip().startswith(opener):  # only the number was bold
            return rest.lstrip()[len(opener) :].lstrip()
        return (opener + rest.lstrip()) if opener else rest.lstrip()
    return text


def _escape_plain(text: str) -> str:
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text).replace("<", "&lt;")


def _raw_levels(blocks: list[dict], items: list[int], heads: set[int] = frozenset()) -> list[int]:
    """Each item's depth: Word's list level, the parts of a hand number (3/1 is under 3),
    one more under a phase, a list indented under the item just before it one more than
    that item (Word's "List Bullet 2"), bullets under a numbered step one more than it."""
    levels = []
    phase_seen = False
    last_numbered: tuple[str, int] | None = None  # (list id, level) of the last numbered step
    shift: dict[str, int] = {}  # how much deeper than its own levels each list sits
    listed: list[tuple[int, int | None, int]] = []  # (block, indentation, level) of list items
    for index in items:
        block = blocks[index]
        if index in heads or _is_phase(block):
            phase_seen = True
            levels.append(1)
            last_numbered = None
            shift.clear()
            listed.clear()
            continue
        base = 2 if phase_seen else 1
        number = _hand_number(block)
        if number is not None:
            depth = len(re.split(r"[./]", number))
            levels.append(base + depth - 1)
            last_numbered = ("hand", base + depth - 1)
            listed.clear()
            continue
        listing = block["list"]
        if listing["id"] not in shift:
            placed = _placed_by_indent(blocks, index, listing.get("ind"), listed)
            shift[listing["id"]] = 0 if placed is None else placed - base - listing["lvl"]
        level = base + shift[listing["id"]] + listing["lvl"]
        if listing["fmt"] == "bullet" and last_numbered and last_numbered[0] != listing["id"]:
            level = max(level, last_numbered[1] + 1 + listing["lvl"])
        elif listing["fmt"] != "bullet":
            last_numbered = (listing["id"], level)
        listed.append((index, listing.get("ind"), level))
        levels.append(level)
    return levels


def _placed_by_indent(
    blocks: list[dict], index: int, indent: int | None, listed: list[tuple[int, int | None, int]]
) -> int | None:
    """The level of a list met for the first time, from how Word indents it against the list
    items just before it: further in than the item right before it (nothing but pictures
    between them), it is nested under that item; level with an earlier item, it is at that
    item's level. None when the indentation tells nothing."""
    if indent is None or not listed:
        return None
    before, before_indent, before_level = listed[-1]
    adjacent = all(b["k"] in ("pic", "obj") for b in blocks[before + 1 : index])
    if adjacent and before_indent is not None and indent >= before_indent + _INDENT_STEP:
        return before_level + 1
    for _index, earlier_indent, earlier_level in reversed(listed):
        if earlier_indent is not None and abs(earlier_indent - indent) < _INDENT_STEP:
            return earlier_level
    return None


def _normalised(levels: list[int]) -> tuple[list[int], bool]:
    out, flattened, previous = [], False, 0
    lowest = min(levels, default=1)
    for level in levels:
        level = level - lowest + 1
        fixed = max(1, min(level, previous + 1, MAX_LEVEL))
        flattened |= fixed != level and level > MAX_LEVEL
        out.append(fixed)
        previous = fixed
    return out, flattened


def build(
    blocks: list[dict],
    plan: Plan,
    *,
    choices: dict,
    descriptions: dict[str, str],
    image_url,
    file_stem: str,
) -> Built:
    """The structure and the author's choices → the text of each element, the steps, the
    measures, the pictures shown and what the author should check (the import report).

    choices: {"title": str, "sections": {index: element or OMIT}, "steps": list index or None}"""
    title = " ".join((choices.get("title") or plan.title).split())[:200] or plan.title
    mapping = {
        n: choices.get("sections", {}).get(n, s.element) for n, s in enumerate(plan.sections)
    }
    chosen = choices.get("steps", plan.steps)
    steps_list = plan.lists[chosen] if chosen is not None and chosen < len(plan.lists) else None
    built = Built(title, "", {}, [], [], [], [])
    used_images: set[str] = set()
    formulas: list[str] = []
    objects: list[str] = []
    omitted_formulas = 0

    def picture(token: str) -> str:
        used_images.add(token)
        return image_markdown(token, one_line(descriptions.get(token, "")), image_url)

    def add(element: str, markdown: str) -> None:
        if markdown.strip():
            built.text.setdefault(TEXT_FIELD.get(element, element), []).append(markdown.strip())

    def block_markdown(block: dict) -> str:
        nonlocal omitted_formulas
        if block["k"] == "p":
            return block["md"]
        if block["k"] == "table":
            return block["md"]
        if block["k"] == "pic":
            return picture(block["img"])
        if block["k"] == "obj" and block["kind"] == "picture":
            # A picture the reader could not keep: marked where it stood; the report names it
            # once (the preview's refused pictures).
            return (
                _("[Picture left out: see the original document]")
                .replace("[", "\\[")
                .replace("]", "\\]")
            )
        if block["k"] == "obj":
            where = block["before"][-60:] or _("the start of its section")
            (formulas if block["kind"] == "formula" else objects).append(where)
            if block["img"]:
                return picture(block["img"])
            omitted_formulas += 1
            return (
                (
                    _("[Formula left out: see the original document]")
                    if block["kind"] == "formula"
                    else _("[Object left out: see the original document]")
                )
                .replace("[", "\\[")
                .replace("]", "\\]")
            )
        return ""

    step_items = set(steps_list.items) if steps_list else set()
    step_levels = {}
    if steps_list:
        levels, flattened = _normalised(
            _raw_levels(blocks, steps_list.items, set(steps_list.heads))
        )
        step_levels = dict(zip(steps_list.items, levels, strict=True))
        if flattened:
            built.notes.append(
                _("Lists nested more than %(levels)d deep were flattened to level %(levels)d.")
                % {"levels": MAX_LEVEL}
            )
    steps_omitted = steps_list is not None and mapping.get(steps_list.section) == OMIT
    current_step: list[str] | None = None
    step_texts: list[tuple[int, list[str]]] = []
    heads = set(steps_list.heads) if steps_list else set()
    skipped = plan.skipped
    for number, section in enumerate(plan.sections):
        element = mapping[number]
        if element == OMIT:
            continue
        head_is_step = section.start in heads and not steps_omitted
        first = section.start + (1 if section.heading and not head_is_step else 0)
        has_content = any(
            i not in skipped and (blocks[i]["k"] != "p" or blocks[i]["text"].strip())
            for i in range(section.start + 1, section.end)
        )
        if section.heading and not section.exact and not head_is_step and has_content:
            add(element, "### " + _escape_plain(section.heading))
        for index in range(first, section.end):
            if index in skipped:
                continue
            block = blocks[index]
            in_span = steps_list is not None and steps_list.start <= index < steps_list.end
            if index in step_items and not steps_omitted:
                current_step = [_step_text(block, head=index in heads)]
                step_texts.append((step_levels[index], current_step))
                continue
            if in_span and current_step is not None and not steps_omitted:
                current_step.append(block_markdown(block))  # belongs to the step before it
                continue
            if not in_span:
                current_step = None
            if element == "measures" and block["k"] == "table" and _measures(block, built):
                continue
            add(element, block_markdown(block))
    for level, parts in step_texts:
        text = "\n\n".join(p for p in parts if p.strip()).strip()
        if not text:
            continue
        if len(text) > MAX_STEP_CHARS:
            built.notes.append(
                _("Step “%(start)s…” was longer than %(limit)d characters and was shortened.")
                % {"start": _preview(text), "limit": MAX_STEP_CHARS}
            )
            text = text[:MAX_STEP_CHARS]
        if len(built.steps) >= MAX_STEPS:
            built.notes.append(
                _("Only the first %(count)d steps were kept: split the procedure.")
                % {"count": MAX_STEPS}
            )
            break
        built.steps.append(StepData(key=f"i{len(built.steps) + 1}", text=text, level=level))
    built.images = sorted(used_images)
    built.undescribed = sum(1 for t in used_images if not one_line(descriptions.get(t, "")))
    _report(built, plan, mapping, steps_list, formulas, objects, omitted_formulas)
    found = (
        _CODE_IN_TEXT.search(built.title)
        or _CODE_IN_TEXT.search(plan.title)
        or _CODE_IN_TEXT.search(file_stem.upper())
    )
    if found:
        built.code = found.group(1)
        built.title = built.title.replace(found.group(1), "").strip(" -–—:") or built.title
    return built


def _preview(text: str) -> str:
    return " ".join(text.split())[:40]


def _measures(table: dict, built: Built) -> bool:
    rows = [r for r in table["rows"] if any(r)]
    if not rows or max(len(r) for r in rows) < 2:
        return False
    header = " ".join(rows[0]).lower()
    if any(
        w in header
        for w in ("measure", "target", "kpi", "indikator", "mesure", "cible", "mutató", "cél")
    ):
        rows = rows[1:]
    before = len(built.measures)
    for row in rows:
        cells = (row + ["", "", "", ""])[:4]
        if cells[0] and cells[1]:
            built.measures.append(
                MeasureData(
                    name=cells[0][:200],
                    target=cells[1][:200],
                    method=cells[2][:300],
                    frequency=cells[3][:100],
                )
            )
    count = len(built.measures) - before
    built.notes.append(
        ngettext(
            "%(count)d performance measure was read from a table: check its target.",
            "%(count)d performance measures were read from a table: check their targets.",
            count,
        )
        % {"count": count}
    )
    return True


def _report(built, plan, mapping, steps_list, formulas, objects, omitted) -> None:
    headings = [s for s in plan.sections if s.heading]
    if not headings:
        built.notes.insert(0, _("No section titles found: everything is in 1. Purpose."))
    else:
        for number, section in enumerate(plan.sections):
            element = mapping[number]
            label = ELEMENT_LABELS[element] if element != OMIT else None
            name = section.heading
            if not name:
                built.notes.append(
                    _("The text before the first section title was left out.")
                    if element == OMIT
                    else _("The text before the first section title was put in %(element)s.")
                    % {"element": label}
                )
            elif element == OMIT:
                built.notes.append(_("“%(section)s” was left out.") % {"section": name[:80]})
            elif not section.exact:
                built.notes.append(
                    _("“%(section)s” was put in %(element)s.")
                    % {"section": name[:80], "element": label}
                )
    if steps_list is None:
        built.notes.append(
            _("No list found for the steps: write them in 4. Procedure (the text is kept there).")
            if "procedure" in mapping.values()
            else _("No list found for the steps: write them in 4. Procedure.")
        )
    else:
        built.notes.append(
            ngettext(
                "%(count)d step was read from “%(section)s”: check its level.",
                "%(count)d steps were read from “%(section)s”: check their order and levels.",
                len(built.steps),
            )
            % {
                "count": len(built.steps),
                "section": (
                    plan.sections[steps_list.section].heading
                    or _("the text before the first section title")
                )[:80],
            }
        )
    if built.undescribed:
        built.notes.append(
            ngettext(
                "%(count)d picture needs a description: write what it shows between the "
                "brackets of ![…] before you submit.",
                "%(count)d pictures need a description: write what each shows between the "
                "brackets of ![…] before you submit.",
                built.undescribed,
            )
            % {"count": built.undescribed}
        )
    for kind, places in (("formula", formulas), ("object", objects)):
        if not places:
            continue
        where = "; ".join(f"“…{p}”" for p in places[:5]) + ("; …" if len(places) > 5 else "")
        if kind == "formula":
            message = ngettext(
                "%(count)d formula was found (after %(where)s): check it against the original.",
                "%(count)d formulas were found (after %(where)s): check them against the original.",
                len(places),
            )
        else:
            message = ngettext(
                "%(count)d embedded object was found (after %(where)s): check it against the "
                "original.",
                "%(count)d embedded objects were found (after %(where)s): check them against the "
                "original.",
                len(places),
            )
        built.notes.append(message % {"count": len(places), "where": where})
    if omitted:
        built.notes.append(
            ngettext(
                "%(count)d formula or object could not be shown as a picture: a note marks its "
                "place.",
                "%(count)d formulas or objects could not be shown as pictures: a note marks each "
                "place.",
                omitted,
            )
            % {"count": omitted}
        )
