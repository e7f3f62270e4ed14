"""Feedback: an agent sends it from a manual page and follows it at /manual/feedback/; the
owner answers it from the inbox at /desk/feedback/ (managers and document controllers see all
of it, with its age) and can start a revision from it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .. import feedback, notifications, permissions, selectors, services
from ..forms import FeedbackForm, FeedbackReplyForm, FollowUpForm
from ..models import Feedback
from . import panels
from .manual import ManualMixin, ProcedureView, _procedure, _published_revision
from .mixins import DeskMixin

FeedbackStatus = Feedback.Status
PAGE_SIZE = 50
STALE_DAYS = 14  # unresolved feedback this old is marked in the inbox


class SendFeedbackView(ProcedureView):
    """POST /manual/<CODE>/rev/<N>/feedback/: refused feedback comes back on the page, as typed."""

    http_method_names = ["post"]

    def post(self, request, code, number):
        procedure = _procedure(code)
        revision = _published_revision(procedure, number)
        current = selectors.revision_in_force(procedure)
        form = FeedbackForm(request.POST, step_choices=panels.step_choices(revision))
        if form.is_valid():
            try:
                sent = feedback.send(
                    author=request.user,
                    revision=revision,
                    body=form.cleaned_data["body"],
                    element=form.cleaned_data["element"],
                    step_key=form.cleaned_data.get("step_key", ""),
                )
            except feedback.FeedbackRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request,
                    _("Sent to %(owner)s, who owns %(code)s. You see the reply here and under "
                      "My feedback.")
                    % {"owner": procedure.owner.display_name, "code": procedure.code},
                )  # fmt: skip
                return redirect(feedback.manual_url(sent))
        messages.error(request, _("Your feedback was not sent: please see what is marked below."))
        return self.page(procedure, revision, current, feedback_form=form, status=400)


class MyFeedbackView(ManualMixin, TemplateView):
    """/manual/feedback/: what this person sent, with its status and how many replies."""

    template_name = "manual/my_feedback.html"

    def get_context_data(self, **kwargs):
        mine = (
            Feedback.objects.filter(author=self.request.user)
            .select_related("procedure", "revision", "addressed_by")
            .annotate(replies_count=Count("replies"))
            .order_by("-created_at")
        )
        page = Paginator(mine, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, **kwargs)


def _conversation(item: Feedback) -> list:
    return list(item.replies.select_related("author").order_by("created_at", "pk"))


class MyFeedbackDetailView(ManualMixin, TemplateView):
    """/manual/feedback/<id>/: one's own feedback and its conversation. Anyone else's is a 404,
    whatever the number in the URL; the people who handle it are sent to the desk's page."""

    template_name = "manual/feedback_detail.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.item = get_object_or_404(
            Feedback.objects.select_related("procedure__owner", "revision", "addressed_by"),
            pk=kwargs["pk"],
        )

    def get(self, request, *args, **kwargs):
        if not permissions.can_see_feedback(request.user, self.item):
            raise Http404(_("There is no such feedback of yours."))
        if self.item.author_id != request.user.pk:  # a handler: the desk's page is theirs
            return redirect(feedback.desk_url(self.item))
        notifications.mark_read(request.user, request.path)
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        if self.item.author_id != request.user.pk:
            raise Http404(_("There is no such feedback of yours."))
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                feedback.reply(
                    feedback=self.item, author=request.user, body=form.cleaned_data["body"]
                )
            except feedback.FeedbackRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Added. The owner is told."))
                return redirect(request.path)
        messages.error(request, _("Nothing was added: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", FollowUpForm())
        return super().get_context_data(item=self.item, replies=_conversation(self.item), **kwargs)


class FeedbackInboxView(DeskMixin, TemplateView):
    """/desk/feedback/?status=…: the feedback a desk user handles, oldest unresolved first."""

    template_name = "procedures/feedback_inbox.html"
    TABS = (
        "UNRESOLVED",
        FeedbackStatus.OPEN,
        FeedbackStatus.ACCEPTED,
        FeedbackStatus.DECLINED,
        FeedbackStatus.DONE,
        "ALL",
    )

    def get_context_data(self, **kwargs):
        user = self.request.user
        tab = self.request.GET.get("status", "UNRESOLVED").upper()
        if tab not in self.TABS:
            tab = "UNRESOLVED"
        visible = feedback.visible_to(user)
        counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
        items = visible
        if tab == "UNRESOLVED":
            items = items.unresolved().order_by("created_at", "pk")
        elif tab == "ALL":
            items = items.order_by("-created_at", "-pk")
        else:
            ordering = (
                ("created_at", "pk")
                if tab in (FeedbackStatus.OPEN, FeedbackStatus.ACCEPTED)
                else ("-status_changed_at", "-pk")
            )
            items = items.filter(status=tab).order_by(*ordering)
        page = Paginator(items, PAGE_SIZE).get_page(self.request.GET.get("page"))
        now = timezone.now()
        for item in page.object_list:
            unresolved = item.status in (FeedbackStatus.OPEN, FeedbackStatus.ACCEPTED)
            item.age_days = (now - item.created_at).days if unresolved else None
        labels = {
            "UNRESOLVED": _("Open and accepted"),
            "ALL": _("All"),
            **dict(FeedbackStatus.choices),
        }
        counts["UNRESOLVED"] = counts.get(FeedbackStatus.OPEN, 0) + counts.get(
            FeedbackStatus.ACCEPTED, 0
        )
        counts["ALL"] = sum(counts.get(status, 0) for status in FeedbackStatus.values)
        tabs = [(key, labels[key], counts.get(key, 0)) for key in self.TABS]
        return super().get_context_data(
            tab=tab,
            tabs=tabs,
            page=page,
            stale_days=STALE_DAYS,
            sees_all=permissions.sees_all_feedback(user),
            **kwargs,
        )


class FeedbackDetailView(DeskMixin, TemplateView):
    """/desk/feedback/<id>/: read it, reply, change its status, start a revision from it."""

    template_name = "procedures/feedback_detail.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.item = get_object_or_404(
            Feedback.objects.select_related(
                "procedure__owner", "procedure__category", "revision", "author", "addressed_by"
            ),
            pk=kwargs["pk"],
        )

    def check_permission(self, user) -> None:
        if not permissions.can_see_feedback(user, self.item):  # their own: get() sends them
            raise PermissionDenied(
                _("Feedback goes to the procedure's owner; managers see all of it.")
            )

    def get(self, request, *args, **kwargs):
        if not permissions.can_handle_feedback(request.user, self.item):
            return redirect(feedback.manual_url(self.item))
        notifications.mark_read(request.user, request.path)
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        form = self.reply_form(request.POST)
        if form.is_valid():
            try:
                feedback.reply(
                    feedback=self.item,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    status=form.cleaned_data["status"],
                )
            except feedback.FeedbackRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request,
                    _("Saved. %(name)s is told.") % {"name": self.item.author.display_name},
                )
                return redirect(request.path)
        messages.error(request, _("Nothing was saved: please see what is marked below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def reply_form(self, data=None) -> FeedbackReplyForm:
        return FeedbackReplyForm(
            data,
            current=self.item.status,
            allowed=feedback.TRANSITIONS[self.item.status],
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.reply_form())
        item = self.item
        return super().get_context_data(
            item=item,
            replies=_conversation(item),
            open_draft=selectors.open_draft(item.procedure),
            open_revision=item.procedure.revisions.open().first(),
            can_start=permissions.can_start_revision(self.request.user, item.procedure)
            and item.addressed_by_id is None
            and item.status in (FeedbackStatus.OPEN, FeedbackStatus.ACCEPTED),
            age=(timezone.now() - item.created_at).days,
            **kwargs,
        )


class StartRevisionFromFeedbackView(FeedbackDetailView):
    """POST /desk/feedback/<id>/start-revision/: a draft linked to this feedback."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            draft = feedback.start_revision_from(feedback=self.item, author=request.user)
        except services.ServiceError as refusal:
            messages.error(request, refusal.message)
            return redirect(feedback.desk_url(self.item))
        messages.success(
            request,
            _("Revision %(number)d of %(code)s is linked to this feedback. %(name)s is told it "
              "was accepted.")
            % {
                "number": draft.number,
                "code": self.item.procedure.code,
                "name": self.item.author.display_name,
            },
        )  # fmt: skip
        return redirect("desk:edit", code=self.item.procedure.code, number=draft.number)
