"""Word runs → inline Markdown, and back to plain text: bold, italics and links kept, every
other character shown as typed."""

import re

_ESCAPE = re.compile(r"([\\`*_\[\]|])")


def escape(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text).replace("<", "&lt;")


def markdown(pieces: list[tuple[str, bool, bool, str | None]]) -> str:
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
        body = escape(core).replace("\n", "  \n")
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


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", "").replace("&lt;", "<")).strip()


def table_markdown(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)
    lines = []
    for index, row in enumerate(rows):
        cells = [" ".join(c.split()) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if index == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    return "\n".join(lines)
