"""Background work, through Django's tasks framework (django-tasks; the database backend and
`manage.py db_worker` in production). Tasks take ids, never objects, and are idempotent: a
task run twice, or after render_pending did the work, does nothing more."""

from django_tasks import task

from . import publishing


@task()
def render_revision(revision_id: int) -> int:
    """Render and store an approved revision's HTML and PDF (and its stamp once superseded)."""
    return len(publishing.render_revision(revision_id))


@task()
def stamp_superseded(revision_id: int) -> bool:
    """Store the SUPERSEDED-stamped copy of a revision's PDF."""
    return publishing.stamp_superseded(revision_id) is not None


@task()
def build_manual(build_id: int) -> int:
    """Build the whole manual as one PDF from the stored per-revision PDFs."""
    from . import manual_pdf

    return manual_pdf.build(build_id)


@task()
def check_render(check_id: int) -> str:
    """Render a revision as it is now, to know it can be printed (and keep its draft PDF)."""
    from . import render_checks

    return render_checks.run(check_id)
