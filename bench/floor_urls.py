"""The app's URLs plus /bench/bare/ and /bench/authenticated/ (see floor_settings)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

BODY = b"x" * 8192


def bare(request):
    return HttpResponse(BODY, content_type="text/plain")


@login_required
def authenticated(request):
    return HttpResponse(BODY, content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/authenticated/", authenticated),
    path("", include("sopdesk.urls")),
]
