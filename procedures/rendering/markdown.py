"""Author Markdown → safe HTML.

Python-Markdown does not sanitize: raw HTML in the source passes straight through. Every
piece of author text therefore goes through `sanitize_html`, one allow-list of tags,
attributes and URL schemes, before it reaches a browser (or, later, the PDF renderer).
"""

import html as html_lib
import re
import time

import markdown as markdown_lib
import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import limits

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
        "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
        "h3", "h4", "h5", "h6", "a", "abbr",
        "table", "thead", "tbody", "tr", "th", "td", "caption", "img",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "img": {"src", "alt", "title"},
}
# The only pictures a document shows are its own uploads, served by SOP Desk at /images/…:
# no hot-linked picture can track a reader or make the PDF renderer fetch anything.
IMAGE_SRC = re.compile(
    r"/images/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(png|jpg)"
)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if IMAGE_SRC.fullmatch(value) else None
    return value


ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

MARKDOWN_EXTENSIONS = ["tables", "sane_lists", "fenced_code", "def_list", "abbr"]


# A picture whose source was refused: nh3 keeps the element, a page must not (src is required).
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=\")[^>]*>")


def sanitize_html(html: str) -> str:
    """Remove everything not on the allow-lists: scripts, event handlers, style, unsafe URLs,
    pictures that are not the document's own uploads."""
    return _IMG_WITHOUT_SRC.sub("", _clean(html))


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_filter_attribute,
        set_tag_attribute_values={"img": {"loading": "lazy", "decoding": "async"}},
    )


def _demote_headings(html: str) -> str:
    # The page owns h1 and h2; an author's "# Heading" becomes an h3 inside its element.
    for level in (2, 1):
        html = html.replace(f"<h{level}", f"<h{level + 2}").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return html


# Raw HTML elements the sanitizer removes together with everything inside them: an unclosed one
# would silently take the rest of the element's text with it.
_CONTENT_DROPPING = ("script", "style", "template")


# Element names of HTML, SVG and MathML: anything else between < and > is the author's own text
# ("Thank you for calling <company name>"), which the sanitizer would silently drop: it is shown
# as text instead.
HTML_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "address",
        "area",
        "article",
        "aside",
        "audio",
        "b",
        "base",
        "bdi",
        "bdo",
        "blockquote",
        "body",
        "br",
        "button",
        "canvas",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "data",
        "datalist",
        "dd",
        "del",
        "details",
        "dfn",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "fieldset",
        "figcaption",
        "figure",
        "font",
        "footer",
        "form",
        "frame",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "i",
        "iframe",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "legend",
        "li",
        "link",
        "main",
        "map",
        "mark",
        "marquee",
        "menu",
        "meta",
        "meter",
        "nav",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "ol",
        "optgroup",
        "option",
        "output",
        "p",
        "param",
        "picture",
        "plaintext",
        "pre",
        "progress",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "script",
        "search",
        "section",
        "select",
        "slot",
        "small",
        "source",
        "span",
        "strike",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "time",
        "title",
        "tr",
        "track",
        "tt",
        "u",
        "ul",
        "var",
        "video",
        "wbr",
        "xmp",
        "svg",
        "math",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "image",
        "use",
        "defs",
        "symbol",
        "foreignobject",
        "lineargradient",
        "radialgradient",
        "stop",
        "clippath",
        "mask",
        "pattern",
        "filter",
        "animate",
        "set",
        "mi",
        "mo",
        "mn",
        "ms",
        "mtext",
        "mrow",
        "mfrac",
        "msqrt",
        "mroot",
        "msub",
        "msup",
        "msubsup",
        "mtable",
        "mtr",
        "mtd",
        "annotation",
        "semantics",
    ]
)
_RAW_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s[^<>]*)?)/?>")


def _show_as_text(match: re.Match) -> str:
    tag = match.group(0)
    return tag if match.group(2).lower() in HTML_ELEMENTS else html_lib.escape(tag)


def _unclosed(raw_html: str) -> list[str]:
    lowered = raw_html.lower()
    return [
        tag
        for tag in _CONTENT_DROPPING
        if len(re.findall(rf"<{tag}\b", lowered)) > lowered.count(f"</{tag}")
    ]


