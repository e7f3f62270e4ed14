"""The manual through the API: procedures in force, one revision, search, the KPI register,
call reasons and the lookup of a call's procedure. Reads only what the caller may read on the
web (access.reader), through the selectors and search the manual's pages use."""

import html

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .. import notifications, search, selectors
from ..models import Procedure
from ..models.documents import site_language
from . import serializers as s
from .access import is_integration, reader
from .common import AGENT, ERRORS, PAGE_PARAMETERS, Pages, number_param, paginated, problems
from .documents import answer, kept
from .problems import Gone


def summary(request, revision) -> dict:
    procedure = revision.procedure
    return {
        "code": procedure.code,
        "title": revision.title,
        "revision": revision.number,
        "effective_at": revision.effective_at,
        "category": procedure.category.name,
        "language": procedure.language,
        "translation_of": procedure.translation_of.code if procedure.translation_of_id else None,
        "change_summary": revision.change_summary,
        "api_url": reverse("api:procedure", kwargs={"code": procedure.code}, request=request),
        "manual_url": request.build_absolute_uri(f"/manual/{procedure.code}/"),
    }


def _in_force():
    return selectors.in_force().select_related("procedure__category", "procedure__translation_of")


class ProceduresView(APIView):
    @extend_schema(
        operation_id="procedures_list",
        summary="Procedures in force",
        description="Every procedure in force with its revision in force, by code.",
        parameters=[
            OpenApiParameter(
                "changed_since",
                str,
                description="ISO 8601 date-time: only revisions in force since then.",
            ),
            OpenApiParameter("category", str, description="A category's name."),
            OpenApiParameter("language", str, description="A language code, e.g. en, fr, hu."),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(s.ProcedureSummarySerializer, "ProcedurePage"), **ERRORS},
    )
    def get(self, request):
        reader(request)
        revisions = _in_force().order_by("procedure__code", "pk")
        since = request.query_params.get("changed_since", "")
        if since:
            moment = _datetime(since)
            revisions = revisions.filter(effective_at__gte=moment)
        if category := request.query_params.get("category", "").strip():
            revisions = revisions.filter(procedure__category__name__iexact=category)
        if language := request.query_params.get("language", "").strip():
            revisions = revisions.filter(procedure__language=language.lower())
        pages = Pages()
        page = pages.paginate_queryset(revisions, request, view=self)
        return pages.get_paginated_response([summary(request, r) for r in page])


class WithdrawnView(APIView):
    @extend_schema(
        operation_id="withdrawn_list",
        summary="Procedures withdrawn",
        description=(
            "Procedures taken out of the manual, newest first, with what replaces them: what a "
            "system that polls the list of procedures in force needs to remove its copies."
        ),
        parameters=[
            OpenApiParameter(
                "changed_since",
                str,
                description="ISO 8601 date-time: only procedures withdrawn since then.",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(s.WithdrawnSerializer, "WithdrawnPage"), **ERRORS},
    )
    def get(self, request):
        reader(request)
        procedures = selectors.withdrawn().select_related("replaced_by")
        since = request.query_params.get("changed_since", "")
        if since:
            procedures = procedures.filter(withdrawn_at__gte=_datetime(since))
        pages = Pages()
        page = pages.paginate_queryset(procedures, request, view=self)
        return pages.get_paginated_response(
            [
                {
                    "code": p.code,
                    "language": p.language,
                    "withdrawn_at": p.withdrawn_at,
                    "reason": p.withdrawal_reason,
                    "replaced_by": p.replaced_by.code if p.replaced_by_id else None,
                    "manual_url": request.build_absolute_uri(f"/manual/{p.code}/"),
                }
                for p in page
            ]
        )


def _datetime(text: str):
    try:
        moment = parse_datetime(text.strip().replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None:
        raise exceptions.ValidationError(
            {"changed_since": [_("Give a date and time as ISO 8601, e.g. 2026-12-01T08:00:00Z.")]}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _procedure(code: str) -> Procedure:
    procedure = (
        Procedure.objects.select_related("category").filter(code__iexact=code.strip()).first()
    )
    if procedure is None:
        raise exceptions.NotFound(
            _("There is no procedure %(code)s in the manual.") % {"code": code.upper()[:40]}
        )
    return procedure


def published(code: str, number: int):
    """Revision `number` of the procedure, if it is or was in force (with its procedure)."""
    procedure = _procedure(code)
    revision = selectors.published_of(procedure).filter(number=number).first()
    if revision is None:
        raise exceptions.NotFound(
            _("%(code)s has no revision %(number)d in the manual.")
            % {"code": procedure.code, "number": number}
        )
    revision.procedure = procedure
    return revision


REVISION_RESPONSES = {
    200: s.RevisionSerializer,
    304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
    **problems(410),
    **ERRORS,
}


class ProcedureView(APIView):
    @extend_schema(
        operation_id="procedure_in_force",
        summary="A procedure's revision in force",
        description=(
            "The revision in force: the eight elements as sanitized HTML and plain text, steps "
            "with their numbers and branches, measures, signatures, attached forms. Send the "
            "ETag back as If-None-Match to get 304 while it has not changed. A withdrawn "
            "procedure answers 410."
        ),
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)],
        responses=REVISION_RESPONSES,
    )
    def get(self, request, code):
        reader(request)
        return kept(request, "in force", code.upper(), build=lambda: self.build(request, code))

    @staticmethod
    def build(request, code) -> tuple[dict, str]:
        procedure = _procedure(code)
        current = selectors.revision_in_force(procedure)
        if current is None:
            if procedure.withdrawn_at:
                raise Gone(_("%(code)s was withdrawn.") % {"code": procedure.code})
            raise exceptions.NotFound(_("%(code)s is not in force yet.") % {"code": procedure.code})
        return answer(request, procedure, current, current)


class RevisionView(APIView):
    @extend_schema(
        operation_id="procedure_revision",
        summary="One revision that is or was in force",
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH),
            OpenApiParameter("number", int, OpenApiParameter.PATH),
        ],
        responses={
            k: v for k, v in REVISION_RESPONSES.items() if k != (410, "application/problem+json")
        },
    )
    def get(self, request, code, number):
        reader(request)
        return kept(
            request,
            "revision",
            code.upper(),
            number,
            build=lambda: self.build(request, code, number),
        )

    @staticmethod
    def build(request, code, number) -> tuple[dict, str]:
        revision = published(code, number)
        procedure = revision.procedure
        return answer(request, procedure, revision, selectors.revision_in_force(procedure))


