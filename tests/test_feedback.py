"""Feedback to procedure owners: sending it from the manual, who may see it (nobody else's, by
any URL), the owner's inbox and replies, starting a revision from it, and the notifications
(in the app with an unread badge, and by e-mail) for feedback, replies and new revisions to read."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from procedures import feedback, services
from procedures.models import AuditEvent, Feedback, FeedbackReply, Notification, Revision, Team
from tests.factories import UserFactory, make_effective, new_procedure, save

F = Feedback.Status


@pytest.fixture
def effective(supervisor, approver):
    def make(code="CC-CH-001", **fields):
        return make_effective(save(new_procedure(owner=supervisor, code=code), **fields), approver)

    return make


@pytest.fixture
def sent(effective, agent):
    revision = effective()
    return feedback.send(
        author=agent,
        revision=revision,
        body="Step 2 asks for the account number before verification.",
        step_key="b",
    )


def test_an_agent_sends_feedback_on_a_step_and_the_owner_is_told(
    effective, agent, supervisor, client, django_capture_on_commit_callbacks
):
    revision = effective()
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/manual/CC-CH-001/rev/{revision.number}/feedback/",
            {
                "element": "GENERAL",
                "step_key": "b",
                "body": "Verify first, then ask for the account.",
            },
            follow=True,
        )

    item = Feedback.objects.get()
    assert (item.author, item.revision, item.status) == (agent, revision, F.OPEN)
    assert (item.element, item.step_key, item.step_number) == ("STEPS", "b", "2")
    page = response.content.decode()
    assert "Sent to Maria Santos, who owns CC-CH-001" in page
    assert "Verify first, then ask for the account." in page
    note = Notification.objects.get(recipient=supervisor)
    assert note.message() == "Dewi Lestari sent feedback on CC-CH-001: Step 2"
    assert note.url == f"/desk/feedback/{item.pk}/"
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    assert "Verify first, then ask for the account." in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="FEEDBACK_RECEIVED", actor=agent).count() == 1


def test_empty_feedback_is_refused_with_the_text_kept_and_nothing_stored(effective, agent, client):
    revision = effective()
    client.force_login(agent)

    response = client.post(
        f"/manual/CC-CH-001/rev/{revision.number}/feedback/",
        {"element": "SCOPE", "step_key": "zz", "body": "Scope misses chat."},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Your feedback was not sent" in page
    assert "Select a valid choice" in page
    assert "Scope misses chat." in page  # what was typed is still in the form
    assert not Feedback.objects.exists()
    assert not Notification.objects.exclude(kind="TO_READ").exists()


def test_an_owner_cannot_send_feedback_on_their_own_procedure(effective, supervisor):
    revision = effective()

    with pytest.raises(feedback.FeedbackRefused, match="You own CC-CH-001"):
        feedback.send(author=supervisor, revision=revision, body="Hmm.")

    assert not Feedback.objects.exists()


def test_feedback_on_a_draft_is_refused(supervisor, agent):
    draft = save(new_procedure(owner=supervisor, code="CC-CH-009"))

    with pytest.raises(feedback.FeedbackRefused, match="revision in the manual"):
        feedback.send(author=agent, revision=draft, body="Not published.")

    assert not Feedback.objects.exists()


def test_an_agent_sees_their_own_feedback_and_nobody_elses_whatever_the_url(sent, agent, client):
    other = UserFactory(role="Agent", username="agent2")
    client.force_login(other)

    assert client.get(f"/manual/feedback/{sent.pk}/").status_code == 404
    assert client.post(f"/manual/feedback/{sent.pk}/", {"body": "me too"}).status_code == 404
    assert client.get(f"/desk/feedback/{sent.pk}/").status_code == 403
    assert client.get("/desk/feedback/").status_code == 403
    assert "account number" not in client.get("/manual/feedback/").content.decode()
    assert "account number" not in client.get("/manual/CC-CH-001/").content.decode()
    assert not FeedbackReply.objects.exists()

    client.force_login(agent)
    assert "account number" in client.get(f"/manual/feedback/{sent.pk}/").content.decode()
    assert "account number" in client.get("/manual/CC-CH-001/").content.decode()


def test_a_supervisor_sees_feedback_on_their_procedures_only_managers_see_all(
    sent, supervisor, supervisor2, manager, client
):
    client.force_login(supervisor2)
    assert "CC-CH-001" not in client.get("/desk/feedback/").content.decode()
    assert client.get(f"/desk/feedback/{sent.pk}/").status_code == 403

    client.force_login(supervisor)
    assert "CC-CH-001" in client.get("/desk/feedback/").content.decode()
    assert client.get(f"/desk/feedback/{sent.pk}/").status_code == 200

    client.force_login(manager)
    inbox = client.get("/desk/feedback/").content.decode()
    assert "CC-CH-001" in inbox and "owner Maria Santos" in inbox
    assert "Open and accepted (1)" in inbox and "Declined (0)" in inbox and "All (1)" in inbox
    assert "0 days" in inbox


def test_the_inbox_shows_how_long_feedback_has_waited(effective, agent, manager, client):
    revision = effective()
    old = feedback.send(author=agent, revision=revision, body="Old one.")
    Feedback.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=20)
    )
    client.force_login(manager)

    inbox = client.get("/desk/feedback/").content.decode()

    assert "20 days" in inbox and "Waiting long" in inbox


def test_the_owner_replies_and_declines_and_the_agent_sees_the_reply(
    sent, agent, supervisor, client, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)

    refused = client.post(f"/desk/feedback/{sent.pk}/", {"status": "DECLINED", "body": ""})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/desk/feedback/{sent.pk}/",
            {"status": "DECLINED", "body": "The account number is needed to find the caller."},
        )

    assert refused.status_code == 400
    assert "Say why you decline it" in refused.content.decode()
    sent.refresh_from_db()
    assert sent.status == F.DECLINED
    note = Notification.objects.get(recipient=agent, kind="FEEDBACK_REPLY")
    assert note.message() == "Maria Santos replied to your feedback on CC-CH-001 (Declined)"
    assert [m.to for m in mail.outbox] == [[agent.email]]
    event = AuditEvent.objects.get(action="FEEDBACK_ANSWERED")
    assert (event.from_status, event.to_status, event.actor) == ("OPEN", "DECLINED", supervisor)
    client.force_login(agent)
    page = client.get(f"/manual/feedback/{sent.pk}/").content.decode()
    assert "The account number is needed to find the caller." in page and "Declined" in page


def test_statuses_move_only_along_the_table(sent, supervisor, agent):
    feedback.reply(feedback=sent, author=supervisor, body="", status=F.DONE)

    with pytest.raises(feedback.FeedbackRefused, match="done cannot become accepted"):
        feedback.reply(feedback=sent, author=supervisor, body="", status=F.ACCEPTED)
    with pytest.raises(feedback.FeedbackRefused, match="Only the procedure's owner changes"):
        feedback.reply(feedback=sent, author=agent, body="Reopen?", status=F.OPEN)
    with pytest.raises(feedback.FeedbackRefused, match="Write a reply or choose"):
        feedback.reply(feedback=sent, author=supervisor, body="  ")

    sent.refresh_from_db()
    assert sent.status == F.DONE
    assert FeedbackReply.objects.count() == 1


def test_the_agent_adds_to_their_feedback_and_the_owner_is_told(sent, agent, supervisor, client):
    client.force_login(agent)

    client.post(f"/manual/feedback/{sent.pk}/", {"body": "It happened again today."})

    assert FeedbackReply.objects.get().body == "It happened again today."
    note = Notification.objects.filter(recipient=supervisor).latest("pk")
    assert note.message() == "Dewi Lestari added to their feedback on CC-CH-001"


def test_starting_a_revision_from_feedback_links_it_and_accepts_it(
    sent, supervisor, agent, approver, client
):
    client.force_login(supervisor)

    response = client.post(f"/desk/feedback/{sent.pk}/start-revision/")

    sent.refresh_from_db()
    draft = Revision.objects.get(procedure=sent.procedure, status="DRAFT")
    assert response["Location"] == f"/desk/CC-CH-001/rev/{draft.number}/edit/"
    assert (sent.addressed_by, sent.status) == (draft, F.ACCEPTED)
    editor = client.get(response["Location"]).content.decode()
    assert "The feedback that led to this revision" in editor
    assert "account number before verification" in editor
    assert AuditEvent.objects.filter(action="FEEDBACK_LINKED", revision=draft).exists()
    again = client.post(f"/desk/feedback/{sent.pk}/start-revision/", follow=True)
    assert "already led to revision 2" in again.content.decode()

    make_effective(save(draft, change_summary="Verify before the account number."), approver)

    sent.refresh_from_db()
    assert sent.status == F.DONE
    assert Notification.objects.filter(recipient=agent, kind="FEEDBACK_REPLY").count() == 2


def test_only_the_owner_starts_a_revision_from_feedback(sent, manager, client):
    client.force_login(manager)

    response = client.post(f"/desk/feedback/{sent.pk}/start-revision/", follow=True)

    assert "Only the owner of CC-CH-001 starts a revision" in response.content.decode()
    assert not Revision.objects.filter(status="DRAFT").exists()
    sent.refresh_from_db()
    assert sent.addressed_by is None and sent.status == F.OPEN


def test_a_new_revision_in_force_notifies_the_agents_it_is_meant_for(
    effective, agent, supervisor, django_capture_on_commit_callbacks
):
    team = Team.objects.create(name="Team Alpha", supervisor=supervisor)
    agent.team = team
    agent.save(update_fields=["team"])
    outsider = UserFactory(role="Agent", username="outsider")
    revision = save(new_procedure(owner=supervisor, code="CC-CH-002"))
    revision.procedure.audience.add(team)

    with django_capture_on_commit_callbacks(execute=True):
        make_effective(revision)

    note = Notification.objects.get(kind="TO_READ")
    assert note.recipient == agent and note.url == "/manual/CC-CH-002/"
    assert note.message().startswith("CC-CH-002 revision 1 is in force: please read it by")
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert agent.email in [m.to[0] for m in mail.outbox]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses

    services.acknowledge(agent=agent, revision=revision)
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_superseded_revisions_notice_to_read_is_done_with(effective, agent, supervisor):
    first = effective()
    old = Notification.objects.get(recipient=agent, kind="TO_READ")

    make_effective(services.start_revision(procedure=first.procedure, author=supervisor))

    old.refresh_from_db()
    new = Notification.objects.get(recipient=agent, kind="TO_READ", read_at=None)
    assert old.read_at is not None
    assert new.params["number"] == 2


def test_the_unread_badge_counts_and_opening_a_notification_reads_it(sent, supervisor, client):
    client.force_login(supervisor)
    note = Notification.objects.get(recipient=supervisor)

    before = client.get("/desk/").content.decode()
    response = client.get(f"/notifications/{note.pk}/")
    after = client.get("/desk/").content.decode()

    assert '<span class="badge badge--count">1<span class="visually-hidden"> unread' in before
    assert response["Location"] == f"/desk/feedback/{sent.pk}/"
    assert "badge--count" not in after


def test_nobody_opens_someone_elses_notification(sent, supervisor2, client):
    note = Notification.objects.get(kind="FEEDBACK_RECEIVED")
    client.force_login(supervisor2)

    assert client.get(f"/notifications/{note.pk}/").status_code == 404
    assert "sent feedback" not in client.get("/notifications/").content.decode()
    client.post("/notifications/")
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_as_read(sent, supervisor, client):
    client.force_login(supervisor)

    response = client.post("/notifications/", follow=True)

    assert "1 notification marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=supervisor, read_at=None).exists()
