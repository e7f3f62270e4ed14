"""Reading the audit trail: a procedure's history tab, and the whole trail for the document
controller, filterable by person, procedure and date, exportable as CSV. Read-only."""

import datetime

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from .. import audit, permissions
from ..csv_export import csv_response
from ..models import AuditEvent, User
from .mixins import DeskMixin, ProcedureMixin
from .params import int_param

# the columns, in the reader's language
CSV_HEADER = (
    gettext_lazy("when"),
    gettext_lazy("who"),
    gettext_lazy("action"),
    gettext_lazy("procedure"),
    gettext_lazy("revision"),
    pgettext_lazy("status", "from"),
    pgettext_lazy("status", "to"),
    gettext_lazy("changes"),
    gettext_lazy("why"),
    gettext_lazy("object"),
)


def _csv(events, filename: str) -> HttpResponse:
    return csv_response(
        filename,
        CSV_HEADER,
        (
            [
                timezone.localtime(e.at).isoformat(),
                e.actor_name,
                e.get_action_display(),
                e.procedure.code if e.procedure else "",
                e.revision.number if e.revision else "",
                e.from_status,
                e.to_status,
                "; ".join(f"{k}: {v[0]!s} → {v[1]!s}" for k, v in e.changes.items())
                if e.changes
                else "",
                audit.as_read(e.reason),
                audit.as_read(e.target),
            ]
            for e in events.iterator()
        ),
    )


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class AuditEventsMixin:
    paginate_by = 100

    def events(self):
        return AuditEvent.objects.select_related("procedure", "revision").order_by("-at", "-pk")

    def render_events(self, events, filename: str, **context):
        if self.request.GET.get("format") == "csv":
            return _csv(events, filename)
        page = Paginator(events, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            self.get_context_data(
                page=page, events=page.object_list, query=query.urlencode(), **context
            )
        )


class ProcedureHistoryView(AuditEventsMixin, ProcedureMixin, TemplateView):
    template_name = "procedures/audit_procedure.html"

    def get(self, request, *args, **kwargs):
        events = self.events().for_procedure(self.procedure)
        return self.render_events(events, f"{self.procedure.code}-audit.csv")


class AuditLogView(AuditEventsMixin, DeskMixin, TemplateView):
    template_name = "procedures/audit_log.html"

    def check_permission(self, user) -> None:
        if not permissions.can_read_audit_log(user):
            raise PermissionDenied(
                _("The audit trail of the whole system is for document controllers.")
            )

    def get(self, request, *args, **kwargs):
        events = self.events()
        person = request.GET.get("person", "")
        code = request.GET.get("procedure", "").strip()
        since, until = _date(request.GET.get("from")), _date(request.GET.get("to"))
        problems = []
        if person.isdigit():
            events = events.filter(actor_id=int_param(person, default=0))
        if code:
            events = events.filter(procedure__code__iexact=code)
        if request.GET.get("from") and not since or request.GET.get("to") and not until:
            problems.append(_("Dates are written as YYYY-MM-DD."))
        if since:
            events = events.filter(at__date__gte=since)
        if until:
            events = events.filter(at__date__lte=until)
        return self.render_events(
            events,
            "sopdesk-audit.csv",
            people=User.objects.order_by("first_name", "last_name", "username"),
            person=person,
            code=code,
            since=request.GET.get("from", ""),
            until=request.GET.get("to", ""),
            problems=problems,
        )
