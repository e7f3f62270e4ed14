"""/notifications/: what happened for this person (new feedback, replies, revisions to read),
newest first, unread marked; opening one reads it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from .. import notifications
from ..models import Notification

PAGE_SIZE = 50


class NotificationListView(LoginRequiredMixin, TemplateView):
    template_name = "notifications.html"

    def get_context_data(self, **kwargs):
        mine = Notification.objects.filter(recipient=self.request.user).order_by(
            "-created_at", "-pk"
        )
        page = Paginator(mine, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, **kwargs)

    def post(self, request, *args, **kwargs):
        count = notifications.read_all(request.user)
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
        return redirect("notifications")


class OpenNotificationView(LoginRequiredMixin, View):
    """/notifications/<id>/: marks it read and goes where it points. Only one's own."""

    def get(self, request, pk):
        note = get_object_or_404(Notification, pk=pk, recipient=request.user)
        notifications.read(note)
        if not url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
            return redirect("notifications")
        return redirect(note.url)
