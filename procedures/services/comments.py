"""Comments on a revision being written or reviewed, and agents' acknowledgements of what is
in force: records beside a revision, never a change to it."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, notifications, page_cache, permissions, selectors
from ..models import Acknowledgement, AuditEvent, Comment, Procedure, Revision, User
from ..notifications import later
from .errors import NotAllowed


@transaction.atomic
def add_comment(
    *, revision: Revision, author: User, body: str, element: str = "GENERAL", step_key: str = ""
) -> Comment:
    """A comment on a draft or a revision in review, on the audit trail; the author is told."""
    locked = Revision.objects.select_for_update().select_related("procedure").get(pk=revision.pk)
    if not permissions.can_comment(author, locked):
        raise NotAllowed(
            _("Revision %(number)d is %(status)s: comments are closed.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    if not body.strip():
        raise NotAllowed(_("Write the comment first."))
    comment = Comment.objects.create(
        revision=locked, author=author, element=element, step_key=step_key, body=body.strip()
    )
    audit.record(
        action=AuditEvent.Action.COMMENTED,
        actor=author,
        revision=locked,
        reason=body.strip(),
        target=comment.get_element_display(),
    )
    if author.pk != locked.author_id:
        notifications.revision_changed(
            locked,
            later(lambda: _("new comment from %(name)s") % {"name": author.display_name}),
            body.strip(),
        )
    return comment


@transaction.atomic
def acknowledge(*, agent: User, revision: Revision) -> Acknowledgement:
    """An agent who must read the revision in force → their acknowledgement of it, on the audit
    trail. Idempotent: a second click returns the first acknowledgement."""
    procedure = Procedure.objects.get(pk=revision.procedure_id)
    in_force = selectors.revision_in_force(procedure)
    revision = Revision.objects.select_related("procedure").get(pk=revision.pk)
    if not permissions.must_acknowledge(agent, revision, in_force):
        raise NotAllowed(
            _(
                "Only the agents it is meant for acknowledge %(code)s, and only the revision in force."
            )
            % {"code": procedure.code}
        )
    acknowledgement, created = Acknowledgement.objects.get_or_create(revision=revision, agent=agent)
    notifications.done_reading(code=procedure.code, number=revision.number, agent=agent)
    if created:
        page_cache.touched([agent])
        audit.record(
            action=AuditEvent.Action.ACKNOWLEDGED,
            actor=agent,
            revision=revision,
            reason=gettext_lazy("Read and understood"),
        )
    return acknowledgement
