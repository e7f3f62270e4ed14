"""How much text, and how deeply nested, one element of a procedure may be: what every page,
PDF and diagram can still render in bounded time and memory.

Python-Markdown takes quadratic time on long runs of "[" (2,000 of them cost a second, 20,000 a
minute) and WeasyPrint recurses once per level of nesting (200 nested quotes exhaust Python's
stack), so a few characters could otherwise make an approved revision unprintable. Text is
checked when it is saved, imported or submitted; `text_problems` names what is wrong in the
author's terms. Pure functions, no database access.
"""

import re

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Square brackets start links and pictures. Python-Markdown's cost grows with the square of the
# "[" left open, or nested in one another, within one paragraph: checkbox tables ("[ ]" in every
# cell) and code are fine, a few hundred unclosed "[" are not.
MAX_BRACKETS_PER_PARAGRAPH = 200
MAX_BRACKET_NESTING = 20
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# An element whose Markdown takes longer than this to turn into HTML is refused, whatever made it
# slow: pages (the desk's draft page, the preview) render author text as they are viewed.
RENDER_BUDGET_SECONDS = 3.0
# WeasyPrint lays out a paragraph's inline boxes in quadratic time: 500 pieces of formatting
# in one paragraph take a second, 3,000 most of a minute.
MAX_INLINE_PER_BLOCK = 300
_BLOCK_END = re.compile(r"</(?:p|li|td|th|dd|dt|h\d|blockquote|pre|caption)>|<br\s*/?>", re.I)
_OPENING_TAG = re.compile(r"<[a-zA-Z]")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID = frozenset({"br", "hr", "img", "wbr", "col", "area", "input", "source"})


def max_chars() -> int:
    return settings.SOPDESK_MAX_ELEMENT_CHARS


def max_depth() -> int:
    return settings.SOPDESK_MAX_NESTING


def _brackets_costly(paragraph: str) -> bool:
    if paragraph.count("[") <= MAX_BRACKETS_PER_PARAGRAPH:
        return False
    depth = deepest = 0
    for char in paragraph:
        if char == "[":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "]" and depth:
            depth -= 1
    # "[a](" with no ")" after it: the link's address is looked for to the paragraph's end
    open_links = sum(1 for rest in paragraph.split("](")[1:] if ")" not in rest)
    return (
        depth > MAX_BRACKETS_PER_PARAGRAPH
        or open_links > MAX_BRACKETS_PER_PARAGRAPH
        or deepest > MAX_BRACKET_NESTING
    )


def crowded_paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` whose square brackets Markdown could not handle quickly."""
    return [p for p in _PARAGRAPH_BREAK.split(text) if _brackets_costly(p)]


def html_depth(html: str) -> int:
    """How deeply the elements of (well-formed, sanitized) HTML nest, in one linear pass."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if name.lower() in _VOID or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def source_problems(text: str) -> list[str]:
    """What makes `text` too big to render at all (checked before any rendering is tried)."""
    problems = []
    if len(text) > max_chars():
        problems.append(
            _(
                "is %(length)s characters long; at most %(limit)s fit in one element. Move long "
                "reference material into an attachment."
            )
            % {
                "length": number_format(len(text), force_grouping=True),
                "limit": number_format(max_chars(), force_grouping=True),
            }
        )
    if crowded_paragraphs(text):
        problems.append(
            ngettext(
                "has a paragraph with more than %(limit)s square brackets “[” left open (or nested "
                "deeply): close them or split the paragraph.",
                "has a paragraph with more than %(limit)s square brackets “[” left open (or nested "
                "deeply): close them or split the paragraph.",
                MAX_BRACKETS_PER_PARAGRAPH,
            )
            % {"limit": MAX_BRACKETS_PER_PARAGRAPH}
        )
    return problems


def inline_problem(html: str) -> str | None:
    """Why a paragraph of the (sanitized) HTML holds too much formatting to print, or None."""
    most = max((len(_OPENING_TAG.findall(block)) for block in _BLOCK_END.split(html)), default=0)
    if most <= MAX_INLINE_PER_BLOCK:
        return None
    return _(
        "has a paragraph with %(count)s pieces of formatting (bold, italics, links …); at most "
        "%(limit)s can be printed: simplify it or split it up."
    ) % {"count": most, "limit": MAX_INLINE_PER_BLOCK}


def depth_problem(html: str) -> str | None:
    """Why the rendered HTML nests too deeply to print, or None."""
    depth = html_depth(html)
    if depth <= max_depth():
        return None
    return _(
        "is nested %(depth)s levels deep (lists in lists, quotes in quotes or formatting in "
        "formatting); at most %(limit)s levels can be printed."
    ) % {"depth": depth, "limit": max_depth()}
