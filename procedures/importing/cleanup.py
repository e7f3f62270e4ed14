"""Removing Word import previews nobody came back to, with their staged pictures.

A preview is kept until its author creates the draft or discards it; one the author walked away
from would stay forever (the whole document's text as JSON, the pictures in the file store).
A preview older than a cut-off is deleted with its pictures; so are staged pictures whose
preview row is gone by another way (deleting its user or category cascades the row, not the
files). `manage.py purge_import_previews` runs this daily.
"""

import datetime
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ..models import ImportPreview
from . import STAGING_DIR, delete_files

# A picture is stored a moment before its preview row is committed: a file younger than this
# may belong to a preview being created and is not an orphan yet.
ORPHAN_GRACE = datetime.timedelta(hours=1)
_BATCH = 500


@dataclass(frozen=True)
class Purged:
    previews: int
    files: int


def purge(*, older_than: datetime.timedelta) -> Purged:
    """Previews created more than `older_than` ago → deleted, with their pictures; staged
    pictures whose preview is gone (and older than ORPHAN_GRACE) → deleted. A preview being
    turned into a draft right now is left for the next run; a file already gone is no error.
    Safe to run twice at once."""
    cutoff = timezone.now() - older_than
    previews, purged_paths = 0, set()
    while True:
        with transaction.atomic():
            # skip_locked: create_from_preview() holds the row it is consuming.
            batch = list(
                ImportPreview.objects.select_for_update(skip_locked=True)
                .filter(created_at__lt=cutoff)
                .order_by("created_at")
                .values_list("pk", "pictures")[:_BATCH]
            )
            if not batch:
                break
            ImportPreview.objects.filter(pk__in=[pk for pk, _pictures in batch]).delete()
            # The same paths discard() deletes: the ones preview() stored in the row.
            paths = [p["path"] for _pk, pictures in batch for p in pictures.values()]
            transaction.on_commit(lambda paths=paths: delete_files(paths))
        previews += len(batch)
        purged_paths.update(paths)
    # Inside a caller's transaction the purged rows' files wait for its commit: not orphans.
    orphans = [path for path in orphaned_files() if path not in purged_paths]
    delete_files(orphans)
    _remove_empty_directories()
    return Purged(previews=previews, files=len(purged_paths) + len(orphans))


def orphaned_files(*, grace: datetime.timedelta = ORPHAN_GRACE) -> list[str]:
    """Staged pictures no preview row refers to, stored more than `grace` ago."""
    staged = _staged_files()
    # Listed before the rows are read: a preview committed in between is then known.
    known = {
        meta["path"]
        for pictures in ImportPreview.objects.values_list("pictures", flat=True)
        for meta in pictures.values()
    }
    settled = timezone.now() - grace
    return [path for path in staged if path not in known and _stored_before(path, settled)]


def _staged_files() -> list[str]:
    found = []
    for directory in _listdir(STAGING_DIR)[0]:
        where = f"{STAGING_DIR}/{directory}"
        found += [f"{where}/{name}" for name in _listdir(where)[1]]
    return found


def _stored_before(path: str, moment: datetime.datetime) -> bool:
    try:
        return default_storage.get_modified_time(path) < moment
    except FileNotFoundError:  # deleted meanwhile (a draft was created, or another run)
        return False


def _listdir(path: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(path)
    except FileNotFoundError:  # nothing was ever staged (the file system has no directory)
        return [], []


def _remove_empty_directories(grace: datetime.timedelta = ORPHAN_GRACE) -> None:
    """On the file system each preview leaves its directory behind (object stores have none).
    A young empty directory may be one preview() is about to store into."""
    try:
        default_storage.path(STAGING_DIR)
    except NotImplementedError:  # an object store: no directories to remove
        return
    settled = timezone.now() - grace
    for directory in _listdir(STAGING_DIR)[0]:
        where = f"{STAGING_DIR}/{directory}"
        if _listdir(where) != ([], []) or not _stored_before(where, settled):
            continue
        try:
            default_storage.delete(where)
        except OSError:  # a file arrived meanwhile: leave it to the next run
            continue
