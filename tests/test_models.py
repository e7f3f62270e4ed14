"""The database holds the invariants: each constraint refuses the wrong state.

Every negative test starts from a state the workflow reaches, then writes one row that is
valid in every other respect and breaks exactly one constraint. It asserts the refusal (on
PostgreSQL by the constraint's name, so another constraint firing first fails the test) and
that nothing stored changed. Each family has a positive control: the same kind of row,
without the fault, saves.

Proven by mutation (issue 12): with one constraint removed from a model's Meta, exactly its
test fails. The CheckConstraints and UniqueConstraints are built from the models, so they can
be checked with `--no-migrations -k "not append_only"`; the append-only triggers come from
migrations only (0004 and _append_only.py), so their tests need the migrated database.
"""

import datetime
import uuid

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.test import override_settings
from django.utils import timezone

from procedures import feedback, lockout, render_checks, services, workflow
from procedures.models import (
    AccountUnlock,
    Acknowledgement,
    AddressUnlock,
    ApprovalRule,
    Attachment,
    AuditEvent,
    Category,
    Comment,
    DocumentImport,
    Feedback,
    FeedbackReply,
    LoginAttempt,
    ManualBuild,
    Procedure,
    ProcedureTemplate,
    RenderCheck,
    Rendition,
    Revision,
    RevisionImage,
    SearchDocument,
    Signature,
    SigningAttempt,
    Step,
    Team,
    code_validator,
)
from procedures.permissions import ROLES
from tests.factories import (
    CategoryFactory,
    make_effective,
    manager,
    new_procedure,
    save,
    sign,
    submit,
)

HASH = "0" * 64


@pytest.fixture(autouse=True)
def role_groups(db):
    """The role groups come from migration 0002; made sure of here so that this module also
    runs on tables built straight from the models (--no-migrations), as the mutation runs do."""
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def _table(model) -> list[dict]:
    """Every stored row of `model`, to compare before and after a refused write."""
    return list(model._default_manager.order_by("pk").values())


def _refused(constraint: str, write) -> None:
    """`write` fails on `constraint`; its savepoint is rolled back so the test can go on.

    PostgreSQL names the constraint that fired; SQLite names a CHECK but reports a UNIQUE by
    its columns, so there a unique refusal is asserted without the name.
    """
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        write()
    message = str(refusal.value)
    if connection.vendor == "postgresql" or message.startswith("CHECK constraint failed"):
        assert constraint in message


def _reach(status: str, owner) -> Revision:
    """Revision 1 of a new procedure, taken to `status` through the real workflow."""
    revision = new_procedure(owner=owner)
    approver = manager()  # submitting needs a manager who can approve
    if status == "IN_REVIEW":
        submit(revision)
    elif status == "APPROVED":
        tomorrow = timezone.now() + datetime.timedelta(days=1)
        sign(submit(revision), approver, effective_at=tomorrow)
    elif status in ("EFFECTIVE", "SUPERSEDED", "WITHDRAWN"):
        make_effective(revision)
    if status == "SUPERSEDED":
        make_effective(services.start_revision(procedure=revision.procedure, author=owner))
    elif status == "WITHDRAWN":
        workflow.request_withdrawal(procedure=revision.procedure, actor=owner, reason="Obsolete")
        sign(revision, approver, meaning="APPROVED_FOR_WITHDRAWAL")
    revision.refresh_from_db()
    assert revision.status == status
    return revision


def _revision_values(procedure: Procedure, status: str = "DRAFT", **overrides) -> dict:
    """A new revision row as the workflow would leave it in `status`, numbered next."""
    now = timezone.now()
    values = {
        "procedure": procedure,
        "number": (procedure.revisions.aggregate(top=Max("number"))["top"] or 0) + 1,
        "title": "Answering a call",
        "author": procedure.owner,
        "status": status,
    }
    if status != "DRAFT":
        values |= {"submitted_at": now, "content_hash": HASH}
    if status not in ("DRAFT", "IN_REVIEW"):
        values |= {"approved_at": now, "effective_at": now}
    return values | overrides


def _withdrawn_procedure(owner) -> Procedure:
    """A procedure with neither an open nor an effective revision: any new row may join it."""
    return _reach("WITHDRAWN", owner).procedure


# ---------------------------------------------------------------- procedure codes (no table)


