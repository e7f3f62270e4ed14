"""Importing an existing procedure from Word: one .docx → a preview the author checks → a new
procedure with a first draft.

    .docx ─docx_reader─▶ blocks (paragraphs with their style, boldness, capitals and list;
    pictures; tables; formulas) ─structure.analyse─▶ title, sections with their element, the
    lists that may be the steps ─the author's choices─▶ drafting.build ─▶ the draft.

Reading runs in a child process with time and memory limits (no file can hold a worker); the
preview is kept (ImportPreview: JSON and the pictures in the file store) so that "Create the
draft" makes exactly what the preview showed, on whichever server. A file that is not a .docx,
is encrypted or too large is refused with the reason and nothing is kept.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import audit, files, permissions, services
from ..content import DraftContent
from ..models import (
    Category,
    DocumentImport,
    ImportPreview,
    Procedure,
    Revision,
    User,
    code_validator,
)
from ..models.documents import site_language
from ..rendering import sandbox
from ..services import ServiceError, TextRefused
from ..steps import normalise
from ..texts import later
from ..uploads import CleanImage, unpacked_within
from . import docx_reader, drafting, structure
from .names import ELEMENT_LABELS, element_for, normalise_heading
from .structure import MAX_STEPS, OMIT, Plan

__all__ = [
    "ELEMENT_LABELS",
    "MAX_STEPS",
    "OMIT",
    "ImportRefused",
    "Outcome",
    "check_file",
    "create_from_preview",
    "discard",
    "dry_run",
    "element_for",
    "import_docx",
    "import_many",
    "normalise_heading",
    "ordered_pictures",
    "preview",
    "remember_choices",
    "summary",
]

StepFormat = Revision.StepFormat
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportRefused(ServiceError):
    pass


def check_file(data: bytes, *, name: str, limit: int) -> None:
    """Refuse, with the reason, what is not a readable .docx of acceptable size."""
    if len(data) > limit:
        raise ImportRefused(
            _("%(name)s is larger than %(limit)d MB: split it or remove large pictures.")
            % {"name": name, "limit": limit // (1024 * 1024)}
        )
    if data.startswith(_OLE_MAGIC):
        raise ImportRefused(
            _(
                "%(name)s is password-protected, or an old Word 97–2003 .doc: remove the password "
                "or save it as a .docx in Word, then import it again."
            )
            % {"name": name}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            within = unpacked_within(archive, settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
        raise ImportRefused(
            _("%(name)s is not a Word .docx file (or it is damaged).") % {"name": name}
        ) from error
    if "word/document.xml" not in names:
        raise ImportRefused(
            _("%(name)s is not a Word .docx file: it holds no Word document.") % {"name": name}
        )
    if not within:
        raise ImportRefused(
            _("%(name)s would unpack to more than %(limit)s (or is damaged) and was refused.")
            % {
                "name": name,
                "limit": filesizeformat(settings.SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES),
            }
        )


def _stem(name: str) -> str:
    return unicodedata.normalize("NFC", PurePath(name).stem)


def _read(data: bytes, name: str) -> tuple[docx_reader.Read, dict]:
    try:
        read = docx_reader.read(data)
    except docx_reader.DocumentTooLong as refused:
        raise ImportRefused(
            _("%(name)s: %(reason)s") % {"name": name, "reason": refused.message}
        ) from refused
    except Exception as error:  # noqa: BLE001 - any failure to read is the file's problem
        raise ImportRefused(
            _("%(name)s could not be read as a Word document.") % {"name": name}
        ) from error
    plan = structure.analyse(read.blocks, core_title=read.core_title, file_stem=_stem(name))
    return read, plan.as_json()


def _read_bounded(
    data: bytes, name: str, timeout: float | None = None
) -> tuple[docx_reader.Read, dict]:
    seconds = settings.SOPDESK_IMPORT_TIMEOUT if timeout is None else timeout
    try:  # in a child process with time and memory limits: no file can hold this worker
        return sandbox.run(_read, data, name, timeout=seconds)
    except sandbox.RanOutOfTime:
        raise ImportRefused(
            _(
                "%(name)s could not be read: reading it took longer than %(seconds)d seconds. "
                "Upload it on its own, or split it into smaller documents."
            )
            % {"name": name, "seconds": seconds}
        ) from None
    except sandbox.RenderRefused:
        raise ImportRefused(
            _(
                "%(name)s could not be read: it needs more memory than an import may use. "
                "Split it into smaller documents."
            )
            % {"name": name}
        ) from None


STAGING_DIR = "imports"


def staged_path(preview_id, token: str, clean_format: str) -> str:
    """Where a preview's picture waits in the file store until the draft is created."""
    extension = "jpg" if clean_format == "JPEG" else "png"
    return f"{STAGING_DIR}/{preview_id}/{token}.{extension}"


