"""The revision workflow: every transition, its refusals, its signatures and its audit trail."""

import datetime

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from procedures import review_rules, selectors, services, workflow
from procedures.content import canonical_hash
from procedures.models import (
    ApprovalRule,
    AuditEvent,
    Comment,
    Revision,
    Signature,
    SigningAttempt,
    Step,
)
from tests.factories import (
    PASSWORD,
    UserFactory,
    make_effective,
    new_procedure,
    save,
    sign,
    submit,
)


def actions(revision):
    return list(
        AuditEvent.objects.filter(revision=revision).order_by("pk").values_list("action", flat=True)
    )


def time_machine(moment):
    """timezone.now() returns `moment` inside the block (what the seed's `as_of` does too)."""
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=moment)


# ---------------------------------------------------------------- submit


def test_an_incomplete_draft_is_refused_element_by_element_and_nothing_changes(
    supervisor, approver
):
    draft = new_procedure(owner=supervisor)
    before = actions(draft)

    with pytest.raises(workflow.IncompleteRevision) as refused:
        workflow.submit(revision=draft, actor=supervisor)

    assert refused.value.missing == [
        "1. Purpose", "2. Scope", "3. Responsibilities", "4. Procedure: at least one step",
        "5. Performance measures: at least one measure with a target", "7. Training",
    ]  # fmt: skip
    draft.refresh_from_db()
    assert draft.status == "DRAFT" and actions(draft) == before


def test_a_later_revision_needs_a_change_summary(supervisor, approver):
    first = make_effective(new_procedure(owner=supervisor), approver)
    second = services.start_revision(procedure=first.procedure, author=supervisor)

    with pytest.raises(workflow.IncompleteRevision) as refused:
        workflow.submit(revision=second, actor=supervisor)

    assert refused.value.missing == ["a change summary (what changed and why)"]


def test_submitting_freezes_and_hashes_the_content_and_notifies_the_approvers(
    supervisor, approver, mailoutbox, django_capture_on_commit_callbacks
):
    draft = save(new_procedure(owner=supervisor))

    with django_capture_on_commit_callbacks(execute=True):
        submitted = workflow.submit(revision=draft, actor=supervisor, approvers=[approver])

    assert submitted.status == "IN_REVIEW" and submitted.submitted_at
    assert submitted.content_hash == canonical_hash(submitted)
    assert list(submitted.approvers.all()) == [approver]
    assert actions(submitted)[-1] == "SUBMITTED"
    assert [m.to for m in mailoutbox] == [[approver.email]]
    with pytest.raises(services.NotAllowed):
        save(submitted, purpose="Changed after submission")
    submitted.refresh_from_db()
    assert submitted.purpose == "Every caller is greeted the same way."


def test_only_the_author_or_owner_submits(supervisor, supervisor2, approver):
    draft = save(new_procedure(owner=supervisor))

    with pytest.raises(workflow.TransitionNotAllowed, match="Only the author or the owner"):
        workflow.submit(revision=draft, actor=supervisor2)

    draft.refresh_from_db()
    assert draft.status == "DRAFT"


def test_an_approver_must_be_an_eligible_manager(supervisor, supervisor2, approver):
    draft = save(new_procedure(owner=supervisor))

    with pytest.raises(workflow.TransitionNotAllowed, match="cannot approve this revision"):
        workflow.submit(revision=draft, actor=supervisor, approvers=[supervisor2])

    draft.refresh_from_db()
    assert draft.status == "DRAFT"


# ---------------------------------------------------------------- return and comments


def test_returning_needs_a_comment_and_sends_the_draft_back_with_it(
    supervisor, approver, mailoutbox, django_capture_on_commit_callbacks
):
    revision = submit(new_procedure(owner=supervisor))

    with pytest.raises(workflow.TransitionNotAllowed, match="a return needs a comment"):
        workflow.return_for_changes(revision=revision, actor=approver, comment="  ")
    with django_capture_on_commit_callbacks(execute=True):
        returned = workflow.return_for_changes(
            revision=revision,
            actor=approver,
            comment="Step 2 should say how.",
            element="STEPS",
            step_key="b",
        )

    assert returned.status == "DRAFT"
    comment = Comment.objects.get(revision=returned)
    assert (comment.element, comment.step_key, comment.returned) == ("STEPS", "b", True)
    assert actions(returned)[-1] == "RETURNED"
    assert (
        AuditEvent.objects.filter(revision=returned, action="RETURNED").get().reason
        == "Step 2 should say how."
    )
    assert supervisor.email in mailoutbox[0].to
    save(returned, purpose="Fixed.")  # a returned draft can be edited again


