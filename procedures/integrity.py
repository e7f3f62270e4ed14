"""Are the records still what was signed and stored? The checks behind `manage.py verify_records`.

Reads only: each check returns a `Check` (what it looked at, what held, the problems found),
so it is safe on the live database as on a copy restored after a disaster.

- Signatures: each against its revision's content as it hashes now (`content.canonical_hash`
  and `Signature.is_valid_for`, the test that shows a signature INVALID on the revision's page).
  A signature given before its revision was returned for changes no longer holds by design:
  noted, not a problem.
- Submitted content: each revision past DRAFT against the fingerprint taken when it was
  submitted (its content is frozen from then on). A returned draft is editable and skipped.
- Stored files: renditions, images, attachments and builds of the manual against their SHA-256,
  read through Django's storage API in chunks.
- Audit trail. There is no hash chain: events are rows numbered by the database. What chains
  them is the state machine: a revision's status events lead from its creation, each one's
  `from_status` the previous one's `to_status`, to the status it has now, so a missing event
  breaks that chain. Signatures, comments and acknowledgements are written in the transaction
  of their event: each must have its event, and each such event its record. Gaps in the event
  numbers are only noted: PostgreSQL skips numbers after a rolled-back transaction or a crash.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.files.storage import Storage, default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import selectors
from .content import canonical_hash
from .models import (
    Acknowledgement,
    Attachment,
    AuditEvent,
    Comment,
    ManualBuild,
    Rendition,
    Revision,
    RevisionImage,
    Signature,
)

CHUNK_SIZE = 1 << 20  # bytes read at a time from a stored file
Action = AuditEvent.Action
# The events that move a revision from one status to the next (workflow/transitions.py, _set_status), and the
# two that create it in DRAFT.
STATUS_ACTIONS = (
    Action.PROCEDURE_CREATED,
    Action.REVISION_STARTED,
    Action.SUBMITTED,
    Action.RETURNED,
    Action.APPROVED,
    Action.EFFECTIVE,
    Action.SUPERSEDED,
    Action.WITHDRAWN,
)


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Check:
    """One category: how many items were checked, how many held, what is wrong."""

    title: str
    checked: int = 0
    ok: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoredFile:
    """A file a row says is stored, and the SHA-256 the row recorded for it."""

    where: str
    name: str
    sha256: str
    storage: Storage


def verify_records() -> list[Check]:
    """Every check, in one consistent read-only snapshot of the database."""
    with _snapshot():
        return [check_signatures(), check_submitted_content(), check_files(), check_audit_trail()]


@contextmanager
def _snapshot():
    """On PostgreSQL, one REPEATABLE READ READ ONLY transaction: rows written while the checks
    run (a signature and its event, say) are either all seen or not at all, and nothing can be
    written. Inside a transaction already open (tests), that transaction's view is used.

    On SQLite no transaction is opened: with `transaction_mode="IMMEDIATE"` it would hold the
    write lock for the whole run. A record written meanwhile may show as a problem there; it is
    gone when the command is run again."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def revision_label(code: str, number: int) -> str:
    return _("%(code)s rev. %(number)d") % {"code": code, "number": number}


def _label(revision: Revision) -> str:
    return revision_label(revision.procedure.code, revision.number)


def _short(digest: str) -> str:
    return digest[:12] + "…"


# ---------------------------------------------------------------- signatures and content


def _with_content(revisions):
    """Revisions with what canonical_hash reads, fetched in batches."""
    return (
        revisions.select_related("procedure")
        .prefetch_related("steps", "measures")
        .order_by("pk")
        .iterator(chunk_size=200)
    )