def preview(
    *,
    data: bytes,
    name: str,
    category: Category,
    owner: User,
    uploaded_by: User,
    limit: int,
    timeout: float | None = None,
) -> ImportPreview:
    """A Word file → its preview, kept for its author (nothing else is created). Reading stops
    after `timeout` seconds (default SOPDESK_IMPORT_TIMEOUT)."""
    name = unicodedata.normalize("NFC", name)
    check_file(data, name=name, limit=limit)
    read, plan = _read_bounded(data, name, timeout)
    if not read.blocks:
        raise ImportRefused(_("%(name)s holds no text to import.") % {"name": name})
    row = ImportPreview(
        source_name=name[:255],
        uploaded_by=uploaded_by,
        owner=owner,
        category=category,
        core_title=read.core_title[:500],
        blocks=read.blocks,
        plan=plan,
        refused_pictures=read.refused_pictures,
    )
    stored = []
    try:
        for token, clean in read.images.items():
            path = default_storage.save(
                staged_path(row.id, token, clean.format), ContentFile(clean.data)
            )
            stored.append(path)
            row.pictures[token] = read.descriptions[token] | {
                "path": path,
                "format": clean.format,
                "width": clean.width,
                "height": clean.height,
            }
        row.save()
    except Exception:
        for path in stored:
            default_storage.delete(path)
        raise
    return row


def default_choices(row: ImportPreview) -> dict:
    """The author's choices so far: the importer's reading, with the corrections they applied."""
    plan = row.plan
    choices = {
        "title": plan["title"],
        # the language the uploader works in, until they say the document is in another
        "language": row.owner.language or site_language(),
        "sections": {n: s["element"] for n, s in enumerate(plan["sections"])},
        "steps": plan["steps"],
        "descriptions": {t: p["text"] for t, p in row.pictures.items()},
    }
    saved = row.choices or {}
    if saved:
        choices["title"] = saved.get("title") or choices["title"]
        choices["language"] = saved.get("language") or choices["language"]
        for number, element in (saved.get("sections") or {}).items():
            if int(number) in choices["sections"]:  # JSON keeps the numbers as strings
                choices["sections"][int(number)] = element
        if "steps" in saved:
            choices["steps"] = saved["steps"]
        for token, text in (saved.get("descriptions") or {}).items():
            if token in choices["descriptions"]:
                choices["descriptions"][token] = text
    return choices


def remember_choices(*, preview: ImportPreview, user: User, choices: dict) -> None:
    """The author's corrections → kept on the preview, so that nothing they typed is lost when
    they leave and come back (nothing else changes)."""
    if not permissions.can_use_import_preview(user, preview):
        raise services.NotAllowed(_("This import belongs to someone else."))
    preview.choices = choices
    preview.save(update_fields=["choices"])


