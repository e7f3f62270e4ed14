"""Manual pages kept per person (procedures/page_cache.py): served again with few queries while
nothing they show has changed, and never stale: every change a person can see changes the key."""

import pytest
from django.contrib.auth.models import Group

from procedures import feedback, notifications, services
from procedures.models import Feedback, Notification
from tests.factories import UserFactory

PAGE = "/manual/CC-CH-001/"


@pytest.fixture(autouse=True)
def steady_manual(monkeypatch):
    """The manual's state kept for an hour, not a second: a slow machine must not turn a kept
    page's one query into two between two requests."""
    import datetime

    from procedures import freshness

    monkeypatch.setattr(freshness, "MOMENT", datetime.timedelta(hours=1))


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def in_force(supervisor, approver, on_commit):
    from tests.factories import make_effective, new_procedure, save

    with on_commit():
        return make_effective(
            save(new_procedure(owner=supervisor, code="CC-CH-001"), title="Answering a call"),
            approver,
        )


def _notify(person) -> None:
    notifications.post(
        [person],
        kind=Notification.Kind.FEEDBACK_FOLLOW_UP,
        params={"name": "Maria Santos", "code": "CC-CH-001"},
        url="/manual/",
    )


def _seen(client, path=PAGE) -> str:
    return client.get(path).content.decode()


def test_a_page_seen_again_is_served_kept_with_a_handful_of_queries(
    client, agent, in_force, django_assert_max_num_queries
):
    client.force_login(agent)
    first = client.get(PAGE)  # sets the CSRF cookie: the page can be kept from now on
    built = client.get(PAGE)
    client.get("/manual/")

    # the person with their roles and stamps (the session is a signed cookie): what a bare
    # signed-in view costs; nothing of the procedure is read
    with django_assert_max_num_queries(1):
        again = client.get(PAGE)
    with django_assert_max_num_queries(1):  # the table of contents: no procedure, no revision
        client.get("/manual/")

    assert again.content == built.content
    assert again["ETag"] == built["ETag"] and again["Cache-Control"] == "private, no-cache"
    assert first.status_code == built.status_code == again.status_code == 200


