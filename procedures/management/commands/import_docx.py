"""manage.py import_docx FILE... --category NAME [--owner USERNAME]: Word files → drafts."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ... import importing, permissions
from ...importing import ELEMENT_LABELS, import_many
from ...models import Category, User
from ...services import ServiceError


class Command(BaseCommand):
    help = (
        "Import Word (.docx) procedures: each file becomes a new procedure with a first draft "
        "and an import report. The good files are imported; each refusal says why."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="The .docx files to import.")
        parser.add_argument("--category", help="The category's name (needed unless --dry-run).")
        parser.add_argument(
            "--owner",
            help="Username of the supervisor who owns them (needed when there are several).",
        )
        parser.add_argument(
            "--by", help="Username recorded as importing them (default: the owner)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only print how each file would be read (sections, steps, notes); store nothing.",
        )

    def handle(self, *args, **options):
        if options["dry_run"]:
            return self._dry_run(options["files"])
        if not options["category"]:
            raise CommandError(_("Say which category the procedures go in: --category NAME."))
        category = Category.objects.filter(name__iexact=options["category"]).first()
        if category is None:
            names = ", ".join(Category.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(
                _("There is no category “%(name)s”. Categories: %(names)s")
                % {"name": options["category"], "names": names}
            )
        owner = self._owner(options["owner"])
        by = self._user(options["by"]) if options["by"] else owner
        uploads = []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("%(name)s is not a file.") % {"name": name})
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
                self.stderr.write(
                    _("REFUSED  %(name)s: %(why)s") % {"name": outcome.name, "why": outcome.error}
                )
                continue
            revision = outcome.revision
            self.stdout.write(
                ngettext(
                    "IMPORTED %(name)s → %(code)s “%(title)s” (draft revision 1, %(steps)d step)",
                    "IMPORTED %(name)s → %(code)s “%(title)s” (draft revision 1, %(steps)d steps)",
                    revision.steps.count(),
                )
                % {
                    "name": outcome.name,
                    "code": revision.procedure.code,
                    "title": revision.title,
                    "steps": revision.steps.count(),
                }
            )
            for note in outcome.notes:
                self.stdout.write("         " + _("check: %(note)s") % {"note": note})
        self.stdout.write(
            _("%(imported)d imported, %(refused)d refused.")
            % {"imported": len(outcomes) - failed, "refused": failed}
        )
        if failed:
            raise CommandError(
                ngettext(
                    "%(count)d file was not imported.", "%(count)d files were not imported.", failed
                )
                % {"count": failed}
            )

    def _dry_run(self, names: list[str]) -> None:
        failed = 0
        for name in names:
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("%(name)s is not a file.") % {"name": name})
            try:
                plan, built = importing.dry_run(
                    data=path.read_bytes(), name=path.name, limit=settings.SOPDESK_IMPORT_MAX_BYTES
                )
            except ServiceError as error:
                failed += 1
                self.stderr.write(
                    _("REFUSED  %(name)s: %(why)s") % {"name": path.name, "why": error.message}
                )
                continue
            # one line per finding, a label and what was found, for someone checking a file
            line = self._line
            line(_("File"), path.name)
            code = _(" (code %(code)s)") % {"code": built.code} if built.code else ""
            line(_("Title"), built.title + code)
            for section in plan.sections:
                heading = section.heading or _("(the text before the first section title)")
                line(_("Section"), f"{heading[:60]!s:60} → {ELEMENT_LABELS[section.element]}")
            if plan.steps is None:
                line(_("Steps"), _("none"))
            else:
                source = plan.sections[plan.lists[plan.steps].section].heading or _("(the start)")
                line(
                    _("Steps"),
                    _("%(count)d from “%(source)s”")
                    % {"count": len(built.steps), "source": source[:60]},
                )
            for step in built.steps:
                first = " ".join(step.text.split())[:70]
                line("", f"{'  ' * (step.level - 1)}- {first}")
            for note in built.notes:
                line(_("Check"), note)
        if failed:
            raise CommandError(
                ngettext(
                    "%(count)d file could not be read.",
                    "%(count)d files could not be read.",
                    failed,
                )
                % {"count": failed}
            )

    def _line(self, label: str, text: str) -> None:
        self.stdout.write(f"{label:<9}{text}" if len(label) < 9 else f"{label} {text}")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active user “%(name)s”.") % {"name": username})
        return user

    def _owner(self, username: str | None) -> User:
        if username:
            owner = self._user(username)
            if not permissions.can_own_procedures(owner):
                raise CommandError(
                    _("%(name)s is not a supervisor: only supervisors own procedures.")
                    % {"name": username}
                )
            return owner
        supervisors = list(
            User.objects.filter(groups__name=permissions.SUPERVISOR, is_active=True).distinct()[:2]
        )
        if len(supervisors) != 1:
            raise CommandError(
                _("Say which supervisor owns the imported procedures: --owner USERNAME.")
            )
        return supervisors[0]