@pytest.mark.parametrize("code", ["CC-QM-003", "HR-1", "CC-CH-001-A", "IT-OUTAGE-12"])
def test_code_validator_accepts_stable_codes(code):
    code_validator(code)


@pytest.mark.parametrize(
    "code", ["cc-qm-003", "CCQM003", "CC--1", "-CC-1", "CC-QM-003-", "CC QM 003", "CC-QM-<b>"]
)
def test_code_validator_refuses_malformed_codes(code):
    with pytest.raises(ValidationError):
        code_validator(code)


# ---------------------------------------------------------------- procedures


@pytest.mark.parametrize("months", [1, 60])
def test_a_procedure_with_a_new_code_and_an_interval_of_1_to_60_months_saves(supervisor, months):
    new_procedure(owner=supervisor, code="CC-QM-003")

    Procedure.objects.create(
        code="CC-QM-004",
        category=CategoryFactory(),
        owner=supervisor,
        review_interval_months=months,
    )

    assert Procedure.objects.count() == 2


@pytest.mark.parametrize("code", ["CC-QM-003", "cc-qm-003", "Cc-Qm-003"])
def test_a_procedure_code_is_unique_whatever_its_case(supervisor, code):
    existing = new_procedure(owner=supervisor, code="CC-QM-003").procedure
    before = _table(Procedure)

    _refused(
        "procedure_code_unique_case_insensitive",
        lambda: Procedure.objects.create(code=code, category=existing.category, owner=supervisor),
    )

    assert _table(Procedure) == before


@pytest.mark.parametrize("months", [0, 61])
def test_a_review_interval_is_between_1_and_60_months(supervisor, months):
    new_procedure(owner=supervisor)
    before = _table(Procedure)

    _refused(
        "procedure_review_interval_in_range",
        lambda: Procedure.objects.create(
            code="CC-X-1",
            category=CategoryFactory(),
            owner=supervisor,
            review_interval_months=months,
        ),
    )

    assert _table(Procedure) == before


# ---------------------------------------------------------------- revisions


@pytest.mark.parametrize(
    "status", ["DRAFT", "IN_REVIEW", "APPROVED", "EFFECTIVE", "SUPERSEDED", "WITHDRAWN"]
)
def test_a_revision_with_the_dates_its_status_needs_saves(supervisor, status):
    procedure = _withdrawn_procedure(supervisor)

    revision = Revision.objects.create(**_revision_values(procedure, status))

    assert procedure.revisions.get(number=2) == revision


def test_revision_numbers_are_unique_within_a_procedure(supervisor):
    procedure = _withdrawn_procedure(supervisor)
    before = _table(Revision)

    _refused(
        "revision_number_unique_per_procedure",
        lambda: Revision.objects.create(**_revision_values(procedure, number=1)),
    )

    assert _table(Revision) == before


def test_revision_numbers_start_at_one(supervisor):
    procedure = _withdrawn_procedure(supervisor)
    before = _table(Revision)

    _refused(
        "revision_number_positive",
        lambda: Revision.objects.create(**_revision_values(procedure, number=0)),
    )

    assert _table(Revision) == before


@pytest.mark.parametrize("status", ["PUBLISHED", "effective", ""])
def test_a_revision_status_must_be_a_known_status(supervisor, status):
    procedure = _withdrawn_procedure(supervisor)
    before = _table(Revision)

    _refused(
        "revision_status_valid",
        lambda: Revision.objects.create(**_revision_values(procedure, status)),
    )

    assert _table(Revision) == before


@pytest.mark.parametrize("step_format", ["MINDMAP", "simple"])
def test_a_step_format_must_be_a_known_format(supervisor, step_format):
    procedure = _withdrawn_procedure(supervisor)
    before = _table(Revision)

    _refused(
        "revision_step_format_valid",
        lambda: Revision.objects.create(**_revision_values(procedure, step_format=step_format)),
    )

    assert _table(Revision) == before


def test_a_procedure_has_at_most_one_effective_revision(supervisor):
    first = make_effective(new_procedure(owner=supervisor))
    second = submit(services.start_revision(procedure=first.procedure, author=supervisor))
    sign(second, manager(), effective_at=timezone.now() + datetime.timedelta(days=1))
    before = _table(Revision)

    _refused(
        "one_effective_revision_per_procedure",
        lambda: Revision.objects.filter(pk=second.pk).update(status="EFFECTIVE"),
    )

    assert _table(Revision) == before
    assert list(first.procedure.revisions.order_by("number").values_list("status", flat=True)) == [
        "EFFECTIVE",
        "APPROVED",
    ]


