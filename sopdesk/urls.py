from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from procedures.urls import reader_patterns
from procedures.views import accounts

urlpatterns = [
    # First what other systems and readers open all day: Django tries the patterns in order.
    path("api/v1/", include("procedures.api.urls")),
    *reader_patterns,
    path("admin/", admin.site.urls),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path(
        "accounts/password_change/",
        accounts.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/language/", accounts.LanguageView.as_view(), name="set_language"),
    path("accounts/profile/", accounts.ProfileView.as_view(), name="profile"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The editor's texts in the reader's language; the page asks for it with ?lang=, so a
    # browser never keeps one language's catalog for another.
    path(
        "jsi18n/",
        cache_control(private=True, max_age=3600)(
            JavaScriptCatalog.as_view(packages=["procedures"])
        ),
        name="javascript-catalog",
    ),
    path("quality/", include("quality.urls")),
    path("", include("procedures.urls")),
]

handler400 = "procedures.views.errors.bad_request"
handler403 = "procedures.views.errors.permission_denied"
handler404 = "procedures.views.errors.page_not_found"
handler500 = "procedures.views.errors.server_error"
