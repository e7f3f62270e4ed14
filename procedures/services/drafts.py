"""Saving a draft: the editor's content written field by field, step by step, with the
author and a reason in the history; a save that changes nothing writes nothing."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, permissions, search, tasks
from ..content import CONTENT_FIELDS, DraftContent, MeasureData
from ..models import AuditEvent, Measure, Revision, Step, User
from ..steps import StepData, normalise, validate_steps
from .errors import EditConflict, NotAllowed, StepsInvalid, TextRefused
from .text_checks import unrenderable


def _check_rendering(revision: Revision) -> None:
    """Queue the render check of the draft as saved (render_checks.py, after commit)."""
    tasks.queue_render_check(revision)


def _save(
    instance: models.Model, *, user: User, reason: str, update_fields: list[str] | None = None
) -> None:
    instance._history_user = user
    instance._change_reason = audit.history_reason(reason)
    instance.save(update_fields=update_fields)


def _changed(instance: models.Model, values: dict[str, Any]) -> list[str]:
    """Set the values that differ and return their field names."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def save_draft(
    *, revision: Revision, editor: User, content: DraftContent, lock_version: int
) -> Revision:
    """A draft at `lock_version` → the same draft with the editor's content, lock_version + 1
    (a save that changes nothing returns the draft as it is: no new version, no audit event).

    Refuses (changing nothing) if the editor may not edit it, if someone saved it since
    `lock_version` (EditConflict), if the steps are inconsistent (StepsInvalid), or if the
    text could not be rendered (TextRefused: checked in a child process before any lock is
    taken, so a slow check holds no row, nor SQLite's database).
    """
    step_format = content.fields.get("step_format", revision.step_format)
    steps = normalise(step_format, content.steps)
    if permissions.can_edit(editor, revision) and not validate_steps(step_format, steps):
        problems = unrenderable(content.fields, steps)
        if problems:
            raise TextRefused(problems)
    return _save_draft(revision=revision, editor=editor, content=content, lock_version=lock_version)


@transaction.atomic
def _save_draft(
    *, revision: Revision, editor: User, content: DraftContent, lock_version: int
) -> Revision:
    locked = Revision.objects.select_for_update().select_related("procedure").get(pk=revision.pk)
    if not permissions.can_edit(editor, locked):
        raise NotAllowed(
            _(
                "Revision %(number)d is %(status)s: only a draft of your own procedure can be edited."
            )
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    if locked.lock_version != lock_version:
        raise EditConflict(locked)
    step_format = content.fields.get("step_format", locked.step_format)
    steps = normalise(step_format, content.steps)
    errors = validate_steps(step_format, steps)
    if errors:
        raise StepsInvalid(errors)

    reason = gettext_lazy("Draft saved")
    values = {name: content.fields[name] for name in CONTENT_FIELDS if name in content.fields}
    if values.get("training_hours") is not None:
        values["training_hours"] = Decimal(values["training_hours"])
    old = {name: getattr(locked, name) for name in values}
    changed = _changed(locked, values)
    changes = {name: [audit.describe(old[name]), audit.describe(values[name])] for name in changed}
    if _sync_steps(locked, steps, user=editor, reason=reason):
        changes["steps"] = [None, _("changed")]
    if _sync_measures(locked, content.measures, user=editor, reason=reason):
        changes["measures"] = [None, _("changed")]
    if not changes:  # saved as it was: no new version, no history, no audit event; a render
        _check_rendering(locked)  # check that failed is tried again (the author saved to retry)
        return locked
    locked.lock_version += 1
    locked.updated_by = editor
    _save(
        locked,
        user=editor,
        reason=reason,
        update_fields=[*changed, "lock_version", "updated_by", "updated_at"],
    )
    audit.record(
        action=AuditEvent.Action.DRAFT_SAVED, actor=editor, revision=locked, changes=changes
    )
    search.index_revision(locked)
    _check_rendering(locked)
    return locked


def _sync_steps(revision: Revision, steps: Sequence[StepData], *, user: User, reason: str) -> bool:
    """Make the revision's steps exactly `steps`, saving only what changed; True if any did."""
    touched = False
    existing = {s.key: s for s in revision.steps.all()}
    by_key: dict[str, Step] = {}
    for position, data in enumerate(steps, start=1):
        step = existing.get(data.key) or Step(revision=revision, key=data.key, position=position)
        values = {
            "position": position,
            "level": data.level,
            "kind": data.kind,
            "text": data.text,
            "role": data.role,
        }
        changed = _changed(step, values)
        if step.pk is None or changed:
            if data.kind != Step.Kind.DECISION:  # keep the decision constraint satisfied
                step.yes_target = step.no_target = None
            _save(step, user=user, reason=reason)
            touched = True
        by_key[data.key] = step
    for data in steps:
        step = by_key[data.key]
        targets = {
            "yes_target_id": by_key[data.yes].pk if data.yes else None,
            "no_target_id": by_key[data.no].pk if data.no else None,
            "next_target_id": by_key[data.next].pk if data.next else None,
        }
        if _changed(step, targets):
            _save(step, user=user, reason=reason)
            touched = True
    for key, step in existing.items():
        if key not in by_key:
            _save_deletion(step, user=user, reason=reason)
            touched = True
    return touched


def _save_deletion(instance: models.Model, *, user: User, reason: str) -> None:
    instance._history_user = user
    instance._change_reason = audit.history_reason(reason)
    instance.delete()


def _sync_measures(
    revision: Revision, measures: Sequence[MeasureData], *, user: User, reason: str
) -> bool:
    touched = False
    existing = revision.ordered_measures()
    for position, data in enumerate(measures, start=1):
        measure = existing[position - 1] if position <= len(existing) else None
        values = {"position": position, **data.__dict__}
        if measure is None:
            _save(Measure(revision=revision, **values), user=user, reason=reason)
            touched = True
        elif _changed(measure, values):
            _save(measure, user=user, reason=reason)
            touched = True
    for measure in existing[len(measures) :]:
        _save_deletion(measure, user=user, reason=reason)
        touched = True
    return touched
