r"""A flowchart procedure's steps → an SVG diagram, drawn by Graphviz `dot`.

Decisions are diamonds with "yes"/"no" edges, the end is an oval. Node names are generated
(never author text); labels are the steps' plain text, passed as plain strings (`nohtml`), so
Graphviz escapes them into SVG text: author text never becomes markup. The graphviz package
quotes `"` but leaves backslashes alone (they start DOT's escapes such as `\n`), so `label()`
doubles every backslash an author typed: a step ending in `C:\` cannot escape the closing quote
and turn the next steps' text into DOT. The SVG is embedded inline in the page and the PDF, so
it needs nothing from the network.
"""

import re
import shutil
import subprocess
import textwrap

import graphviz
from django.utils.translation import gettext as _

from ..content import StepRow
from ..steps import DECISION, END, StepData, successors

DOT_TIMEOUT_SECONDS = 20
# A label shows at most four lines of 28 characters: more of the text is never looked at, so a
# huge step costs no more than a short one.
_LABEL_SOURCE_CHARS = 600
_MARKDOWN_MARKS = re.compile(r"[*_`#>\[\]]|\(\s*(?:https?|mailto):[^)]*\)")


def plain(text: str, width: int = 28, max_lines: int = 4) -> str:
    """A step's Markdown as a short plain-text label, wrapped for a diagram box."""
    flat = " ".join(_MARKDOWN_MARKS.sub("", text[:_LABEL_SOURCE_CHARS]).split())
    lines = textwrap.wrap(flat, width=width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return "\n".join(lines)


def label(number: str, text: str) -> str:
    """A node's DOT label: the step's number and plain text, backslashes escaped, lines joined
    by DOT's centred line break."""
    lines = f"{number}. {plain(text)}".split("\n")
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)


def flowchart_svg(rows: list[StepRow]) -> str:
    """The SVG markup (no XML prolog) of the diagram of these steps, in their order."""
    steps: list[StepData] = [row.step for row in rows]
    node = {step.key: f"s{i}" for i, step in enumerate(steps)}
    number = {row.step.key: row.number for row in rows}
    graph = graphviz.Digraph(
        graph_attr={"rankdir": "TB", "bgcolor": "transparent", "nodesep": "0.3", "ranksep": "0.35"},
        node_attr={
            "fontname": "DejaVu Sans",
            "fontsize": "10",
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#f4f6fa",
            "color": "#33415c",
        },
        edge_attr={"fontname": "DejaVu Sans", "fontsize": "9", "color": "#33415c"},
    )
    for step in steps:
        text = graphviz.nohtml(label(number[step.key], step.text))
        if step.kind == DECISION:
            graph.node(node[step.key], text, shape="diamond", fillcolor="#fff4d6")
        elif step.kind == END:
            graph.node(node[step.key], text, shape="oval", fillcolor="#e6f4ea")
        else:
            graph.node(node[step.key], text)
    for index, step in enumerate(steps):
        if step.kind == DECISION:
            for target, word in ((step.yes, _("yes")), (step.no, _("no"))):
                if target in node:
                    graph.edge(node[step.key], node[target], label=graphviz.nohtml(word))
        else:
            for target in successors(steps, index):
                if target in node:
                    graph.edge(node[step.key], node[target])
    # The graphviz package writes the DOT source; Debian's `dot` draws it, with a time limit.
    result = subprocess.run(  # noqa: S603 - fixed command, the source goes to stdin
        [shutil.which("dot") or "dot", "-Tsvg"],
        input=graph.source.encode("utf-8"),
        capture_output=True,
        timeout=DOT_TIMEOUT_SECONDS,
        check=True,
    )
    svg = result.stdout.decode("utf-8")
    return svg[svg.index("<svg") :]
