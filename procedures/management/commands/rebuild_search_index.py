"""Re-index every revision: after changing SOPDESK_SEARCH_CONFIG, or to repair the index."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from procedures import search
from procedures.models import Revision


class Command(BaseCommand):
    help = "Write the search document of every revision again (idempotent)."

    def handle(self, *args, **options):
        revisions = Revision.objects.select_related("procedure").prefetch_related(
            "steps", "measures"
        )
        count = 0
        for revision in revisions.order_by("pk").iterator(chunk_size=200):
            search.index_revision(revision)
            count += 1
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("%(count)d revision indexed.", "%(count)d revisions indexed.", count)
                % {"count": count}
            )
        )
