"""Read and acknowledge: "To read" lists, acknowledgements on the audit trail, what changed since
the last acknowledged revision, team dashboards with their permissions, CSV and reminders."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures import reading, services
from procedures.models import Acknowledgement, AuditEvent, Revision, Team
from tests.factories import UserFactory, make_effective, new_procedure, save


@pytest.fixture
def team(supervisor, agent):
    team = Team.objects.create(name="Team Alpha", supervisor=supervisor)
    agent.team = team
    agent.save(update_fields=["team"])
    return team


@pytest.fixture
def effective(supervisor, approver):
    def make(code="CC-CH-001", **fields):
        return make_effective(save(new_procedure(owner=supervisor, code=code), **fields), approver)

    return make


def later(days: int) -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=days)


def test_a_revision_in_force_is_on_every_agents_list_until_they_acknowledge_it(
    effective, agent, supervisor, client
):
    revision = effective()
    client.force_login(agent)

    before = client.get("/manual/").content.decode()
    response = client.post(f"/manual/CC-CH-001/rev/{revision.number}/acknowledge/", follow=True)

    assert "To read: 1 procedure" in before
    assert "Recorded: you read and understood CC-CH-001 revision 1" in response.content.decode()
    assert reading.to_read(agent) == [] and reading.to_read(supervisor) == []
    assert "To read:" not in client.get("/manual/").content.decode()
    event = AuditEvent.objects.get(action="ACKNOWLEDGED")
    assert (event.actor, event.revision) == (agent, revision)


def test_acknowledging_twice_records_it_once(effective, agent):
    revision = effective()

    first = services.acknowledge(agent=agent, revision=revision)
    second = services.acknowledge(agent=agent, revision=revision)

    assert first == second
    assert Acknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="ACKNOWLEDGED").count() == 1


def test_a_procedure_for_chosen_teams_reaches_only_their_agents(effective, agent, team, supervisor):
    other = UserFactory(role="Agent")
    revision = effective()
    revision.procedure.audience.add(team)

    assert [i.revision for i in reading.to_read(agent)] == [revision]
    assert reading.to_read(other) == []
    with pytest.raises(services.NotAllowed):
        services.acknowledge(agent=other, revision=revision)
    assert not Acknowledgement.objects.exists()


def test_only_agents_acknowledge_and_only_the_revision_in_force(
    effective, agent, supervisor, approver, client
):
    first = effective()
    make_effective(
        save(
            services.start_revision(procedure=first.procedure, author=supervisor),
            change_summary="New greeting.",
        ),
        approver,
    )
    client.force_login(supervisor)
    by_supervisor = client.post("/manual/CC-CH-001/rev/2/acknowledge/")
    client.force_login(agent)
    superseded = client.post("/manual/CC-CH-001/rev/1/acknowledge/")
    get = client.get("/manual/CC-CH-001/rev/2/acknowledge/")

    assert by_supervisor.status_code == 403 and superseded.status_code == 403
    assert "only the revision in force" in superseded.content.decode()
    assert get.status_code == 405
    assert not Acknowledgement.objects.exists()


def test_a_revised_procedure_shows_what_changed_since_the_acknowledged_revision(
    effective, agent, supervisor, approver, client
):
    first = effective(purpose="Greet with the old script.")
    services.acknowledge(agent=agent, revision=first)
    make_effective(
        save(
            services.start_revision(procedure=first.procedure, author=supervisor),
            purpose="Greet with the new script.",
            change_summary="New script.",
        ),
        approver,
    )
    client.force_login(agent)

    html = client.get("/manual/CC-CH-001/").content.decode()

    assert "What changed since revision 1, the one you last confirmed" in html
    assert "<del>old</del>" in html and "<ins>new</ins>" in html
    assert "I have read and understood this procedure" in html
    # The superseded revision keeps its acknowledgement; the new one is to read.
    assert Acknowledgement.objects.get().revision == first
    assert [i.revision.number for i in reading.to_read(agent)] == [2]


def test_an_acknowledgement_is_due_within_the_procedures_period(effective, agent):
    revision = effective()
    revision.procedure.acknowledge_within_days = 3
    revision.procedure.save(update_fields=["acknowledge_within_days"])

    on_time = reading.to_read(agent, now=later(2))
    late = reading.to_read(agent, now=later(4))

    assert [i.overdue for i in on_time] == [False] and [i.overdue for i in late] == [True]


def test_the_team_dashboard_counts_each_state(effective, agent, team, supervisor):
    second_agent = UserFactory(role="Agent", team=None)
    second_agent.team = team
    second_agent.save(update_fields=["team"])
    one, two = effective("CC-CH-001"), effective("CC-CH-002")
    services.acknowledge(agent=agent, revision=one)

    now = reading.team_status(team)
    late = reading.team_status(team, now=later(8))

    assert [
        (r.revision.procedure.code, r.acknowledged, r.outstanding, r.overdue) for r in now.revisions
    ] == [
        ("CC-CH-001", 1, 1, 0),
        ("CC-CH-002", 0, 2, 0),
    ]
    assert [(r.acknowledged, r.outstanding, r.overdue) for r in late.revisions] == [
        (1, 0, 1),
        (0, 0, 2),
    ]
    by_agent = {row.agent: (row.acknowledged, len(row.overdue)) for row in late.by_agent}
    assert by_agent == {agent: (1, 1), second_agent: (0, 2)}
    assert two.status == "EFFECTIVE"


def test_supervisors_see_their_teams_and_managers_every_team(
    effective, agent, team, supervisor, supervisor2, manager, client
):
    other = Team.objects.create(name="Team Beta", supervisor=supervisor2)
    effective()

    client.force_login(supervisor)
    own = client.get("/desk/reading/").content.decode()
    not_theirs = client.get("/desk/reading/", {"team": other.pk})
    client.force_login(manager)
    everyone = client.get("/desk/reading/", {"team": other.pk}).content.decode()
    client.force_login(agent)
    by_agent = client.get("/desk/reading/")

    assert "Team Alpha" in own and agent.display_name in own and "Team Beta" not in own
    assert not_theirs.status_code == 404
    assert "Team Beta" in everyone and "Team Alpha" in everyone
    assert by_agent.status_code == 403


def test_the_team_status_downloads_as_csv(effective, agent, team, supervisor, client):
    revision = effective()
    services.acknowledge(agent=agent, revision=revision)
    client.force_login(supervisor)

    response = client.get("/desk/reading/", {"team": team.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    assert response["Content-Type"].startswith("text/csv")
    assert rows[1][:4] == ["Team Alpha", agent.display_name, "CC-CH-001", "1"]
    assert rows[1][7] == "Acknowledged" and rows[1][8]


def test_the_dashboard_queries_do_not_grow_with_agents_or_procedures(
    effective, agent, team, supervisor, client
):
    client.force_login(supervisor)
    effective("CC-CH-001")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/desk/reading/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for i in range(2, 6):
        effective(f"CC-CH-00{i}")
        member = UserFactory(role="Agent")
        member.team = team
        member.save(update_fields=["team"])
    many = queries()

    assert few == many


def test_reminders_go_to_overdue_agents_and_a_summary_to_their_supervisor(
    effective, agent, team, supervisor, django_capture_on_commit_callbacks
):
    revision = effective()
    # Time passes: the revision came into force ten days ago.
    Revision.objects.filter(pk=revision.pk).update(
        effective_at=revision.effective_at - datetime.timedelta(days=10)
    )
    agent.date_joined -= datetime.timedelta(days=30)
    agent.save(update_fields=["date_joined"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_ack_reminders", verbosity=0)

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "CC-CH-001" in by_recipient[agent.email].body
    assert "overdue" in by_recipient[agent.email].subject
    assert agent.display_name in by_recipient[supervisor.email].body
    assert "Team Alpha" in by_recipient[supervisor.email].subject