def check_signatures() -> Check:
    """Every signature against its revision's content as it hashes now."""
    check = Check(_("Signatures"))
    returned_at = defaultdict(list)
    for revision_id, at in AuditEvent.objects.filter(action=Action.RETURNED).values_list(
        "revision_id", "at"
    ):
        returned_at[revision_id].append(at)
    stale = 0
    signed = Revision.objects.filter(pk__in=Signature.objects.values("revision_id"))
    for revision in _with_content(signed.prefetch_related("signatures")):
        content_hash = canonical_hash(revision)
        for signature in sorted(revision.signatures.all(), key=lambda s: (s.signed_at, s.pk)):
            check.checked += 1
            if signature.is_valid_for(content_hash):
                check.ok += 1
            elif any(at >= signature.signed_at for at in returned_at[revision.pk]):
                check.ok += 1
                stale += 1
            else:
                check.problems.append(
                    Problem(
                        _label(revision),
                        _(
                            "the signature “%(meaning)s” by %(name)s of %(date)s does not match "
                            "the revision's content (signed %(signed)s, content now %(now)s)"
                        )
                        % {
                            "meaning": signature.get_meaning_display(),
                            "name": signature.signer_name,
                            "date": date_format(
                                timezone.localtime(signature.signed_at), "DATETIME_FORMAT"
                            ),
                            "signed": _short(signature.content_hash),
                            "now": _short(content_hash),
                        },
                    )
                )
    if stale:
        check.notes.append(
            ngettext(
                "%(count)d signature was given before its revision was returned for changes: "
                "it no longer holds, as the revision's page shows.",
                "%(count)d signatures were given before their revision was returned for "
                "changes: they no longer hold, as the revision's page shows.",
                stale,
            )
            % {"count": stale}
        )
    return check


def check_submitted_content() -> Check:
    """Every revision past DRAFT against the fingerprint taken when it was submitted."""
    check = Check(_("Submitted content"))
    for revision in _with_content(selectors.submitted()):
        check.checked += 1
        content_hash = canonical_hash(revision)
        if content_hash == revision.content_hash:
            check.ok += 1
            continue
        check.problems.append(
            Problem(
                _label(revision),
                _(
                    "its content no longer matches the fingerprint taken when it was submitted "
                    "(submitted %(submitted)s, content now %(now)s)"
                )
                % {"submitted": _short(revision.content_hash), "now": _short(content_hash)},
            )
        )
    return check


# ---------------------------------------------------------------- stored files


def file_sha256(name: str, storage: Storage | None = None, chunk_size: int = CHUNK_SIZE) -> str:
    """The SHA-256 of a stored file, read `chunk_size` bytes at a time."""
    digest = hashlib.sha256()
    with (storage or default_storage).open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stored_files() -> Iterator[StoredFile]:
    """Every file a row records a SHA-256 for."""
    renditions = Rendition.objects.select_related("revision__procedure").order_by("pk")
    for rendition in renditions.iterator(chunk_size=500):
        yield StoredFile(
            _("%(revision)s, %(kind)s")
            % {"revision": _label(rendition.revision), "kind": rendition.get_kind_display()},
            rendition.file.name,
            rendition.sha256,
            rendition.file.storage,
        )
    images = RevisionImage.objects.select_related("revision__procedure").order_by("pk")
    for image in images.iterator(chunk_size=500):
        yield StoredFile(
            _("%(revision)s, image %(name)s")
            % {"revision": _label(image.revision), "name": image.original_name or image.filename},
            image.file,
            image.sha256,
            default_storage,
        )
    attachments = Attachment.objects.select_related("revision__procedure").order_by("pk")
    for attachment in attachments.iterator(chunk_size=500):
        yield StoredFile(
            _("%(revision)s, attachment “%(title)s” (%(name)s)")
            % {
                "revision": _label(attachment.revision),
                "title": attachment.title,
                "name": attachment.filename,
            },
            attachment.file,
            attachment.sha256,
            default_storage,
        )
    builds = ManualBuild.objects.filter(status=ManualBuild.Status.DONE).exclude(file="")
    for build in builds.order_by("pk").iterator(chunk_size=500):
        yield StoredFile(
            _("manual build %(pk)d") % {"pk": build.pk},
            build.file.name,
            build.sha256,
            build.file.storage,
        )


