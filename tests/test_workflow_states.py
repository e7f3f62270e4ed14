"""A Hypothesis state machine over the workflow: random people doing random acts, in any order.

After every step: at most one effective and one open revision per procedure; an effective
revision carries every approval its rule requires, valid for its content and none by its
author or an editor; frozen content never changes; refusals change nothing; the audit trail
only grows.
"""

import datetime
import os
import sys
from collections import Counter

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import event as _event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from procedures import permissions, review_rules, services, workflow
from procedures.content import canonical_hash
from procedures.models import ApprovalRule, AuditEvent, Procedure, Revision, Signature
from tests.factories import PASSWORD, CategoryFactory, UserFactory, content, save, sign, submit

S = Revision.Status
PEOPLE = ["owner", "owner_manager", "manager1", "manager2", "manager3", "supervisor", "controller"]
# Acts are mostly done by the people who can do them, so runs get somewhere; anybody else
# (and wrong passwords, stale pages, meanings that do not fit) often enough to be refused.
ANYONE = st.sampled_from(["the owner"] * 6 + PEOPLE)
SIGNER = st.sampled_from(["an approver"] * 4 + PEOPLE)
MEANINGS = st.sampled_from(["the fitting one"] * 4 + [m.value for m in Signature.Meaning])
MOSTLY = st.sampled_from([True, True, True, False])
SELDOM = st.sampled_from([False, False, False, True])
PURPOSES = ["Every caller is greeted the same way.", "Callers are verified first.", "Be quick."]


def fresh(revision_pk: int) -> Revision:
    return Revision.objects.select_related("procedure").get(pk=revision_pk)


class WorkflowMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        # Each run is one transaction, rolled back at teardown: runs do not see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        n = next(_runs)
        roles = {
            "owner": ["Supervisor"],
            "owner_manager": ["Supervisor", "Manager"],  # writes and approves: never their own
            "manager1": ["Manager"],
            "manager2": ["Manager"],
            "manager3": ["Manager"],
            "supervisor": ["Supervisor"],
            "controller": ["Document controller"],
        }
        self.people = {}
        for name, groups in roles.items():
            user = UserFactory(username=f"{name}-{n}", role=groups[0])
            for group in groups[1:]:
                user.groups.add(Group.objects.get(name=group))
            self.people[name] = user
        strict = CategoryFactory(name=f"Strict {n}")
        ApprovalRule.objects.create(category=strict, approvals_required=2, review_required=True)
        self.procedures = []
        for code, owner, category in (
            (f"SM-{n}-A", "owner", CategoryFactory(name=f"Plain {n}")),
            (f"SM-{n}-B", "owner_manager", strict),
        ):
            draft = services.create_procedure(
                code=code,
                title="Answering a call",
                category=category,
                owner=self.people[owner],
                step_format="SIMPLE",
                review_interval_months=12,
                created_by=self.people[owner],
            )
            self.procedures.append(draft.procedure_id)
            save(draft)
        self.frozen: dict[int, str] = {}  # revision pk → content hash it was frozen with
        # B starts in force: reviewed, then approved twice, as its category's rule requires.
        first = submit(self.latest(1))
        sign(first, self.people["manager1"], "REVIEWED")
        sign(first, self.people["manager1"])
        sign(first, self.people["manager2"])
        self.frozen[first.pk] = first.content_hash
        self.audit_seen: set[int] = set()
        self.now = timezone.now()

    def teardown(self):
        if hasattr(self, "_atomic"):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    def person(self, who: str, index: int):
        if who == "the owner":
            return Procedure.objects.get(pk=self.procedures[index]).owner
        return self.people[who]

    def latest(self, index: int) -> Revision:
        return (
            Revision.objects.select_related("procedure")
            .filter(procedure_id=self.procedures[index])
            .order_by("-number")
            .first()
        )

    def state(self):
        """Everything a refused act must leave as it was."""
        return (
            list(Revision.objects.order_by("pk").values_list("pk", "status", "lock_version")),
            list(Signature.objects.order_by("pk").values_list("pk", flat=True)),
            list(
                Procedure.objects.order_by("pk").values_list(
                    "pk", "next_review_on", "withdrawal_requested_at", "withdrawn_at"
                )
            ),
        )

    def attempt(self, name, act, refusals=(workflow.TransitionNotAllowed, services.ServiceError)):
        before = self.state()
        try:
            result = act()
        except refusals as refusal:
            assert self.state() == before, "a refused act changed something"
            event(f"{name}: refused: {refusal.message[:70]}")
            return None
        event(f"{name}: done")
        return result

    def fitting_meaning(self, revision: Revision) -> str:
        """The signature the revision waits for, so that runs get somewhere."""
        if revision.status == S.EFFECTIVE:
            if revision.procedure.withdrawal_requested_at:
                return "APPROVED_FOR_WITHDRAWAL"
            return "REVIEWED_NO_CHANGE"
        if review_rules.rule_for(revision).review_required and not review_rules.valid_signatures(
            revision, "REVIEWED"
        ):
            return "REVIEWED"
        return "APPROVED"

    # ------------------------------------------------------------ acts

    @rule(index=st.integers(0, 1), who=ANYONE, purpose=st.sampled_from(PURPOSES))
    def save_draft(self, index, who, purpose):
        revision = self.latest(index)
        fields = {"purpose": purpose}
        if revision.number > 1:
            fields["change_summary"] = "Clearer wording."
        self.attempt(
            "save",
            lambda: services.save_draft(
                revision=revision,
                editor=self.person(who, index),
                content=content(**fields),
                lock_version=revision.lock_version,
            ),
        )

    @rule(
        index=st.integers(0, 1),
        who=ANYONE,
        pick=st.one_of(
            st.just(set()),
            st.sets(
                st.sampled_from(
                    ["manager1", "manager2", "manager3", "owner_manager", "supervisor"]
                ),
                max_size=3,
            ),
        ),
    )
    def submit(self, index, who, pick):
        revision = self.latest(index)
        approvers = [self.people[p] for p in sorted(pick)]
        result = self.attempt(
            "submit",
            lambda: workflow.submit(
                revision=revision, actor=self.person(who, index), approvers=approvers
            ),
        )
        if result is not None:
            self.frozen[result.pk] = canonical_hash(fresh(result.pk))

    @rule(index=st.integers(0, 1), who=ANYONE)
    def return_for_changes(self, index, who):
        revision = self.latest(index)
        result = self.attempt(
            "return",
            lambda: workflow.return_for_changes(
                revision=revision, actor=self.person(who, index), comment="Step 2 is unclear."
            ),
        )
        if result is not None:
            self.frozen.pop(result.pk, None)

    @rule(
        index=st.integers(0, 1),
        who=SIGNER,
        meaning=MEANINGS,
        right_password=MOSTLY,
        stale=SELDOM,
        later=SELDOM,
        previous=SELDOM,
    )
    def sign(self, index, who, meaning, right_password, stale, later, previous):
        revision = self.latest(index)
        effective = revision.procedure.revisions.filter(status=S.EFFECTIVE).first()
        if previous and effective:  # the effective one, behind an open draft
            revision = fresh(effective.pk)
        if meaning == "the fitting one":
            meaning = self.fitting_meaning(revision)
        if who == "an approver":  # one who may sign it, if there is one left
            unsigned = [
                u
                for u in (list(revision.approvers.all()) or permissions.eligible_signers(revision))
                if not revision.signatures.filter(signer=u, meaning=meaning).exists()
            ]
            signer = unsigned[0] if unsigned else self.people["manager1"]
        else:
            signer = self.people[who]
        seen = S.DRAFT if stale else revision.status
        attempts = AuditEvent.objects.filter(action="SIGNATURE_FAILED").count()
        before = self.state()
        try:
            workflow.sign(
                revision=revision,
                signer=signer,
                password=PASSWORD if right_password else "wrong",
                meaning=meaning,
                seen_status=seen,
                effective_at=self.now + datetime.timedelta(days=1) if later else None,
            )
        except workflow.TransitionNotAllowed:
            assert self.state() == before, "a refused signature changed something"
            failed = AuditEvent.objects.filter(action="SIGNATURE_FAILED").count()
            # a wrong password is on record, unless signing was already locked
            assert failed == attempts if right_password else failed in (attempts, attempts + 1)
            event(f"sign: refused: {sys.exc_info()[1].message[:60]}")
        else:
            assert right_password
            event(f"sign {meaning}: done")

    @rule(index=st.integers(0, 1), later=SELDOM)
    def sign_as_expected(self, index, later):
        """The signature the latest revision waits for, by a manager who may give it."""
        self.sign(index, "an approver", "the fitting one", True, False, later, False)

    @rule(index=st.integers(0, 1))
    def owner_completes_and_submits(self, index):
        self.save_draft(index, "the owner", PURPOSES[0])
        self.submit(index, "the owner", set())

    @rule(index=st.integers(0, 1))
    def manager_returns(self, index):
        """A manager who may review sends the latest revision back, as reviewers do."""
        revision = self.latest(index)
        eligible = permissions.eligible_signers(revision)
        if eligible:
            self.return_for_changes(
                index, next(k for k, u in self.people.items() if u == eligible[0])
            )

    @rule(days=st.integers(0, 3))
    def publish_due(self, days):
        if workflow.publish_due(now=timezone.now() + datetime.timedelta(days=days)):
            event("publish_due: published")

    @rule(index=st.integers(0, 1), who=ANYONE)
    def request_withdrawal(self, index, who):
        procedure = Procedure.objects.get(pk=self.procedures[index])
        self.attempt(
            "request withdrawal",
            lambda: workflow.request_withdrawal(
                procedure=procedure, actor=self.person(who, index), reason="Obsolete."
            ),
        )

    @rule(index=st.integers(0, 1), who=ANYONE)
    def start_revision(self, index, who):
        procedure = Procedure.objects.get(pk=self.procedures[index])
        self.attempt(
            "start revision",
            lambda: services.start_revision(procedure=procedure, author=self.person(who, index)),
        )

    # ------------------------------------------------------------ invariants

    @invariant()
    def one_effective_and_one_open_per_procedure(self):
        for pk in getattr(self, "procedures", []):
            statuses = list(
                Revision.objects.filter(procedure_id=pk).values_list("status", flat=True)
            )
            assert statuses.count(S.EFFECTIVE) <= 1
            assert sum(s in Revision.OPEN_STATUSES for s in statuses) <= 1

    @invariant()
    def effective_revisions_carry_their_approvals(self):
        for pk in getattr(self, "procedures", []):
            for revision in Revision.objects.select_related("procedure").filter(
                procedure_id=pk, status__in=[S.APPROVED, S.EFFECTIVE, S.SUPERSEDED]
            ):
                assert revision.approved_at and revision.effective_at
                rule_ = review_rules.rule_for(revision)
                digest = canonical_hash(revision)
                approvals = review_rules.valid_signatures(revision, "APPROVED", digest)
                assert len(approvals) >= rule_.approvals_required
                if rule_.review_required:
                    assert review_rules.valid_signatures(revision, "REVIEWED", digest)
                editors = permissions.editors_of(revision)
                assert not revision.signatures.filter(signer_id__in=editors).exists()
                assert len({s.signer_id for s in approvals}) == len(approvals)

    @invariant()
    def frozen_content_never_changes(self):
        for pk, digest in getattr(self, "frozen", {}).items():
            revision = fresh(pk)
            assert revision.status != S.DRAFT
            assert canonical_hash(revision) == digest == revision.content_hash

    @invariant()
    def the_audit_trail_only_grows(self):
        if not hasattr(self, "audit_seen"):
            return
        now = set(AuditEvent.objects.values_list("pk", flat=True))
        assert self.audit_seen <= now
        self.audit_seen = now


_runs = iter(range(1, 1_000_000))
REACHED: Counter = Counter()


def event(name: str) -> None:
    _event(name)
    REACHED[name] += 1


@pytest.mark.django_db
def test_the_workflow_keeps_its_invariants_whatever_happens():
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=40,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the working tree
            # In CI the same runs every time, so the run never depends on luck; locally, new ones.
            derandomize=os.environ.get("CI", "").lower() in {"1", "true"},
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The runs got somewhere: the invariants were checked on every kind of state.
    for reached in ("submit: done", "sign APPROVED: done", "start revision: done", "return: done"):
        assert REACHED[reached], f"no run reached “{reached}”: {sorted(REACHED.items())}"
