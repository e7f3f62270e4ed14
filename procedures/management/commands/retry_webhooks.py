"""Hand the webhook deliveries whose attempt is due to the worker: after the worker lost them,
or with a task backend that cannot run a task later (each attempt sends nothing twice)."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from procedures import tasks, webhooks


class Command(BaseCommand):
    help = "Queue every webhook delivery whose next attempt is due (safe to run twice at once)."

    def handle(self, *args, **options):
        due = webhooks.due()
        for delivery_id in due:
            tasks.deliver_webhook.enqueue(delivery_id)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "%(count)d webhook delivery queued.",
                    "%(count)d webhook deliveries queued.",
                    len(due),
                )
                % {"count": len(due)}
            )
        )
