"""Scorecards built from procedures: lines taken from the steps of the revision in force,
general lines the quality team adds, and the next version when a procedure moved on.

Writes that change no status (quality/workflow.py changes statuses)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures import selectors
from procedures.models import Procedure, Revision, Step, User
from procedures.rendering.markdown import plain_text
from procedures.steps import step_numbers

from . import permissions
from .models import MAX_WEIGHT, Scorecard, ScorecardLine, ScorecardSource, ScorecardVersion
from .records import QualityRefused, record

Kind = ScorecardLine.Kind
MAX_GENERAL_LINES = 30


@dataclass(frozen=True)
class StepLine:
    """A step of a revision as a scorecard line would show it."""

    key: str
    number: str
    kind: str
    text: str
    role: str = ""


def plain(markdown_text: str) -> str:
    """A step's text on one line, as a reader reads it (rendering.markdown.plain_text)."""
    return " ".join(plain_text(markdown_text).split())


def step_lines(revision: Revision) -> list[StepLine]:
    """The steps and decisions of a revision to check on a call (not its "End" steps, not the
    headings of sub-steps), numbered as the manual numbers them, their text as plain text."""
    steps = sorted(revision.steps.all(), key=lambda s: (s.position, s.pk))
    numbers = step_numbers([s.level for s in steps])
    headings = {
        index for index in range(len(steps) - 1) if steps[index + 1].level > steps[index].level
    }  # a step with sub-steps is a heading: its sub-steps are what is done
    return [
        StepLine(
            key=step.key,
            number=number,
            kind=Kind.DECISION if step.kind == Step.Kind.DECISION else Kind.STEP,
            text=plain(step.text)[:500],
            role=step.role,
        )
        for index, (step, number) in enumerate(zip(steps, numbers, strict=True))
        if step.kind != Step.Kind.END and index not in headings
    ]


def _in_force(procedure: Procedure) -> Revision:
    revision = selectors.revision_in_force_then(procedure, timezone.now())
    if revision is None:
        raise QualityRefused(
            _("%(code)s has no revision in force: a scorecard is built from procedures in force.")
            % {"code": procedure.code}
        )
    return revision


def _add_step_lines(
    version: ScorecardVersion, revision: Revision, kept: dict[tuple[int, str], ScorecardLine]
) -> int:
    """Lines for the revision's steps, after the version's existing lines; a step that had a
    line in the previous version keeps its weight and critical flag."""
    position = version.lines.count()
    for line in step_lines(revision):
        before = kept.get((revision.procedure_id, line.key))
        position += 1
        ScorecardLine.objects.create(
            version=version,
            position=position,
            kind=line.kind,
            text=line.text,
            procedure_id=revision.procedure_id,
            step_key=line.key,
            step_number=line.number,
            weight=before.weight if before else 1,
            critical=before.critical if before else False,
        )
    return position


@transaction.atomic
def create_scorecard(
    *, name: str, description: str, procedures: list[Procedure], actor: User
) -> ScorecardVersion:
    """A new scorecard and its version 1, a draft whose lines are the steps of each procedure's
    revision in force, in the order the procedures were given."""
    if not permissions.can_build_scorecards(actor):
        raise QualityRefused(
            _("Scorecards are built by quality evaluators, supervisors and managers.")
        )
    if not procedures:
        raise QualityRefused(_("Choose at least one procedure."))
    revisions = [_in_force(procedure) for procedure in procedures]
    scorecard = Scorecard.objects.create(name=name, description=description, created_by=actor)
    version = ScorecardVersion.objects.create(scorecard=scorecard, number=1, created_by=actor)
    for revision in revisions:
        ScorecardSource.objects.create(
            version=version, procedure=revision.procedure, revision=revision
        )
        _add_step_lines(version, revision, {})
    record(action="SCORECARD_CREATED", actor=actor, version=version, to_status=version.status)
    return version


@dataclass(frozen=True)
class LineEdit:
    pk: int
    weight: int
    critical: bool
    remove: bool
    text: str = ""  # general lines only


