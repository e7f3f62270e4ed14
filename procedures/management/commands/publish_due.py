"""Make approved revisions effective once their effective date has come. Idempotent."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from procedures import workflow


class Command(BaseCommand):
    help = "Make every approved revision whose effective date has come effective (safe to run twice at once)."

    def handle(self, *args, **options):
        count = workflow.publish_due()
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "%(count)d revision became effective.",
                    "%(count)d revisions became effective.",
                    count,
                )
                % {"count": count}
            )
        )
