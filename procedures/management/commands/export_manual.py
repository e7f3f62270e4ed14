"""Write the whole manual (every procedure in force) as one PDF file."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from procedures import manual_pdf


class Command(BaseCommand):
    help = "Write the whole manual as one PDF: cover, contents with page numbers, every procedure in force."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="The PDF file to write.")

    def handle(self, *args, output, **options):
        target = Path(output)
        if target.is_dir():
            raise CommandError(
                f"{target} is a directory: give a file name, e.g. {target / 'manual.pdf'}"
            )
        if not target.parent.exists():
            raise CommandError(
                _("The folder %(folder)s does not exist.") % {"folder": target.parent}
            )
        show = self.stderr.isatty() if hasattr(self.stderr, "isatty") else False

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
            if show or done == total:
                self.stderr.write(line, ending="\n" if done == total else "")
                self.stderr.flush()

        partial = target.with_suffix(target.suffix + ".part")
        with partial.open("wb") as handle:
            count, pages = manual_pdf.write_manual(handle, progress=progress)
        partial.replace(target)
        self.stdout.write(
            self.style.SUCCESS(
                f"{target}: "
                + ngettext("%(count)d procedure", "%(count)d procedures", count) % {"count": count}
                + ", "
                + ngettext("%(count)d page.", "%(count)d pages.", pages) % {"count": pages}
            )
        )
        sys.stdout.flush()