def check_files(files: Iterable[StoredFile] | None = None) -> Check:
    """Each stored file against its recorded SHA-256. A file several rows share (a new revision
    shares its attachments' files) is read once."""
    check = Check(_("Stored files"))
    read: dict[tuple[int, str], str | Problem] = {}
    for item in stored_files() if files is None else files:
        check.checked += 1
        key = (id(item.storage), item.name)
        if key not in read:
            read[key] = _digest_or_problem(item)
        found = read[key]
        if isinstance(found, Problem):
            check.problems.append(Problem(item.where, found.what))
        elif found == item.sha256:
            check.ok += 1
        else:
            check.problems.append(
                Problem(
                    item.where,
                    _(
                        "the stored file %(name)s does not match its SHA-256 "
                        "(recorded %(recorded)s, file now %(now)s)"
                    )
                    % {"name": item.name, "recorded": _short(item.sha256), "now": _short(found)},
                )
            )
    return check


def _digest_or_problem(item: StoredFile) -> str | Problem:
    try:
        if not item.storage.exists(item.name):
            return Problem(
                item.where, _("the stored file %(name)s is missing") % {"name": item.name}
            )
        return file_sha256(item.name, item.storage)
    except Exception as error:  # noqa: BLE001 - a storage's errors differ (OSError, boto3's …)
        return Problem(
            item.where,
            _("the stored file %(name)s cannot be read: %(error)s")
            % {"name": item.name, "error": error},
        )


# ---------------------------------------------------------------- audit trail


def check_audit_trail() -> Check:
    """Each revision's status chain, each record against its event, the events' numbering."""
    check = Check(_("Audit trail"))
    _check_status_chains(check)
    _check_records_have_events(check)
    _note_numbering_gaps(check)
    return check


def chain_breaks(status: str, events: Iterable[tuple[int, str, str]]) -> list[str]:
    """What is missing from one revision's status events, given as (event number, from, to) in
    the order written, for a revision now in `status`. Empty when the chain is whole."""
    breaks = []
    reached, last_pk = "", None
    for pk, from_status, to_status in events:
        if from_status != reached:
            breaks.append(_gap_message(reached, from_status, before=pk))
        reached, last_pk = to_status, pk
    if last_pk is None:
        breaks.append(_("no event records its creation"))
    elif reached != status:
        breaks.append(
            _("no event records the step from %(from)s to %(to)s (after event #%(pk)d)")
            % {
                "from": Revision.status_label(reached),
                "to": Revision.status_label(status),
                "pk": last_pk,
            }
        )
    return breaks


def _gap_message(reached: str, found: str, *, before: int) -> str:
    if not reached:
        return _("no event records its creation (its trail starts at event #%(pk)d)") % {
            "pk": before
        }
    return _("no event records the step from %(from)s to %(to)s (before event #%(pk)d)") % {
        "from": Revision.status_label(reached),
        "to": Revision.status_label(found),
        "pk": before,
    }


def _check_status_chains(check: Check) -> None:
    events = defaultdict(list)
    rows = (
        AuditEvent.objects.filter(action__in=STATUS_ACTIONS, revision__isnull=False)
        .order_by("pk")
        .values_list("revision_id", "pk", "from_status", "to_status")
    )
    for revision_id, pk, from_status, to_status in rows.iterator(chunk_size=2000):
        events[revision_id].append((pk, from_status, to_status))
    revisions = Revision.objects.order_by("pk").values_list(
        "pk", "procedure__code", "number", "status"
    )
    for pk, code, number, status in revisions.iterator(chunk_size=2000):
        check.checked += 1
        breaks = chain_breaks(status, events.get(pk, []))
        if not breaks:
            check.ok += 1
        check.problems.extend(Problem(revision_label(code, number), text) for text in breaks)


