"""Review and approval through the pages: submit, sign, return, comment, withdraw, the
history tab and the audit trail. Refusals keep what was typed and say why."""

import csv
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procedures import services, workflow
from procedures.models import AuditEvent, Comment, SigningAttempt
from tests.factories import (
    PASSWORD,
    UserFactory,
    make_effective,
    manager,
    new_procedure,
    save,
    sign,
    submit,
)


def url(name, revision):
    return reverse(
        f"desk:{name}", kwargs={"code": revision.procedure.code, "number": revision.number}
    )


def page_of(response) -> str:
    return response.content.decode()


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def sign_data(client, revision, **fields):
    """What the sign form on the revision page posts, as the signer's browser would."""
    html = page_of(client.get(url("revision", revision)))
    data = {
        "meaning": "APPROVED",
        "password": PASSWORD,
        "comment": "",
        "seen_status": hidden(html, "seen_status"),
        "seen_hash": hidden(html, "seen_hash"),
    }
    return data | fields


# ---------------------------------------------------------------- submit


def test_submitting_an_incomplete_draft_lists_what_is_missing(client, supervisor, approver):
    draft = new_procedure(owner=supervisor)
    client.force_login(supervisor)

    response = client.post(url("submit", draft), {"approvers": [approver.pk]})

    assert response.status_code == 400
    html = page_of(response)
    assert "Missing:" in html and "1. Purpose" in html and "7. Training" in html
    draft.refresh_from_db()
    assert draft.status == "DRAFT"


def test_submitting_a_complete_draft_freezes_it_and_notifies(
    client, supervisor, approver, django_capture_on_commit_callbacks
):
    draft = save(new_procedure(owner=supervisor))
    client.force_login(supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("submit", draft), {"approvers": [approver.pk]}, follow=True)

    draft.refresh_from_db()
    assert draft.status == "IN_REVIEW"
    assert list(draft.approvers.all()) == [approver]
    assert "Submitted for review" in page_of(response)
    assert [m.to for m in mail.outbox] == [[approver.email]]
    assert client.get(url("edit", draft)).status_code == 403


def test_submitting_twice_says_it_is_no_longer_a_draft(client, supervisor, approver):
    draft = submit(new_procedure(owner=supervisor))
    client.force_login(supervisor)

    response = client.post(url("submit", draft), {})

    assert response.status_code == 400
    assert "is in review: this is not possible now" in page_of(response)


def test_another_supervisor_cannot_submit(client, supervisor, supervisor2):
    draft = save(new_procedure(owner=supervisor))
    client.force_login(supervisor2)

    response = client.post(url("submit", draft), {})

    assert response.status_code == 403
    assert "Only the author or the owner" in page_of(response)


# ---------------------------------------------------------------- sign


