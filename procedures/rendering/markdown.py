"""Author Markdown → safe HTML.

Python-Markdown does not sanitize: raw HTML in the source passes straight through. Every
piece of author text therefore goes through `sanitize_html`, one allow-list of tags,
attributes and URL schemes, before it reaches a browser (or, later, the PDF renderer).
"""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
        "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
        "h3", "h4", "h5", "h6", "a", "abbr",
        "table", "thead", "tbody", "tr", "th", "td", "caption",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

MARKDOWN_EXTENSIONS = ["tables", "sane_lists", "fenced_code", "def_list", "abbr"]


def sanitize_html(html: str) -> str:
    """Remove everything not on the allow-lists: scripts, event handlers, style, unsafe URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _demote_headings(html: str) -> str:
    # The page owns h1 and h2; an author's "# Heading" becomes an h3 inside its element.
    for level in (2, 1):
        html = html.replace(f"<h{level}", f"<h{level + 2}").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return html


def render_markdown(text: str) -> SafeString:
    """Markdown source → sanitized HTML, safe to put in a page."""
    if not text or not text.strip():
        return mark_safe("")  # noqa: S308 - empty string
    html = markdown_lib.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return mark_safe(sanitize_html(_demote_headings(html)))  # noqa: S308 - sanitized above
