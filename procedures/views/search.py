"""Search: /manual/search/ for what is in force, /desk/search/ for desk users (drafts too).

Typing a procedure's code goes straight to it; everything else is one page of ranked hits with
the matching words highlighted. `procedures.search` decides what each person may find.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from .. import search
from .manual import ManualMixin
from .mixins import DeskMixin
from .params import int_param


class SearchMixin:
    template_name = "procedures/search.html"
    scope = search.MANUAL

    def get(self, request, *args, **kwargs):
        query = request.GET.get("q", "")
        procedure = search.code_match(query, user=request.user, scope=self.scope)
        if procedure is not None:
            return redirect(self.procedure_url(procedure.code))
        page = int_param(request.GET.get("page"), default=1)
        results = search.search(query, user=request.user, scope=self.scope, page=page)
        return self.render_to_response(
            self.get_context_data(
                results=results,
                query=results.query,
                scope=self.scope,
                action=request.path,
            )
        )

    def procedure_url(self, code: str) -> str:
        return reverse("manual:procedure", kwargs={"code": code})


class ManualSearchView(SearchMixin, ManualMixin, TemplateView):
    pass


class DeskSearchView(SearchMixin, DeskMixin, TemplateView):
    scope = search.DESK

    def procedure_url(self, code: str) -> str:
        return reverse("desk:procedure", kwargs={"code": code})
