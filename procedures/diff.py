"""The redline between two versions of a procedure: section by section, word by word.

Works on Snapshots (content.py), so it compares two stored revisions, a draft and its
predecessor, or the draft someone else saved with the text an editor is holding. All text
is escaped here; the only markup in the result is <ins> and <del>.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .content import Snapshot, step_lines
from .models import Revision

TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

TEXT_SECTIONS = (
    ("title", gettext_lazy("Title")),
    ("purpose", gettext_lazy("1. Purpose")),
    ("scope", gettext_lazy("2. Scope")),
    ("responsibilities", gettext_lazy("3. Responsibilities")),
)
LATER_SECTIONS = (
    ("documentation", gettext_lazy("6. Documentation")),
    ("training", gettext_lazy("7. Training")),
    ("review_and_approval", gettext_lazy("8. Review and approval")),
    ("change_summary", gettext_lazy("Change summary")),
)


@dataclass(frozen=True)
class Line:
    """One line of the redline: 'equal', 'insert', 'delete' or 'replace', and its HTML."""

    op: str
    html: SafeString


@dataclass(frozen=True)
class SectionDiff:
    key: str
    label: str
    lines: list[Line]

    @property
    def changed(self) -> bool:
        return any(line.op != "equal" for line in self.lines)


def word_diff(old: str, new: str) -> SafeString:
    """Inline redline of two strings: deleted words in <del>, inserted words in <ins>."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    # Chunks of (removed, added) text, or (same, None) for unchanged text.
    chunks: list[tuple[str, str | None]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            chunks.append((removed, None))
        elif chunks and chunks[-1][1] is not None:
            chunks[-1] = (chunks[-1][0] + removed, chunks[-1][1] + added)
        elif len(chunks) >= 2 and not chunks[-1][0].strip() and chunks[-2][1] is not None:
            # "old words" → "new words": one change, not one per word around each space.
            space = chunks.pop()[0]
            previous = chunks.pop()
            chunks.append((previous[0] + space + removed, previous[1] + space + added))
        else:
            chunks.append((removed, added))
    parts = []
    for removed, added in chunks:
        if added is None:
            parts.append(escape(removed))
            continue
        if removed:
            parts.append(f"<del>{escape(removed)}</del>")
        if added:
            parts.append(f"<ins>{escape(added)}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


def line_diff(old: list[str], new: list[str]) -> list[Line]:
    """Lines matched as a whole; a changed line shows its word-level redline."""
    lines = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [Line("equal", escape(text)) for text in old[i1:i2]]
        elif op == "delete":
            lines += [Line("delete", mark_safe(f"<del>{escape(t)}</del>")) for t in old[i1:i2]]  # noqa: S308
        elif op == "insert":
            lines += [Line("insert", mark_safe(f"<ins>{escape(t)}</ins>")) for t in new[j1:j2]]  # noqa: S308
        else:
            olds, news = old[i1:i2], new[j1:j2]
            for k in range(max(len(olds), len(news))):
                lines.append(
                    Line(
                        "replace",
                        word_diff(
                            olds[k] if k < len(olds) else "", news[k] if k < len(news) else ""
                        ),
                    )
                )
    return lines


def _text_lines(value: object) -> list[str]:
    text = "" if value is None else str(value)
    return text.splitlines() if text.strip() else []


def _training_lines(snapshot: Snapshot) -> list[str]:
    fields = snapshot.fields
    lines = _text_lines(fields.get("training"))
    if fields.get("training_hours") not in (None, ""):
        lines.append(_("Hours: %(hours)s") % {"hours": fields["training_hours"]})
    lines.append(
        _("A test must be passed: %(answer)s")
        % {"answer": _("yes") if fields.get("training_test_required") else _("no")}
    )
    if fields.get("training_url"):
        lines.append(_("Learning system: %(url)s") % {"url": fields["training_url"]})
    return lines


def _step_section_lines(snapshot: Snapshot) -> list[str]:
    step_format = snapshot.fields.get("step_format", Revision.StepFormat.SIMPLE)
    format_label = Revision.StepFormat(step_format).label.split(":")[0]
    lines = [_("Format: %(format)s") % {"format": format_label}]
    lines += step_lines(step_format, snapshot.steps)
    return lines + _text_lines(snapshot.fields.get("procedure_notes"))


def _measure_lines(snapshot: Snapshot) -> list[str]:
    lines = []
    for m in snapshot.measures:
        details = "; ".join(part for part in (m.method, m.frequency) if part)
        lines.append(f"{m.name}: {m.target}" + (f" ({details})" if details else ""))
    return lines + _text_lines(snapshot.fields.get("measures_notes"))


def compare(old: Snapshot, new: Snapshot) -> list[SectionDiff]:
    """Every section of the SOP, in the order of the document, with its redline."""
    sections = [
        SectionDiff(
            key,
            str(label),
            line_diff(_text_lines(old.fields.get(key)), _text_lines(new.fields.get(key))),
        )
        for key, label in TEXT_SECTIONS
    ]
    sections.append(
        SectionDiff(
            "steps",
            _("4. Procedure"),
            line_diff(_step_section_lines(old), _step_section_lines(new)),
        )
    )
    sections.append(
        SectionDiff(
            "measures",
            _("5. Performance measures"),
            line_diff(_measure_lines(old), _measure_lines(new)),
        )
    )
    for key, label in LATER_SECTIONS:
        if key == "training":
            lines = line_diff(_training_lines(old), _training_lines(new))
        else:
            lines = line_diff(_text_lines(old.fields.get(key)), _text_lines(new.fields.get(key)))
        sections.append(SectionDiff(key, str(label), lines))
    return sections