@pytest.mark.parametrize("new_status", ["DRAFT", "IN_REVIEW", "APPROVED"])
@pytest.mark.parametrize("open_status", ["DRAFT", "IN_REVIEW", "APPROVED"])
def test_a_procedure_has_at_most_one_open_revision(supervisor, open_status, new_status):
    procedure = _reach(open_status, supervisor).procedure
    before = _table(Revision)

    _refused(
        "one_open_revision_per_procedure",
        lambda: Revision.objects.create(**_revision_values(procedure, new_status)),
    )

    assert _table(Revision) == before


@pytest.mark.parametrize(
    "status", ["IN_REVIEW", "APPROVED", "EFFECTIVE", "SUPERSEDED", "WITHDRAWN"]
)
def test_a_revision_past_draft_keeps_its_submission_time(supervisor, status):
    revision = _reach(status, supervisor)
    before = _table(Revision)

    _refused(
        "submitted_revision_has_submission_time",
        lambda: Revision.objects.filter(pk=revision.pk).update(submitted_at=None),
    )

    assert _table(Revision) == before


@pytest.mark.parametrize("status", ["APPROVED", "EFFECTIVE", "SUPERSEDED"])
def test_an_approved_revision_keeps_its_approval_time(supervisor, status):
    revision = _reach(status, supervisor)
    before = _table(Revision)

    _refused(
        "approved_revision_has_approval_time",
        lambda: Revision.objects.filter(pk=revision.pk).update(approved_at=None),
    )

    assert _table(Revision) == before


@pytest.mark.parametrize("status", ["EFFECTIVE", "SUPERSEDED"])
def test_an_effective_revision_keeps_its_effective_date(supervisor, status):
    revision = _reach(status, supervisor)
    before = _table(Revision)

    _refused(
        "effective_revision_has_effective_date",
        lambda: Revision.objects.filter(pk=revision.pk).update(effective_at=None),
    )

    assert _table(Revision) == before


# ---------------------------------------------------------------- steps


def _step(revision: Revision, **fields) -> Step:
    values = {"revision": revision, "key": "z", "position": 9, "text": "Close the call."}
    return Step.objects.create(**values | fields)


def test_steps_of_every_kind_and_level_save_with_their_targets(supervisor):
    draft = save(new_procedure(owner=supervisor))
    other = save(new_procedure(owner=supervisor))
    first, second = draft.ordered_steps()

    _step(draft, key="c", kind="DECISION", yes_target=first, no_target=second)
    _step(draft, key="d", kind="ACTION", level=4, next_target=first)
    _step(draft, key="e", kind="END", level=1)

    assert [s.key for s in draft.ordered_steps()] == ["a", "b", "c", "d", "e"]
    assert [s.key for s in other.ordered_steps()] == ["a", "b"]


def test_step_keys_are_unique_within_a_revision(supervisor):
    draft = save(new_procedure(owner=supervisor))
    before = _table(Step)

    _refused("step_key_unique_per_revision", lambda: _step(draft, key="a"))

    assert _table(Step) == before


@pytest.mark.parametrize("level", [0, 5])
def test_a_step_level_is_between_1_and_4(supervisor, level):
    draft = save(new_procedure(owner=supervisor))
    before = _table(Step)

    _refused("step_level_in_range", lambda: _step(draft, level=level))

    assert _table(Step) == before


@pytest.mark.parametrize("kind", ["LOOP", "action"])
def test_a_step_kind_must_be_known(supervisor, kind):
    draft = save(new_procedure(owner=supervisor))
    before = _table(Step)

    _refused("step_kind_valid", lambda: _step(draft, kind=kind))

    assert _table(Step) == before


@pytest.mark.parametrize("target", ["yes_target", "no_target"])
@pytest.mark.parametrize("kind", ["ACTION", "END"])
def test_only_a_decision_has_yes_and_no_targets(supervisor, kind, target):
    draft = save(new_procedure(owner=supervisor))
    first = draft.ordered_steps()[0]
    before = _table(Step)

    _refused(
        "only_decisions_have_yes_no_targets", lambda: _step(draft, kind=kind, **{target: first})
    )

    assert _table(Step) == before


# ---------------------------------------------------------------- approval rules