def ordered_pictures(row: ImportPreview) -> list[tuple[str, dict]]:
    """The preview's pictures in the document's order (JSON objects keep no order in
    PostgreSQL), each with the text just before it, to say where it stands."""
    order: dict[str, str] = {}
    last = ""
    for block in row.blocks:
        if block["k"] == "p" and block["text"].strip():
            last = block["text"].strip()
        token = block.get("img")
        if token and token in row.pictures and token not in order:
            order[token] = last[-80:]
    tokens = list(order) + sorted(t for t in row.pictures if t not in order)
    return [(t, row.pictures[t] | {"before": order.get(t, "")}) for t in tokens]


def _clean_image(meta: dict) -> CleanImage:
    with default_storage.open(meta["path"], "rb") as handle:
        data = handle.read()
    return CleanImage(data=data, format=meta["format"], width=meta["width"], height=meta["height"])


def _image_url(row: ImportPreview):
    def url(token: str) -> str:
        meta = row.pictures[token]
        return files.image_url(
            token, CleanImage(b"", meta["format"], meta["width"], meta["height"])
        )

    return url


def summary(row: ImportPreview, choices: dict) -> drafting.Built:
    """What "Create the draft" would make of this preview with these choices."""
    built = drafting.build(
        row.blocks,
        Plan.from_json(row.plan),
        choices=choices,
        descriptions=choices.get("descriptions", {}),
        image_url=_image_url(row),
        file_stem=_stem(row.source_name),
    )
    _note_refused_pictures(built, row.refused_pictures)
    return built


def _note_refused_pictures(built: drafting.Built, refused: list[str]) -> None:
    """Pictures the reader could not keep are named in the report, by the text before them."""
    if refused:
        built.notes.append(
            ngettext(
                "%(count)d picture could not be read and was left out (after %(where)s).",
                "%(count)d pictures could not be read and were left out (after %(where)s).",
                len(refused),
            )
            % {
                "count": len(refused),
                "where": "; ".join(f"“…{w}”" for w in refused[:5]),
            }
        )


def content_of(built: drafting.Built) -> DraftContent:
    fields = {key: "\n\n".join(parts) for key, parts in built.text.items()}
    return DraftContent(fields=fields, steps=built.steps, measures=built.measures)


def step_format(built: drafting.Built) -> str:
    return StepFormat.HIERARCHICAL if any(s.level > 1 for s in built.steps) else StepFormat.SIMPLE


def problems(row: ImportPreview, choices: dict, built: drafting.Built | None = None) -> list[str]:
    """What would stop the draft from being created as chosen (too long, unreadable text)."""
    built = built or summary(row, choices)
    content = content_of(built)
    return services.unrenderable(content.fields, normalise(step_format(built), content.steps))


def dry_run(*, data: bytes, name: str, limit: int) -> tuple[Plan, drafting.Built]:
    """How the importer reads a file, storing nothing (the command line's --dry-run)."""
    name = unicodedata.normalize("NFC", name)
    check_file(data, name=name, limit=limit)
    read, plan = _read_bounded(data, name)
    built = drafting.build(
        read.blocks,
        Plan.from_json(plan),
        choices={},
        descriptions={t: d["text"] for t, d in read.descriptions.items()},
        image_url=lambda token: f"/images/{token}.png",
        file_stem=_stem(name),
    )
    _note_refused_pictures(built, read.refused_pictures)
    return Plan.from_json(plan), built


def next_code(category: Category) -> str:
    """A free code for an imported procedure: the category's initials and the next number."""
    plain = unicodedata.normalize("NFKD", category.name).encode("ascii", "ignore").decode()
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", plain)).upper()[:6]
    prefix = initials if initials and initials[0].isalpha() else "SOP"
    taken = set(
        Procedure.objects.filter(code__istartswith=prefix + "-").values_list("code", flat=True)
    )
    number = 1
    while f"{prefix}-{number:03d}" in taken:
        number += 1
    return f"{prefix}-{number:03d}"


def _code(built: drafting.Built, category: Category) -> str:
    code = built.code
    if code and Procedure.objects.by_code(code).exists():
        built.notes.append(
            _("The code %(code)s in the document is taken: the procedure got a new code.")
            % {"code": code}
        )
        code = ""
    try:
        if code:
            code_validator(code)
    except Exception:  # noqa: BLE001 - a code from the file that SOP Desk cannot use
        code = ""
    return code or next_code(category)


