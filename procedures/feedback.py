"""Feedback from the floor: sending it, answering it, starting a revision from it.

Services in the house style (beside services/): atomic, the
feedback row locked, the status checked against TRANSITIONS, the act on the audit trail,
the people concerned told in the app and by e-mail after the commit. A feedback's status
changes here and nowhere else; a revision's status still changes only in workflow/.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, notifications, page_cache, permissions, selectors, services
from .content import step_rows, steps_of
from .models import AuditEvent, Feedback, FeedbackReply, Notification, Revision, User
from .texts import later

FeedbackStatus = Feedback.Status

# Where the owner may take a feedback from each status. Declined and done can be reopened.
TRANSITIONS = {
    FeedbackStatus.OPEN: {FeedbackStatus.ACCEPTED, FeedbackStatus.DECLINED, FeedbackStatus.DONE},
    FeedbackStatus.ACCEPTED: {FeedbackStatus.DONE, FeedbackStatus.DECLINED, FeedbackStatus.OPEN},
    FeedbackStatus.DECLINED: {FeedbackStatus.OPEN},
    FeedbackStatus.DONE: {FeedbackStatus.OPEN},
}
MAX_LENGTH = 4000


class FeedbackRefused(services.ServiceError):
    """The feedback act is refused; the message says why, in the user's terms."""


def _text(body: str) -> str:
    body = (body or "").strip()
    if len(body) > MAX_LENGTH:
        raise FeedbackRefused(
            _("Keep it under %(max)d characters (this is %(length)d).")
            % {"max": MAX_LENGTH, "length": len(body)}
        )
    return body


def desk_url(feedback: Feedback) -> str:
    return reverse("desk:feedback_detail", kwargs={"pk": feedback.pk})


def manual_url(feedback: Feedback) -> str:
    return reverse("manual:feedback_detail", kwargs={"pk": feedback.pk})


@transaction.atomic
def send(
    *, author: User, revision: Revision, body: str, element: str = "", step_key: str = ""
) -> Feedback:
    """A reader of a published revision → an OPEN feedback to the procedure's owner, who is told."""
    procedure = revision.procedure
    if not permissions.can_send_feedback(author, procedure):
        raise FeedbackRefused(
            _("You own %(code)s: change it with a new revision instead.") % {"code": procedure.code}
        )
    if not selectors.is_published(revision):
        raise FeedbackRefused(_("Feedback is sent on a revision in the manual."))
    body = _text(body)
    if not body:
        raise FeedbackRefused(_("Write your feedback first: what does not work on the phone?"))
    element = element or Feedback.Element.GENERAL
    if element not in Feedback.Element.values:
        raise FeedbackRefused(_("Choose what your feedback is about from the list."))
    step_number = ""
    if step_key:
        numbers = {row.step.key: row.number for row in step_rows(steps_of(revision))}
        if step_key not in numbers:
            raise FeedbackRefused(
                _("Revision %(number)d has no such step: choose one from the list.")
                % {"number": revision.number}
            )
        step_number, element = numbers[step_key], Feedback.Element.STEPS
    feedback = Feedback.objects.create(
        procedure=procedure,
        revision=revision,
        author=author,
        element=element,
        step_key=step_key,
        step_number=step_number,
        body=body,
    )
    page_cache.touched([author])
    audit.record(
        action=AuditEvent.Action.FEEDBACK_RECEIVED,
        actor=author,
        revision=revision,
        to_status=feedback.status,
        target=later(
            lambda: _(audit.FEEDBACK_ABOUT) % {"pk": feedback.pk, "about": feedback.about()}
        ),
    )
    notifications.post(
        [procedure.owner],
        kind=Notification.Kind.FEEDBACK_RECEIVED,
        params={
            "name": author.display_name,
            "code": procedure.code,
            "element": element,
            "step": step_number,
        },
        url=desk_url(feedback),
        detail=body,
    )
    return feedback


def _lock(feedback: Feedback) -> Feedback:
    return (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("procedure__owner", "author")
        .get(pk=feedback.pk)
    )


def _set_status(feedback: Feedback, status: str, actor: User, body: str = "") -> FeedbackReply:
    previous = feedback.status
    reply = FeedbackReply.objects.create(
        feedback=feedback,
        author=actor,
        body=body,
        status_to=status if status != previous else "",
    )
    if status != previous:
        feedback.status = status
        feedback.status_changed_at = timezone.now()
        feedback.save(update_fields=["status", "status_changed_at"])
    page_cache.touched([feedback.author_id])  # the reply and the status show on their pages
    audit.record(
        action=AuditEvent.Action.FEEDBACK_ANSWERED,
        actor=actor,
        procedure=feedback.procedure,
        from_status=previous,
        to_status=feedback.status,
        target=later(lambda: _(audit.FEEDBACK) % {"pk": feedback.pk}),
    )
    return reply


