"""What the workflow queues once its transaction commits (never inside it): rendering the
approved revision, stamping the one it replaces, rebuilding the whole manual."""

from django.db import transaction

from .models import Revision


def after_approval(revision: Revision) -> None:
    """Render the approved revision's HTML and PDF in the background."""
    from . import tasks

    transaction.on_commit(lambda: tasks.render_revision.enqueue(revision.pk))


def manual_changed(replaced: Revision | None) -> None:
    """A revision took effect or was withdrawn: stamp the one it replaced (or the withdrawn
    one), rebuild the manual PDF."""
    from . import manual_pdf, tasks

    if replaced is not None:
        transaction.on_commit(lambda: tasks.stamp_superseded.enqueue(replaced.pk))
    transaction.on_commit(manual_pdf.request_build)