def _lock_draft(version: ScorecardVersion, actor: User) -> ScorecardVersion:
    locked = (
        ScorecardVersion.objects.select_for_update().select_related("scorecard").get(pk=version.pk)
    )
    if not permissions.can_edit_scorecard(actor, locked):
        raise QualityRefused(
            _("Version %(number)d is %(status)s: only a draft is changed.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def save_lines(
    *,
    version: ScorecardVersion,
    actor: User,
    edits: list[LineEdit],
    new_general: list[str],
    change_note: str,
) -> ScorecardVersion:
    """Write a draft's weights, critical flags, general lines' texts and removals, and append
    the new general lines. A line of another version is ignored; the last line is kept."""
    version = _lock_draft(version, actor)
    lines = {line.pk: line for line in version.lines.all()}
    removed = {edit.pk for edit in edits if edit.remove and edit.pk in lines}
    new_general = [text.strip() for text in new_general if text.strip()]
    if len(lines) - len(removed) + len(new_general) == 0:
        raise QualityRefused(_("A scorecard needs at least one line."))
    general_count = sum(1 for line in lines.values() if line.is_general) + len(new_general)
    if general_count > MAX_GENERAL_LINES:
        raise QualityRefused(
            _("A scorecard has at most %(count)d general lines.") % {"count": MAX_GENERAL_LINES}
        )
    for edit in edits:
        line = lines.get(edit.pk)
        if line is None:
            continue
        if edit.pk in removed:
            line.delete()
            continue
        line.weight = min(max(edit.weight, 1), MAX_WEIGHT)
        line.critical = edit.critical
        if line.is_general and edit.text.strip():
            line.text = edit.text.strip()[:500]
        line.save(update_fields=["weight", "critical", "text"])
    position = max((line.position for line in lines.values()), default=0)
    for text in new_general:
        position += 1
        ScorecardLine.objects.create(
            version=version, position=position, kind=Kind.GENERAL, text=text[:500]
        )
    if version.change_note != change_note:
        version.change_note = change_note
        version.save(update_fields=["change_note"])
    record(action="SCORECARD_SAVED", actor=actor, version=version)
    return version


@dataclass(frozen=True)
class LineChange:
    """One row of a procedure's line-level diff between two revisions."""

    change: str  # "added", "removed", "changed", "same"
    number: str
    before: str
    after: str


@dataclass(frozen=True)
class MovedOn:
    """A procedure whose revision in force is not the one the scorecard's lines came from."""

    procedure: Procedure
    based_on: Revision
    in_force: Revision | None
    changes: list[LineChange]

    @property
    def has_changes(self) -> bool:
        return any(change.change != "same" for change in self.changes)


def line_diff(before: Revision, after: Revision) -> list[LineChange]:
    """The steps of two revisions, matched by their stable keys."""
    old = {line.key: line for line in step_lines(before)}
    rows = []
    for line in step_lines(after):
        previous = old.pop(line.key, None)
        if previous is None:
            rows.append(LineChange("added", line.number, "", line.text))
        elif previous.text != line.text:
            rows.append(LineChange("changed", line.number, previous.text, line.text))
        else:
            rows.append(LineChange("same", line.number, previous.text, line.text))
    rows += [LineChange("removed", line.number, line.text, "") for line in old.values()]
    return rows


def moved_on(version: ScorecardVersion) -> list[MovedOn]:
    """The version's procedures whose revision in force moved on since its lines were taken
    ("based on revision 2; revision 3 is in force"), each with its line-level diff."""
    found = []
    for source in version.sources.select_related("procedure", "revision"):
        current = selectors.revision_in_force(source.procedure)
        if current is not None and current.pk == source.revision_id:
            continue
        changes = line_diff(source.revision, current) if current is not None else []
        found.append(MovedOn(source.procedure, source.revision, current, changes))
    return found


@transaction.atomic
def start_next_version(*, version: ScorecardVersion, actor: User) -> ScorecardVersion:
    """A new draft after `version`: its step lines taken again from each procedure's revision
    in force (a step kept keeps its weight and critical flag; a withdrawn procedure's lines
    are left out), its general lines copied."""
    scorecard = Scorecard.objects.select_for_update().get(pk=version.scorecard_id)
    version = ScorecardVersion.objects.get(pk=version.pk)
    if not permissions.can_revise_scorecard(actor, version):
        raise QualityRefused(_("A new version starts from the version in use."))
    if scorecard.versions.filter(status__in=ScorecardVersion.OPEN_STATUSES).exists():
        raise QualityRefused(_("This scorecard already has a version being prepared."))
    number = scorecard.versions.order_by("-number").values_list("number", flat=True)[0] + 1
    lines = list(version.lines.order_by("position", "pk"))
    kept = {(line.procedure_id, line.step_key): line for line in lines if not line.is_general}
    current = [
        selectors.revision_in_force_then(source.procedure, timezone.now())
        for source in version.sources.select_related("procedure").order_by("pk")
    ]
    revisions = [revision for revision in current if revision is not None]  # withdrawn: dropped
    if not revisions:
        raise QualityRefused(
            _("None of its procedures is in force any more: build a new scorecard instead.")
        )
    draft = ScorecardVersion.objects.create(scorecard=scorecard, number=number, created_by=actor)
    for revision in revisions:
        ScorecardSource.objects.create(
            version=draft, procedure=revision.procedure, revision=revision
        )
        _add_step_lines(draft, revision, kept)
    position = draft.lines.count()
    for line in lines:
        if line.is_general:
            position += 1
            ScorecardLine.objects.create(
                version=draft,
                position=position,
                kind=Kind.GENERAL,
                text=line.text,
                weight=line.weight,
                critical=line.critical,
            )
    record(action="SCORECARD_REVISED", actor=actor, version=draft, to_status=draft.status)
    return draft
