"""Every (status, action, role): the allowed ones do exactly what they should; the refused ones
say why and change nothing.

The table ALLOWED is the product's rule, written out independently of the code: an act not in
it must be refused.
"""

import datetime

import pytest
from django.utils import timezone

from procedures import services, workflow
from procedures.models import AuditEvent, Comment, Procedure, Revision, Signature
from tests.factories import (
    PASSWORD,
    UserFactory,
    content,
    make_effective,
    manager,
    new_procedure,
    save,
    sign,
    submit,
)

S = Revision.Status
STATUSES = [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.EFFECTIVE, S.SUPERSEDED, S.WITHDRAWN]
ROLES = ["owner", "other_supervisor", "manager", "controller", "agent"]
DESK = {"owner", "other_supervisor", "manager", "controller"}
ACTIONS = [
    "save_draft",
    "submit",
    "return",
    "comment",
    "sign_reviewed",
    "sign_approved",
    "sign_reviewed_no_change",
    "sign_approved_for_withdrawal",
    "request_withdrawal",
    "start_revision",
]

# action → {status: roles allowed}
ALLOWED = {
    "save_draft": {S.DRAFT: {"owner"}},
    "submit": {S.DRAFT: {"owner"}},
    "return": {S.IN_REVIEW: {"manager"}},
    "comment": {S.DRAFT: DESK, S.IN_REVIEW: DESK},
    "sign_reviewed": {S.IN_REVIEW: {"manager"}},
    "sign_approved": {S.IN_REVIEW: {"manager"}},
    "sign_reviewed_no_change": {S.EFFECTIVE: {"manager"}},
    "sign_approved_for_withdrawal": {S.EFFECTIVE: {"manager"}},
    # a withdrawal is of the procedure: possible while it has a revision in force (a superseded
    # revision's procedure has the newer one)
    "request_withdrawal": {
        S.EFFECTIVE: {"owner", "controller"},
        S.SUPERSEDED: {"owner", "controller"},
    },
    # a new revision starts from any revision once nothing is open (a withdrawn procedure
    # comes back only through a new revision's approval)
    "start_revision": {S.EFFECTIVE: {"owner"}, S.SUPERSEDED: {"owner"}, S.WITHDRAWN: {"owner"}},
}


def revision_in(status: str, owner, signer) -> Revision:
    """A revision in `status`, reached through the real workflow; `signer` approved what was."""
    if status == S.DRAFT:
        return save(new_procedure(owner=owner))
    if status == S.IN_REVIEW:
        return submit(new_procedure(owner=owner))
    if status == S.APPROVED:
        revision = submit(new_procedure(owner=owner))
        sign(revision, signer, effective_at=timezone.now() + datetime.timedelta(days=7))
    else:
        revision = make_effective(new_procedure(owner=owner), signer)
    if status == S.SUPERSEDED:
        make_effective(services.start_revision(procedure=revision.procedure, author=owner), signer)
    if status == S.WITHDRAWN:
        workflow.request_withdrawal(procedure=revision.procedure, actor=owner, reason="Obsolete.")
        sign(revision, signer, meaning="APPROVED_FOR_WITHDRAWAL")
    revision.refresh_from_db()
    assert revision.status == status
    return revision


def act(action: str, revision: Revision, user):
    def signing(meaning):
        return workflow.sign(
            revision=revision,
            signer=user,
            password=PASSWORD,
            meaning=meaning,
            seen_status=revision.status,
        )

    return {
        "save_draft": lambda: services.save_draft(
            revision=revision,
            editor=user,
            content=content(purpose="Changed."),
            lock_version=revision.lock_version,
        ),
        "submit": lambda: workflow.submit(revision=revision, actor=user),
        "return": lambda: workflow.return_for_changes(
            revision=revision, actor=user, comment="Step 2 is unclear."
        ),
        "comment": lambda: services.add_comment(revision=revision, author=user, body="Why?"),
        "sign_reviewed": lambda: signing("REVIEWED"),
        "sign_approved": lambda: signing("APPROVED"),
        "sign_reviewed_no_change": lambda: signing("REVIEWED_NO_CHANGE"),
        "sign_approved_for_withdrawal": lambda: signing("APPROVED_FOR_WITHDRAWAL"),
        "request_withdrawal": lambda: workflow.request_withdrawal(
            procedure=revision.procedure, actor=user, reason="Obsolete."
        ),
        "start_revision": lambda: services.start_revision(
            procedure=revision.procedure, author=user
        ),
    }[action]()


