"""The constraints added after the hardening review (migration 0020): each write breaks exactly
one invariant, on a row the real workflow made, is refused by the database naming the
constraint, and leaves the table as it was; a positive control shows the same write with a
valid value saves."""

import datetime

import pytest
from django.utils import timezone

from procedures import services
from procedures.models import (
    AuditEvent,
    Comment,
    Feedback,
    FeedbackReply,
    Notification,
    Procedure,
    Revision,
)
from tests.factories import new_procedure, submit
from tests.test_models import _feedback, _reach, _refused, _table

pytestmark = pytest.mark.django_db


def test_a_procedure_is_never_replaced_by_itself(supervisor):
    procedure = new_procedure(owner=supervisor).procedure
    other = new_procedure(owner=supervisor).procedure
    before = _table(Procedure)

    _refused(
        "procedure_not_replaced_by_itself",
        lambda: Procedure.objects.filter(pk=procedure.pk).update(replaced_by=procedure),
    )

    assert _table(Procedure) == before
    Procedure.objects.filter(pk=procedure.pk).update(replaced_by=other)  # control


@pytest.mark.parametrize("days", [0, 91])
def test_agents_acknowledge_within_1_to_90_days(supervisor, days):
    procedure = new_procedure(owner=supervisor).procedure
    before = _table(Procedure)

    _refused(
        "procedure_acknowledge_within_1_to_90_days",
        lambda: Procedure.objects.filter(pk=procedure.pk).update(acknowledge_within_days=days),
    )

    assert _table(Procedure) == before
    Procedure.objects.filter(pk=procedure.pk).update(acknowledge_within_days=90)  # control


def test_an_approved_revision_keeps_its_effective_date(supervisor):
    revision = _reach("APPROVED", supervisor)
    before = _table(Revision)

    _refused(
        "approved_revision_has_effective_date",
        lambda: Revision.objects.filter(pk=revision.pk).update(effective_at=None),
    )

    assert _table(Revision) == before
    later = timezone.now() + datetime.timedelta(days=2)
    Revision.objects.filter(pk=revision.pk).update(effective_at=later)  # control


def test_training_hours_are_never_negative(supervisor):
    draft = new_procedure(owner=supervisor)
    before = _table(Revision)

    _refused(
        "revision_training_hours_not_negative",
        lambda: Revision.objects.filter(pk=draft.pk).update(training_hours=-1),
    )

    assert _table(Revision) == before
    Revision.objects.filter(pk=draft.pk).update(training_hours=0)  # control


def test_an_audit_events_action_is_a_known_action(supervisor):
    event = new_procedure(owner=supervisor).audit_events.get()
    before = _table(AuditEvent)
    values = {"procedure": event.procedure, "revision": event.revision, "actor": supervisor}

    _refused(
        "audit_event_action_valid",
        lambda: AuditEvent.objects.create(action="MADE_UP", **values),
    )

    assert _table(AuditEvent) == before
    AuditEvent.objects.create(action=AuditEvent.Action.COMMENTED, **values)  # control


def test_a_comment_is_about_a_known_element(supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))
    services.add_comment(revision=revision, author=approver, body="Clarify step 2.")
    before = _table(Comment)

    _refused(
        "comment_element_valid",
        lambda: Comment.objects.create(
            revision=revision, author=approver, body="?", element="ELSEWHERE"
        ),
    )

    assert _table(Comment) == before
    Comment.objects.create(revision=revision, author=approver, body="?", element="SCOPE")


def test_feedback_is_about_a_known_element(supervisor, agent):
    sent = _feedback(supervisor, agent)
    before = _table(Feedback)

    _refused(
        "feedback_element_valid",
        lambda: Feedback.objects.filter(pk=sent.pk).update(element="ELSEWHERE"),
    )

    assert _table(Feedback) == before
    Feedback.objects.filter(pk=sent.pk).update(element="SCOPE")  # control


def test_a_reply_sets_a_known_status_or_none(supervisor, agent):
    sent = _feedback(supervisor, agent)
    before = _table(FeedbackReply)

    _refused(
        "feedback_reply_status_valid",
        lambda: FeedbackReply.objects.create(
            feedback=sent, author=supervisor, body="…", status_to="MAYBE"
        ),
    )

    assert _table(FeedbackReply) == before
    for status in ("", "ACCEPTED"):  # controls
        FeedbackReply.objects.create(feedback=sent, author=supervisor, body="…", status_to=status)


def test_a_notification_is_of_a_known_kind(supervisor, agent):
    sent = _feedback(supervisor, agent)
    note = Notification.objects.get(recipient=supervisor)
    before = _table(Notification)

    _refused(
        "notification_kind_valid",
        lambda: Notification.objects.filter(pk=note.pk).update(kind="SPAM"),
    )

    assert _table(Notification) == before
    Notification.objects.filter(pk=note.pk).update(kind="TO_READ")  # control
    assert sent.pk