def test_comments_are_on_the_audit_trail_and_closed_once_approved(supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))

    services.add_comment(revision=revision, author=approver, body="Looks good.", element="PURPOSE")
    sign(revision, approver)

    assert AuditEvent.objects.filter(revision=revision, action="COMMENTED").count() == 1
    with pytest.raises(services.NotAllowed, match="comments are closed"):
        services.add_comment(revision=revision, author=supervisor, body="Too late")


# ---------------------------------------------------------------- signatures


def test_the_final_approval_makes_the_revision_effective_at_once(supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))

    signature = sign(revision, approver, comment="Fine.")

    revision.refresh_from_db()
    assert revision.status == "EFFECTIVE" and revision.approved_at and revision.effective_at
    assert (signature.signer_name, signature.meaning, signature.comment) == (
        approver.display_name,
        "APPROVED",
        "Fine.",
    )
    assert signature.content_hash == canonical_hash(revision)
    assert revision.procedure.next_review_on == review_rules.months_later(timezone.localdate(), 12)
    assert actions(revision)[-3:] == ["SIGNED", "APPROVED", "EFFECTIVE"]


def test_a_wrong_password_is_refused_recorded_and_signs_nothing(supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))

    with pytest.raises(workflow.SignatureRefused, match="The password is not correct"):
        workflow.sign(
            revision=revision,
            signer=approver,
            password="wrong",
            meaning="APPROVED",
            seen_status="IN_REVIEW",
        )

    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW" and not revision.signatures.exists()
    assert SigningAttempt.objects.filter(user=approver).count() == 1
    assert actions(revision)[-1] == "SIGNATURE_FAILED"


def test_five_wrong_passwords_lock_signing_for_15_minutes_and_tell_controller_and_owner(
    supervisor, approver, controller, mailoutbox, django_capture_on_commit_callbacks
):
    revision = submit(new_procedure(owner=supervisor))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            with pytest.raises(workflow.SignatureRefused):
                workflow.sign(
                    revision=revision,
                    signer=approver,
                    password="nope",
                    meaning="APPROVED",
                    seen_status="IN_REVIEW",
                )

    with pytest.raises(
        workflow.SigningLocked, match="This account is locked after five wrong passwords"
    ):
        sign(revision, approver)  # even with the right password

    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW"
    assert AuditEvent.objects.filter(action="SIGNING_LOCKED", actor=approver).count() == 1
    locked_mail = [m for m in mailoutbox if m.subject.startswith("Account locked")]
    assert {a for m in locked_mail for a in m.to} == {
        approver.email,
        controller.email,
        supervisor.email,  # the owner of the procedure being signed
    }
    assert revision.procedure.code in locked_mail[0].body
    later = timezone.now() + datetime.timedelta(minutes=16)
    assert SigningAttempt.objects.filter(user=approver).count() == 5  # all stay on record
    assert review_rules.signing_locked_until(approver) <= later


def test_nobody_signs_what_they_wrote_or_edited(supervisor, approver):
    writer = UserFactory(username="writer", role="Manager")
    writer.groups.add(*supervisor.groups.all())  # a manager who is also a supervisor
    draft = new_procedure(owner=writer)
    revision = submit(draft)

    with pytest.raises(workflow.SignatureRefused, match="You wrote or edited this revision"):
        sign(revision, writer)

    assert not revision.signatures.exists()


def test_only_managers_sign(supervisor, supervisor2, approver):
    revision = submit(new_procedure(owner=supervisor))

    with pytest.raises(workflow.SignatureRefused, match="Only managers sign"):
        sign(revision, supervisor2)


def test_the_same_meaning_cannot_be_signed_twice(supervisor, approver, second_approver):
    ApprovalRule.objects.create(
        category=new_procedure(owner=supervisor, code="CC-X-001").procedure.category,
        approvals_required=2,
    )
    revision = submit(Revision.objects.get(procedure__code="CC-X-001"))
    sign(revision, approver)

    with pytest.raises(workflow.SignatureRefused, match="already signed"):
        sign(revision, approver)

    assert revision.signatures.count() == 1


def test_two_approvals_are_needed_when_the_rule_says_so(supervisor, approver, second_approver):
    draft = new_procedure(owner=supervisor)
    ApprovalRule.objects.create(category=draft.procedure.category, approvals_required=2)
    revision = submit(draft)

    sign(revision, approver)
    revision.refresh_from_db()
    assert revision.status == "IN_REVIEW"
    sign(revision, second_approver)

    revision.refresh_from_db()
    assert revision.status == "EFFECTIVE"


