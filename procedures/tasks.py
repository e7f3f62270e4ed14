"""Background work, through Django's tasks framework (django-tasks; the database backend and
`manage.py db_worker` in production). Tasks take ids, never objects, and are idempotent: a
task run twice, or after render_pending did the work, does nothing more. The `queue_*`
functions record the work and hand it to the worker once the transaction commits."""

from functools import partial

from django.db import transaction
from django_tasks import task

from . import manual_pdf, publishing, render_checks, webhooks
from .models import ManualBuild, Revision


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
    return manual_pdf.build(build_id)


@task()
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at a webhook delivery, if it is due; a failure is tried again at its next
    attempt (by `manage.py retry_webhooks` where the backend cannot run a task later)."""
    outcome = webhooks.deliver(delivery_id)
    if outcome.retry_at is not None and deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=outcome.retry_at).enqueue(delivery_id)
    return outcome.status


@task()
def check_render(check_id: int) -> str:
    """Render a revision as it is now, to know it can be printed (and keep its draft PDF)."""
    return render_checks.run(check_id)


def queue_render_check(revision: Revision) -> None:
    """The revision's content, status or signatures changed: its render check is recorded now
    (render_checks.py) and handed to the worker once the transaction commits."""
    check, queued = render_checks.request(revision)
    if queued:
        transaction.on_commit(partial(check_render.enqueue, check.pk))


def queue_manual_build() -> ManualBuild:
    """A rebuild of the whole manual PDF (or the one already waiting, which will include this)."""
    build, queued = manual_pdf.request_build()
    if queued:
        transaction.on_commit(partial(build_manual.enqueue, build.pk))
    return build


def queue_webhooks(*, event: str, revision: Revision) -> None:
    """The event's deliveries are recorded now (webhooks.py), in the act's transaction, and
    handed to the worker once it commits."""
    for delivery in webhooks.record(event=event, revision=revision):
        transaction.on_commit(partial(deliver_webhook.enqueue, delivery.pk))


def send_webhooks_again(delivery_ids: list[int]) -> list[int]:
    """Failed or given-up deliveries are due again now, and handed to the worker."""
    again = webhooks.send_again(delivery_ids)
    for delivery_id in again:
        transaction.on_commit(partial(deliver_webhook.enqueue, delivery_id))
    return again