def test_approval_rules_asking_for_1_to_5_approvals_save(db):
    ApprovalRule.objects.create(category=CategoryFactory(), approvals_required=1)
    ApprovalRule.objects.create(category=CategoryFactory(), approvals_required=5)

    assert ApprovalRule.objects.count() == 2


@pytest.mark.parametrize("approvals", [0, 6])
def test_an_approval_rule_asks_for_1_to_5_approvals(db, approvals):
    before = _table(ApprovalRule)

    _refused(
        "approval_rule_approvals_in_range",
        lambda: ApprovalRule.objects.create(
            category=CategoryFactory(), approvals_required=approvals
        ),
    )

    assert _table(ApprovalRule) == before


def test_a_category_has_one_approval_rule(db):
    rule = ApprovalRule.objects.create(category=CategoryFactory(), approvals_required=2)
    before = _table(ApprovalRule)

    _refused(
        "category_id_key",
        lambda: ApprovalRule.objects.create(category=rule.category, approvals_required=1),
    )

    assert _table(ApprovalRule) == before


# ---------------------------------------------------------------- signatures


def _signature_values(signature: Signature, **overrides) -> dict:
    fields = ("revision", "signer", "signer_name", "meaning", "content_hash")
    return {name: getattr(signature, name) for name in fields} | overrides


def test_signatures_of_other_meanings_signers_or_content_save(supervisor, approver):
    signature = make_effective(new_procedure(owner=supervisor), approver).signatures.get()
    second = manager("approver2")

    Signature.objects.create(**_signature_values(signature, meaning="REVIEWED_NO_CHANGE"))
    Signature.objects.create(**_signature_values(signature, signer=second))
    Signature.objects.create(**_signature_values(signature, content_hash=HASH))

    assert Signature.objects.count() == 4


def test_a_signer_signs_the_same_content_with_the_same_meaning_once(supervisor, approver):
    signature = make_effective(new_procedure(owner=supervisor), approver).signatures.get()
    before = _table(Signature)

    _refused(
        "one_signature_per_signer_meaning_and_content",
        lambda: Signature.objects.create(**_signature_values(signature)),
    )

    assert _table(Signature) == before


@pytest.mark.parametrize("meaning", ["REJECTED", "approved"])
def test_a_signature_meaning_must_be_known(supervisor, approver, meaning):
    signature = make_effective(new_procedure(owner=supervisor), approver).signatures.get()
    before = _table(Signature)

    _refused(
        "signature_meaning_valid",
        lambda: Signature.objects.create(**_signature_values(signature, meaning=meaning)),
    )

    assert _table(Signature) == before


# ---------------------------------------------------------------- acknowledgements


def test_an_agent_acknowledges_each_revision_in_force(supervisor, agent):
    first = make_effective(new_procedure(owner=supervisor))
    other = make_effective(new_procedure(owner=supervisor))

    services.acknowledge(agent=agent, revision=first)
    services.acknowledge(agent=agent, revision=other)

    assert Acknowledgement.objects.filter(agent=agent).count() == 2


def test_an_agent_acknowledges_a_revision_once(supervisor, agent):
    revision = make_effective(new_procedure(owner=supervisor))
    services.acknowledge(agent=agent, revision=revision)
    before = _table(Acknowledgement)

    _refused(
        "one_acknowledgement_per_agent_and_revision",
        lambda: Acknowledgement.objects.create(agent=agent, revision=revision),
    )

    assert _table(Acknowledgement) == before


# ---------------------------------------------------------------- renditions and manual builds


def _rendition(revision: Revision, kind: str) -> Rendition:
    return Rendition.objects.create(
        revision=revision, kind=kind, file=f"renditions/{kind}", sha256=HASH, size=1
    )


def test_a_revision_keeps_one_rendition_of_each_kind(supervisor):
    revision = make_effective(new_procedure(owner=supervisor))

    for kind in ("HTML", "PDF", "PDF_SUPERSEDED"):
        _rendition(revision, kind)

    assert revision.renditions.count() == 3


def test_a_revision_has_no_second_rendition_of_a_kind(supervisor):
    revision = make_effective(new_procedure(owner=supervisor))
    _rendition(revision, "HTML")
    before = _table(Rendition)

    _refused("one_rendition_per_kind", lambda: _rendition(revision, "HTML"))

    assert _table(Rendition) == before


