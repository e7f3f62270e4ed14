"""The document controller's admin: categories, owners and people; history read-only."""

import pytest
from django.urls import reverse

from procedures.models import AuditEvent, Category, Procedure
from tests.factories import new_procedure, save


@pytest.fixture
def admin_client(client, controller):
    client.force_login(controller)
    return client


def test_document_controller_adds_a_category_with_its_approval_rule_on_the_audit_trail(
    admin_client, controller
):
    response = admin_client.post(
        reverse("admin:procedures_category_add"),
        {
            "name": "Complaints", "order": 5,
            "approval_rule-TOTAL_FORMS": 1, "approval_rule-INITIAL_FORMS": 0,
            "approval_rule-MIN_NUM_FORMS": 0, "approval_rule-MAX_NUM_FORMS": 1,
            "approval_rule-0-approvals_required": 2, "approval_rule-0-review_required": "on",
        },
    )  # fmt: skip

    assert response.status_code == 302
    category = Category.objects.get(name="Complaints")
    assert (category.approval_rule.approvals_required, category.approval_rule.review_required) == (
        2,
        True,
    )
    events = AuditEvent.objects.filter(action="ADMIN_CHANGE", actor=controller).order_by("pk")
    assert [e.target for e in events] == ["category: Complaints", "category: Complaints"]
    assert events[0].changes["name"] == [None, "Complaints"]
    assert events[1].changes["approval rule"][1]["approvals_required"] == 2


def test_document_controller_changes_a_procedures_owner_to_another_supervisor(
    admin_client, supervisor, supervisor2
):
    procedure = new_procedure(owner=supervisor).procedure
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])

    response = admin_client.post(
        url,
        {
            "category": procedure.category.pk,
            "owner": supervisor2.pk,
            "review_interval_months": 6,
            "acknowledge_within_days": 7,
            "language": "en",
        },
    )

    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.owner == supervisor2 and procedure.code.startswith("CC-T-")
    assert procedure.history.latest().history_user.username == "controller"
    event = AuditEvent.objects.get(action="ADMIN_CHANGE", procedure=procedure)
    assert event.changes["owner"] == [supervisor.display_name, supervisor2.display_name]
    assert event.changes["review_interval_months"] == [12, 6]
    event = AuditEvent.objects.get(action="ADMIN_CHANGE", procedure=procedure)
    assert event.changes["owner"] == [supervisor.display_name, supervisor2.display_name]
    assert event.changes["review_interval_months"] == [12, 6]


