"""Writes that change no status: create a procedure, save a draft, start a revision, comment,
acknowledge (feedback has its own module, feedback.py).

Each function is atomic, locks the rows it changes, records the user and a reason in the
history (django-simple-history) and refuses with an exception defined here, whose message
a view shows as it is. Status changes live in workflow.py, not here.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from . import audit, notifications, permissions, search
from .models import (
    Acknowledgement,
    Attachment,
    AuditEvent,
    Category,
    Comment,
    Measure,
    Procedure,
    Revision,
    Step,
    User,
)
from .rendering import markdown, sandbox
from .steps import StepData, normalise, step_numbers, validate_steps

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


class ServiceError(Exception):
    """A refusal whose message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(ServiceError):
    pass


class DuplicateCode(ServiceError):
    pass


class StepsInvalid(ServiceError):
    def __init__(self, errors: list[str]):
        super().__init__(_("The steps need attention: ") + " ".join(errors))
        self.errors = errors


class TextRefused(ServiceError):
    """Text that could not be rendered; `problems` name the elements and steps."""

    def __init__(self, problems: list[str]):
        super().__init__(_("The draft was not saved: ") + " ".join(problems))
        self.problems = problems


class EditConflict(ServiceError):
    """Someone saved the draft after the editor opened it; `current` is their version."""

    def __init__(self, current: Revision):
        super().__init__(
            _(
                "%(name)s saved this draft while you were editing it. Your text is kept below, "
                "next to theirs: merge the two and save again."
            )
            % {"name": current.updated_by.display_name if current.updated_by else _("Someone")}
        )
        self.current = current


class OpenRevisionExists(ServiceError):
    def __init__(self, revision: Revision):
        super().__init__(
            _("Revision %(number)d of %(code)s is still open (%(status)s): finish it first.")
            % {
                "number": revision.number,
                "code": revision.procedure.code,
                "status": revision.get_status_display(),
            }
        )
        self.revision = revision


@dataclass(frozen=True)
class MeasureData:
    name: str
    target: str
    method: str = ""
    frequency: str = ""


def element_labels() -> list[tuple[str, str]]:
    """The Markdown elements of a revision with the names an author sees."""
    return [
        ("title", _("the title")),
        ("change_summary", _("the change summary")),
        ("purpose", _("1. Purpose")),
        ("scope", _("2. Scope")),
        ("responsibilities", _("3. Responsibilities")),
        ("procedure_notes", _("4. Procedure, notes on the steps")),
        ("measures_notes", _("5. Performance measures, notes")),
        ("documentation", _("6. Documentation")),
        ("training", _("7. Training")),
        ("review_and_approval", _("8. Review and approval")),
    ]


