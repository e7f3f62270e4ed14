"""/api/v1/: the API's operations, its OpenAPI document and its docs (served from here)."""

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound

from . import manual, reading

app_name = "api"


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, rest=""):
    raise NotFound()


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs' script as a file of its own (the split view): pages run no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("procedures/", manual.ProceduresView.as_view(), name="procedures"),
    path("procedures/<str:code>/", manual.ProcedureView.as_view(), name="procedure"),
    path(
        "procedures/<str:code>/revisions/<int:number>/",
        manual.RevisionView.as_view(),
        name="revision",
    ),
    path(
        "procedures/<str:code>/revisions/<int:number>/acknowledgements/",
        reading.AcknowledgeView.as_view(),
        name="acknowledge",
    ),
    path(
        "procedures/<str:code>/revisions/<int:number>/feedback/",
        reading.FeedbackView.as_view(),
        name="feedback",
    ),
    path("withdrawn/", manual.WithdrawnView.as_view(), name="withdrawn"),
    path("search/", manual.SearchView.as_view(), name="search"),
    path("kpis/", manual.KpiView.as_view(), name="kpis"),
    path("call-reasons/", manual.CallReasonsView.as_view(), name="call_reasons"),
    path("lookup/", manual.LookupView.as_view(), name="lookup"),
    path("agents/<str:username>/to-read/", reading.ToReadView.as_view(), name="to_read"),
    path(
        "agents/<str:username>/acknowledgements/",
        reading.AcknowledgementsView.as_view(),
        name="acknowledgements",
    ),
    path("teams/", reading.TeamsView.as_view(), name="teams"),
    path("teams/<int:team_id>/reading/", reading.TeamReadingView.as_view(), name="team_reading"),
    re_path(r"^(?P<rest>[\s\S]*)$", not_found, name="not_found"),
]