def _tell_author(feedback: Feedback, actor: User, detail: str) -> None:
    if feedback.author_id == actor.pk:
        return
    notifications.post(
        [feedback.author],
        kind=Notification.Kind.FEEDBACK_REPLY,
        params={
            "name": actor.display_name,
            "code": feedback.procedure.code,
            "status": feedback.status,
        },
        url=manual_url(feedback),
        detail=detail,
    )


@transaction.atomic
def reply(*, feedback: Feedback, author: User, body: str, status: str = "") -> FeedbackReply:
    """The owner (or a manager) answers, perhaps moving the status along TRANSITIONS, and the
    agent is told; or the agent adds to their own feedback, and the owner is told."""
    locked = _lock(feedback)
    handler = permissions.can_handle_feedback(author, locked)
    if not handler and locked.author_id != author.pk:
        raise FeedbackRefused(_("Only the procedure's owner and the sender reply to feedback."))
    body = _text(body)
    status = status or locked.status
    if status != locked.status:
        if not handler:
            raise FeedbackRefused(_("Only the procedure's owner changes the status."))
        if status not in TRANSITIONS.get(locked.status, ()):
            raise FeedbackRefused(
                _("Feedback that is %(from)s cannot become %(to)s.")
                % {
                    "from": locked.get_status_display().lower(),
                    "to": FeedbackStatus(status).label.lower()
                    if status in FeedbackStatus.values
                    else status,
                }
            )
        if status == FeedbackStatus.DECLINED and not body:
            raise FeedbackRefused(_("Say why you decline it: the sender reads your reply."))
    elif not body:
        raise FeedbackRefused(_("Write a reply or choose a new status."))
    if not handler:
        answer = FeedbackReply.objects.create(feedback=locked, author=author, body=body)
        page_cache.touched([author])
        notifications.post(
            [locked.procedure.owner],
            kind=Notification.Kind.FEEDBACK_FOLLOW_UP,
            params={"name": author.display_name, "code": locked.procedure.code},
            url=desk_url(locked),
            detail=body,
        )
        return answer
    answer = _set_status(locked, status, author, body)
    _tell_author(locked, author, body)
    return answer


@transaction.atomic
def start_revision_from(*, feedback: Feedback, author: User) -> Revision:
    """Open or accepted feedback → linked to a new draft of its procedure (or to the draft
    already open), and accepted. The draft shows the feedback that led to it."""
    locked = _lock(feedback)
    procedure = locked.procedure
    if not permissions.can_start_revision(author, procedure):
        raise FeedbackRefused(
            _("Only the owner of %(code)s starts a revision.") % {"code": procedure.code}
        )
    if locked.addressed_by_id:
        raise FeedbackRefused(
            _("This feedback already led to revision %(number)d.")
            % {"number": locked.addressed_by.number}
        )
    if locked.status not in (FeedbackStatus.OPEN, FeedbackStatus.ACCEPTED):
        raise FeedbackRefused(
            _("This feedback is %(status)s: reopen it first.")
            % {"status": locked.get_status_display().lower()}
        )
    draft = selectors.open_draft(procedure)
    if draft is None:
        draft = services.start_revision(procedure=procedure, author=author)
    locked.addressed_by = draft
    locked.save(update_fields=["addressed_by"])
    page_cache.touched([locked.author_id])
    audit.record(
        action=AuditEvent.Action.FEEDBACK_LINKED,
        actor=author,
        revision=draft,
        target=_(audit.FEEDBACK) % {"pk": locked.pk},
    )
    if locked.status != FeedbackStatus.ACCEPTED:
        _set_status(locked, FeedbackStatus.ACCEPTED, author)
        _tell_author(locked, author, "")
    return draft


def close_addressed_by(revision: Revision) -> None:
    """A revision started from feedback came into force: that feedback is done, and its senders
    are told. Run by effects.took_effect after the commit; idempotent (done stays done)."""
    owner = revision.procedure.owner
    for item in revision.feedback_addressed.filter(
        status__in=[FeedbackStatus.OPEN, FeedbackStatus.ACCEPTED]
    ):
        locked = _lock(item)
        _set_status(locked, FeedbackStatus.DONE, owner)
        _tell_author(locked, owner, "")


def visible_to(user: User):
    """The feedback a desk user handles: all of it for managers and document controllers,
    their own procedures' for a supervisor."""
    feedback = Feedback.objects.select_related("procedure", "author", "revision", "addressed_by")
    if permissions.sees_all_feedback(user):
        return feedback
    if permissions.is_supervisor(user):
        return feedback.filter(procedure__owner=user)
    return feedback.none()