@pytest.mark.parametrize("kind", ["DOCX", "html"])
def test_a_rendition_kind_must_be_known(supervisor, kind):
    revision = make_effective(new_procedure(owner=supervisor))
    before = _table(Rendition)

    _refused("rendition_kind_valid", lambda: _rendition(revision, kind))

    assert _table(Rendition) == before


def test_a_manual_build_saves_in_every_status(db):
    for status in ("QUEUED", "RUNNING", "DONE", "FAILED"):
        ManualBuild.objects.create(status=status)

    assert ManualBuild.objects.count() == 4


@pytest.mark.parametrize("status", ["PAUSED", "done"])
def test_a_manual_build_status_must_be_known(db, status):
    ManualBuild.objects.create()
    before = _table(ManualBuild)

    _refused("manual_build_status_valid", lambda: ManualBuild.objects.create(status=status))

    assert _table(ManualBuild) == before


# ---------------------------------------------------------------- render checks


def test_render_checks_of_other_fingerprints_save_in_every_status(supervisor):
    draft = save(new_procedure(owner=supervisor))
    check, _queued = render_checks.request(draft)
    count = draft.render_checks.count()

    for status in ("RUNNING", "PASSED", "FAILED", "QUEUED"):
        RenderCheck.objects.filter(pk=check.pk).update(status=status)
    RenderCheck.objects.create(revision=draft, content_hash=HASH, fingerprint=HASH)

    assert draft.render_checks.count() == count + 1


def test_a_revision_has_one_render_check_per_fingerprint(supervisor):
    draft = save(new_procedure(owner=supervisor))
    check, _queued = render_checks.request(draft)
    before = _table(RenderCheck)

    _refused(
        "one_render_check_per_fingerprint",
        lambda: RenderCheck.objects.create(
            revision=draft, content_hash=check.content_hash, fingerprint=check.fingerprint
        ),
    )

    assert _table(RenderCheck) == before


@pytest.mark.parametrize("status", ["PAUSED", "passed"])
def test_a_render_check_status_must_be_known(supervisor, status):
    draft = save(new_procedure(owner=supervisor))
    check, _queued = render_checks.request(draft)
    before = _table(RenderCheck)

    _refused(
        "render_check_status_valid",
        lambda: RenderCheck.objects.filter(pk=check.pk).update(status=status),
    )

    assert _table(RenderCheck) == before


# ---------------------------------------------------------------- feedback


def _feedback(owner, agent) -> Feedback:
    revision = make_effective(new_procedure(owner=owner))
    return feedback.send(author=agent, revision=revision, body="Step 2 is unclear.")


def test_feedback_can_be_stored_in_every_status(supervisor, agent):
    sent = _feedback(supervisor, agent)

    for status in ("ACCEPTED", "DECLINED", "DONE", "OPEN"):
        Feedback.objects.filter(pk=sent.pk).update(status=status)

    assert Feedback.objects.get(pk=sent.pk).status == "OPEN"


@pytest.mark.parametrize("status", ["REOPENED", "open"])
def test_a_feedback_status_must_be_known(supervisor, agent, status):
    sent = _feedback(supervisor, agent)
    before = _table(Feedback)

    _refused(
        "feedback_status_valid",
        lambda: Feedback.objects.filter(pk=sent.pk).update(status=status),
    )

    assert _table(Feedback) == before


# ---------------------------------------------------------------- images, attachments, templates


def _image(revision: Revision, **fields) -> RevisionImage:
    values = {
        "revision": revision,
        "file": f"images/{uuid.uuid4()}.png",
        "format": "PNG",
        "width": 1,
        "height": 1,
        "size": 1,
        "sha256": HASH,
        "uploaded_by": revision.author,
    }
    return RevisionImage.objects.create(**values | fields)


def _attachment(revision: Revision, **fields) -> Attachment:
    values = {
        "revision": revision,
        "position": 1,
        "title": "Call sheet",
        "kind": "PDF",
        "file": f"attachments/{uuid.uuid4()}",
        "filename": "call-sheet.pdf",
        "size": 1,
        "sha256": HASH,
        "uploaded_by": revision.author,
    }
    return Attachment.objects.create(**values | fields)


