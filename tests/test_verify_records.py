"""manage.py verify_records: signatures against the content they signed, stored files against
their SHA-256, the audit trail without missing events; a restored dump checks out whole."""

import io
import os
import shutil
import subprocess
import sys
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from PIL import Image

from procedures import files, integrity, services, workflow
from procedures.models import AuditEvent, Revision
from tests.factories import make_effective, new_procedure, save, sign, submit

Action = AuditEvent.Action


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A store of this test's own: tampering here touches no other test's files."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), "red").save(out, "PNG")
    return out.getvalue()


def with_files(revision: Revision) -> Revision:
    """A draft with a screenshot in its text and an attached form, as an author adds them."""
    owner = revision.procedure.owner
    image = files.add_image(
        revision=revision,
        user=owner,
        upload=SimpleUploadedFile("crm.png", png_bytes()),
        max_bytes=10**7,
    )
    files.add_attachment(
        revision=revision,
        user=owner,
        upload=SimpleUploadedFile("swap.pdf", b"%PDF-1.7\nform"),
        title="Shift swap form",
        description="Fill in and send to WFM.",
        max_bytes=10**7,
    )
    return save(revision, documentation=f"![CRM wrap-up screen]({image.get_absolute_url()})")


@pytest.fixture
def published(supervisor, approver, django_capture_on_commit_callbacks):
    """An effective revision with an image and an attachment, rendered to HTML and PDF, and the
    manual built: everything verify_records reads."""

    def publish(code: str) -> Revision:
        with django_capture_on_commit_callbacks(execute=True):
            revision = with_files(new_procedure(owner=supervisor, code=code))
            return make_effective(revision, approver)

    return publish


def verify() -> tuple[int, str]:
    """Run the command as an operator does: its exit status and everything it printed."""
    out = io.StringIO()
    try:
        call_command("verify_records", stdout=out)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}{error}\n"
    return 0, out.getvalue()


def delete_past_the_trigger(events) -> None:
    """Delete audit events as only the tables' owner could. On PostgreSQL the append-only trigger
    is disabled for the test's transaction (DDL is transactional: the rollback restores it);
    SQLite's trigger refuses UPDATE only, so a plain DELETE goes through there."""
    if connection.vendor != "postgresql":
        events.delete()
        return
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        events.delete()
    trigger = (
        f'"{AuditEvent._meta.db_table}" {{}} TRIGGER "{AuditEvent._meta.db_table}_append_only"'
    )
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred foreign-key check: run those now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE " + trigger.format("DISABLE"))
        events.delete()
        cursor.execute("ALTER TABLE " + trigger.format("ENABLE"))
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- everything intact ------------------------------------------------------------------------


def test_intact_records_pass_with_a_summary_per_category(published):
    revision = published("CC-VR-001")
    events = AuditEvent.objects.count()

    status, output = verify()

    assert status == 0, output
    assert revision.renditions.count() == 2
    for line in (
        "Signatures: 1 checked, 1 ok",
        "Submitted content: 1 checked, 1 ok",
        "Stored files: 5 checked, 5 ok",  # HTML, PDF, image, attachment, the manual
        "Audit trail: 2 checked, 2 ok",  # the revision's status chain, its signature's event
        "Every record checked matches.",
    ):
        assert line in output
    assert "PROBLEM" not in output
    assert AuditEvent.objects.count() == events


def test_a_signature_given_before_a_return_for_changes_is_noted_not_a_problem(supervisor, approver):
    revision = submit(new_procedure(owner=supervisor, code="CC-VR-002"))
    sign(revision, approver, "REVIEWED")
    workflow.return_for_changes(revision=revision, actor=approver, comment="Name the script.")
    save(revision, purpose="Every caller is greeted with the approved script.")
    make_effective(revision, approver)

    status, output = verify()

    assert status == 0, output
    assert "Signatures: 2 checked, 2 ok" in output
    assert "1 signature was given before its revision was returned for changes" in output


def test_a_new_revision_sharing_its_attachment_file_checks_both_rows(published, supervisor):
    first = published("CC-VR-003")
    second = services.start_revision(procedure=first.procedure, author=supervisor)

    status, output = verify()

    assert status == 0, output
    assert second.attachments.get().file == first.attachments.get().file
    assert "Stored files: 6 checked, 6 ok" in output


# --- tampering -------------------------------------------------------------------------------


def test_text_changed_behind_the_workflow_fails_naming_the_revision(published, approver):
    revision = published("CC-VR-004")
    # What someone with database access could do: no workflow, no history, no audit event.
    Revision.objects.filter(pk=revision.pk).update(purpose="Callers may be left on hold.")

    status, output = verify()

    assert status == 1
    assert (
        f"PROBLEM CC-VR-004 rev. 1: the signature “Approved” by {approver.display_name}" in output
    )
    assert "does not match the revision's content" in output
    assert (
        "PROBLEM CC-VR-004 rev. 1: its content no longer matches the fingerprint taken when it "
        "was submitted" in output
    )
    assert "Stored files: 5 checked, 5 ok" in output
    assert "2 problems found" in output


