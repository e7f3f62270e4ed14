"""Render every approved revision whose HTML or PDF is missing (a failed or unfinished render)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from procedures import publishing


class Command(BaseCommand):
    help = "Render and store the HTML and PDF of approved revisions that do not have them yet (idempotent)."

    def handle(self, *args, **options):
        done, failures = publishing.render_pending()
        for failure in failures:
            self.stderr.write(
                self.style.ERROR(_("Not rendered: %(failure)s") % {"failure": failure})
            )
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("%(count)d revision rendered.", "%(count)d revisions rendered.", done)
                % {"count": done}
            )
        )
        if failures:
            raise SystemExit(1)
