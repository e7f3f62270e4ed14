"""Create the demo users and the demo call center's manual. Safe to run again.

Every procedure is written through services/ and taken through its life by workflow/,
exactly as people would in the browser: most are effective with the managers' signatures,
some have a superseded revision, one waits for review, one was returned with comments, one
is approved for next week, one is overdue for its periodic review.
"""

import datetime

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from procedures import feedback, files, review_rules, selectors, services, workflow
from procedures.content import measures_of, steps_of
from procedures.models import (
    ApprovalRule,
    CallReason,
    Category,
    Feedback,
    Procedure,
    Revision,
    Signature,
    Team,
    User,
)
from procedures.steps import StepData

from . import _demo_quality
from ._demo_manual import (
    CATEGORIES,
    IN_FORCE_SINCE,
    LIFECYCLE,
    PROCEDURES,
    REVIEW,
    REVISIONS,
    USERS,
)
from ._demo_media import crm_screenshot, disposition_csv
from ._demo_time import as_of, days_before

# The phone system's call reasons and IVR queues, mapped to the procedures that answer them.
CALL_REASONS = (
    ("COMPLAINT", "Customer complaint", ("CC-CH-004",)),
    ("ESCALATION", "Caller asks for a team leader", ("CC-CH-003", "CC-CH-004")),
    ("ID_CHECK", "Account change: verify the caller first", ("CC-CH-005",)),
    ("queue:general", "Inbound general queue", ("CC-CH-001",)),
    ("OUTAGE", "Telephony or CRM down", ("CC-IT-001",)),
)

DEMO_PASSWORD = "sopdesk-demo"  # noqa: S105 - documented in the README, demo only
# Quality monitoring procedures need two managers' approval (an approval rule in the demo).
RULES = {"Quality monitoring": 2}


