"""The KPI register (/manual/kpis/): every performance measure of every procedure in force, in
one table, filterable by category and searchable, and as CSV: what the manual commits the center
to, for the quality team."""

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .. import selectors
from ..csv_export import csv_response
from ..models import Category
from .manual import ManualMixin
from .params import int_param

PER_PAGE = 100


class KpiRegisterView(ManualMixin, TemplateView):
    template_name = "manual/kpis.html"

    def get(self, request, *args, **kwargs):
        query = " ".join(request.GET.get("q", "").split())[:200]
        category = int_param(request.GET.get("category"), default=0)
        measures = selectors.measures_in_force(query, category)
        if request.GET.get("format") == "csv":
            return self.csv(measures)
        page = Paginator(measures, PER_PAGE).get_page(request.GET.get("page"))
        filters = {"q": query, "category": category or ""}
        return self.render_to_response(
            self.get_context_data(
                page=page,
                query=query,
                category=category,
                categories=Category.objects.order_by("order", "name"),
                filters=urlencode({k: v for k, v in filters.items() if v}),
            )
        )

    @staticmethod
    def csv(measures):
        header = [
            _("Category"),
            _("Procedure"),
            _("Title"),
            _("Revision"),
            _("Effective"),
            _("Measure"),
            _("Target"),
            _("How it is measured"),
            _("How often"),
        ]
        rows = (
            [
                m.revision.procedure.category.name,
                m.revision.procedure.code,
                m.revision.title,
                m.revision.number,
                timezone.localtime(m.revision.effective_at).date().isoformat(),
                m.name,
                m.target,
                m.method,
                m.frequency,
            ]
            for m in measures.iterator(chunk_size=500)
        )
        return csv_response("sopdesk-kpi-register.csv", header, rows)
