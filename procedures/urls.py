from django.urls import include, path

from .views import authoring, desk

desk_patterns = [
    path("", desk.DeskIndexView.as_view(), name="index"),
    path("new/", desk.ProcedureCreateView.as_view(), name="create"),
    path("preview/", authoring.MarkdownPreviewView.as_view(), name="preview"),
    path("<str:code>/", desk.ProcedureDetailView.as_view(), name="procedure"),
    path("<str:code>/new-revision/", desk.StartRevisionView.as_view(), name="start_revision"),
    path("<str:code>/compare/", desk.CompareView.as_view(), name="compare"),
    path("<str:code>/rev/<int:number>/", desk.RevisionDetailView.as_view(), name="revision"),
    path("<str:code>/rev/<int:number>/edit/", authoring.RevisionEditView.as_view(), name="edit"),
]

urlpatterns = [
    path("", desk.home, name="home"),
    path("desk/", include((desk_patterns, "desk"))),
]
