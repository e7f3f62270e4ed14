"""What follows a change, once the transaction that made it has committed. One function per
event, each a list: read `took_effect` to know everything that happens when a revision comes
into force.

The workflow's transaction holds the status change, its audit event and what must be atomic
with it (the history, the procedure's dates). Everything here runs after the commit, so a
slow step holds no lock and a failing one cannot undo the act: in the request (cheap and
idempotent: search index, in-app notifications, closing feedback) or as background tasks
(tasks.py: rendering, stamping, the manual PDF, webhooks). E-mail goes after the commit too
(notifications.py). Each step lives in the module that owns it; this module only orders them.

    submitted         render check of the submitted content; the approvers are told
    returned          render check (back in draft); the author is told
    signed            render check (the draft PDF lists the signature)
    approved          render and store the HTML and PDF; the author is told
    took_effect       search index; stamp the revision replaced; rebuild the manual PDF;
                      the author is told; agents get it on their To-read list;
                      feedback the revision answered is done; integrations' webhooks
    withdrawn         stamp it; rebuild the manual PDF; the author is told;
                      integrations' webhooks
"""

from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import feedback, notifications, reading, search, tasks
from .models import Revision, User, WebhookEvent
from .notifications import later


def _after_commit(func, *args, **kwargs) -> None:
    transaction.on_commit(partial(func, *args, **kwargs))


def _revision(revision_id: int) -> Revision:
    return Revision.objects.select_related("procedure__owner", "author").get(pk=revision_id)


# ---------------------------------------------------------------- the workflow's events


def submitted(revision: Revision, reviewers: list[User]) -> None:
    tasks.queue_render_check(revision)  # the draft PDF reviewers open, as submitted
    _after_commit(notifications.revision_submitted, revision, reviewers)


def returned(revision: Revision, actor: User, comment: str) -> None:
    tasks.queue_render_check(revision)  # the draft PDF, back in draft
    what = later(lambda: _("returned for changes by %(name)s") % {"name": actor.display_name})
    _after_commit(notifications.revision_changed, revision, what, comment)


def signed(revision: Revision) -> None:
    """A signature that did not complete the approvals."""
    if revision.is_in_review:
        tasks.queue_render_check(revision)  # the draft PDF now lists this signature


def approved(revision: Revision) -> None:
    """Approved: rendered once and stored, whether it is effective now or later."""
    _after_commit(tasks.render_revision.enqueue, revision.pk)
    what = later(
        lambda: (
            _("approved, effective %(date)s")
            % {"date": notifications.moment(revision.effective_at)}
        )
    )
    _after_commit(notifications.revision_changed, revision, what)


def took_effect(revision: Revision, replaced: Revision | None) -> None:
    """The revision is in force (and `replaced`, if any, superseded)."""
    if replaced is not None:
        _after_commit(tasks.stamp_superseded.enqueue, replaced.pk)
    tasks.queue_manual_build()
    tasks.queue_webhooks(event=WebhookEvent.REVISION_IN_FORCE, revision=revision)
    _after_commit(_announce, revision.pk)


def _announce(revision_id: int) -> None:
    """After the commit, in one transaction of its own; idempotent (run twice, nothing more)."""
    with transaction.atomic():
        revision = _revision(revision_id)
        search.index_revision(revision)  # already indexed when saved; made sure of as it goes live
        notifications.revision_changed(revision, gettext_lazy("now effective"))
        reading.announce(revision)
        feedback.close_addressed_by(revision)


def withdrawn(revision: Revision) -> None:
    _after_commit(tasks.stamp_superseded.enqueue, revision.pk)
    tasks.queue_manual_build()
    tasks.queue_webhooks(event=WebhookEvent.PROCEDURE_WITHDRAWN, revision=revision)
    procedure = revision.procedure
    _after_commit(
        notifications.revision_changed,
        revision,
        gettext_lazy("withdrawn"),
        procedure.withdrawal_reason,
    )