def _check_records_have_events(check: Check) -> None:
    """Each signature, comment and acknowledgement against the event written with it."""
    events = AuditEvent.objects.order_by("pk")
    comments = Comment.objects.order_by("pk")
    signed = [
        ((revision_id, actor_id, *_signed_values(changes)), revision_id, pk, name)
        for revision_id, actor_id, changes, pk, name in events.filter(
            action=Action.SIGNED
        ).values_list("revision_id", "actor_id", "changes", "pk", "actor_name")
    ]
    pairs = [
        (
            _("signature"),
            Action.SIGNED,
            _rows(
                Signature.objects.order_by("pk"),
                "revision_id", "signer_id", "meaning", "content_hash", who="signer_name",
            ),
            signed,
        ),
        (
            _("comment"),
            Action.COMMENTED,
            _rows(comments.filter(returned=False), "revision_id", "author_id", who="author__username"),
            _rows(events.filter(action=Action.COMMENTED), "revision_id", "actor_id"),
        ),
        (
            _("return comment"),
            Action.RETURNED,
            _rows(comments.filter(returned=True), "revision_id", "author_id", who="author__username"),
            _rows(events.filter(action=Action.RETURNED), "revision_id", "actor_id"),
        ),
        (
            _("acknowledgement"),
            Action.ACKNOWLEDGED,
            _rows(
                Acknowledgement.objects.order_by("pk"),
                "revision_id", "agent_id", who="agent__username",
            ),
            _rows(events.filter(action=Action.ACKNOWLEDGED), "revision_id", "actor_id"),
        ),
    ]  # fmt: skip
    labels = _revision_labels(
        {row[1] for _kind, _action, records, found in pairs for row in records + found}
    )
    for kind, action, records, found in pairs:
        _pair(check, kind, str(Action(action).label), records, found, labels)


def _rows(queryset, *key: str, who: str = "actor_name") -> list[tuple]:
    """(key, revision id, pk, who) per row: the key pairs a record with its event."""
    return [
        (tuple(values[:-2]), values[0], values[-2], values[-1])
        for values in queryset.values_list(*key, "pk", who).iterator(chunk_size=5000)
    ]


def _signed_values(changes) -> tuple[str | None, str | None]:
    """(meaning, content hash) from a SIGNED event's changes: {"meaning": [None, m], …}."""
    changes = changes if isinstance(changes, dict) else {}

    def new(name):
        value = changes.get(name)
        return value[-1] if isinstance(value, list) and value else None

    return new("meaning"), new("content_hash")


def _revision_labels(ids: set[int]) -> dict[int, str]:
    rows = Revision.objects.filter(pk__in=ids).values_list("pk", "procedure__code", "number")
    return {pk: revision_label(code, number) for pk, code, number in rows}


def _pair(check: Check, kind: str, action: str, records: list, events: list, labels) -> None:
    """Match records with events by key; what is left on either side is a problem."""
    by_key: dict = defaultdict(lambda: ([], []))
    for key, *row in records:
        by_key[key][0].append(row)
    for key, *row in events:
        by_key[key][1].append(row)
    for mine, theirs in by_key.values():
        check.checked += max(len(mine), len(theirs))
        check.ok += min(len(mine), len(theirs))
        for revision_id, pk, who in mine[len(theirs) :]:
            check.problems.append(
                Problem(
                    labels.get(revision_id, "?"),
                    _("%(kind)s #%(pk)d by %(name)s has no “%(action)s” event in the audit trail")
                    % {"kind": kind, "pk": pk, "name": who, "action": action},
                )
            )
        for revision_id, pk, who in theirs[len(mine) :]:
            check.problems.append(
                Problem(
                    labels.get(revision_id, "?"),
                    _("audit event #%(pk)d “%(action)s” by %(name)s has no %(kind)s to go with it")
                    % {"pk": pk, "action": action, "name": who, "kind": kind},
                )
            )


def _note_numbering_gaps(check: Check, shown: int = 10) -> None:
    gaps, missing, previous = [], 0, None
    for pk in AuditEvent.objects.order_by("pk").values_list("pk", flat=True).iterator(5000):
        if previous is not None and pk > previous + 1:
            gaps.append(str(previous + 1) if pk == previous + 2 else f"{previous + 1}–{pk - 1}")
            missing += pk - previous - 1
        previous = pk
    if not gaps:
        return
    listed = ", ".join(gaps[:shown]) + (" …" if len(gaps) > shown else "")
    check.notes.append(
        _(
            "event numbers %(gaps)s are not in the trail (%(count)d in all). The database "
            "skips numbers after a rolled-back transaction or a crash, so a gap alone does not "
            "mean an event was deleted; the checks above find a missing status change, "
            "signature, comment or acknowledgement."
        )
        % {"gaps": listed, "count": missing}
    )
