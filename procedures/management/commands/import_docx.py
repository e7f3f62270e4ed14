"""manage.py import_docx FILE... --category NAME [--owner USERNAME]: Word files → drafts."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ... import permissions
from ...importing import import_many
from ...models import Category, User


class Command(BaseCommand):
    help = (
        "Import Word (.docx) procedures: each file becomes a new procedure with a first draft "
        "and an import report. The good files are imported; each refusal says why."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="The .docx files to import.")
        parser.add_argument("--category", required=True, help="The category's name.")
        parser.add_argument(
            "--owner",
            help="Username of the supervisor who owns them (needed when there are several).",
        )
        parser.add_argument(
            "--by", help="Username recorded as importing them (default: the owner)."
        )

    def handle(self, *args, **options):
        category = Category.objects.filter(name__iexact=options["category"]).first()
        if category is None:
            names = ", ".join(Category.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"There is no category {options['category']!r}. Categories: {names}")
        owner = self._owner(options["owner"])
        by = self._user(options["by"]) if options["by"] else owner
        uploads = []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name} is not a file.")
            uploads.append((path.name, path.read_bytes()))
        outcomes = import_many(
            uploads,
            category=category,
            owner=owner,
            created_by=by,
            limit=settings.SOPDESK_IMPORT_MAX_BYTES,
        )
        failed = 0
        for outcome in outcomes:
            if outcome.error:
                failed += 1
                self.stderr.write(f"REFUSED  {outcome.name}: {outcome.error}")
                continue
            revision = outcome.revision
            self.stdout.write(
                f"IMPORTED {outcome.name} → {revision.procedure.code} “{revision.title}” "
                f"(draft revision 1, {revision.steps.count()} steps)"
            )
            for note in outcome.notes:
                self.stdout.write(f"         check: {note}")
        self.stdout.write(f"{len(outcomes) - failed} imported, {failed} refused.")
        if failed:
            raise CommandError(f"{failed} file(s) were not imported.")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {username!r}.")
        return user

    def _owner(self, username: str | None) -> User:
        if username:
            owner = self._user(username)
            if not permissions.can_own_procedures(owner):
                raise CommandError(
                    f"{username} is not a supervisor: only supervisors own procedures."
                )
            return owner
        supervisors = list(
            User.objects.filter(groups__name=permissions.SUPERVISOR, is_active=True).distinct()[:2]
        )
        if len(supervisors) != 1:
            raise CommandError(
                "Say which supervisor owns the imported procedures: --owner USERNAME."
            )
        return supervisors[0]