def _plain(text) -> str:
    return html.unescape(strip_tags(str(text))).strip()


class SearchView(APIView):
    @extend_schema(
        operation_id="search",
        summary="Search the manual",
        description="The same search, ranking and pages as the manual's search page.",
        parameters=[
            OpenApiParameter("q", str, required=True, description="Words or a procedure code."),
            PAGE_PARAMETERS[0],
        ],
        responses={200: s.SearchResultsSerializer, **ERRORS},
    )
    def get(self, request):
        who = reader(request)
        query = request.query_params.get("q", "")
        page = number_param(request, "page", 1, Pages.max_page)
        if not query.strip():
            raise exceptions.ValidationError({"q": [_("Type what you are looking for.")]})
        results = search.search(query, user=who, scope=search.MANUAL, page=page)
        hits = []
        for hit in results.hits:
            revision = hit.revision
            item = summary(request, revision)
            hits.append({**item, "snippet": _plain(hit.snippet)})
        return Response(
            {
                "query": results.query,
                "count": results.total,
                "page": results.number,
                "pages": results.pages,
                "results": hits,
            }
        )


class KpiView(APIView):
    @extend_schema(
        operation_id="kpis",
        summary="The KPI register",
        description="Every performance measure of every procedure in force.",
        parameters=[OpenApiParameter("q", str, description="Words to find."), *PAGE_PARAMETERS],
        responses={200: paginated(s.KpiSerializer, "KpiPage"), **ERRORS},
    )
    def get(self, request):
        reader(request)
        query = " ".join(request.query_params.get("q", "").split())[:200]
        measures = selectors.measures_in_force(query)
        pages = Pages()
        page = pages.paginate_queryset(measures, request, view=self)
        return pages.get_paginated_response(
            [
                {
                    "code": m.revision.procedure.code,
                    "title": m.revision.title,
                    "revision": m.revision.number,
                    "category": m.revision.procedure.category.name,
                    "name": m.name,
                    "target": m.target,
                    "method": m.method,
                    "frequency": m.frequency,
                }
                for m in page
            ]
        )


class CallReasonsView(APIView):
    @extend_schema(
        operation_id="call_reasons",
        summary="Call reasons and their procedures",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(s.CallReasonSerializer, "CallReasonPage"), **ERRORS},
    )
    def get(self, request):
        reader(request)
        reasons = selectors.call_reasons_in_force()
        pages = Pages()
        page = pages.paginate_queryset(reasons, request, view=self)
        return pages.get_paginated_response(
            [
                {
                    "code": r.code,
                    "description": r.description,
                    "procedures": [p.code for p in r.in_force],
                }
                for r in page
            ]
        )


class LookupView(APIView):
    @extend_schema(
        operation_id="lookup",
        summary="The procedure(s) for a call reason",
        description=(
            "The procedures in force mapped to the call reason (a disposition code, an IVR "
            "queue …), each in the agent's language when a translation is in force."
        ),
        parameters=[
            OpenApiParameter("reason", str, required=True, description="e.g. REFUND."),
            AGENT,
            OpenApiParameter(
                "language", str, description="Prefer this language (default: the agent's)."
            ),
        ],
        responses={200: s.LookupSerializer, **ERRORS},
    )
    def get(self, request):
        who = reader(request, request.query_params.get("agent", "").strip())
        code = request.query_params.get("reason", "").strip()
        if not code:
            raise exceptions.ValidationError({"reason": [_("Name the call reason, e.g. REFUND.")]})
        reason = selectors.call_reason(code)
        if reason is None:
            raise exceptions.NotFound(
                _("No call reason %(reason)s is set up in SOP Desk.") % {"reason": code[:100]}
            )
        language = request.query_params.get("language", "").strip().lower() or (
            site_language() if is_integration(who) else notifications.language_of(who)
        )
        if language not in dict(settings.LANGUAGES):
            raise exceptions.ValidationError(
                {
                    "language": [
                        _("SOP Desk speaks %(languages)s.")
                        % {"languages": ", ".join(code for code, _name in settings.LANGUAGES)}
                    ]
                }
            )
        versions = selectors.for_call_reason(reason, language)
        return Response(
            {
                "reason": reason.code,
                "description": reason.description,
                "language": language,
                "procedures": [summary(request, v.revision) for v in versions],
            }
        )