def test_a_reviewed_signature_comes_first_when_the_rule_says_so(
    supervisor, approver, second_approver
):
    draft = new_procedure(owner=supervisor)
    ApprovalRule.objects.create(category=draft.procedure.category, review_required=True)
    revision = submit(draft)

    with pytest.raises(workflow.SignatureRefused, match="needs a “Reviewed” signature"):
        sign(revision, approver)
    sign(revision, second_approver, meaning="REVIEWED")
    sign(revision, approver)

    revision.refresh_from_db()
    assert revision.status == "EFFECTIVE"


def test_only_the_chosen_approvers_approve(supervisor, approver, second_approver):
    revision = submit(new_procedure(owner=supervisor), approvers=[approver])

    with pytest.raises(workflow.SignatureRefused, match="chose other managers"):
        sign(revision, second_approver)
    sign(revision, second_approver, meaning="REVIEWED")  # anyone eligible may review

    assert revision.signatures.get().meaning == "REVIEWED"


def test_a_signer_acts_on_the_state_they_saw(supervisor, approver, second_approver):
    revision = submit(new_procedure(owner=supervisor))
    workflow.return_for_changes(revision=revision, actor=second_approver, comment="Redo step 1.")

    with pytest.raises(workflow.SignatureRefused) as refused:
        workflow.sign(
            revision=revision,
            signer=approver,
            password=PASSWORD,
            meaning="APPROVED",
            seen_status="IN_REVIEW",
        )

    assert "changed while you were reading it" in refused.value.message
    assert second_approver.display_name in refused.value.message
    assert not revision.signatures.exists()


def test_a_signature_shows_invalid_when_the_content_no_longer_matches(client, supervisor, approver):
    revision = make_effective(new_procedure(owner=supervisor), approver)
    step = revision.steps.get(key="a")
    step.text = "Tampered with, outside SOP Desk."
    Step.save(step)  # as if someone edited the database directly
    client.force_login(approver)

    response = client.get(revision.get_absolute_url())

    assert "INVALID" in response.content.decode()
    assert not review_rules.valid_signatures(revision, "APPROVED")


# ---------------------------------------------------------------- effective dates


def test_a_future_effective_date_waits_for_publish_due(supervisor, approver):
    first = make_effective(new_procedure(owner=supervisor), approver)
    second = services.start_revision(procedure=first.procedure, author=supervisor)
    save(second, change_summary="Clearer.")
    second = submit(second)
    when = timezone.now() + datetime.timedelta(days=3)

    sign(second, approver, effective_at=when)

    second.refresh_from_db()
    assert second.status == "APPROVED" and second.effective_at == when
    assert workflow.publish_due() == 0
    assert workflow.publish_due(now=when + datetime.timedelta(seconds=1)) == 1
    assert workflow.publish_due(now=when + datetime.timedelta(seconds=1)) == 0  # idempotent
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("SUPERSEDED", "EFFECTIVE")
    assert AuditEvent.objects.filter(revision=first, action="SUPERSEDED").count() == 1


def test_what_is_in_force_follows_the_effective_date_even_before_publish_due(
    client, supervisor, approver
):
    first = make_effective(new_procedure(owner=supervisor), approver)
    second = submit(services.start_revision(procedure=first.procedure, author=supervisor))
    when = timezone.now() + datetime.timedelta(days=3)
    sign(second, approver, effective_at=when)

    def in_force(at=None):
        return selectors.in_force(at, first.procedure.revisions.all())

    assert list(in_force()) == [first]  # its date has not come
    assert list(in_force(at=when + datetime.timedelta(seconds=1))) == [second]  # it has
    assert list(in_force(at=when - datetime.timedelta(seconds=1))) == [first]
    for moment in (
        None,
        when - datetime.timedelta(seconds=1),
        when + datetime.timedelta(seconds=1),
    ):
        assert selectors.revision_in_force(first.procedure, moment) == in_force(at=moment).get()
    client.force_login(approver)
    with time_machine(when + datetime.timedelta(minutes=1)):
        page = client.get(first.procedure.get_absolute_url()).content.decode()
    assert f'rev/{second.number}/">Revision {second.number}</a>' in page  # before publish_due


