"""Creating a procedure (its first draft) and starting a new revision from the latest one."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, permissions, search, selectors
from ..content import CONTENT_FIELDS, DraftContent, measures_of, steps_of
from ..models import Attachment, AuditEvent, Category, Procedure, Revision, User
from ..models.documents import site_language
from ..steps import normalise
from ..texts import later
from .drafts import _check_rendering, _save, _sync_measures, _sync_steps
from .errors import DuplicateCode, NotAllowed, OpenRevisionExists, TextRefused
from .text_checks import unrenderable


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
    language: str = "",
    translation_of: Procedure | None = None,
) -> Revision:
    """Nothing → a procedure with revision 1 as a draft authored by its owner: empty, or with
    `content` (a template's guidance to replace, or an imported document).

    `language`: what its text is written in (default the site's). `translation_of`: the
    procedure it translates; its first draft then starts as a copy of the source's revision in
    force, to be translated, and records which revision that was."""
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
    language = language or site_language()
    if language not in dict(settings.LANGUAGES):
        raise NotAllowed(_("Choose one of the languages in the list."))
    source = None
    if translation_of is not None:
        source = _source_to_translate(translation_of, language)
        if content is None:
            content = DraftContent(
                fields={name: getattr(source, name) for name in CONTENT_FIELDS},
                steps=steps_of(source),
                measures=measures_of(source),
            )
            step_format = source.step_format
    if content is not None:
        problems = unrenderable(content.fields, normalise(step_format, content.steps))
        if problems:
            raise TextRefused(problems)
    procedure = Procedure(
        code=code,
        category=category,
        owner=owner,
        review_interval_months=review_interval_months,
        language=language,
        translation_of=translation_of,
    )
    try:
        with transaction.atomic():
            _save(procedure, user=created_by, reason=gettext_lazy("Procedure created"))
    except IntegrityError as error:  # the same code, or a second translation, at the same moment
        if translation_of is not None and translation_of.translations.filter(language=language):
            raise NotAllowed(
                _("This procedure already has a translation in that language.")
            ) from error
        raise duplicate from error
    revision = Revision(
        procedure=procedure,
        number=1,
        title=title.strip(),
        step_format=step_format,
        author=owner,
        updated_by=created_by,
        source_revision=source,
    )
    reason = reason or gettext_lazy("First draft created")
    if content is not None:
        for name, value in content.fields.items():
            if name in CONTENT_FIELDS and name not in ("title", "step_format"):
                setattr(revision, name, value)
    _save(revision, user=created_by, reason=reason)
    if content is not None:
        _sync_steps(revision, normalise(step_format, content.steps), user=created_by, reason=reason)
        _sync_measures(revision, content.measures, user=created_by, reason=reason)
    if source is not None:  # the source's forms, to replace with translated ones where needed
        _copy_attachments(source=source, target=revision)
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
            "language": [None, language],
            **({"translation_of": [None, translation_of.code]} if translation_of else {}),
        },
    )
    search.index_revision(revision)
    _check_rendering(revision)
    return revision


def _source_to_translate(source: Procedure, language: str) -> Revision:
    """The source's revision in force, which a new translation into `language` starts from;
    refused (with the reason) when it cannot be translated so."""
    if source.translation_of_id is not None:
        raise NotAllowed(
            _("%(code)s is itself a translation: translate its source, %(source)s.")
            % {"code": source.code, "source": source.translation_of.code}
        )
    if language == source.language:
        raise NotAllowed(_("A translation is written in another language than its source."))
    if source.translations.filter(language=language).exists():
        raise NotAllowed(_("This procedure already has a translation in that language."))
    revision = selectors.revision_in_force(source)
    if revision is None:
        raise NotAllowed(
            _("%(code)s has no revision in force yet: there is nothing to translate.")
            % {"code": source.code}
        )
    return revision


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
    reason = later(lambda: _(audit.REVISION_STARTED) % {"number": latest.number})
    draft = Revision(
        procedure=locked,
        number=latest.number + 1,
        author=author,
        updated_by=author,
        **{name: getattr(latest, name) for name in CONTENT_FIELDS if name != "change_summary"},
        # a translation's new revision translates the source as it is in force now
        source_revision=(
            (selectors.revision_in_force(locked.translation_of) or latest.source_revision)
            if locked.translation_of_id
            else None
        ),
    )
    try:
        with transaction.atomic():
            _save(draft, user=author, reason=reason)
    except IntegrityError as error:
        raise OpenRevisionExists(locked.revisions.open().first() or latest) from error
    _sync_steps(draft, steps_of(latest), user=author, reason=reason)
    _sync_measures(draft, measures_of(latest), user=author, reason=reason)
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
