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
