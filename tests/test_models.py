"""The database holds the invariants: each constraint refuses the wrong state."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from procedures.models import Procedure, Revision, Step, code_validator
from tests.factories import CategoryFactory, make_effective, new_procedure


def _raises_integrity(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize("code", ["CC-QM-003", "HR-1", "CC-CH-001-A", "IT-OUTAGE-12"])
def test_code_validator_accepts_stable_codes(code):
    code_validator(code)


@pytest.mark.parametrize(
    "code", ["cc-qm-003", "CCQM003", "CC--1", "-CC-1", "CC-QM-003-", "CC QM 003", "CC-QM-<b>"]
)
def test_code_validator_refuses_malformed_codes(code):
    with pytest.raises(ValidationError):
        code_validator(code)


def test_procedure_code_is_unique_whatever_its_case(supervisor):
    revision = new_procedure(owner=supervisor, code="CC-QM-003")

    _raises_integrity(
        lambda: Procedure.objects.create(
            code="cc-qm-003", category=revision.procedure.category, owner=supervisor
        )
    )

    assert Procedure.objects.count() == 1


def test_review_interval_must_be_between_1_and_60_months(supervisor):
    category = CategoryFactory()

    _raises_integrity(
        lambda: Procedure.objects.create(
            code="CC-X-1", category=category, owner=supervisor, review_interval_months=0
        )
    )
    _raises_integrity(
        lambda: Procedure.objects.create(
            code="CC-X-2", category=category, owner=supervisor, review_interval_months=61
        )
    )


def _revision(procedure, **kwargs):
    values = {"procedure": procedure, "number": 2, "title": "T", "author": procedure.owner} | kwargs
    return Revision.objects.create(**values)


def test_revision_number_is_unique_per_procedure(supervisor):
    first = new_procedure(owner=supervisor)
    make_effective(first)

    _raises_integrity(lambda: _revision(first.procedure, number=1))


def test_revision_number_starts_at_one(supervisor):
    first = make_effective(new_procedure(owner=supervisor))

    _raises_integrity(lambda: _revision(first.procedure, number=0))


def test_revision_status_must_be_a_known_status(supervisor):
    first = make_effective(new_procedure(owner=supervisor))

    _raises_integrity(lambda: _revision(first.procedure, status="PUBLISHED"))


def test_step_format_must_be_a_known_format(supervisor):
    first = make_effective(new_procedure(owner=supervisor))

    _raises_integrity(lambda: _revision(first.procedure, step_format="MINDMAP"))


def test_a_procedure_has_at_most_one_open_revision(supervisor):
    draft = new_procedure(owner=supervisor)

    for status in ("DRAFT", "IN_REVIEW"):
        _raises_integrity(lambda status=status: _revision(draft.procedure, status=status))
    _raises_integrity(
        lambda: _revision(draft.procedure, status="APPROVED", approved_at=timezone.now())
    )

    assert draft.procedure.revisions.count() == 1


def test_a_procedure_has_at_most_one_effective_revision(supervisor):
    first = make_effective(new_procedure(owner=supervisor))
    now = timezone.now()

    _raises_integrity(
        lambda: _revision(first.procedure, status="EFFECTIVE", approved_at=now, effective_at=now)
    )


def test_an_effective_or_superseded_revision_has_its_dates(supervisor):
    first = make_effective(new_procedure(owner=supervisor))
    now = timezone.now()

    _raises_integrity(lambda: _revision(first.procedure, status="SUPERSEDED", approved_at=now))
    _raises_integrity(lambda: _revision(first.procedure, status="SUPERSEDED", effective_at=now))
    _raises_integrity(lambda: _revision(first.procedure, status="APPROVED"))


def test_step_keys_are_unique_within_a_revision(supervisor):
    draft = new_procedure(owner=supervisor)
    Step.objects.create(revision=draft, key="a", position=1, text="One")

    _raises_integrity(lambda: Step.objects.create(revision=draft, key="a", position=2, text="Two"))


def test_step_level_is_between_1_and_4(supervisor):
    draft = new_procedure(owner=supervisor)

    _raises_integrity(
        lambda: Step.objects.create(revision=draft, key="a", position=1, text="x", level=0)
    )
    _raises_integrity(
        lambda: Step.objects.create(revision=draft, key="b", position=1, text="x", level=5)
    )


def test_step_kind_must_be_known(supervisor):
    draft = new_procedure(owner=supervisor)

    _raises_integrity(
        lambda: Step.objects.create(revision=draft, key="a", position=1, text="x", kind="LOOP")
    )


def test_only_a_decision_has_yes_and_no_targets(supervisor):
    draft = new_procedure(owner=supervisor)
    target = Step.objects.create(revision=draft, key="t", position=2, text="Target")

    _raises_integrity(
        lambda: Step.objects.create(
            revision=draft, key="a", position=1, text="x", kind="ACTION", yes_target=target
        )
    )
