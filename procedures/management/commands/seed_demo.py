"""Create the demo users and the demo call center's manual. Safe to run again."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from procedures import services
from procedures.models import Category, Procedure, User
from procedures.steps import StepData

from ._demo_manual import CATEGORIES, PROCEDURES, REVIEW, USERS

DEMO_PASSWORD = "sopdesk-demo"  # noqa: S105 - documented in the README, demo only


class Command(BaseCommand):
    help = "Create the demo users (password: sopdesk-demo) and the demo manual. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {
            username: self._user(username, first, last, role)
            for username, first, last, role in USERS
        }
        categories = {}
        for order, name in enumerate(CATEGORIES, start=1):
            categories[name], _ = Category.objects.get_or_create(
                name=name, defaults={"order": order * 10}
            )
        created = 0
        for spec in PROCEDURES:
            if Procedure.objects.by_code(spec["code"]).exists():
                continue
            self._procedure(spec, users, categories)
            created += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(users)} users (password {DEMO_PASSWORD!r}), "
                f"{created} procedures created, {Procedure.objects.count()} in all."
            )
        )

    def _user(self, username: str, first: str, last: str, role: str) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": role == "Document controller",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        return user

    def _procedure(self, spec: dict, users: dict, categories: dict) -> None:
        owner = users[spec["owner"]]
        revision = services.create_procedure(
            code=spec["code"],
            title=spec["title"],
            category=categories[spec["category"]],
            owner=owner,
            step_format=spec["format"],
            review_interval_months=spec.get("review", 12),
            created_by=users["controller"],
        )
        content = services.DraftContent(
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
                "change_summary": "First issue of this procedure.",
            },
            steps=_steps(spec),
            measures=[services.MeasureData(*row) for row in spec["measures"]],
        )
        services.save_draft(
            revision=revision, editor=owner, content=content, lock_version=revision.lock_version
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
