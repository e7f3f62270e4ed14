"""Test data built through the real services, so tests start from states the product reaches."""

import functools

import factory
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections

from procedures import review_rules, services, workflow
from procedures.models import Category, Revision, User
from procedures.steps import StepData

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")
    order = factory.Sequence(lambda n: n)


_codes = iter(range(1, 10_000))


def new_procedure(
    *,
    owner: User,
    code: str | None = None,
    step_format: str = "SIMPLE",
    title: str = "Answering a call",
    language: str = "",
    translation_of=None,
) -> Revision:
    """A procedure with its first draft, created as a supervisor does it."""
    return services.create_procedure(
        language=language,
        translation_of=translation_of,
        code=code or f"CC-T-{next(_codes):03d}",
        title=title,
        category=CategoryFactory(),
        owner=owner,
        step_format=step_format,
        review_interval_months=12,
        created_by=owner,
    )


def content(**fields) -> services.DraftContent:
    """A complete draft's content; keyword arguments override fields, steps and measures."""
    steps = fields.pop(
        "steps",
        [StepData(key="a", text="Greet the caller."), StepData(key="b", text="Verify the caller.")],
    )
    measures = fields.pop(
        "measures", [services.MeasureData("Service level", "≥ 80% in 20 s", "ACD report", "Daily")]
    )
    base = {
        "title": "Answering a call",
        "purpose": "Every caller is greeted the same way.",
        "scope": "All inbound calls.",
        "responsibilities": "- **Agent:** answers.",
        "step_format": "SIMPLE",
        "procedure_notes": "",
        "measures_notes": "",
        "documentation": "- Call notes",
        "training": "Inbound module.",
        "training_hours": None,
        "training_test_required": False,
        "training_url": "",
        "review_and_approval": "Operations manager.",
        "change_summary": "",
    }
    return services.DraftContent(fields=base | fields, steps=steps, measures=measures)


def save(revision: Revision, editor: User | None = None, **fields) -> Revision:
    revision.refresh_from_db()
    return services.save_draft(
        revision=revision,
        editor=editor or revision.procedure.owner,
        content=content(**fields),
        lock_version=revision.lock_version,
    )


def manager(username: str = "approver") -> User:
    existing = User.objects.filter(username=username).first()
    return existing or UserFactory(username=username, role="Manager")


def submit(revision: Revision, *, approvers=()) -> Revision:
    """Through the real workflow; a revision without content gets the complete default content."""
    revision.refresh_from_db()
    if review_rules.missing_elements(revision):
        revision = save(revision, change_summary="Clearer wording." if revision.number > 1 else "")
    return with_effects(
        lambda: workflow.submit(
            revision=revision, actor=revision.procedure.owner, approvers=approvers
        )
    )


def with_effects(act):
    """Run a workflow act as if its transaction committed: its after-commit effects
    (effects.py: notifications, the To-read list, closing feedback, the search index) run when
    it returns, since a test's own transaction never commits. Background tasks (renders, the
    manual PDF) and e-mails stay queued, for a test that wants them to capture them itself."""
    pending = connections[DEFAULT_DB_ALIAS].run_on_commit
    start = len(pending)
    result = act()
    queued = pending[start:]
    del pending[start:]
    for entry in queued:
        callback = entry[1]
        if getattr(getattr(callback, "func", None), "__name__", "") == "enqueue" or not isinstance(
            callback, functools.partial
        ):
            pending.append(entry)  # a background task or an e-mail: left to the test
        else:
            callback()
    return result


def sign(revision: Revision, signer: User, meaning: str = "APPROVED", **kwargs):
    revision.refresh_from_db()
    return with_effects(
        lambda: workflow.sign(
            revision=revision,
            signer=signer,
            password=PASSWORD,
            meaning=meaning,
            seen_status=revision.status,
            **kwargs,
        )
    )


def make_effective(revision: Revision, approver: User | None = None) -> Revision:
    """Submit and approve through the real workflow: the revision is effective at once."""
    approver = approver or manager()
    revision = submit(revision)
    sign(revision, approver)
    revision.refresh_from_db()
    return revision
