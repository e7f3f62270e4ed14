"""E-mail each owner the procedures whose periodic review is overdue or due within 30 days."""

import datetime
from collections import defaultdict

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures import notifications
from procedures.models import Procedure


class Command(BaseCommand):
    help = "E-mail owners whose procedures are due for their periodic review within 30 days or overdue."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=30, help="remind this many days ahead (default 30)"
        )

    def handle(self, *args, days: int, **options):
        today = timezone.localdate()
        by_owner = defaultdict(list)
        for procedure in Procedure.objects.review_due_by(
            today + datetime.timedelta(days=days)
        ).select_related("owner"):
            by_owner[procedure.owner].append(procedure)
        for owner, procedures in by_owner.items():
            lines = [
                _("%(code)s: %(state)s %(date)s")
                % {
                    "code": p.code,
                    "state": _("overdue since") if p.next_review_on < today else _("due"),
                    "date": p.next_review_on.strftime("%d %b %Y"),
                }
                for p in procedures
            ]
            notifications.notify(
                [owner],
                _("%(count)d procedure(s) due for periodic review") % {"count": len(procedures)},
                _(
                    "These procedures you own are due for their periodic review. Review each one: "
                    "start a new revision, or ask a manager to sign “Reviewed — no change”.\n\n%(list)s"
                )
                % {"list": "\n".join(lines)},
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Reminded {len(by_owner)} owner(s) about {sum(map(len, by_owner.values()))} procedure(s)."
            )
        )