def _unsanitized(text: str) -> str:
    # Python-Markdown is quadratic in the "[" of a paragraph: a paragraph with very many of them
    # (refused at saving, but older or imported text may hold one) shows them as plain brackets.
    for paragraph in limits.crowded_paragraphs(text):
        text = text.replace(paragraph, paragraph.replace("[", "\\["))
    html = markdown_lib.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    # "Thank you for calling <company name>": no HTML element, so the author's own text, shown.
    return _demote_headings(_RAW_TAG.sub(_show_as_text, html))


def render_markdown(text: str) -> SafeString:
    """Markdown source → sanitized HTML, safe to put in a page."""
    if not text or not text.strip():
        return mark_safe("")  # noqa: S308 - empty string
    return mark_safe(sanitize_html(_unsanitized(text)))  # noqa: S308 - sanitized above


def plain_text(text: str) -> str:
    """What a reader reads of author text: the rendered, sanitized text without markup or link
    targets (for the search index, for scorecard lines)."""
    return html_lib.unescape(strip_tags(render_markdown(text))).strip()


def text_problems(text: str) -> list[str]:
    """Why this Markdown cannot be published as written (each reason completes a sentence that
    starts with the element's name), or [] when every page and PDF can render it."""
    if not text or not text.strip():
        return []
    problems = limits.source_problems(text)
    if problems:
        return problems
    started = time.monotonic()
    raw = _unsanitized(text)
    clean = sanitize_html(raw)
    seconds = time.monotonic() - started
    if seconds > limits.RENDER_BUDGET_SECONDS:  # whatever the pattern: pages render it per view
        problems.append(
            _(
                "takes %(seconds).1f seconds to display (at most %(limit)s): simplify its "
                "formatting or split it up."
            )
            % {"seconds": seconds, "limit": limits.RENDER_BUDGET_SECONDS}
        )
    for tag in _unclosed(raw):
        problems.append(
            _(
                "contains an unclosed “<%(tag)s>” tag, which would remove all the text after it: "
                "delete the tag, or put it between backticks `like this` to show it as text."
            )
            % {"tag": tag}
        )
    if "<!--" in raw:  # a real comment (in code it is escaped): its text would not be shown
        problems.append(
            _(
                "contains a hidden comment “<!-- … -->” that readers would not see: delete it, or "
                "put it between backticks `like this` to show it."
            )
        )
    for problem in (limits.depth_problem(clean), limits.inline_problem(clean)):
        if problem:
            problems.append(problem)
    return problems


def content_problems(items: list[tuple[str, str]]) -> list[str]:
    """`text_problems` of each (label, Markdown) pair, as sentences that start with the label."""
    return [
        f"{label[:1].upper()}{label[1:]} {problem}"
        for label, text in items
        for problem in text_problems(text)
    ]


# A picture in Markdown: "![description](/images/<token>.png)" (one of our own uploads).
_PICTURE = re.compile(r"!\[([^\]\n]{0,1000})\]\(\s*<?/images/[0-9a-f-]{36}\.(?:png|jpg)")
_CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.DOTALL)


def picture_problems(items: list[tuple[str, str]]) -> list[str]:
    """For each (label, Markdown) pair: a sentence per picture without a description, and one
    when the rendered text shows a picture's Markdown ("![") instead of the picture."""
    problems = []
    for label, text in items:
        if not text or "![" not in text:
            continue
        where = f"{label[:1].upper()}{label[1:]}"
        missing = sum(1 for m in _PICTURE.finditer(text) if not m.group(1).strip())
        if missing == 1:
            problems.append(
                _(
                    "%(where)s: the picture has no description: write what it shows between "
                    "the square brackets of ![…]."
                )
                % {"where": where}
            )
        elif missing:
            problems.append(
                _(
                    "%(where)s: %(count)d pictures have no description: write what each shows "
                    "between the square brackets of ![…]."
                )
                % {"where": where, "count": missing}
            )
        shown = _CODE.sub("", str(render_markdown(text)))
        if "![" in html_lib.unescape(re.sub(r"<[^>]*>", "", shown)):
            problems.append(
                _(
                    "%(where)s shows a picture's Markdown (“![…](…)”) as text instead of the "
                    "picture: put the whole ![description](address) on one line, or remove it."
                )
                % {"where": where}
            )
    return problems
