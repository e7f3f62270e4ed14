"""Error pages in the site's layout, with the reason in the user's terms."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else _("You may not open this page.")
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
