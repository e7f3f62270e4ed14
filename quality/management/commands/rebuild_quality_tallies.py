"""Recount the quality dashboard's sums from the shared evaluations (quality/tallies.py). They
are kept current as evaluations are shared; run this after loading evaluations by other means
(a restore of part of the data, a bulk import), or to check: the dashboard is the same after."""

from django.core.management.base import BaseCommand

from quality import tallies


class Command(BaseCommand):
    help = "Recount the quality dashboard's sums from the shared evaluations."

    def handle(self, *args, **options):
        calls, steps = tallies.rebuild()
        self.stdout.write(
            self.style.SUCCESS(f"Recounted: {calls} agent-weeks, {steps} step-weeks.")
        )
