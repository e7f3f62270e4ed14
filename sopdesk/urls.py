from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("procedures.urls")),
]

handler400 = "procedures.views.errors.bad_request"
handler403 = "procedures.views.errors.permission_denied"
handler404 = "procedures.views.errors.page_not_found"
handler500 = "procedures.views.errors.server_error"