def test_a_wrong_password_keeps_the_comment_and_records_the_attempt(client, supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(approver)
    data = sign_data(client, revision, password="not my password", comment="Checked with QA.")

    response = client.post(url("sign", revision), data)

    assert response.status_code == 400
    html = page_of(response)
    assert "The password is not correct. Nothing was signed." in html
    assert "Checked with QA." in html
    assert "not my password" not in html
    assert SigningAttempt.objects.filter(user=approver).count() == 1
    assert not revision.signatures.exists()


def test_the_right_password_approves_and_the_revision_takes_effect(client, supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(approver)

    response = client.post(
        url("sign", revision), sign_data(client, revision, comment="Good."), follow=True
    )

    revision.refresh_from_db()
    assert revision.status == "EFFECTIVE"
    signature = revision.signatures.get()
    assert (signature.signer_name, signature.meaning, signature.comment) == (
        approver.display_name,
        "APPROVED",
        "Good.",
    )
    assert "Signed “Approved” as" in page_of(response)
    assert "is now effective" in page_of(response)


def test_the_sign_form_says_when_the_revision_changed_since_the_page_loaded(
    client, supervisor, approver
):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(approver)
    data = sign_data(client, revision, comment="Fine by me.")
    other = manager("approver2")
    workflow.return_for_changes(revision=revision, actor=other, comment="Step 2 is unclear.")
    save(revision, purpose="Every caller, every channel.")  # the author changes it
    revision = submit(revision)  # and sends it back: in review again, different content

    response = client.post(url("sign", revision), data)

    assert response.status_code == 400
    html = page_of(response)
    assert "changed while you were reading it" in html
    assert "Fine by me." in html
    assert not revision.signatures.exists()
    assert hidden(html, "seen_hash") == revision.content_hash  # the page now shows what is there


def test_a_revision_returned_meanwhile_gives_the_comment_back(client, supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(approver)
    data = sign_data(client, revision, comment="Approved after the QA call.")
    workflow.return_for_changes(revision=revision, actor=manager("approver2"), comment="No.")

    response = client.post(url("sign", revision), data)

    assert response.status_code == 400
    assert "Your comment, not recorded: “Approved after the QA call.”" in page_of(response)


def test_a_manager_who_also_owns_the_procedure_cannot_sign_it(client, approver):
    both = UserFactory(username="both", role="Supervisor")
    both.groups.add(*approver.groups.all())
    revision = submit(new_procedure(owner=both))
    client.force_login(both)

    response = client.post(url("sign", revision), {"meaning": "APPROVED", "password": PASSWORD})

    assert response.status_code == 403
    assert "another manager must review it" in page_of(response)
    assert not revision.signatures.exists()


def test_the_sign_form_is_only_offered_to_those_who_may_sign(client, supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))

    client.force_login(supervisor)
    assert 'name="password"' not in page_of(client.get(url("revision", revision)))
    client.force_login(approver)
    assert 'name="password"' in page_of(client.get(url("revision", revision)))


# ---------------------------------------------------------------- return and comment


def test_a_return_needs_a_comment_and_keeps_the_choice_of_element(client, supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(approver)

    response = client.post(url("return", revision), {"element": "STEPS", "body": "  "})

    assert response.status_code == 400
    assert re.search(r'value="STEPS"[^>]*selected', page_of(response))
    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW"


def test_a_return_about_a_step_shows_beside_the_steps_in_the_editor(
    client, supervisor, approver, django_capture_on_commit_callbacks
):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("return", revision),
            {"element": "STEPS", "step_key": "b", "body": "Verify before you ask for the account."},
        )

    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.status == "DRAFT"
    comment = revision.comments.get()
    assert (comment.element, comment.step_key, comment.returned) == ("STEPS", "b", True)
    assert mail.outbox[-1].to == [supervisor.email]
    client.force_login(supervisor)
    html = page_of(client.get(url("edit", revision)))
    section = html[html.index('id="el-procedure"') : html.index('id="el-measures"')]
    assert "Verify before you ask for the account." in section
    assert "step 2" in section


def test_a_supervisor_cannot_return_a_revision(client, supervisor, supervisor2, approver):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(supervisor2)

    response = client.post(url("return", revision), {"element": "GENERAL", "body": "No."})

    assert response.status_code == 403
    assert "Only managers review" in page_of(response)
    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW"


def test_anyone_on_the_desk_comments_while_in_review_but_not_after(
    client, supervisor, supervisor2, approver
):
    revision = submit(new_procedure(owner=supervisor))
    client.force_login(supervisor2)

    response = client.post(url("comment", revision), {"element": "SCOPE", "body": "Chat too?"})

    assert response.status_code == 302
    assert Comment.objects.get().element == "SCOPE"
    assert AuditEvent.objects.filter(action="COMMENTED", actor=supervisor2).exists()

    effective = make_effective(new_procedure(owner=supervisor), approver)
    response = client.post(url("comment", effective), {"element": "GENERAL", "body": "Late."})
    assert response.status_code == 400
    assert Comment.objects.count() == 1


# ---------------------------------------------------------------- withdrawal


def test_the_owner_asks_for_a_withdrawal_and_a_manager_approves_it(client, supervisor, approver):
    revision = make_effective(new_procedure(owner=supervisor), approver)
    replacement = make_effective(new_procedure(owner=supervisor, title="New greeting"), approver)
    client.force_login(supervisor)
    withdraw = reverse("desk:withdraw", kwargs={"code": revision.procedure.code})

    refused = client.post(withdraw, {"reason": "", "replaced_by": replacement.procedure.pk})
    assert refused.status_code == 400
    assert re.search(rf'value="{replacement.procedure.pk}"[^>]*selected', page_of(refused))

    response = client.post(
        withdraw,
        {"reason": "Merged into the new greeting.", "replaced_by": replacement.procedure.pk},
    )
    assert response.status_code == 302
    client.force_login(approver)
    data = sign_data(client, revision, meaning="APPROVED_FOR_WITHDRAWAL")
    client.post(url("sign", revision), data)

    revision.refresh_from_db()
    assert revision.status == "WITHDRAWN"
    assert revision.procedure.replaced_by == replacement.procedure


def test_another_supervisor_cannot_ask_for_a_withdrawal(client, supervisor, supervisor2, approver):
    revision = make_effective(new_procedure(owner=supervisor), approver)
    client.force_login(supervisor2)

    response = client.post(
        reverse("desk:withdraw", kwargs={"code": revision.procedure.code}), {"reason": "Old."}
    )

    assert response.status_code == 403
    revision.procedure.refresh_from_db()
    assert revision.procedure.withdrawal_requested_at is None


def test_a_revision_submitted_before_a_withdrawal_cannot_bring_the_procedure_back(
    supervisor, approver
):
    first = make_effective(new_procedure(owner=supervisor), approver)
    second = submit(services.start_revision(procedure=first.procedure, author=supervisor))
    workflow.request_withdrawal(procedure=first.procedure, actor=supervisor, reason="Obsolete.")
    sign(first, approver, meaning="APPROVED_FOR_WITHDRAWAL")

    with pytest.raises(workflow.SignatureRefused, match="was withdrawn on"):
        sign(second, approver)

    second.refresh_from_db()
    assert second.status == "IN_REVIEW" and not second.signatures.exists()


# ---------------------------------------------------------------- the audit trail


def test_the_history_tab_lists_every_act_and_exports_csv(client, supervisor, approver):
    revision = make_effective(new_procedure(owner=supervisor), approver)
    client.force_login(supervisor)
    history = reverse("desk:history", kwargs={"code": revision.procedure.code})

    html = page_of(client.get(history))
    for label in ("Procedure created", "Draft saved", "Submitted", "Signed", "Approved"):
        assert label in html, label

    response = client.get(history, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["when", "who", "action"]
    assert len(rows) - 1 == AuditEvent.objects.filter(procedure=revision.procedure).count()
    assert {approver.display_name, supervisor.display_name} <= {row[1] for row in rows}


def test_the_audit_trail_is_the_controllers_and_filters(client, supervisor, approver, controller):
    first = make_effective(new_procedure(owner=supervisor), approver)
    make_effective(new_procedure(owner=supervisor), approver)
    audit = reverse("desk:audit")

    client.force_login(approver)
    assert client.get(audit).status_code == 403

    client.force_login(controller)
    by_code = client.get(audit, {"procedure": first.procedure.code.lower(), "format": "csv"})
    rows = list(csv.reader(io.StringIO(by_code.content.decode())))[1:]
    assert rows and {row[3] for row in rows} == {first.procedure.code}

    by_person = client.get(audit, {"person": approver.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(by_person.content.decode())))[1:]
    assert rows and {row[1] for row in rows} == {approver.display_name}

    future = client.get(audit, {"from": "2999-01-01", "format": "csv"})
    assert len(list(csv.reader(io.StringIO(future.content.decode())))) == 1

    bad = client.get(audit, {"from": "yesterday"})
    assert bad.status_code == 200
    assert "Dates are written as YYYY-MM-DD." in page_of(bad)


def test_a_csv_cell_cannot_become_a_spreadsheet_formula(client, supervisor, approver, controller):
    revision = submit(new_procedure(owner=supervisor))
    workflow.return_for_changes(revision=revision, actor=approver, comment="=HYPERLINK(1)")
    client.force_login(controller)

    response = client.get(reverse("desk:audit"), {"format": "csv"})

    assert "'=HYPERLINK(1)" in response.content.decode()
    assert ",=HYPERLINK" not in response.content.decode()


def test_the_admin_offers_no_way_to_change_the_record(client):
    from django.contrib import admin

    from procedures.models import Signature, SigningAttempt

    for model in (AuditEvent, Signature, SigningAttempt, Comment):
        assert model not in admin.site._registry, model


def test_review_pages_use_a_constant_number_of_queries(client, supervisor, approver, controller):
    revision = submit(new_procedure(owner=supervisor))
    urls = {
        approver: [
            url("revision", revision),
            reverse("desk:history", kwargs={"code": revision.procedure.code}),
            reverse("desk:index"),
        ],
        controller: [reverse("desk:audit")],
    }

    def count_queries():
        counts = []
        for user, paths in urls.items():
            client.force_login(user)
            for path in paths:
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(path).status_code == 200
                counts.append(len(queries))
        return counts

    few = count_queries()
    for n in range(8):  # more comments, signatures, events and procedures waiting for review
        services.add_comment(revision=revision, author=supervisor, body=f"Note {n}.")
        submit(new_procedure(owner=supervisor))
    sign(revision, approver, meaning="REVIEWED")

    assert count_queries() == few