class Command(BaseCommand):
    help = "Create the demo users (password: sopdesk-demo) and the demo manual. Idempotent."

    def handle(self, *args, **options):
        # Seeding is not news: the demo people get no e-mail about it.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            self._seed()

    def _seed(self) -> None:
        self.users = {
            username: self._user(username, first, last, role)
            for username, first, last, role in USERS
        }
        self.categories = {}
        for order, name in enumerate(CATEGORIES, start=1):
            self.categories[name], _created = Category.objects.get_or_create(
                name=name, defaults={"order": order * 10}
            )
            if name in RULES:
                ApprovalRule.objects.get_or_create(
                    category=self.categories[name], defaults={"approvals_required": RULES[name]}
                )
        created = 0
        for spec in PROCEDURES:
            if Procedure.objects.by_code(spec["code"]).exists():
                continue
            self._procedure(spec)
            created += 1
        self._teams()
        self._feedback()
        self._call_reasons()
        _demo_quality.seed(self.users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(self.users)} users (password {DEMO_PASSWORD!r}), "
                f"{created} procedures created, {Procedure.objects.count()} in all."
            )
        )

    def _call_reasons(self) -> None:
        """What the phone system says a call is about, and the procedures that answer it
        (/embed/for/COMPLAINT/, /api/v1/lookup/?reason=COMPLAINT)."""
        for code, description, procedures in CALL_REASONS:
            reason, _created = CallReason.objects.get_or_create(
                code=code, defaults={"description": description}
            )
            reason.procedures.add(*Procedure.objects.filter(code__in=procedures))

    def _teams(self) -> None:
        """Two teams of two agents. Between them, every reading state: confirmed, outstanding,
        and overdue (CC-WF-002 came into force long before it was confirmed)."""
        teams = {}
        for name, supervisor, agents in (
            ("Team Santos", "supervisor", ("agent", "agent2")),
            ("Team Kovács", "supervisor2", ("agent3", "agent4")),
        ):
            teams[name], _created = Team.objects.get_or_create(
                name=name, defaults={"supervisor": self.users[supervisor]}
            )
            for username in agents:
                agent = self.users[username]
                if agent.team_id is None:
                    agent.team = teams[name]
                    agent.save(update_fields=["team"])
        confirmed = {
            "agent2": ("CC-CH-001", "CC-CH-002", "CC-WF-002"),
            "agent3": ("CC-CH-001", "CC-CH-002", "CC-CH-004", "CC-CH-005", "CC-AD-001"),
        }
        for username, codes in confirmed.items():
            for code in codes:
                in_force = selectors.revision_in_force(Procedure.objects.by_code(code).get())
                if in_force is not None:
                    services.acknowledge(agent=self.users[username], revision=in_force)

    def _feedback(self) -> None:
        """Feedback in every state, from agents of both teams, with the owners' replies."""
        if Feedback.objects.exists():
            return
        u = self.users

        def send(username, code, body, step="", element="", days_ago=0):
            revision = selectors.revision_in_force(Procedure.objects.by_code(code).get())
            with as_of(timezone.now() - datetime.timedelta(days=days_ago)):
                return feedback.send(
                    author=u[username], revision=revision, body=body, step_key=step, element=element
                )

        send(
            "agent",
            "CC-CH-002",
            "On the new headsets the Hold button of the softphone sometimes drops the call. "
            "We use the CRM's hold button instead: could the step say which one to press?",
            step="s3",
        )
        send(
            "agent3",
            "CC-QM-001",
            "Four calls a month is not enough for new agents to see how they improve. "
            "Could agents in their first three months get six?",
            element="MEASURES",
            days_ago=18,
        )
        accepted = send(
            "agent4",
            "CC-AD-001",
            "Windows key + L does not lock the thin clients on floor 2: there it is "
            "Ctrl + Alt + Del, then Lock.",
            step="s3",
            days_ago=3,
        )
        feedback.start_revision_from(feedback=accepted, author=u["supervisor"])
        declined = send(
            "agent2",
            "CC-CH-004",
            "When a caller is in a hurry, could we skip choosing the complaint category?",
            days_ago=9,
        )
        feedback.reply(
            feedback=declined,
            author=u["supervisor2"],
            status=Feedback.Status.DECLINED,
            body="The category decides who investigates and goes into the monthly report to the "
            "regulator, so it stays. Choose “Other” if you are unsure; the team leader "
            "corrects it.",
        )
        done = send(
            "agent3",
            "CC-IT-001",
            "The IT service desk number is not in the procedure; we look for it every time.",
            days_ago=12,
        )
        feedback.reply(
            feedback=done,
            author=u["supervisor"],
            status=Feedback.Status.DONE,
            body="The number is now on the softphone's speed dial (key 9) and on the IT page "
            "the procedure links to. Thank you!",
        )

    def _user(self, username: str, first: str, last: str, role: str) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": role == "Document controller",
                # with the center for a while: a long-effective procedure can be overdue for them
                "date_joined": timezone.now() - datetime.timedelta(days=90),
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        return user

    def _procedure(self, spec: dict) -> None:
        state = LIFECYCLE.get(spec["code"], "draft")
        days_ago = 400 if state == "overdue" else IN_FORCE_SINCE.get(spec["code"], (0, 0))[0]
        with days_before(days_ago):
            self._first_revision(spec, state)

    def _first_revision(self, spec: dict, state: str) -> None:
        owner = self.users[spec["owner"]]
        revision = services.create_procedure(
            code=spec["code"],
            title=spec["title"],
            category=self.categories[spec["category"]],
            owner=owner,
            step_format=spec["format"],
            review_interval_months=spec.get("review", 12),
            created_by=self.users["controller"],
        )
        content = _content(spec)
        if spec["code"] == "CC-CH-001":
            self._screenshot_and_form(revision, owner, content)
        services.save_draft(
            revision=revision,
            editor=owner,
            content=content,
            lock_version=revision.lock_version,
        )
        if state == "draft":
            return
        if state == "returned":
            workflow.submit(revision=revision, actor=owner)
            revision.refresh_from_db()
            workflow.return_for_changes(
                revision=revision,
                actor=self.users["manager2"],
                comment="Step 3: say who keeps the calibration sheet and for how long (we need it for the audit).",
                element="STEPS",
                step_key="s3",
            )
            return
        if state == "future":
            self._approve(revision, effective_at=timezone.now() + datetime.timedelta(days=7))
            return
        self._approve(revision)
        if state == "revised":  # Dewi confirmed revision 1: she sees what changed in revision 2
            revision.refresh_from_db()
            services.acknowledge(agent=self.users["agent"], revision=revision)
        if state in ("revised", "in_review"):
            with days_before(IN_FORCE_SINCE.get(spec["code"], (0, 0))[1]):
                self._second_revision(spec, owner, state)

    def _screenshot_and_form(self, revision: Revision, owner: User, content) -> None:
        """CC-CH-001's last step shows the CRM's wrap-up screen; the code list is attached."""
        image = files.add_image(
            revision=revision, user=owner, upload=crm_screenshot(), max_bytes=10**7
        )
        files.add_attachment(
            revision=revision,
            user=owner,
            upload=disposition_csv(),
            title="Disposition code list",
            description="Every code agents choose at wrap-up, and what it means.",
            max_bytes=10**7,
        )
        last = content.steps[-1]
        content.steps[-1] = StepData(
            **{
                **last.__dict__,
                "text": last.text
                + f"\n\n![CRM wrap-up screen with the disposition list open]({image.get_absolute_url()})",
            }
        )

    def _approve(self, revision: Revision, effective_at=None) -> None:
        workflow.submit(revision=revision, actor=revision.procedure.owner)
        required = review_rules.rule_for(revision).approvals_required
        signers = [self.users["manager"], self.users["manager2"]][: max(required, 1)]
        if required == 1 and revision.procedure.code[-1] in "02468":
            signers = [self.users["manager2"]]
        for signer in signers:
            revision.refresh_from_db()
            workflow.sign(
                revision=revision,
                signer=signer,
                password=DEMO_PASSWORD,
                meaning=Signature.Meaning.APPROVED,
                seen_status=revision.status,
                comment="Checked against the current scripts and the QA scorecard.",
                effective_at=effective_at,
            )

    def _second_revision(self, spec: dict, owner: User, state: str) -> None:
        first = Procedure.objects.by_code(spec["code"]).get()
        draft = services.start_revision(procedure=first, author=owner)
        index, text, summary = REVISIONS[spec["code"]]
        steps = steps_of(draft)
        steps[index] = StepData(**{**steps[index].__dict__, "text": text})
        content = _content(spec, change_summary=summary)
        content.steps, content.measures = steps, measures_of(draft)
        draft.refresh_from_db()
        services.save_draft(
            revision=draft, editor=owner, content=content, lock_version=draft.lock_version
        )
        if state == "in_review":
            workflow.submit(revision=draft, actor=owner, approvers=[self.users["manager"]])
        else:
            self._approve(draft)


def _content(
    spec: dict, change_summary: str = "First issue of this procedure."
) -> services.DraftContent:
    return services.DraftContent(
        fields={
            "title": spec["title"],
            "purpose": spec["purpose"],
            "scope": spec["scope"],
            "responsibilities": spec["responsibilities"],
            "step_format": spec["format"],
            "procedure_notes": "",
            "measures_notes": "",
            "documentation": spec["documentation"],
            "training": spec["training"],
            "training_hours": spec["hours"],
            "training_test_required": spec["test"],
            "training_url": spec.get("url", ""),
            "review_and_approval": REVIEW,
            "change_summary": change_summary,
        },
        steps=_steps(spec),
        measures=[services.MeasureData(*row) for row in spec["measures"]],
    )


def _steps(spec: dict) -> list[StepData]:
    if spec["format"] == "FLOWCHART":
        return [
            StepData(key=key, kind=kind, text=text, role=role, yes=yes, no=no, next=next_)
            for key, kind, text, role, yes, no, next_ in spec["steps"]
        ]
    return [
        StepData(key=f"s{i}", level=level, text=text, role=role)
        for i, (level, text, role) in enumerate(spec["steps"], start=1)
    ]