def create_from_preview(*, preview: ImportPreview, user: User, choices: dict) -> Revision:
    """A preview and the author's choices → a new procedure whose revision 1 is a draft of
    exactly what the preview showed, with its import report; the preview is then gone.
    Refuses (ImportRefused, or services' errors) creating nothing."""
    if not permissions.can_use_import_preview(user, preview):
        raise services.NotAllowed(_("This import belongs to someone else."))
    built = summary(preview, choices)
    content = content_of(built)
    if not built.title.strip():
        raise ImportRefused(_("Give the procedure a title."))
    if content.fields.get("change_summary"):
        built.notes.append(
            _("The document's revision history was put in the change summary: shorten it.")
        )
    with transaction.atomic():
        locked = ImportPreview.objects.select_for_update().filter(pk=preview.pk).first()
        if locked is None:
            raise ImportRefused(_("This import was already used or discarded."))
        try:
            revision = services.create_procedure(
                code=_code(built, preview.category),
                title=built.title,
                category=preview.category,
                owner=preview.owner,
                step_format=step_format(built),
                review_interval_months=12,
                created_by=user,
                content=content,
                language=choices.get("language", ""),
                reason=later(lambda: _(audit.IMPORTED_FROM) % {"file": preview.source_name}),
            )
        except TextRefused as refused:
            raise ImportRefused(refused.message) from refused
        for token in built.images:
            files.store_image(
                revision=revision,
                user=user,
                clean=_clean_image(preview.pictures[token]),
                token=token,
                name=preview.source_name,
            )
        DocumentImport.objects.create(
            revision=revision,
            source_name=preview.source_name,
            imported_by=user,
            notes=built.notes,
            preview_id=preview.pk,
        )
        paths = [p["path"] for p in preview.pictures.values()]
        locked.delete()
        transaction.on_commit(lambda: delete_files(paths))
    return revision


def delete_files(paths: list[str]) -> None:
    """Remove stored files (a file already gone is no error)."""
    for path in paths:
        default_storage.delete(path)


def discard(*, preview: ImportPreview, user: User) -> None:
    """A preview its author no longer wants → gone, with its pictures."""
    if not permissions.can_use_import_preview(user, preview):
        raise services.NotAllowed(_("This import belongs to someone else."))
    paths = [p["path"] for p in preview.pictures.values()]
    ImportPreview.objects.filter(pk=preview.pk).delete()
    transaction.on_commit(lambda: delete_files(paths))


@dataclass
class Outcome:
    name: str
    revision: Revision | None = None
    preview: ImportPreview | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)


def import_docx(
    *, data: bytes, name: str, category: Category, owner: User, created_by: User, limit: int
) -> Outcome:
    """A Word file → a new procedure whose revision 1 is a draft as the importer reads it
    (no preview: the command line), with the import report. Refuses creating nothing."""
    row = preview(
        data=data, name=name, category=category, owner=owner, uploaded_by=created_by, limit=limit
    )
    try:
        revision = create_from_preview(preview=row, user=created_by, choices=default_choices(row))
    except Exception:
        discard(preview=row, user=created_by)
        raise
    return Outcome(name=name, revision=revision, notes=revision.import_report.notes)


def import_many(
    uploads: list[tuple[str, bytes]],
    *,
    category: Category,
    owner: User,
    created_by: User,
    limit: int,
) -> list[Outcome]:
    """Each file on its own: the good ones are imported, each refusal says why."""
    outcomes = []
    for name, data in uploads:
        try:
            outcomes.append(
                import_docx(
                    data=data,
                    name=name,
                    category=category,
                    owner=owner,
                    created_by=created_by,
                    limit=limit,
                )
            )
        except ServiceError as error:
            outcomes.append(Outcome(name=name, error=error.message))
    return outcomes
