"""What follows a status change runs after its transaction commits (effects.py): the last
signature's transaction holds the status change and its records only, whatever the number of
agents to tell or feedback to close."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures import feedback, services, workflow
from procedures.content import measures_of, steps_of
from procedures.models import AuditEvent, Feedback, Notification, SearchDocument
from tests.factories import (
    PASSWORD,
    UserFactory,
    make_effective,
    new_procedure,
    save,
    submit,
)


def _last_signature(revision, approver, captured):
    """Sign the revision's approval; (queries in the signature, its after-commit callbacks)."""
    revision.refresh_from_db()
    with captured(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        workflow.sign(
            revision=revision,
            signer=approver,
            password=PASSWORD,
            meaning="APPROVED",
            seen_status=revision.status,
        )
    return len(queries), callbacks


def _revision_from_feedback(supervisor, agents):
    """A revision in review started from the feedback of each of `agents`."""
    effective = make_effective(new_procedure(owner=supervisor))
    sent = [
        feedback.send(author=agent, revision=effective, body=f"Step 1 is unclear ({n}).")
        for n, agent in enumerate(agents)
    ]
    draft = feedback.start_revision_from(feedback=sent[0], author=supervisor)
    for item in sent[1:]:
        item.addressed_by = draft
        item.save(update_fields=["addressed_by"])
    return submit(save(draft, change_summary="Clearer step 1.")), sent


def test_the_last_signature_does_the_same_queries_for_two_agents_or_twelve(
    supervisor, approver, django_capture_on_commit_callbacks
):
    warm_up, _sent = _revision_from_feedback(supervisor, [UserFactory(role="Agent")])
    _last_signature(warm_up, approver, django_capture_on_commit_callbacks)
    few, _sent = _revision_from_feedback(supervisor, [UserFactory(role="Agent")])
    few_queries, _callbacks = _last_signature(few, approver, django_capture_on_commit_callbacks)
    many, _sent = _revision_from_feedback(
        supervisor, [UserFactory(role="Agent") for _n in range(11)]
    )

    many_queries, _callbacks = _last_signature(many, approver, django_capture_on_commit_callbacks)

    assert many_queries == few_queries


def test_agents_are_told_and_feedback_closed_only_after_the_commit(
    supervisor, approver, django_capture_on_commit_callbacks
):
    agents = [UserFactory(role="Agent") for _n in range(3)]
    revision, sent = _revision_from_feedback(supervisor, agents)
    before = Notification.objects.filter(kind=Notification.Kind.TO_READ).count()

    _queries, callbacks = _last_signature(revision, approver, django_capture_on_commit_callbacks)

    revision.refresh_from_db()
    assert revision.is_effective  # the state change and its records are in the transaction
    assert AuditEvent.objects.filter(revision=revision, action="EFFECTIVE").count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.TO_READ).count() == before
    assert Feedback.objects.filter(pk__in=[f.pk for f in sent], status="DONE").count() == 0

    for callback in callbacks:
        callback()

    told = Notification.objects.filter(
        kind=Notification.Kind.TO_READ, params__number=revision.number
    )
    assert sorted(n.recipient_id for n in told) == sorted(a.pk for a in agents)
    assert Feedback.objects.filter(pk__in=[f.pk for f in sent], status="DONE").count() == 3
    assert SearchDocument.objects.filter(revision=revision).exists()


def test_announcing_twice_tells_each_agent_once(
    supervisor, approver, django_capture_on_commit_callbacks
):
    agent = UserFactory(role="Agent")
    revision, _sent = _revision_from_feedback(supervisor, [agent])
    _queries, callbacks = _last_signature(revision, approver, django_capture_on_commit_callbacks)

    for callback in callbacks + callbacks:  # a retried job
        callback()

    told = Notification.objects.filter(recipient=agent, params__number=revision.number)
    assert told.count() == 1


def test_saving_a_draft_unchanged_writes_nothing(supervisor):
    draft = save(new_procedure(owner=supervisor))
    draft.refresh_from_db()
    events = AuditEvent.objects.filter(revision=draft).count()
    history = draft.history.count()

    again = services.save_draft(
        revision=draft,
        editor=supervisor,
        content=services.DraftContent(
            fields={name: getattr(draft, name) for name in services.CONTENT_FIELDS},
            steps=steps_of(draft),
            measures=measures_of(draft),
        ),
        lock_version=draft.lock_version,
    )

    assert again.lock_version == draft.lock_version
    assert AuditEvent.objects.filter(revision=draft).count() == events
    assert draft.history.count() == history