def test_only_supervisors_can_be_chosen_as_owners(admin_client, supervisor, manager):
    procedure = new_procedure(owner=supervisor).procedure
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])

    response = admin_client.post(
        url, {"category": procedure.category.pk, "owner": manager.pk, "review_interval_months": 12}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.owner == supervisor


def test_revisions_are_read_only_and_nothing_is_deleted_in_the_admin(admin_client, supervisor):
    draft = save(new_procedure(owner=supervisor))

    change = admin_client.get(reverse("admin:procedures_revision_change", args=[draft.pk]))
    delete = admin_client.post(
        reverse("admin:procedures_procedure_delete", args=[draft.procedure.pk]), {"post": "yes"}
    )
    add = admin_client.get(reverse("admin:procedures_revision_add"))

    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert delete.status_code == 403 and add.status_code == 403
    assert Procedure.objects.filter(pk=draft.procedure.pk).exists()


def test_history_can_be_read_but_not_reverted(admin_client, supervisor):
    first = new_procedure(owner=supervisor)
    draft = save(first, purpose="Second wording.")
    record = draft.history.earliest()
    url = reverse("admin:procedures_revision_simple_history", args=[draft.pk, record.history_id])

    listing = admin_client.get(reverse("admin:procedures_revision_history", args=[draft.pk]))
    shown = admin_client.get(url)
    admin_client.post(url, {"title": "Reverted", "purpose": ""})

    assert listing.status_code == 200 and "Draft saved" in listing.content.decode()
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()
    draft.refresh_from_db()
    assert (draft.title, draft.purpose) == ("Answering a call", "Second wording.")


def test_a_document_controller_cannot_make_anyone_a_superuser(admin_client, controller, agent):
    url = reverse("admin:procedures_user_change", args=[agent.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert 'name="is_superuser"' not in response.content.decode()


# --- no account takes over a signer --------------------------------------------------------


def _user_form(person, **changes) -> dict:
    """The change form as the browser posts it for `person`, with `changes`."""
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "is_active": "on" if person.is_active else "",
        "is_staff": "on" if person.is_staff else "",
        "groups": [g.pk for g in person.groups.all()],
        "team": person.team_id or "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    } | changes
    return {k: v for k, v in data.items() if v != ""}


def test_a_document_controller_cannot_set_a_managers_password(admin_client, manager):
    url = reverse("admin:auth_user_password_change", args=[manager.pk])
    old_hash = manager.password

    page = admin_client.get(reverse("admin:procedures_user_change", args=[manager.pk]))
    refused_get = admin_client.get(url)
    refused_post = admin_client.post(
        url, {"password1": "a new long passphrase", "password2": "a new long passphrase"}
    )

    assert "password/" not in page.content.decode()
    assert (refused_get.status_code, refused_post.status_code) == (403, 403)
    manager.refresh_from_db()
    assert manager.password == old_hash


def test_a_superuser_still_sets_a_password(client, manager):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    url = reverse("admin:auth_user_password_change", args=[manager.pk])

    response = client.post(
        url,
        {
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("a new long passphrase")


def test_a_document_controller_cannot_give_themselves_a_role(admin_client, controller):
    from django.contrib.auth.models import Group

    managers = Group.objects.get(name="Manager")
    url = reverse("admin:procedures_user_change", args=[controller.pk])

    admin_client.post(
        url,
        _user_form(
            controller, groups=[*controller.groups.values_list("pk", flat=True), managers.pk]
        ),
    )

    assert not controller.groups.filter(name="Manager").exists()


def test_a_document_controller_cannot_change_a_superuser(admin_client):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    url = reverse("admin:procedures_user_change", args=[root.pk])

    response = admin_client.post(url, _user_form(root, email="controller@example.com"))

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.com"


def test_a_document_controller_cannot_redirect_a_signers_password_reset(admin_client, manager):
    url = reverse("admin:procedures_user_change", args=[manager.pk])

    admin_client.post(url, _user_form(manager, email="controller@example.com", first_name="Jim"))

    manager.refresh_from_db()
    assert (manager.email, manager.first_name) == ("manager@example.com", "Jim")


def test_role_changes_are_audited_and_mailed_to_the_person_and_the_other_controllers(
    admin_client, controller, agent, mailoutbox, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    other = UserFactory(username="controller2", role="Document controller")
    supervisors = Group.objects.get(name="Supervisor")
    url = reverse("admin:procedures_user_change", args=[agent.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            _user_form(agent, groups=[*agent.groups.values_list("pk", flat=True), supervisors.pk]),
        )

    assert response.status_code == 302
    assert agent.groups.filter(name="Supervisor").exists()
    events = AuditEvent.objects.filter(action="ADMIN_CHANGE", target="user: Dewi Lestari")
    assert [e.changes["groups"] for e in events if "groups" in e.changes] == [
        [["Agent"], ["Agent", "Supervisor"]]
    ]
    (mail,) = mailoutbox
    assert "Roles changed for Dewi Lestari" in mail.subject
    assert set(mail.to) == {agent.email, other.email}
    assert "“Agent” to “Agent, Supervisor”" in mail.body


def test_a_document_controller_adds_a_person_without_knowing_their_password(
    admin_client, controller
):
    response = admin_client.post(
        reverse("admin:procedures_user_add"),
        {
            "username": "newagent",
            "first_name": "Ana",
            "last_name": "Lim",
            "email": "ana@example.com",
        },
    )

    assert response.status_code == 302
    from procedures.models import User

    person = User.objects.get(username="newagent")
    assert not person.has_usable_password()


def test_workflow_dates_of_a_procedure_are_read_only_in_the_admin(admin_client, supervisor):
    procedure = save(new_procedure(owner=supervisor)).procedure
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])

    page = admin_client.get(url).content.decode()

    for name in ("next_review_on", "withdrawn_at", "withdrawal_reason", "replaced_by"):
        assert f'name="{name}"' not in page


def test_a_document_controller_sets_even_their_own_password_only_with_the_old_one(
    admin_client, controller
):
    url = reverse("admin:auth_user_password_change", args=[controller.pk])

    assert admin_client.get(url).status_code == 403


def test_a_password_set_by_a_superuser_is_audited_and_the_person_told(
    client, manager, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:auth_user_password_change", args=[manager.pk]),
            {
                "password1": "a new long passphrase",
                "password2": "a new long passphrase",
                "usable_password": "true",
            },
        )

    event = AuditEvent.objects.get(action="ADMIN_CHANGE", target="user: James Okafor")
    assert event.actor == root and event.changes["password"][1] == "set by an administrator"
    (mail,) = mailoutbox
    assert mail.to == [manager.email] and "set a new password" in mail.body