def test_images_attachments_and_templates_of_known_kinds_save(supervisor):
    draft = new_procedure(owner=supervisor)

    for image_format in ("PNG", "JPEG"):
        _image(draft, format=image_format)
    for kind in ("PDF", "DOCX", "XLSX", "ODT", "ODS", "CSV"):
        _attachment(draft, kind=kind)
    for step_format in ("SIMPLE", "HIERARCHICAL", "FLOWCHART"):
        ProcedureTemplate.objects.create(name=f"Test {step_format}", step_format=step_format)

    assert (draft.images.count(), draft.attachments.count()) == (2, 6)
    assert ProcedureTemplate.objects.filter(name__startswith="Test ").count() == 3


@pytest.mark.parametrize("image_format", ["GIF", "png"])
def test_an_image_format_must_be_known(supervisor, image_format):
    draft = new_procedure(owner=supervisor)
    before = _table(RevisionImage)

    _refused("revision_image_format_valid", lambda: _image(draft, format=image_format))

    assert _table(RevisionImage) == before


def test_an_image_token_names_one_image(supervisor):
    draft = new_procedure(owner=supervisor)
    image = _image(draft)
    before = _table(RevisionImage)

    _refused("token_key", lambda: _image(draft, token=image.token))

    assert _table(RevisionImage) == before


@pytest.mark.parametrize("kind", ["EXE", "pdf"])
def test_an_attachment_kind_must_be_known(supervisor, kind):
    draft = new_procedure(owner=supervisor)
    before = _table(Attachment)

    _refused("attachment_kind_valid", lambda: _attachment(draft, kind=kind))

    assert _table(Attachment) == before


def test_an_attachment_token_names_one_attachment(supervisor):
    draft = new_procedure(owner=supervisor)
    attachment = _attachment(draft)
    before = _table(Attachment)

    _refused("token_key", lambda: _attachment(draft, token=attachment.token))

    assert _table(Attachment) == before


@pytest.mark.parametrize("step_format", ["MINDMAP", "simple"])
def test_a_template_step_format_must_be_known(db, step_format):
    before = _table(ProcedureTemplate)

    _refused(
        "template_step_format_valid",
        lambda: ProcedureTemplate.objects.create(name="Test", step_format=step_format),
    )

    assert _table(ProcedureTemplate) == before


def test_template_names_are_unique(db):
    ProcedureTemplate.objects.create(name="Test")
    before = _table(ProcedureTemplate)

    _refused("name_key", lambda: ProcedureTemplate.objects.create(name="Test"))

    assert _table(ProcedureTemplate) == before


def test_a_revision_has_one_word_import_report(supervisor):
    draft = new_procedure(owner=supervisor)
    DocumentImport.objects.create(revision=draft, source_name="old.docx", imported_by=supervisor)
    before = _table(DocumentImport)

    _refused(
        "revision_id_key",
        lambda: DocumentImport.objects.create(
            revision=draft, source_name="again.docx", imported_by=supervisor
        ),
    )

    assert _table(DocumentImport) == before


# ---------------------------------------------------------------- search, categories, teams


def test_a_revision_has_one_search_document(supervisor):
    draft = new_procedure(owner=supervisor)
    before = _table(SearchDocument)

    _refused(
        "revision_id_key",
        lambda: SearchDocument.objects.create(
            revision=draft, config="simple", code="X", title="X", body="X"
        ),
    )

    assert _table(SearchDocument) == before
    assert SearchDocument.objects.filter(revision=draft).count() == 1


def test_category_names_are_unique(db):
    Category.objects.create(name="Quality")
    before = _table(Category)

    _refused("name_key", lambda: Category.objects.create(name="Quality"))

    assert _table(Category) == before


def test_team_names_are_unique(supervisor, supervisor2):
    Team.objects.create(name="Blue", supervisor=supervisor)
    before = _table(Team)

    _refused("name_key", lambda: Team.objects.create(name="Blue", supervisor=supervisor2))

    assert _table(Team) == before


# ---------------------------------------------------------------- the append-only record


def _in_review(people) -> Revision:  # people holds the approver the submission needs
    return submit(new_procedure(owner=people["supervisor"]))


def _failed_signature(people) -> SigningAttempt:
    revision = _in_review(people)
    with pytest.raises(workflow.SignatureRefused):
        workflow.sign(
            revision=revision,
            signer=people["approver"],
            password="wrong",
            meaning="APPROVED",
            seen_status=revision.status,
        )
    return SigningAttempt.objects.get()


