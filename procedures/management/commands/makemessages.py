"""`manage.py makemessages` as this project runs it: only the application's own sources (not the
tests, the benchmarks, collected static files or uploaded media), each message's place named by
file only, so the catalogs change when a message changes, not when a line moves, and no message
kept that the code no longer has.

    python manage.py makemessages -l fr            # templates and Python: django.po
    python manage.py makemessages -l fr -d djangojs  # the editor's script: djangojs.po
"""

from django.core.management.commands import makemessages

IGNORED = ["tests/*", "bench/*", "staticfiles/*", "media/*", "node_modules/*", "test-results/*"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*(options.get("ignore_patterns") or []), *IGNORED]
        if options.get("add_location") is None:
            options["add_location"] = "file"
        options["no_obsolete"] = True  # a message gone from the code leaves the catalogs too
        return super().handle(*args, **options)