def test_a_browser_that_has_the_page_gets_304(client, agent, in_force):
    client.force_login(agent)
    client.get(PAGE)
    etag = client.get(PAGE)["ETag"]

    response = client.get(PAGE, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304 and response["ETag"] == etag


def test_acknowledging_changes_the_page_and_the_table_of_contents(client, agent, in_force):
    client.force_login(agent)
    _seen(client)
    assert "I have read and understood this procedure" in _seen(client)
    assert "To read: 1 procedure" in _seen(client, "/manual/")

    services.acknowledge(agent=agent, revision=in_force)

    assert "I have read and understood this procedure" not in _seen(client)
    assert "To read: 1 procedure" not in _seen(client, "/manual/")


def test_a_new_notification_shows_in_the_header_at_once(client, agent, in_force, on_commit):
    client.force_login(agent)
    _seen(client)
    assert '<span class="badge badge--count">1<' in _seen(client)  # "CC-CH-001 is in force"

    with on_commit():
        _notify(agent)

    assert '<span class="badge badge--count">2<' in _seen(client)


def test_an_answer_to_the_readers_feedback_shows_at_once(client, agent, supervisor, in_force):
    client.force_login(agent)
    sent = feedback.send(author=agent, revision=in_force, body="Step 2 is unclear.")
    _seen(client)
    assert "badge--accepted" not in _seen(client)

    feedback.reply(
        feedback=sent, author=supervisor, body="We will change it.", status=Feedback.Status.ACCEPTED
    )

    assert "badge--accepted" in _seen(client)


def test_nobody_is_served_another_persons_page(client, in_force):
    # Two agents alike in all the page shows of them (no notice, nothing acknowledged, same team,
    # same CSRF secret): only who they are tells their pages apart.
    first = UserFactory(username="agent3", first_name="Siti", last_name="Rahayu", role="Agent")
    other = UserFactory(username="agent2", first_name="Lucas", last_name="Martin", role="Agent")
    secret = "a" * 32
    client.force_login(first)
    client.cookies["csrftoken"] = secret
    _seen(client)
    assert "Siti Rahayu" in _seen(client)

    client.force_login(other)
    client.cookies["csrftoken"] = secret
    page = _seen(client)

    assert "Lucas Martin" in page and "Siti Rahayu" not in page


def test_a_page_with_a_message_waiting_is_built_for_it_and_shows_it(client, agent, in_force):
    client.force_login(agent)
    _seen(client)
    _seen(client)

    response = client.post(f"/manual/CC-CH-001/rev/{in_force.number}/acknowledge/", follow=True)

    shown = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(PAGE) or "CC-CH-001" in shown
    assert "Recorded: you read and understood CC-CH-001 revision 1" in shown
    assert "Recorded: you read and understood" not in _seen(client)  # shown once, not kept


def test_a_kept_page_carries_a_token_valid_for_the_persons_csrf_cookie(agent, in_force):
    import re

    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    _seen(client)
    _seen(client)  # kept, with a token for the first secret
    client.cookies["csrftoken"] = "b" * 32  # a new secret (as after signing in again)

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _seen(client)).group(1)
    response = client.post(
        f"/manual/CC-CH-001/rev/{in_force.number}/acknowledge/", {"csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert in_force.acknowledgements.filter(agent=agent).exists()


def test_an_approved_revision_whose_date_passes_changes_the_key_before_publish_due_runs(
    agent, supervisor, approver, on_commit, monkeypatch
):
    import datetime

    from django.utils import timezone

    from procedures import page_cache
    from tests.factories import new_procedure, save, sign, submit

    soon = timezone.now() + datetime.timedelta(hours=1)
    revision = submit(save(new_procedure(owner=supervisor, code="CC-CH-009")))
    with on_commit():
        sign(revision, approver, effective_at=soon)
    before = page_cache.state(agent)

    later = soon + datetime.timedelta(minutes=5)
    monkeypatch.setattr(page_cache.timezone, "now", lambda: later)

    assert page_cache.state(agent) != before


def test_a_new_revision_in_force_replaces_the_kept_page_at_once(
    client, agent, supervisor, approver, in_force, on_commit
):
    from procedures import services
    from tests.factories import make_effective

    client.force_login(agent)
    _seen(client)
    assert "Revision 2" not in _seen(client)

    with on_commit():
        make_effective(
            services.start_revision(procedure=in_force.procedure, author=supervisor), approver
        )

    assert "Revision 2" in _seen(client)


def test_the_signed_in_person_is_read_with_their_roles_as_roles_of_reads_them(
    db, django_assert_num_queries
):
    from procedures import page_cache, permissions

    both = UserFactory(username="both", role="Supervisor")
    both.groups.add(*Group.objects.filter(name__in=[permissions.MANAGER]))
    boss = UserFactory(username="boss", is_superuser=True)
    nobody = UserFactory(username="nobody")

    for person, expected in (
        (both, {permissions.SUPERVISOR, permissions.MANAGER}),
        (boss, {permissions.DOCUMENT_CONTROLLER}),
        (nobody, set()),
    ):
        with django_assert_num_queries(1):
            read = page_cache.person(person.pk)
            assert permissions.roles_of(read) == expected
        assert read == person and read.sopdesk_stamp is None  # nothing of their own yet
    assert page_cache.person(-1) is None


def test_reading_notifications_shows_in_the_header_at_once(client, agent, in_force):
    client.force_login(agent)
    _seen(client)
    assert '<span class="badge badge--count">1<' in _seen(client)

    client.post("/notifications/")  # "Mark all as read"

    assert "badge--count" not in _seen(client)


def test_opening_a_notification_shows_in_the_header_at_once(client, agent, in_force, on_commit):
    client.force_login(agent)
    with on_commit():
        _notify(agent)
    _seen(client)
    assert '<span class="badge badge--count">2<' in _seen(client)

    with on_commit():  # the request runs inside the test's transaction here
        client.get(f"/notifications/{agent.notifications.order_by('-pk').first().pk}/")

    assert '<span class="badge badge--count">1<' in _seen(client)


def test_feedback_sent_and_a_revision_started_from_it_show_at_once(
    client, agent, supervisor, in_force
):
    client.force_login(agent)
    _seen(client)
    _seen(client)
    sent = feedback.send(author=agent, revision=in_force, body="Step 2 is unclear.")
    assert "Step 2 is unclear." in _seen(client)
    assert "badge--accepted" not in _seen(client)

    feedback.start_revision_from(feedback=sent, author=supervisor)

    assert "badge--accepted" in _seen(client)


def test_the_manuals_state_is_read_once_a_moment_and_anew_after_an_event(
    db, supervisor, django_assert_num_queries
):
    from procedures import audit, freshness
    from procedures.models import AuditEvent

    first = freshness.manual_state()
    with django_assert_num_queries(0):
        assert freshness.manual_state() == first

    audit.record(action=AuditEvent.Action.PROCEDURE_CREATED, actor=supervisor)

    with django_assert_num_queries(1):
        assert freshness.manual_state() != first


def test_touching_people_gives_each_a_new_stamp_once_the_change_commits(
    db, agent, supervisor, on_commit
):
    from procedures import page_cache

    with on_commit():
        page_cache.touched([agent, supervisor.pk])
        assert page_cache.person(agent.pk).sopdesk_stamp is None  # not before it commits
    before = {p: page_cache.person(p.pk).sopdesk_stamp for p in (agent, supervisor)}
    with on_commit():
        page_cache.touched([supervisor, agent])

    after = {p: page_cache.person(p.pk).sopdesk_stamp for p in (agent, supervisor)}
    assert None not in before.values() and all(after[p] != before[p] for p in before)


def test_a_date_read_back_as_text_is_in_utc():
    import datetime

    from procedures import freshness

    read = freshness._as_time("2026-12-06 10:00:00")  # as SQLite returns it from a subquery

    assert read == datetime.datetime(2026, 12, 6, 10, tzinfo=datetime.UTC)


def test_an_approved_revision_waiting_for_its_date_keeps_the_manual_readable(
    client, agent, supervisor, approver, in_force, on_commit
):
    import datetime

    from django.utils import timezone

    from tests.factories import new_procedure, save, sign, submit

    revision = submit(save(new_procedure(owner=supervisor, code="CC-CH-019")))
    with on_commit():
        sign(revision, approver, effective_at=timezone.now() + datetime.timedelta(hours=1))
    client.force_login(agent)

    assert client.get("/manual/").status_code == 200
    assert client.get(PAGE).status_code == 200