def _reply(people) -> FeedbackReply:
    sent = _feedback(people["supervisor"], people["agent"])
    return feedback.reply(feedback=sent, author=people["supervisor"], body="Thank you.")


def _login_failures(user, count: int = 1) -> None:
    for _ in range(count):
        lockout.verify_login(username=user.username, password="wrong", address="10.0.0.1")


def _unlock(people) -> AccountUnlock:
    _login_failures(people["agent"], 5)
    assert lockout.unlock(user=people["agent"], by=people["controller"])
    return AccountUnlock.objects.get()


def _address_unlock(people) -> AddressUnlock:
    with override_settings(SOPDESK_LOGIN_ADDRESS_ATTEMPTS=2):
        _login_failures(people["agent"], 2)
        assert lockout.unlock_address(address="10.0.0.1", by=people["controller"])
    return AddressUnlock.objects.get()


def _history(model_name: str):
    def build(people):
        save(new_procedure(owner=people["supervisor"]))
        Team.objects.create(name="Blue", supervisor=people["supervisor"])
        return apps.get_model("procedures", model_name)._default_manager.first()

    return build


# model → (how a row comes about, a field to rewrite, its new value)
APPEND_ONLY = {
    AuditEvent: (
        lambda p: new_procedure(owner=p["supervisor"]).audit_events.get(),
        "reason",
        "rewritten",
    ),
    Signature: (
        lambda p: make_effective(new_procedure(owner=p["supervisor"])).signatures.get(),
        "comment",
        "rewritten",
    ),
    SigningAttempt: (
        _failed_signature,
        "attempted_at",
        timezone.now() - datetime.timedelta(days=1),
    ),
    Comment: (
        lambda p: services.add_comment(
            revision=_in_review(p), author=p["approver"], body="Clarify step 2."
        ),
        "body",
        "rewritten",
    ),
    Rendition: (
        lambda p: _rendition(make_effective(new_procedure(owner=p["supervisor"])), "HTML"),
        "sha256",
        "f" * 64,
    ),
    Acknowledgement: (
        lambda p: services.acknowledge(
            agent=p["agent"], revision=make_effective(new_procedure(owner=p["supervisor"]))
        ),
        "acknowledged_at",
        timezone.now() - datetime.timedelta(days=1),
    ),
    FeedbackReply: (_reply, "body", "rewritten"),
    RevisionImage: (
        lambda p: _image(new_procedure(owner=p["supervisor"])),
        "original_name",
        "rewritten.png",
    ),
    LoginAttempt: (
        lambda p: _login_failures(p["agent"]) or LoginAttempt.objects.get(),
        "username",
        "someone-else",
    ),
    AccountUnlock: (_unlock, "unlocked_at", timezone.now() - datetime.timedelta(days=1)),
    AddressUnlock: (_address_unlock, "address", "10.9.9.9"),
    **{
        f"Historical{name}": (_history(f"Historical{name}"), "history_change_reason", "rewritten")
        for name in ("User", "Team", "Category", "Procedure", "Revision", "Step", "Measure")
    },
}


def _name(model) -> str:
    return model if isinstance(model, str) else model.__name__


@pytest.fixture
def people(supervisor, approver, agent, controller):
    return {
        "supervisor": supervisor,
        "approver": approver,
        "agent": agent,
        "controller": controller,
    }


def test_the_append_only_list_names_every_history_table():
    history = {m.__name__ for m in apps.get_app_config("procedures").get_models()}
    history = {name for name in history if name.startswith("Historical")}

    assert history <= {_name(model) for model in APPEND_ONLY}


@pytest.mark.parametrize("model", APPEND_ONLY, ids=_name)
def test_the_append_only_record_refuses_an_update(people, model):
    build, field, value = APPEND_ONLY[model]
    row = build(people)
    model = apps.get_model("procedures", _name(model))
    before = _table(model)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model._default_manager.filter(pk=row.pk).update(**{field: value})

    assert _table(model) == before


@pytest.mark.parametrize("model", APPEND_ONLY, ids=_name)
def test_the_append_only_record_refuses_a_delete_on_postgresql(people, model):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps DELETE open for the test runner's table flush (migration 0004)")
    build, _field, _value = APPEND_ONLY[model]
    row = build(people)
    model = apps.get_model("procedures", _name(model))
    before = _table(model)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model._default_manager.filter(pk=row.pk).delete()

    assert _table(model) == before
