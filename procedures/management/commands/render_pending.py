"""Render every approved revision whose HTML or PDF is missing (a failed or unfinished render)."""

from django.core.management.base import BaseCommand

from procedures import publishing


class Command(BaseCommand):
    help = "Render and store the HTML and PDF of approved revisions that do not have them yet (idempotent)."

    def handle(self, *args, **options):
        done, failures = publishing.render_pending()
        for failure in failures:
            self.stderr.write(self.style.ERROR(f"Not rendered: {failure}"))
        self.stdout.write(self.style.SUCCESS(f"{done} revision(s) rendered."))
        if failures:
            raise SystemExit(1)