def unrenderable(fields: dict[str, Any], steps: Sequence[StepData]) -> list[str]:
    """What in this content no page or PDF could render in bounded time ([] when all can), each
    message naming the element or step. Checked in a child process with a time limit."""
    items = [(label, fields.get(name) or "") for name, label in element_labels()]
    numbers = step_numbers([step.level for step in steps])
    items += [
        (_("4. Procedure, step %(number)s") % {"number": number}, step.text)
        for number, step in zip(numbers, steps, strict=True)
    ]
    items = [(label, text) for label, text in items if isinstance(text, str) and text.strip()]
    # The same text gives the same answer: a revision page, a save and a submission ask once.
    key = (
        "sopdesk:unrenderable:"
        + hashlib.sha256(
            json.dumps(
                [items, settings.SOPDESK_MAX_ELEMENT_CHARS, settings.SOPDESK_MAX_NESTING]
            ).encode()
        ).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        problems = sandbox.run(
            markdown.content_problems, items, timeout=settings.SOPDESK_CHECK_TIMEOUT
        )
    except sandbox.RenderRefused:
        return [
            _("The text is too complex to check in %(seconds)s seconds: shorten or simplify it.")
            % {"seconds": settings.SOPDESK_CHECK_TIMEOUT}
        ]
    cache.set(key, problems, timeout=24 * 3600)
    return problems


@dataclass
class DraftContent:
    """Everything the editor sends: the content fields, the steps and the measures."""

    fields: dict[str, Any]
    steps: Sequence[StepData] = field(default_factory=list)
    measures: Sequence[MeasureData] = field(default_factory=list)


def _check_rendering(revision: Revision) -> None:
    """Queue the render check of the draft as saved (render_checks.py, after commit)."""
    from . import render_checks  # it reads content.py, which needs this module

    render_checks.request(revision)


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


@transaction.atomic
def create_procedure(
    *,
    code: str,
    title: str,
    category: Category,
    owner: User,
    step_format: str,
    review_interval_months: int,
    created_by: User,
    content: DraftContent | None = None,
    reason: str = "",
) -> Revision:
    """Nothing → a procedure with revision 1 as a draft authored by its owner: empty, or with
    `content` (a template's guidance to replace, or an imported document)."""
    if not permissions.can_create_procedure(created_by):
        raise NotAllowed(_("You may not create procedures."))
    if not permissions.can_own_procedures(owner):
        raise NotAllowed(_("%(name)s is not a supervisor.") % {"name": owner.display_name})
    code = code.strip().upper()
    duplicate = DuplicateCode(
        _("A procedure with the code %(code)s already exists.") % {"code": code}
    )
    if Procedure.objects.by_code(code).exists():
        raise duplicate
    if content is not None:
        problems = unrenderable(content.fields, normalise(step_format, content.steps))
        if problems:
            raise TextRefused(problems)
    procedure = Procedure(
        code=code, category=category, owner=owner, review_interval_months=review_interval_months
    )
    try:
        with transaction.atomic():
            _save(procedure, user=created_by, reason=_("Procedure created"))
    except IntegrityError as error:  # two people chose the same code at the same moment
        raise duplicate from error
    revision = Revision(
        procedure=procedure,
        number=1,
        title=title.strip(),
        step_format=step_format,
        author=owner,
        updated_by=created_by,
    )
    reason = reason or _("First draft created")
    if content is not None:
        for name, value in content.fields.items():
            if name in CONTENT_FIELDS and name not in ("title", "step_format"):
                setattr(revision, name, value)
    _save(revision, user=created_by, reason=reason)
    if content is not None:
        _sync_steps(revision, normalise(step_format, content.steps), user=created_by, reason=reason)
        _sync_measures(revision, content.measures, user=created_by, reason=reason)
    audit.record(
        action=AuditEvent.Action.PROCEDURE_CREATED,
        actor=created_by,
        revision=revision,
        to_status=revision.status,
        reason=reason,
        changes={
            "code": [None, code],
            "category": [None, category.name],
            "owner": [None, owner.display_name],
            "title": [None, revision.title],
        },
    )
    search.index_revision(revision)
    _check_rendering(revision)
    return revision


def save_draft(
    *, revision: Revision, editor: User, content: DraftContent, lock_version: int
) -> Revision:
    """A draft at `lock_version` → the same draft with the editor's content, lock_version + 1.

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

    reason = _("Draft saved")
    values = {name: content.fields[name] for name in CONTENT_FIELDS if name in content.fields}
    if values.get("training_hours") is not None:
        values["training_hours"] = Decimal(values["training_hours"])
    old = {name: getattr(locked, name) for name in values}
    changed = _changed(locked, values)
    locked.lock_version += 1
    locked.updated_by = editor
    _save(
        locked,
        user=editor,
        reason=reason,
        update_fields=[*changed, "lock_version", "updated_by", "updated_at"],
    )
    changes = {name: [audit.describe(old[name]), audit.describe(values[name])] for name in changed}
    if _sync_steps(locked, steps, user=editor, reason=reason):
        changes["steps"] = [None, _("changed")]
    if _sync_measures(locked, content.measures, user=editor, reason=reason):
        changes["measures"] = [None, _("changed")]
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


@transaction.atomic
def start_revision(*, procedure: Procedure, author: User) -> Revision:
    """A procedure with no open revision → a new draft numbered one higher, a copy of the latest.

    Steps keep their keys, so the redline can follow each step from one revision to the next.
    """
    locked = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if not permissions.can_start_revision(author, locked):
        raise NotAllowed(
            _("Only the owner of %(code)s can start a revision.") % {"code": locked.code}
        )
    open_revision = locked.revisions.open().first()
    if open_revision is not None:
        raise OpenRevisionExists(open_revision)
    latest = locked.revisions.order_by("-number").first()
    reason = _("Revision started from revision %(number)d") % {"number": latest.number}
    draft = Revision(
        procedure=locked,
        number=latest.number + 1,
        author=author,
        updated_by=author,
        **{name: getattr(latest, name) for name in CONTENT_FIELDS if name != "change_summary"},
    )
    try:
        with transaction.atomic():
            _save(draft, user=author, reason=reason)
    except IntegrityError as error:
        raise OpenRevisionExists(locked.revisions.open().first() or latest) from error
    steps = [
        StepData(
            key=s.key,
            text=s.text,
            level=s.level,
            kind=s.kind,
            role=s.role,
            yes=s.yes_target.key if s.yes_target else "",
            no=s.no_target.key if s.no_target else "",
            next=s.next_target.key if s.next_target else "",
        )
        for s in latest.steps.select_related("yes_target", "no_target", "next_target").order_by(
            "position", "pk"
        )
    ]
    _sync_steps(draft, steps, user=author, reason=reason)
    measures = [
        MeasureData(name=m.name, target=m.target, method=m.method, frequency=m.frequency)
        for m in latest.ordered_measures()
    ]
    _sync_measures(draft, measures, user=author, reason=reason)
    _copy_attachments(source=latest, target=draft)
    audit.record(
        action=AuditEvent.Action.REVISION_STARTED,
        actor=author,
        revision=draft,
        to_status=draft.status,
        reason=reason,
    )
    search.index_revision(draft)
    _check_rendering(draft)
    return draft


def _copy_attachments(*, source: Revision, target: Revision) -> None:
    """A new revision lists the same attachments as the one it starts from, sharing their
    stored files (which never change): each revision keeps its own list."""
    for item in source.attachments.order_by("position", "pk"):
        Attachment.objects.create(
            revision=target,
            **{
                name: getattr(item, name)
                for name in (
                    "position",
                    "title",
                    "description",
                    "kind",
                    "file",
                    "filename",
                    "size",
                    "sha256",
                    "uploaded_by",
                    "uploaded_at",
                )
            },
        )


@transaction.atomic
def add_comment(
    *, revision: Revision, author: User, body: str, element: str = "GENERAL", step_key: str = ""
) -> Comment:
    """A comment on a draft or a revision in review, on the audit trail; the author is told."""
    locked = Revision.objects.select_for_update().select_related("procedure").get(pk=revision.pk)
    if not permissions.can_comment(author, locked):
        raise NotAllowed(
            _("Revision %(number)d is %(status)s: comments are closed.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    if not body.strip():
        raise NotAllowed(_("Write the comment first."))
    comment = Comment.objects.create(
        revision=locked, author=author, element=element, step_key=step_key, body=body.strip()
    )
    audit.record(
        action=AuditEvent.Action.COMMENTED,
        actor=author,
        revision=locked,
        reason=body.strip(),
        target=comment.get_element_display(),
    )
    if author.pk != locked.author_id:
        notifications.revision_changed(
            locked, _("new comment from %(name)s") % {"name": author.display_name}, body.strip()
        )
    return comment


@transaction.atomic
def acknowledge(*, agent: User, revision: Revision) -> Acknowledgement:
    """An agent who must read the revision in force → their acknowledgement of it, on the audit
    trail. Idempotent: a second click returns the first acknowledgement."""
    procedure = Procedure.objects.get(pk=revision.procedure_id)
    in_force = procedure.revision_in_force()
    revision = Revision.objects.select_related("procedure").get(pk=revision.pk)
    if not permissions.must_acknowledge(agent, revision, in_force):
        raise NotAllowed(
            _(
                "Only the agents it is meant for acknowledge %(code)s, and only the revision in force."
            )
            % {"code": procedure.code}
        )
    acknowledgement, created = Acknowledgement.objects.get_or_create(revision=revision, agent=agent)
    notifications.done_reading(code=procedure.code, number=revision.number, agent=agent)
    if created:
        audit.record(
            action=AuditEvent.Action.ACKNOWLEDGED,
            actor=agent,
            revision=revision,
            reason=_("Read and understood"),
        )
    return acknowledgement