def stored(procedure: Procedure):
    """Everything about the procedure that an act could change."""
    return (
        list(
            procedure.revisions.order_by("number").values_list(
                "number", "status", "lock_version", "purpose", "content_hash"
            )
        ),
        Signature.objects.filter(revision__procedure=procedure).count(),
        Comment.objects.filter(revision__procedure=procedure).count(),
        list(
            Procedure.objects.filter(pk=procedure.pk).values_list(
                "next_review_on", "withdrawal_requested_at", "withdrawn_at"
            )
        ),
        AuditEvent.objects.filter(procedure=procedure).exclude(action="SIGNATURE_FAILED").count(),
    )


@pytest.fixture
def cast(supervisor, supervisor2, controller, agent):
    return {
        "owner": supervisor,
        "other_supervisor": supervisor2,
        "manager": UserFactory(username="reviewer", role="Manager"),
        "controller": controller,
        "agent": agent,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_action_and_role(cast, status, action, role):
    revision = revision_in(status, cast["owner"], manager("approver"))
    if action == "sign_approved_for_withdrawal" and status == S.EFFECTIVE:
        workflow.request_withdrawal(
            procedure=revision.procedure, actor=cast["owner"], reason="Obsolete."
        )
    revision = Revision.objects.select_related("procedure").get(pk=revision.pk)
    before = stored(revision.procedure)
    allowed = role in ALLOWED[action].get(status, set())

    if allowed:
        act(action, revision, cast[role])
        check_done(action, revision, cast[role])
    else:
        with pytest.raises((workflow.TransitionNotAllowed, services.ServiceError)) as refused:
            act(action, revision, cast[role])
        assert refused.value.message.strip()  # a reason in the user's words
        assert stored(revision.procedure) == before  # and nothing changed


def check_done(action: str, revision: Revision, user) -> None:
    """The allowed act did exactly what it should, and is on the audit trail."""
    procedure = revision.procedure
    revision.refresh_from_db()
    procedure.refresh_from_db()
    last = AuditEvent.objects.filter(procedure=procedure).order_by("-pk").first()
    if action == "save_draft":
        assert (revision.status, revision.purpose) == (S.DRAFT, "Changed.")
        assert last.action == "DRAFT_SAVED"
    elif action == "submit":
        assert revision.status == S.IN_REVIEW and revision.content_hash
        assert last.action == "SUBMITTED"
    elif action == "return":
        assert revision.status == S.DRAFT and revision.comments.get().returned
        assert last.action == "RETURNED"
    elif action == "comment":
        assert revision.comments.get().author == user
        assert last.action == "COMMENTED"
    elif action == "sign_reviewed":
        assert revision.status == S.IN_REVIEW
        assert revision.signatures.get().meaning == "REVIEWED"
        assert last.action == "SIGNED"
    elif action == "sign_approved":
        assert revision.status == S.EFFECTIVE
        assert revision.signatures.get().signer == user
        assert last.action == "EFFECTIVE"
    elif action == "sign_reviewed_no_change":
        assert revision.status == S.EFFECTIVE
        assert procedure.next_review_on > timezone.localdate()
        assert last.action == "REVIEWED_NO_CHANGE"
    elif action == "sign_approved_for_withdrawal":
        assert revision.status == S.WITHDRAWN and procedure.withdrawn_at
        assert last.action == "WITHDRAWN"
    elif action == "request_withdrawal":
        assert procedure.withdrawal_requested_at and procedure.withdrawal_requested_by == user
        assert last.action == "WITHDRAWAL_REQUESTED"
    elif action == "start_revision":
        latest = procedure.revisions.order_by("-number").first()
        assert latest.status == S.DRAFT and latest.author == user
        assert last.action == "REVISION_STARTED"
