"""E-mail each owner the procedures whose periodic review is overdue or due within 30 days."""

import datetime
from collections import defaultdict

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

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
            with override(notifications.language_of(owner)):
                lines = [
                    (_("%(code)s: overdue since %(date)s") if p.next_review_on < today
                     else _("%(code)s: due %(date)s"))
                    % {"code": p.code, "date": notifications.day(p.next_review_on)}
                    for p in procedures
                ]  # fmt: skip
                subject = ngettext(
                    "%(count)d procedure due for periodic review",
                    "%(count)d procedures due for periodic review",
                    len(procedures),
                ) % {"count": len(procedures)}
                body = _(
                    "These procedures you own are due for their periodic review. Review each one: "
                    "start a new revision, or ask a manager to sign “Reviewed — no change”.\n\n%(list)s"
                ) % {"list": "\n".join(lines)}
            notifications.notify([owner], subject, body)
        count = sum(map(len, by_owner.values()))
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("Reminded %(owners)d owner", "Reminded %(owners)d owners", len(by_owner))
                % {"owners": len(by_owner)}
                + " "
                + ngettext("about %(count)d procedure.", "about %(count)d procedures.", count)
                % {"count": count}
            )
        )
