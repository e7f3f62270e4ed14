"""Word import previews nobody came back to are removed with their pictures
(procedures/importing/cleanup.py, manage.py purge_import_previews)."""

import datetime
import io
import os

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from procedures import importing
from procedures.importing import cleanup
from procedures.models import ImportPreview
from tests import docx_fixtures, factories

WEEK = datetime.timedelta(days=7)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A file store of its own, so that other tests' files do not count."""
    settings.MEDIA_ROOT = str(tmp_path)


def _preview(owner, category=None) -> ImportPreview:
    return importing.preview(
        data=docx_fixtures.steps_with_screenshots(),
        name="billing.docx",
        category=category or factories.CategoryFactory(name="Billing"),
        owner=owner,
        uploaded_by=owner,
        limit=10 * 1024 * 1024,
    )


def _paths(row: ImportPreview) -> list[str]:
    return [meta["path"] for meta in row.pictures.values()]


def _uploaded_days_ago(row: ImportPreview, days: int) -> None:
    # ImportPreview has no history, so an update() skips nothing that should be recorded.
    ImportPreview.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def _stored_hours_ago(path: str, hours: int) -> None:
    moment = (timezone.now() - datetime.timedelta(hours=hours)).timestamp()
    os.utime(default_storage.path(path), (moment, moment))


def test_a_stale_preview_goes_with_its_pictures_and_a_fresh_one_stays(
    supervisor, django_capture_on_commit_callbacks
):
    stale, fresh = _preview(supervisor), _preview(supervisor)
    _uploaded_days_ago(stale, 8)
    for path in _paths(stale):  # counted once, though old enough to look orphaned
        _stored_hours_ago(path, 8 * 24)
    assert len(_paths(stale)) == 3 and all(default_storage.exists(p) for p in _paths(stale))

    with django_capture_on_commit_callbacks(execute=True):
        purged = cleanup.purge(older_than=WEEK)

    assert purged == cleanup.Purged(previews=1, files=3)
    assert list(ImportPreview.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not any(default_storage.exists(p) for p in _paths(stale))
    assert all(default_storage.exists(p) for p in _paths(fresh))


def test_a_picture_already_gone_is_no_error(supervisor, django_capture_on_commit_callbacks):
    stale = _preview(supervisor)
    _uploaded_days_ago(stale, 30)
    default_storage.delete(_paths(stale)[0])

    with django_capture_on_commit_callbacks(execute=True):
        purged = cleanup.purge(older_than=WEEK)

    assert purged.previews == 1
    assert not ImportPreview.objects.exists()
    assert not any(default_storage.exists(p) for p in _paths(stale))


def test_pictures_left_by_deleting_the_category_are_removed_once_settled(supervisor):
    category = factories.CategoryFactory(name="Short-lived")
    row = _preview(supervisor, category)
    category.delete()  # cascades the preview row, not its files
    assert not ImportPreview.objects.exists()
    assert cleanup.orphaned_files() == []  # just stored: maybe a preview being created

    for path in _paths(row):
        _stored_hours_ago(path, 2)
    orphans = cleanup.orphaned_files()
    purged = cleanup.purge(older_than=WEEK)

    assert sorted(orphans) == sorted(_paths(row))
    assert purged == cleanup.Purged(previews=0, files=3)
    assert not any(default_storage.exists(p) for p in _paths(row))


def test_pictures_left_by_deleting_the_user_are_removed(supervisor):
    walked_away = factories.UserFactory(username="temp", role="Supervisor")
    row = _preview(walked_away)
    kept = _preview(supervisor)
    walked_away.delete()
    for path in _paths(row) + _paths(kept):
        _stored_hours_ago(path, 2)

    purged = cleanup.purge(older_than=WEEK)

    assert purged == cleanup.Purged(previews=0, files=3)
    assert not any(default_storage.exists(p) for p in _paths(row))
    assert all(default_storage.exists(p) for p in _paths(kept))


def test_the_command_says_what_it_removed(supervisor, django_capture_on_commit_callbacks):
    stale, fresh = _preview(supervisor), _preview(supervisor)
    _uploaded_days_ago(stale, 8)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_import_previews", stdout=out)

    assert out.getvalue().strip() == (
        "Removed 1 Word import preview older than 7 days and 3 picture files."
    )
    assert list(ImportPreview.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not any(default_storage.exists(p) for p in _paths(stale))


def test_the_command_takes_the_age_in_days(supervisor, django_capture_on_commit_callbacks):
    row = _preview(supervisor)
    _uploaded_days_ago(row, 2)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_import_previews", "--older-than", "1", stdout=out)

    assert "Removed 1 Word import preview older than 1 day and 3 picture files." in out.getvalue()
    assert not ImportPreview.objects.exists()


def test_the_command_refuses_a_negative_age(supervisor):
    row = _preview(supervisor)

    with pytest.raises(CommandError, match="0 or more"):
        call_command("purge_import_previews", "--older-than", "-1")

    assert ImportPreview.objects.filter(pk=row.pk).exists()
    assert all(default_storage.exists(p) for p in _paths(row))
