from django.urls import path

from .views import calibration, dashboard, evaluations, scorecards

app_name = "quality"

urlpatterns = [
    path("", evaluations.EvaluationListView.as_view(), name="evaluations"),
    path("evaluations/new/", evaluations.StartEvaluationView.as_view(), name="start"),
    path("evaluations/<int:pk>/", evaluations.EvaluationView.as_view(), name="evaluation"),
    path(
        "evaluations/<int:pk>/<slug:act>/",
        evaluations.EvaluationActView.as_view(),
        name="evaluation_act",
    ),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("dashboard/suggest/", dashboard.SuggestView.as_view(), name="suggest"),
    path("dashboard/evaluations.csv", dashboard.ExportView.as_view(), name="export"),
    path("calibration/", calibration.CalibrationListView.as_view(), name="calibrations"),
    path("calibration/new/", calibration.CalibrationStartView.as_view(), name="calibration_start"),
    path("calibration/<int:pk>/", calibration.CalibrationView.as_view(), name="calibration"),
    path("people/<str:username>/", calibration.EvaluatorView.as_view(), name="evaluator"),
    path("scorecards/", scorecards.ScorecardListView.as_view(), name="scorecards"),
    path("scorecards/new/", scorecards.ScorecardCreateView.as_view(), name="scorecard_create"),
    path("scorecards/<int:pk>/", scorecards.ScorecardView.as_view(), name="scorecard"),
    path("scorecards/<int:pk>/v/<int:number>/", scorecards.VersionView.as_view(), name="version"),
    path(
        "scorecards/<int:pk>/v/<int:number>/<slug:action>/",
        scorecards.VersionActionView.as_view(),
        name="version_action",
    ),
]