def test_a_stored_file_overwritten_in_the_store_fails_naming_it(published):
    revision = published("CC-VR-005")
    attachment = revision.attachments.get()
    pdf = revision.renditions.get(kind="PDF")
    for name in (attachment.file, pdf.file.name):
        default_storage.delete(name)
        assert default_storage.save(name, ContentFile(b"%PDF-1.7\nnot what was signed")) == name

    status, output = verify()

    assert status == 1
    assert (
        "PROBLEM CC-VR-005 rev. 1, attachment “Shift swap form” (swap.pdf): the stored file "
        f"{attachment.file} does not match its SHA-256 (recorded {attachment.sha256[:12]}…"
    ) in output
    assert (
        f"PROBLEM CC-VR-005 rev. 1, PDF: the stored file {pdf.file.name} does not match" in output
    )
    assert "Stored files: 5 checked, 3 ok, 2 problems" in output
    assert "Signatures: 1 checked, 1 ok" in output  # the rows still say what was signed


def test_a_missing_file_fails_naming_it(published):
    revision = published("CC-VR-006")
    image = revision.images.get()
    default_storage.delete(image.file)

    status, output = verify()

    assert status == 1
    assert f"PROBLEM CC-VR-006 rev. 1, image crm.png: the stored file {image.file} is missing" in (
        output
    )
    assert "1 problem found" in output


# --- the audit trail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (Action.SUBMITTED, "no event records the step from Draft to In review (before event #"),
        (Action.EFFECTIVE, "no event records the step from Approved to Effective (after event #"),
        (Action.PROCEDURE_CREATED, "no event records its creation (its trail starts at event #"),
        (Action.SIGNED, "has no “Signed” event in the audit trail"),
    ],
)
def test_a_missing_audit_event_fails_naming_the_revision(published, action, expected):
    revision = published("CC-VR-007")
    delete_past_the_trigger(AuditEvent.objects.filter(revision=revision, action=action))

    status, output = verify()

    assert status == 1
    assert f"PROBLEM CC-VR-007 rev. 1: {'signature #' if action == Action.SIGNED else ''}" in output
    assert expected in output
    assert "Audit trail: 2 checked, 1 ok, 1 problem" in output


def test_chain_breaks_name_what_is_missing_from_a_revisions_status_events():
    events = [(5, "", "DRAFT"), (9, "DRAFT", "IN_REVIEW")]

    assert integrity.chain_breaks("IN_REVIEW", events) == []
    assert integrity.chain_breaks("IN_REVIEW", []) == ["no event records its creation"]
    assert integrity.chain_breaks("DRAFT", events) == [
        "no event records the step from In review to Draft (after event #9)"
    ]
    assert integrity.chain_breaks("APPROVED", [*events, (12, "APPROVED", "EFFECTIVE")]) == [
        "no event records the step from In review to Approved (before event #12)",
        "no event records the step from Effective to Approved (after event #12)",
    ]


def test_gaps_in_event_numbers_are_noted_but_not_a_problem(published):
    revision = published("CC-VR-008")
    # A draft save is chained to nothing: only the numbering shows it is gone.
    saved = AuditEvent.objects.filter(revision=revision, action=Action.DRAFT_SAVED)
    first = saved.order_by("pk").first().pk
    delete_past_the_trigger(saved.filter(pk=first))

    status, output = verify()

    assert status == 0, output
    assert f"note: event numbers {first} are not in the trail (1 in all)" in output


# --- backup and restore ------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db[key]:
            env[variable] = str(db[key])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _database_url(name: str) -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = (db["HOST"] or "") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{auth}@{host}/{name}" if auth else f"postgres://{host}/{name}"


def _run(*command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump and pg_restore back up PostgreSQL only (CI runs the suite there)",
)
@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "createdb", "dropdb")),
    reason="needs PostgreSQL's client tools (pg_dump, pg_restore, createdb, dropdb) on PATH",
)
def test_a_dump_restored_into_a_fresh_database_verifies_whole(
    roles, supervisor, approver, media, tmp_path
):
    revision = with_files(new_procedure(owner=supervisor, code="CC-VR-009"))
    make_effective(revision, approver)  # committed: the renders and the manual run on commit
    services.start_revision(procedure=revision.procedure, author=supervisor)
    dump = tmp_path / "sopdesk.dump"
    restored = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    env = _pg_env()

    backup = _run(
        "pg_dump", "--format=custom", f"--file={dump}", connection.settings_dict["NAME"], env=env
    )
    assert backup.returncode == 0, backup.stderr
    created = _run("createdb", "--template=template0", restored, env=env)
    assert created.returncode == 0, created.stderr
    try:
        restore = _run(
            "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump),
            env=env,
        )  # fmt: skip
        assert restore.returncode == 0, restore.stderr
        check = _run(
            sys.executable, str(django_settings.BASE_DIR / "manage.py"), "verify_records",
            env=env | {
                "DJANGO_SETTINGS_MODULE": "sopdesk.settings",
                "DATABASE_URL": _database_url(restored),
                "MEDIA_ROOT": media,
                "SECRET_KEY": "verify-records-restore-test",
                "SOPDESK_BASE_URL": "https://sop.example.com",
                "DEBUG": "0",
            },
        )  # fmt: skip
    finally:
        dropped = _run("dropdb", "--if-exists", "--force", restored, env=env)

    assert check.returncode == 0, check.stdout + check.stderr
    for line in (
        "Signatures: 1 checked, 1 ok",
        "Submitted content: 1 checked, 1 ok",
        "Stored files: 6 checked, 6 ok",  # HTML, PDF, image, the form on both revisions, manual
        "Audit trail: 3 checked, 3 ok",  # two revisions' status chains, one signature
        "Every record checked matches.",
    ):
        assert line in check.stdout
    assert dropped.returncode == 0, dropped.stderr
