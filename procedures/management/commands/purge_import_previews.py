"""manage.py purge_import_previews: delete Word import previews nobody came back to, with their
pictures, and pictures whose preview is gone (procedures/importing/cleanup.py). Run it daily."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ...importing import cleanup


class Command(BaseCommand):
    # A plain string: argparse cannot format a lazy one (verify_records --help fails so).
    help = (
        "Delete Word import previews older than --older-than days (7 by default) with their "
        "pictures, and staged pictures whose preview is gone. Safe to run twice at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=7,
            metavar="DAYS",
            help=_("Delete previews uploaded more than DAYS days ago (default 7)."),
        )

    def handle(self, *args, **options):
        days = options["older_than"]
        if days < 0:
            raise CommandError(_("--older-than takes a number of days, 0 or more."))
        purged = cleanup.purge(older_than=datetime.timedelta(days=days))
        previews = ngettext(
            "%(count)d Word import preview", "%(count)d Word import previews", purged.previews
        ) % {"count": purged.previews}
        files = ngettext("%(count)d picture file", "%(count)d picture files", purged.files) % {
            "count": purged.files
        }
        line = ngettext(
            "Removed %(previews)s older than %(days)d day and %(files)s.",
            "Removed %(previews)s older than %(days)d days and %(files)s.",
            days,
        ) % {"previews": previews, "days": days, "files": files}
        self.stdout.write(self.style.SUCCESS(line))
