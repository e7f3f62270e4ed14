"""Races, with real threads and real connections on PostgreSQL: two managers approving at
the same moment, an approval racing a withdrawal, publish_due run twice at once, a double
click on "Sign". Each ends consistent, every signature counted once.

SQLite locks the whole database file rather than rows, so these run on PostgreSQL only
(CI runs the suite there).
"""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from procedures import services, workflow
from procedures.models import ApprovalRule, AuditEvent, Revision
from tests.factories import PASSWORD, UserFactory, make_effective, new_procedure, sign, submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs there)"
    ),
]
S = Revision.Status


def together(*calls):
    """Run the calls in threads released at the same instant; their results or refusals."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def signing(revision, signer, meaning="APPROVED", **kwargs):
    return lambda: workflow.sign(
        revision=Revision.objects.get(pk=revision.pk),
        signer=signer,
        password=PASSWORD,
        meaning=meaning,
        seen_status=revision.status,
        **kwargs,
    )


@pytest.fixture
def people(roles):
    return {
        "owner": UserFactory(username="owner", role="Supervisor"),
        "m1": UserFactory(username="m1", role="Manager"),
        "m2": UserFactory(username="m2", role="Manager"),
    }


def refusals(results):
    return [r for r in results if isinstance(r, Exception)]


def assert_no_unexpected_errors(results):
    for result in refusals(results):
        assert isinstance(result, workflow.TransitionNotAllowed), repr(result)


def test_two_managers_give_the_two_approvals_needed_at_the_same_moment(people):
    revision = new_procedure(owner=people["owner"])
    ApprovalRule.objects.create(category=revision.procedure.category, approvals_required=2)
    revision = submit(revision)

    results = together(signing(revision, people["m1"]), signing(revision, people["m2"]))

    assert not refusals(results)
    revision.refresh_from_db()
    assert revision.status == S.EFFECTIVE
    assert revision.signatures.count() == 2
    assert AuditEvent.objects.filter(revision=revision, action="APPROVED").count() == 1
    assert AuditEvent.objects.filter(revision=revision, action="EFFECTIVE").count() == 1


def test_when_one_approval_is_needed_the_second_manager_is_told_it_is_done(people):
    revision = submit(new_procedure(owner=people["owner"]))

    results = together(signing(revision, people["m1"]), signing(revision, people["m2"]))

    assert_no_unexpected_errors(results)
    assert len(refusals(results)) == 1
    assert "changed while you were reading it" in refusals(results)[0].message
    revision.refresh_from_db()
    assert revision.status == S.EFFECTIVE
    assert revision.signatures.count() == 1
    assert AuditEvent.objects.filter(revision=revision, action="EFFECTIVE").count() == 1


def test_a_double_click_on_sign_signs_once(people):
    revision = new_procedure(owner=people["owner"])
    ApprovalRule.objects.create(category=revision.procedure.category, approvals_required=2)
    revision = submit(revision)

    results = together(*[signing(revision, people["m1"])] * 3)

    assert_no_unexpected_errors(results)
    assert len(refusals(results)) == 2
    assert revision.signatures.count() == 1
    assert AuditEvent.objects.filter(revision=revision, action="SIGNED").count() == 1


def test_an_approval_racing_a_withdrawal_ends_one_way_or_the_other(people):
    first = make_effective(new_procedure(owner=people["owner"]), people["m1"])
    second = submit(services.start_revision(procedure=first.procedure, author=people["owner"]))
    workflow.request_withdrawal(procedure=first.procedure, actor=people["owner"], reason="Old.")

    results = together(
        signing(second, people["m2"]),
        signing(first, people["m1"], meaning="APPROVED_FOR_WITHDRAWAL"),
    )

    assert_no_unexpected_errors(results)
    assert len(refusals(results)) == 1  # exactly one of them won
    first.refresh_from_db()
    second.refresh_from_db()
    first.procedure.refresh_from_db()
    if isinstance(results[0], Exception):  # the withdrawal won
        assert (first.status, second.status) == (S.WITHDRAWN, S.IN_REVIEW)
        assert first.procedure.withdrawn_at
        assert "was withdrawn" in results[0].message
    else:  # the new revision won: the old one is superseded, the request is void
        assert (first.status, second.status) == (S.SUPERSEDED, S.EFFECTIVE)
        assert first.procedure.withdrawn_at is None
        assert first.procedure.withdrawal_requested_at is None
        assert "changed while you were reading it" in results[1].message
    statuses = list(first.procedure.revisions.values_list("status", flat=True))
    assert statuses.count(S.EFFECTIVE) <= 1


def test_publish_due_run_twice_at_once_publishes_each_revision_once(people):
    first = make_effective(new_procedure(owner=people["owner"]), people["m1"])
    later = timezone.now() + datetime.timedelta(days=2)
    waiting = []
    for procedure in [first.procedure] + [
        make_effective(new_procedure(owner=people["owner"]), people["m1"]).procedure
        for _ in range(3)
    ]:
        draft = submit(services.start_revision(procedure=procedure, author=people["owner"]))
        sign(draft, people["m2"], effective_at=later - datetime.timedelta(days=1))
        waiting.append(draft)

    results = together(*[lambda: workflow.publish_due(now=later)] * 2)

    assert_no_unexpected_errors(results)
    assert sum(results) == len(waiting)
    for draft in waiting:
        draft.refresh_from_db()
        assert draft.status == S.EFFECTIVE
        assert AuditEvent.objects.filter(revision=draft, action="EFFECTIVE").count() == 1
        statuses = list(draft.procedure.revisions.values_list("status", flat=True))
        assert sorted(statuses) == [S.EFFECTIVE, S.SUPERSEDED]
    first.refresh_from_db()
    assert AuditEvent.objects.filter(revision=first, action="SUPERSEDED").count() == 1
