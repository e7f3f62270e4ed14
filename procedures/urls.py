from django.urls import include, path

from .views import (
    audit,
    authoring,
    desk,
    embed,
    feedback,
    files,
    importing,
    kpis,
    manual,
    notifications,
    reading,
    review,
    search,
)

desk_patterns = [
    path("", desk.DeskIndexView.as_view(), name="index"),
    path("new/", desk.ProcedureCreateView.as_view(), name="create"),
    path("preview/", authoring.MarkdownPreviewView.as_view(), name="preview"),
    path("import/", importing.ImportView.as_view(), name="import"),
    path("import/<uuid:pk>/", importing.ImportPreviewView.as_view(), name="import_preview"),
    path(
        "import/<uuid:pk>/pictures/<uuid:token>/",
        importing.ImportPictureView.as_view(),
        name="import_picture",
    ),
    path("audit/", audit.AuditLogView.as_view(), name="audit"),
    path("search/", search.DeskSearchView.as_view(), name="search"),
    path("reading/", reading.ReadingDashboardView.as_view(), name="reading"),
    path("feedback/", feedback.FeedbackInboxView.as_view(), name="feedback"),
    path("feedback/<int:pk>/", feedback.FeedbackDetailView.as_view(), name="feedback_detail"),
    path(
        "feedback/<int:pk>/start-revision/",
        feedback.StartRevisionFromFeedbackView.as_view(),
        name="feedback_start_revision",
    ),
    path("<str:code>/", desk.ProcedureDetailView.as_view(), name="procedure"),
    path("<str:code>/new-revision/", desk.StartRevisionView.as_view(), name="start_revision"),
    path("<str:code>/call-reasons/", desk.CallReasonsView.as_view(), name="call_reasons"),
    path("<str:code>/compare/", desk.CompareView.as_view(), name="compare"),
    path("<str:code>/history/", audit.ProcedureHistoryView.as_view(), name="history"),
    path("<str:code>/withdraw/", review.RequestWithdrawalView.as_view(), name="withdraw"),
    path("<str:code>/rev/<int:number>/", desk.RevisionDetailView.as_view(), name="revision"),
    path("<str:code>/rev/<int:number>.pdf", desk.RevisionPdfView.as_view(), name="revision_pdf"),
    path("<str:code>/rev/<int:number>/edit/", authoring.RevisionEditView.as_view(), name="edit"),
    path("<str:code>/rev/<int:number>/submit/", review.SubmitView.as_view(), name="submit"),
    path("<str:code>/rev/<int:number>/sign/", review.SignView.as_view(), name="sign"),
    path("<str:code>/rev/<int:number>/return/", review.ReturnView.as_view(), name="return"),
    path("<str:code>/rev/<int:number>/comment/", review.CommentView.as_view(), name="comment"),
    path(
        "<str:code>/rev/<int:number>/images/", files.ImageUploadView.as_view(), name="image_upload"
    ),
    path(
        "<str:code>/rev/<int:number>/attachments/",
        files.AttachmentAddView.as_view(),
        name="attachment_add",
    ),
    path(
        "<str:code>/rev/<int:number>/attachments/remove/",
        files.AttachmentRemoveView.as_view(),
        name="attachment_remove",
    ),
]

manual_patterns = [
    path("", manual.TableOfContentsView.as_view(), name="toc"),
    # Before <code>/. Procedure URLs are canonical in capitals (/manual/TO-READ/ would still be
    # a procedure coded TO-READ); these lower-case paths are the manual's own pages.
    path("search/", search.ManualSearchView.as_view(), name="search"),
    path("kpis/", kpis.KpiRegisterView.as_view(), name="kpis"),
    path("to-read/", reading.ToReadView.as_view(), name="to_read"),
    path("feedback/", feedback.MyFeedbackView.as_view(), name="my_feedback"),
    path("feedback/<int:pk>/", feedback.MyFeedbackDetailView.as_view(), name="feedback_detail"),
    path("for/<str:reason>/", embed.ManualForReasonView.as_view(), name="for_reason"),
    path("<str:code>.pdf", manual.ProcedurePdfView.as_view(), name="procedure_pdf"),
    path("<str:code>/", manual.ProcedureView.as_view(), name="procedure"),
    path("<str:code>/rev/<int:number>.pdf", manual.ProcedurePdfView.as_view(), name="revision_pdf"),
    path("<str:code>/rev/<int:number>/", manual.ProcedureView.as_view(), name="revision"),
    path("<str:code>/rev/<int:number>/changes/", manual.RedlineView.as_view(), name="changes"),
    path(
        "<str:code>/rev/<int:number>/acknowledge/",
        reading.AcknowledgeView.as_view(),
        name="acknowledge",
    ),
    path(
        "<str:code>/rev/<int:number>/feedback/",
        feedback.SendFeedbackView.as_view(),
        name="send_feedback",
    ),
]

# What readers open all day (the manual, its files, the panel), first in the site's URLs
# (sopdesk/urls.py): Django tries the patterns in order, and these are most requests.
reader_patterns = [
    path("manual/", include((manual_patterns, "manual"))),
    path("images/<str:name>", files.ImageView.as_view(), name="image"),
    # The panel for a CRM's side panel or iframe: the only pages other sites may frame.
    path("embed/for/<str:reason>/", embed.EmbedForReasonView.as_view(), name="embed_for_reason"),
    path("embed/<str:code>/", embed.EmbedView.as_view(), name="embed"),
    path(
        "embed/<str:code>/rev/<int:number>/acknowledge/",
        embed.EmbedAcknowledgeView.as_view(),
        name="embed_acknowledge",
    ),
    path("files/<uuid:token>/<str:filename>", files.AttachmentView.as_view(), name="attachment"),
    path("manual.pdf", manual.ManualPdfView.as_view(), name="manual_pdf"),
]

urlpatterns = [
    path("", desk.home, name="home"),
    path("desk/", include((desk_patterns, "desk"))),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/<int:pk>/",
        notifications.OpenNotificationView.as_view(),
        name="notification_open",
    ),
]
