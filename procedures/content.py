"""A revision's content as plain data, for the diff, the conflict view and the step list.

A Snapshot is built from a stored revision (`snapshot_of`) or from what an editor posted,
so that "theirs" and "yours" can be compared the same way as two stored revisions.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .models import ProcedureTemplate, Revision
from .steps import DECISION, END, FLOWCHART, StepData, step_numbers

# The revision fields a draft editor writes; everything else is set by the system.
CONTENT_FIELDS = (
    "title",
    "purpose",
    "scope",
    "responsibilities",
    "step_format",
    "procedure_notes",
    "measures_notes",
    "documentation",
    "training",
    "training_hours",
    "training_test_required",
    "training_url",
    "review_and_approval",
    "change_summary",
)


@dataclass(frozen=True)
class MeasureData:
    name: str
    target: str
    method: str = ""
    frequency: str = ""


@dataclass
class DraftContent:
    """Everything the editor sends: the content fields, the steps and the measures."""

    fields: dict[str, Any]
    steps: Sequence[StepData] = field(default_factory=list)
    measures: Sequence[MeasureData] = field(default_factory=list)


@dataclass
class Snapshot:
    fields: dict[str, Any]
    steps: list[StepData] = field(default_factory=list)
    measures: list[MeasureData] = field(default_factory=list)


@dataclass(frozen=True)
class StepRow:
    """A step as a reader sees it: its number, and the numbers its branches lead to."""

    number: str
    step: StepData
    yes_number: str = ""
    no_number: str = ""
    next_number: str = ""

    @property
    def is_decision(self) -> bool:
        return self.step.kind == DECISION

    @property
    def is_end(self) -> bool:
        return self.step.kind == END


def steps_of(revision: Revision) -> list[StepData]:
    """The revision's steps in order (uses prefetched steps when there are any)."""
    steps = revision.ordered_steps()
    key_of = {s.pk: s.key for s in steps}
    return [
        StepData(
            key=s.key,
            text=s.text,
            level=s.level,
            kind=s.kind,
            role=s.role,
            yes=key_of.get(s.yes_target_id, ""),
            no=key_of.get(s.no_target_id, ""),
            next=key_of.get(s.next_target_id, ""),
        )
        for s in steps
    ]


def measures_of(revision: Revision) -> list[MeasureData]:
    return [
        MeasureData(name=m.name, target=m.target, method=m.method, frequency=m.frequency)
        for m in revision.ordered_measures()
    ]


def snapshot_of(revision: Revision) -> Snapshot:
    return Snapshot(
        fields={name: getattr(revision, name) for name in CONTENT_FIELDS},
        steps=steps_of(revision),
        measures=measures_of(revision),
    )


def step_rows(steps: list[StepData]) -> list[StepRow]:
    numbers = step_numbers([s.level for s in steps])
    number_of = {s.key: numbers[i] for i, s in enumerate(steps)}
    return [
        StepRow(
            number=numbers[i],
            step=s,
            yes_number=number_of.get(s.yes, ""),
            no_number=number_of.get(s.no, ""),
            next_number=number_of.get(s.next, ""),
        )
        for i, s in enumerate(steps)
    ]


def step_lines(step_format: str, steps: list[StepData]) -> list[str]:
    """One line of text per step, as the redline compares them."""
    lines = []
    for row in step_rows(steps):
        line = f"{row.number}. {row.step.text}"
        if row.step.role:
            line += f" — {row.step.role}"
        if step_format == FLOWCHART:
            if row.is_decision:
                line += " " + _("[yes → %(yes)s, no → %(no)s]") % {
                    "yes": row.yes_number,
                    "no": row.no_number,
                }
            elif row.is_end:
                line += " " + _("[end]")
            elif row.next_number:
                line += " " + _("[then → %(next)s]") % {"next": row.next_number}
        lines.append(line)
    return lines


def canonical_hash(revision: Revision) -> str:
    """SHA-256 of everything a signer signs: identity, every element, the steps, the measures,
    the attached files (their SHA-256). Images are named in the text by a token and never change.

    Canonical JSON (sorted keys, no whitespace) so the same content always gives the same hash.
    """
    snapshot = snapshot_of(revision)
    payload = {
        "procedure": revision.procedure.code,
        "revision": revision.number,
        "fields": {k: None if v is None else str(v) for k, v in snapshot.fields.items()},
        "steps": [asdict(s) for s in snapshot.steps],
        "measures": [asdict(m) for m in snapshot.measures],
    }
    attachments = [
        {"title": a.title, "description": a.description, "file": a.filename, "sha256": a.sha256}
        for a in revision.attachments.order_by("position", "pk")
    ]
    if attachments:  # only then, so that the hashes of revisions without any stay as signed
        payload["attachments"] = attachments
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def template_content(template: ProcedureTemplate) -> DraftContent:
    """A template's elements, steps ("  " per level) and measures ("a | b | c | d") as a draft."""
    steps = []
    for position, line in enumerate(template.steps.splitlines(), start=1):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        steps.append(StepData(key=f"t{position}", text=line.strip(), level=min(indent // 2 + 1, 4)))
    measures = []
    for line in template.measures.splitlines():
        parts = [p.strip() for p in line.split("|")] + ["", "", "", ""]
        if parts[0]:
            measures.append(
                MeasureData(
                    *[p[:limit] for p, limit in zip(parts[:4], (200, 200, 300, 100), strict=True)]
                )
            )
    # Every Markdown element but the change summary, which a first revision does not need.
    fields = {
        name: getattr(template, name)
        for name in Revision.MARKDOWN_FIELDS
        if name != "change_summary"
    }
    return DraftContent(fields=fields, steps=steps, measures=measures)