def test_an_effective_date_in_the_past_is_refused(supervisor, approver):
    revision = submit(new_procedure(owner=supervisor))

    with pytest.raises(workflow.SignatureRefused, match="cannot be in the past"):
        sign(revision, approver, effective_at=timezone.now() - datetime.timedelta(days=1))

    assert not revision.signatures.exists()


# ---------------------------------------------------------------- periodic review and withdrawal


def test_reviewed_no_change_renews_the_review_date(supervisor, approver, second_approver):
    revision = make_effective(new_procedure(owner=supervisor), approver)
    procedure = revision.procedure
    procedure.next_review_on = timezone.localdate() - datetime.timedelta(days=3)
    procedure.save(update_fields=["next_review_on"])

    sign(revision, second_approver, meaning="REVIEWED_NO_CHANGE")

    procedure.refresh_from_db()
    assert procedure.next_review_on == review_rules.months_later(timezone.localdate(), 12)
    assert actions(revision)[-1] == "REVIEWED_NO_CHANGE"
    revision.refresh_from_db()
    assert revision.status == "EFFECTIVE"


def test_a_withdrawal_is_requested_then_approved_with_a_signature(supervisor, approver):
    revision = make_effective(new_procedure(owner=supervisor), approver)

    with pytest.raises(workflow.SignatureRefused, match="Nobody has asked"):
        sign(revision, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    workflow.request_withdrawal(
        procedure=revision.procedure, actor=supervisor, reason="Replaced by the new CRM process."
    )
    sign(revision, approver, meaning="APPROVED_FOR_WITHDRAWAL")

    revision.refresh_from_db()
    assert revision.status == "WITHDRAWN" and revision.procedure.withdrawn_at
    assert AuditEvent.objects.filter(
        procedure=revision.procedure, action="WITHDRAWAL_REQUESTED"
    ).exists()
    assert actions(revision)[-1] == "WITHDRAWN"


def test_only_a_procedure_in_force_can_be_withdrawn(supervisor):
    draft = new_procedure(owner=supervisor)

    with pytest.raises(workflow.TransitionNotAllowed, match="Only a procedure in force"):
        workflow.request_withdrawal(procedure=draft.procedure, actor=supervisor, reason="Obsolete")


# ---------------------------------------------------------------- the append-only record


@pytest.mark.parametrize("model", [AuditEvent, Signature])
def test_the_record_cannot_be_updated_in_the_database(supervisor, approver, model):
    make_effective(new_procedure(owner=supervisor), approver)
    row = model.objects.first()

    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(
            **{"reason" if model is AuditEvent else "comment": "rewritten"}
        )

    assert model.objects.filter(pk=row.pk).exists()


def test_the_record_cannot_be_deleted_on_postgresql(supervisor, approver, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite keeps DELETE open for the test runner's table flush (see migration 0004)"
        )
    make_effective(new_procedure(owner=supervisor), approver)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.exists()


def test_history_rows_cannot_be_rewritten(supervisor):
    draft = save(new_procedure(owner=supervisor))

    with pytest.raises(DatabaseError), transaction.atomic():
        Revision.history.filter(id=draft.pk).update(history_change_reason="rewritten")


def test_every_append_only_table_has_its_trigger(db):
    from django.apps import apps
    from django.db import connection

    names = [
        "AuditEvent",
        "Signature",
        "SigningAttempt",
        "Comment",
        "Rendition",
        "Acknowledgement",
        "FeedbackReply",
        "RevisionImage",
        "LoginAttempt",
        "AccountUnlock",
        "AddressUnlock",
    ]
    names += [
        m.__name__
        for m in apps.get_app_config("procedures").get_models()
        if m.__name__.startswith("Historical")
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}

    expected = {
        f"{apps.get_model('procedures', name)._meta.db_table}_append_only" for name in names
    }
    assert len(expected) == 18
    assert expected <= triggers


def test_a_long_change_summary_is_kept_whole_on_the_audit_trail(supervisor, approver):
    first = make_effective(new_procedure(owner=supervisor), approver)
    summary = "Reworded every step after the calibration session. " * 6  # ~300 characters
    second = save(
        services.start_revision(procedure=first.procedure, author=supervisor),
        change_summary=summary,
    )

    second = submit(second)

    assert second.status == "IN_REVIEW"
    event = AuditEvent.objects.filter(revision=second, action="SUBMITTED").get()
    assert event.reason.strip() == summary.strip()
    history_reason = second.history.first().history_change_reason
    assert len(history_reason) == 100 and history_reason.endswith("…")
