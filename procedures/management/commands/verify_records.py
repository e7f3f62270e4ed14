"""manage.py verify_records: re-check signatures, submitted content, stored files and the audit
trail (procedures/integrity.py); exit status 1 if anything does not match."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ... import integrity


class Command(BaseCommand):
    # A plain string, as in every command: argparse cannot format a lazy translation.
    help = (
        "Check every signature against its revision's content, every stored rendition, image, "
        "attachment and manual build against its SHA-256, and the audit trail for missing "
        "events. Reads only; exits with status 1 if anything does not match."
    )

    def handle(self, *args, **options):
        checks = integrity.verify_records()
        for check in checks:
            self._summary(check)
        problems = sum(len(check.problems) for check in checks)
        if problems:
            raise CommandError(
                ngettext(
                    "%(count)d problem found: the records above do not match.",
                    "%(count)d problems found: the records above do not match.",
                    problems,
                )
                % {"count": problems}
            )
        self.stdout.write(self.style.SUCCESS(_("Every record checked matches.")))

    def _summary(self, check: integrity.Check) -> None:
        line = _("%(title)s: %(checked)d checked, %(ok)d ok") % {
            "title": check.title,
            "checked": check.checked,
            "ok": check.ok,
        }
        if check.problems:
            line += ", " + ngettext(
                "%(count)d problem", "%(count)d problems", len(check.problems)
            ) % {"count": len(check.problems)}
        style = self.style.ERROR if check.problems else self.style.SUCCESS
        self.stdout.write(style(line))
        for problem in check.problems:
            self.stdout.write("  " + _("PROBLEM %(problem)s") % {"problem": problem})
        for note in check.notes:
            self.stdout.write("  " + _("note: %(note)s") % {"note": note})
